"""A local fake of Stripe's HTTP API: records every request (headers and form-encoded
body) and answers like Stripe, or fails on demand (5xx, 4xx, a slow answer)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: str
    form: dict[str, str] = field(default_factory=dict)


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        # "ok", "server_error", "bad_request" or "slow" (answers after `delay` seconds)
        self.mode = "ok"
        self.delay = 2.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def last(self, path_prefix: str) -> RecordedRequest:
        matching = [r for r in self.requests if r.path.startswith(path_prefix)]
        assert matching, f"no request to {path_prefix}; saw {[r.path for r in self.requests]}"
        return matching[-1]

    def answer(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "server_error":
            return 500, {
                "error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}
            }
        if self.mode == "bad_request":
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "message": "No such destination: 'acct_x'",
                }
            }
        form, path = request.form, request.path
        if path == "/v1/checkout/sessions":
            number = sum(1 for r in self.requests if r.path == path and r.method == "POST")
            return 200, {
                "id": f"cs_test_fake_{number}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/cs_test_fake_{number}",
                "expires_at": int(form["expires_at"]),
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": sum(int(v) for k, v in form.items() if k.endswith("[unit_amount]")),
            }
        if path.startswith("/v1/checkout/sessions/") and path.endswith("/expire"):
            return 200, {
                "id": path.split("/")[4],
                "object": "checkout.session",
                "status": "expired",
            }
        if path == "/v1/refunds":
            refunds = sum(1 for r in self.requests if r.path == "/v1/refunds")
            return 200, {
                "id": f"re_fake_{refunds}",
                "object": "refund",
                "amount": int(form["amount"]),
                "status": "succeeded",
            }
        if path == "/v1/accounts" and request.method == "POST":
            return 200, {"id": "acct_fake_1", "object": "account", "charges_enabled": False}
        if path == "/v1/account_links":
            return 200, {
                "object": "account_link",
                "url": "https://connect.stripe.test/setup/e/acct_fake_1",
            }
        if path.startswith("/v1/accounts/"):
            return 200, {
                "id": path.split("/")[3],
                "object": "account",
                "charges_enabled": True,
                "payouts_enabled": True,
                "details_submitted": True,
                "requirements": {"currently_due": []},
            }
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL {path}",
            }
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                request = RecordedRequest(
                    method=self.command,
                    path=path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body or query,
                    form=dict(parse_qsl(body or query, keep_blank_values=True)),
                )
                fake.requests.append(request)
                status, payload = fake.answer(request)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Request-Id", "req_fake")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    yield fake
    fake.stop()
