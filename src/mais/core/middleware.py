"""The one ASGI middleware every request passes: request id, body-size limit, URLs with
control characters (422), HEAD, security headers, and the last-resort 500. Pure ASGI (no
BaseHTTPMiddleware) because it sits on the hot path of every request."""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mais.core.context import request_id_var, request_path_var
from mais.core.errors import error_body
from mais.core.validation import form_has_control_characters, url_problem

log = logging.getLogger("mais.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

JSON_BODY_LIMIT = 64 * 1024
UPLOAD_BODY_LIMIT = 5 * 1024 * 1024 + 64 * 1024  # a 5 MB file plus multipart framing
REPORT_BODY_LIMIT = 16 * 1024
WEBHOOK_BODY_LIMIT = 512 * 1024


def body_limit_for(path: str) -> int:
    if path.endswith(("/photos", "/logo")):
        return UPLOAD_BODY_LIMIT
    if path.startswith("/v1/csp-violations"):
        return REPORT_BODY_LIMIT
    if path.startswith("/v1/webhooks/"):
        return WEBHOOK_BODY_LIMIT
    return JSON_BODY_LIMIT


# Headers a handler may override (a widget page sets its own frame-ancestors).
BASE_SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(self)"),
    # `-allow-popups`: the widget opens Stripe Checkout in a new tab and keeps its handle
    # (popup-blocked check); plain `same-origin` would sever it. Ignored inside iframes.
    (b"cross-origin-opener-policy", b"same-origin-allow-popups"),
]
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
REPORT_GROUP = b"csp-endpoint"


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        force_hsts: bool = False,
        on_response: Callable[[Scope, int, float], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.app = app
        self.force_hsts = force_hsts
        self.on_response = on_response
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        incoming_id, declared, content_type = _read_headers(scope)
        request_id = incoming_id or _request_ids.new()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        path_token = request_path_var.set(scope["path"])
        is_head = scope["method"] == "HEAD"
        if is_head:
            scope = dict(scope, method="GET")
        https = scope.get("scheme") == "https" or self.force_hsts
        status_holder = {"status": 0, "started": False}

        limit = body_limit_for(scope["path"])
        received = 0
        rejected = False
        is_form = scope["method"] in _BODY_METHODS and content_type.startswith(_FORM)
        form_tail = b""  # an escape split across two chunks is seen whole

        async def limited_receive() -> Message:
            # A body streamed without Content-Length (chunked) is counted as it arrives.
            # Past the limit the 413 is sent here, and the app is told the client left,
            # so whatever it answers instead is dropped by `send_wrapper`.
            nonlocal received, rejected, form_tail
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if is_form:
                    window = form_tail + message.get("body", b"")
                    form_tail = window[-5:]
                    if form_has_control_characters(window):
                        rejected = True
                        if not status_holder["started"]:
                            status_holder["status"] = 422
                            status_holder["started"] = True
                            await _send_error(
                                send,
                                scope,
                                422,
                                "VALIDATION_ERROR",
                                "Invalid request: a form field contains control characters.",
                                [{"field": "form", "issue": "must not contain control characters"}],
                            )
                        return {"type": "http.disconnect"}
                if received > limit:
                    rejected = True
                    if not status_holder["started"]:
                        status_holder["status"] = 413
                        status_holder["started"] = True
                        await _send_error(send, scope, 413, "PAYLOAD_TOO_LARGE", _too_large(limit))
                    return {"type": "http.disconnect"}
            return message

        async def send_wrapper(message: Message) -> None:
            if rejected:
                return
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message["headers"] = _with_security_headers(
                    list(message.get("headers", [])), request_id, https
                )
            elif message["type"] == "http.response.body" and is_head:
                more = message.get("more_body", False)
                message = {"type": "http.response.body", "body": b"", "more_body": more}
            await send(message)

        try:
            bad_url_part = url_problem(scope["path"], scope.get("query_string", b""))
            if bad_url_part is not None:
                # Refused before any route runs: a NUL in a slug or a search term would
                # otherwise reach the database (PostgreSQL refuses it with an error).
                status_holder["status"] = 422
                await _send_error(
                    send,
                    scope,
                    422,
                    "VALIDATION_ERROR",
                    f"Invalid request: the {bad_url_part} contains control characters.",
                    [{"field": bad_url_part, "issue": "must not contain control characters"}],
                )
            elif declared is not None and declared > limit:
                status_holder["status"] = 413
                await _send_error(send, scope, 413, "PAYLOAD_TOO_LARGE", _too_large(limit))
            else:
                await self.app(scope, limited_receive, send_wrapper)
        except Exception as exc:
            if rejected:
                return
            log.exception("unhandled error", extra={"path": scope["path"]})
            if self.on_error is not None:
                self.on_error(exc)
            if not status_holder["started"]:
                status_holder["status"] = 500
                await _send_error(
                    send, scope, 500, "INTERNAL_ERROR", "Something went wrong on our side."
                )
        finally:
            if self.on_response is not None:
                self.on_response(scope, status_holder["status"], time.perf_counter() - started)
            request_id_var.reset(token)
            request_path_var.reset(path_token)


# Request ids must be unique, not secret: a random per-process prefix and a counter (a
# uuid4 per request cost a system call for randomness on every request, measured).
class _RequestIds:
    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count()

    def new(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


_request_ids = _RequestIds()
os.register_at_fork(after_in_child=_request_ids.reseed)  # a forked worker gets its own prefix


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit // 1024} KB."


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_FORM = b"application/x-www-form-urlencoded"


def _read_headers(scope: Scope) -> tuple[str | None, int | None, bytes]:
    """The headers this middleware acts on, in one pass over the request's headers: a
    well-formed incoming X-Request-ID, the declared Content-Length, the Content-Type
    (lower case)."""
    request_id: str | None = None
    length: int | None = None
    content_type = b""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            request_id = candidate if _REQUEST_ID.match(candidate) else None
        elif name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"content-type":
            content_type = value.lower()
    return request_id, length, content_type


# What an answer that sets none of these headers itself (every JSON answer) gets, built once.
_MANAGED_HEADERS = frozenset(
    {name for name, _ in BASE_SECURITY_HEADERS}
    | {b"content-security-policy", b"x-frame-options", b"strict-transport-security"}
)
_API_DEFAULTS = [*BASE_SECURITY_HEADERS, (b"content-security-policy", API_CSP)]
_API_DEFAULTS.append((b"x-frame-options", b"DENY"))
_API_DEFAULTS_HTTPS = [*_API_DEFAULTS, HSTS]


def _with_security_headers(
    headers: list[tuple[bytes, bytes]], request_id: str, https: bool
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    if present.isdisjoint(_MANAGED_HEADERS):
        headers.append((b"x-request-id", request_id.encode()))
        headers.extend(_API_DEFAULTS_HTTPS if https else _API_DEFAULTS)
        return headers
    headers.append((b"x-request-id", request_id.encode()))
    for name, value in BASE_SECURITY_HEADERS:
        if name not in present:
            headers.append((name, value))
    csp = next((v for n, v in headers if n.lower() == b"content-security-policy"), None)
    if csp is None:
        headers.append((b"content-security-policy", API_CSP))
        csp = API_CSP
    # Only pages that name who may frame them (widget pages) go without X-Frame-Options.
    framable = b"frame-ancestors" in csp and b"frame-ancestors 'none'" not in csp
    if not framable and b"x-frame-options" not in present:
        headers.append((b"x-frame-options", b"DENY"))
    if https:
        headers.append(HSTS)
        if b"report-uri" in csp and b"report-to" not in csp:
            _add_report_to(headers)
    return headers


def _add_report_to(headers: list[tuple[bytes, bytes]]) -> None:
    """Pages name `report-uri`; over HTTPS they also get the Reporting API's `report-to`.
    Not over plain HTTP: Chromium then ignores `report-uri` and the Reporting API delivers
    only to secure endpoints, so development and test pages would report nothing."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"content-security-policy":
            headers[index] = (name, value + b"; report-to " + REPORT_GROUP)
    headers.append((b"reporting-endpoints", REPORT_GROUP + b'="/v1/csp-violations"'))


async def _send_error(
    send: Send,
    scope: Scope,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
) -> None:
    request_id = scope.get("state", {}).get("request_id", "")
    body = error_body(code, message, request_id, details)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": _with_security_headers(
                [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
                request_id,
                scope.get("scheme") == "https",
            ),
        }
    )
    await send({"type": "http.response.body", "body": body})
