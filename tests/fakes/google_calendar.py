"""A fake of Google's OAuth token endpoint and the Calendar v3 API, speaking their protocols:
the JWT-bearer grant (signature, issuer, audience, scope and lifetime checked against the
service account's public key), `freeBusy` (with Google's ~90-day range limit) and event
insert/delete (409 for a reused id, 410 for a deleted event, 404 for an unknown one)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote
from zoneinfo import ZoneInfo

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply, json_reply

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
# Google's token endpoint expects this audience whatever URL the grant is posted to.
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
CLIENT_EMAIL = "mais-calendar@mais-test.iam.gserviceaccount.com"
KEY_ID = "0123456789abcdef0123456789abcdef01234567"
_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_EVENTS_PATH = re.compile(r"^/calendar/v3/calendars/([^/]+)/events(?:/([^/]+))?$")
MAX_FREEBUSY_RANGE = timedelta(days=90)


@dataclass(frozen=True)
class ServiceAccountKey:
    private_pem: str
    public_pem: bytes

    def info(self, token_uri: str) -> dict[str, str]:
        """The JSON key Google hands out for a service account."""
        return {
            "type": "service_account",
            "project_id": "mais-test",
            "private_key_id": KEY_ID,
            "private_key": self.private_pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
        }

    def info_base64(self, token_uri: str) -> str:
        return base64.b64encode(json.dumps(self.info(token_uri)).encode()).decode()


def make_service_account_key() -> ServiceAccountKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ServiceAccountKey(private_pem, public_pem)


def _google_error(status: int, reason: str, message: str) -> Reply:
    return json_reply(
        status,
        {
            "error": {
                "errors": [{"domain": "global", "reason": reason, "message": message}],
                "code": status,
                "message": message,
            }
        },
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGoogleCalendar(FakeHTTPServer):
    def __init__(self, key: ServiceAccountKey, *, token_lifetime: int = 3600) -> None:
        super().__init__()
        self.key = key
        self.token_lifetime = token_lifetime
        self.token_requests: list[dict[str, Any]] = []  # decoded, verified JWT claims
        self.reject_grants = False
        self._tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.calendars: set[str] = set()
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.deleted: dict[str, set[str]] = {}
        self._script: list[tuple[str, int]] = []
        self.on_insert: Callable[[str, dict[str, Any]], None] | None = None
        self._state = threading.Lock()

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def add_calendar(self, calendar_id: str) -> None:
        self.calendars.add(calendar_id)
        self.busy.setdefault(calendar_id, [])
        self.events.setdefault(calendar_id, {})
        self.deleted.setdefault(calendar_id, set())

    def add_busy(self, calendar_id: str, start: str, end: str) -> None:
        self.busy[calendar_id].append((_instant(start), _instant(end)))

    def fail_next(self, path_prefix: str, status: int) -> None:
        self._script.append((path_prefix, status))

    def revoke_tokens(self) -> None:
        self._tokens.clear()

    def api_requests(self, path_prefix: str = "/calendar/v3") -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # --- dispatch -------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Reply:
        for index, (prefix, status) in enumerate(self._script):
            if request.path.startswith(prefix):
                del self._script[index]
                return _google_error(status, "backendError", "Backend Error")
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if not request.path.startswith("/calendar/v3/"):
            return _google_error(404, "notFound", "Not Found")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        expiry = self._tokens.get(token)
        if expiry is None or expiry < time.monotonic():
            return _google_error(401, "authError", "Invalid Credentials")
        with self._state:
            if request.path == "/calendar/v3/freeBusy" and request.method == "POST":
                return self._free_busy(request)
            match = _EVENTS_PATH.match(request.path)
            if match and request.method == "POST" and match.group(2) is None:
                return self._insert(unquote(match.group(1)), request)
            if match and request.method == "DELETE" and match.group(2):
                return self._delete(unquote(match.group(1)), unquote(match.group(2)))
        return _google_error(404, "notFound", "Not Found")

    # --- OAuth 2.0 JWT bearer grant ---------------------------------------------------

    def _token(self, request: RecordedRequest) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return json_reply(400, {"error": "unsupported_grant_type"})
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                self.key.public_pem,
                algorithms=["RS256"],
                audience=TOKEN_AUDIENCE,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.PyJWTError as exc:
            return json_reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        problems = []
        if header.get("alg") != "RS256" or header.get("typ") != "JWT":
            problems.append("header must be RS256 JWT")
        if header.get("kid") != KEY_ID:
            problems.append("kid does not name the service account's key")
        if claims.get("iss") != CLIENT_EMAIL:
            problems.append("iss is not the service account")
        if CALENDAR_SCOPE not in str(claims.get("scope", "")).split():
            problems.append("calendar scope missing")
        if not 0 < claims["exp"] - claims["iat"] <= 3600:
            problems.append("assertion lifetime must be at most one hour")
        if abs(claims["iat"] - time.time()) > 300:
            problems.append("iat too far from now")
        if problems or self.reject_grants:
            return json_reply(
                400, {"error": "invalid_grant", "error_description": "; ".join(problems)}
            )
        self.token_requests.append(claims)
        token = f"ya29.fake-{secrets.token_hex(12)}"
        self._tokens[token] = time.monotonic() + self.token_lifetime
        return json_reply(
            200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        )

    # --- Calendar v3 -------------------------------------------------------------------

    def _free_busy(self, request: RecordedRequest) -> Reply:
        body = request.json()
        try:
            time_min, time_max = _instant(body["timeMin"]), _instant(body["timeMax"])
        except (KeyError, ValueError):
            return _google_error(400, "badRequest", "Bad Request")
        if time_max <= time_min:
            return _google_error(400, "timeRangeEmpty", "The specified time range is empty.")
        if time_max - time_min > MAX_FREEBUSY_RANGE:
            return _google_error(400, "timeRangeTooLong", "The requested time range is too long.")
        zone = ZoneInfo(body.get("timeZone", "UTC"))
        calendars: dict[str, Any] = {}
        for item in body.get("items", []):
            calendar_id = item["id"]
            if calendar_id not in self.calendars:
                calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}]}
                continue
            intervals = list(self.busy[calendar_id])
            for event in self.events[calendar_id].values():
                # All-day events are busy from midnight to midnight in the calendar's zone.
                first = date.fromisoformat(event["start"]["date"])
                last = date.fromisoformat(event["end"]["date"])
                intervals.append(
                    (datetime(first.year, first.month, first.day, tzinfo=zone),
                     datetime(last.year, last.month, last.day, tzinfo=zone))
                )  # fmt: skip
            busy = [
                {"start": _z(max(start, time_min)), "end": _z(min(end, time_max))}
                for start, end in sorted(intervals)
                if start < time_max and end > time_min
            ]
            calendars[calendar_id] = {"busy": busy}
        return json_reply(
            200,
            {
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": calendars,
            },
        )

    def _insert(self, calendar_id: str, request: RecordedRequest) -> Reply:
        if calendar_id not in self.calendars:
            return _google_error(404, "notFound", "Not Found")
        event = request.json()
        event_id = event.get("id", secrets.token_hex(10))
        if not _EVENT_ID.match(event_id):
            return _google_error(400, "invalid", "Invalid resource id value.")
        if "date" not in event.get("start", {}) or "date" not in event.get("end", {}):
            return _google_error(400, "required", "Missing end time.")
        if event_id in self.events[calendar_id] or event_id in self.deleted[calendar_id]:
            return _google_error(409, "duplicate", "The requested identifier already exists.")
        if self.on_insert is not None:
            self.on_insert(calendar_id, event)
        stored = {**event, "id": event_id, "status": "confirmed", "kind": "calendar#event"}
        self.events[calendar_id][event_id] = stored
        return json_reply(200, stored)

    def _delete(self, calendar_id: str, event_id: str) -> Reply:
        if calendar_id not in self.calendars:
            return _google_error(404, "notFound", "Not Found")
        if event_id in self.events[calendar_id]:
            del self.events[calendar_id][event_id]
            self.deleted[calendar_id].add(event_id)
            return 204, {}, b""
        if event_id in self.deleted[calendar_id]:
            return _google_error(410, "deleted", "Resource has been deleted")
        return _google_error(404, "notFound", "Not Found")


@pytest.fixture(scope="session")
def service_account_key() -> ServiceAccountKey:
    return make_service_account_key()


@pytest.fixture
def fake_google(service_account_key: ServiceAccountKey) -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar(service_account_key) as server:
        assert isinstance(server, FakeGoogleCalendar)
        yield server
