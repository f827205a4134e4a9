"""`Idempotency-Key` for checkout (SPEC §4), stored per tenant.

The record is inserted before the hold, in the same transaction: a concurrent duplicate
waits on the unique (tenant, key) index and then replays the committed response, so two
requests with one key never create two holds. Only successful responses are stored
(an error rolls the record back with everything else, so retrying re-runs the request).
The stored body's access token is sealed with AES-GCM: the database never holds a
usable token, yet a replay returns exactly the first response."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mais.bookings.errors import IdempotencyKeyReused
from mais.bookings.repository import IdempotencyRepository
from mais.core.db import rollback
from mais.core.errors import ValidationFailed
from mais.models import IdempotencyRecord

_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,255}$")
_TOKEN_FIELD = "accessToken"  # nosec B105 # noqa: S105 - a field name, not a secret


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


def fingerprint(request: dict[str, Any]) -> str:
    """Hash of the request as parsed (key order and whitespace do not matter)."""
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_key(key: str) -> str:
    if not _KEY_SHAPE.match(key):
        raise ValidationFailed(
            "Idempotency-Key must be 1-255 printable ASCII characters",
            details=[{"field": "Idempotency-Key", "issue": "1-255 printable ASCII characters"}],
        )
    return key


class IdempotencyGuard:
    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID, encryption_key: bytes) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.records = IdempotencyRepository(session, tenant_id)
        self._aead = AESGCM(
            hmac.new(encryption_key, b"mais/idempotency-seal/v1", hashlib.sha256).digest()
        )

    async def replay(self, key: str, request_hash: str) -> StoredResponse | None:
        """The stored response for this key, or None; a different body is refused."""
        record = await self.records.find(key)
        if record is None or record.status_code == 0:
            return None
        if not hmac.compare_digest(record.request_hash, request_hash):
            raise IdempotencyKeyReused()
        return StoredResponse(record.status_code, self._open(key, record.response_body))

    async def reserve(
        self, key: str, request_hash: str, now: datetime
    ) -> IdempotencyRecord | StoredResponse:
        """Claim the key for this request, or — when a concurrent request with the same key
        committed first — return that request's response."""
        record = self.records.add(
            IdempotencyRecord(
                key=key, request_hash=request_hash, status_code=0, response_body={}, created_at=now
            )
        )
        try:
            await self.session.flush()
        except IntegrityError:
            await rollback(self.session)
            stored = await self.replay(key, request_hash)
            if stored is None:  # the winner's record vanished: cannot happen, but be loud
                raise
            return stored
        return record

    def complete(self, record: IdempotencyRecord, status_code: int, body: dict[str, Any]) -> None:
        record.status_code = status_code
        record.response_body = self._seal(record.key, body)

    def _aad(self, key: str) -> bytes:
        return f"{self.tenant_id}:{key}".encode()

    def _seal(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        token = body.get(_TOKEN_FIELD)
        if not isinstance(token, str):
            return {"body": body}
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, token.encode(), self._aad(key))
        return {
            "body": {**body, _TOKEN_FIELD: None},
            "sealedAccessToken": base64.b64encode(sealed).decode(),
        }

    def _open(self, key: str, stored: dict[str, Any]) -> dict[str, Any]:
        body = dict(stored["body"])
        sealed = stored.get("sealedAccessToken")
        if sealed:
            raw = base64.b64decode(sealed)
            body[_TOKEN_FIELD] = self._aead.decrypt(raw[:12], raw[12:], self._aad(key)).decode()
        return body
