"""`Idempotency-Key` for checkout (SPEC §4), stored per tenant.

The record is inserted before the hold, in the same transaction: a concurrent duplicate
waits on the unique (tenant, key) index and then replays the committed response, so two
requests with one key never create two holds. A key already recorded (a replay) fails the
insert the same way: the transaction is rolled back and the stored response read, so a
first request costs one statement and no lookup. (`INSERT ... ON CONFLICT` would spare the
rollback, but SQLAlchemy compiles those statements afresh every time.) Only successful
responses are stored (an error rolls the record back with everything else, so retrying
re-runs the request). The stored body's access token is sealed with AES-GCM: the database
never holds a usable token, yet a replay returns exactly the first response."""

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

    async def reserve(self, key: str, request_hash: str, now: datetime) -> StoredResponse | None:
        """Claim the key for this request (None), or return the response already stored
        under it — also when a concurrent request with the same key committed first. A
        different body under a stored key is refused."""
        try:
            await self.records.insert_claim(key, request_hash, now)
        except IntegrityError:
            await rollback(self.session)
        else:
            return None
        record = await self.records.find(key)
        if record is None or record.status_code == 0:
            # Only completed records commit: cannot happen, but be loud.
            raise RuntimeError(f"idempotency key {key!r} is recorded without a response")
        if not hmac.compare_digest(record.request_hash, request_hash):
            raise IdempotencyKeyReused()
        return StoredResponse(record.status_code, self._open(key, record.response_body))

    async def complete(self, key: str, status_code: int, body: dict[str, Any]) -> None:
        """Store the response of the request that claimed `key`."""
        await self.records.store_response(key, status_code, self._seal(key, body))

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
