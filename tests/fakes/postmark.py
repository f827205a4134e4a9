"""A fake of Postmark's `POST /email` speaking its protocol: server-token header, JSON
body, 200 with a MessageID, 422 with an ErrorCode, scripted outages and slow answers."""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply, json_reply

TOKEN = "pm-test-server-token"


class FakePostmark(FakeHTTPServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.accepted: list[dict[str, Any]] = []  # bodies of messages Postmark took
        self.inactive: set[str] = set()  # recipients marked inactive (hard bounce)
        self._script: deque[tuple[int, Any, float]] = deque()

    def fail_next(self, status: int = 500, body: Any = None, *, times: int = 1) -> None:
        for _ in range(times):
            self._script.append((status, body or {"ErrorCode": 100, "Message": "Maintenance"}, 0))

    def delay_next(self, seconds: float) -> None:
        """The next request is answered (successfully) only after `seconds`."""
        self._script.append((0, None, seconds))

    def handle(self, request: RecordedRequest) -> Reply:
        if (request.method, request.path) != ("POST", "/email"):
            return json_reply(404, {"ErrorCode": 404, "Message": "Not found"})
        if self._script:
            status, body, delay = self._script.popleft()
            time.sleep(delay)
            if status:
                return json_reply(status, body)
        if request.headers.get("x-postmark-server-token") != self.token:
            return json_reply(
                401, {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."}
            )
        if "application/json" not in request.headers.get("content-type", ""):
            return json_reply(415, {"ErrorCode": 409, "Message": "JSON required"})
        try:
            message = request.json()
        except ValueError:
            return json_reply(422, {"ErrorCode": 402, "Message": "Invalid JSON"})
        for field in ("From", "To", "Subject"):
            if not message.get(field):
                return json_reply(
                    422, {"ErrorCode": 300, "Message": f"Invalid email request: no {field}."}
                )
        if not (message.get("HtmlBody") or message.get("TextBody")):
            return json_reply(422, {"ErrorCode": 300, "Message": "Provide HtmlBody or TextBody"})
        for attachment in message.get("Attachments", []):
            try:
                base64.b64decode(attachment["Content"], validate=True)
            except (KeyError, binascii.Error):
                return json_reply(422, {"ErrorCode": 300, "Message": "Invalid attachment"})
        if message["To"] in self.inactive:
            return json_reply(
                422,
                {
                    "ErrorCode": 406,
                    "Message": "You tried to send to recipient(s) that have been marked as "
                    f"inactive. Found inactive addresses: {message['To']}. Inactive recipients "
                    "are ones that have generated a hard bounce, a spam complaint, or a manual "
                    "suppression.",
                },
            )
        self.accepted.append(message)
        return json_reply(
            200,
            {
                "To": message["To"],
                "SubmittedAt": datetime.now(UTC).isoformat(),
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            },
        )


@pytest.fixture
def fake_postmark() -> Iterator[FakePostmark]:
    with FakePostmark() as server:
        assert isinstance(server, FakePostmark)
        yield server
