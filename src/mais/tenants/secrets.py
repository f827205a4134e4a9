"""Tenant secrets (a tenant's own credentials) encrypted at rest with AES-256-GCM.

Each ciphertext is stored with the id of the key that made it, so keys can be rotated:
the new key becomes TENANT_SECRETS_ENCRYPTION_KEY, the old one moves to
TENANT_SECRETS_PREVIOUS_KEYS, and `mais secrets rotate-key` re-encrypts everything.
The tenant id and secret name are bound as associated data: a ciphertext copied to
another tenant (or another name) does not decrypt."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.repository import TenantScopedRepository
from mais.models import TenantSecret


class SecretUnreadable(Exception):
    """The ciphertext does not decrypt: wrong tenant, tampered data or a missing key."""


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(b"mais/key-id/" + key).hexdigest()[:16]


def _associated_data(tenant_id: uuid.UUID, name: str) -> bytes:
    return f"mais/tenant-secret/v1/{tenant_id}/{name}".encode()


class SecretBox:
    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        if len(current) != 32:
            raise ValueError("tenant secrets need a 32-byte (64 hex) key")
        self.current_id = key_id_of(current)
        self._keys = {key_id_of(key): key for key in (*previous, current)}

    def encrypt(
        self, tenant_id: uuid.UUID, name: str, plaintext: bytes
    ) -> tuple[str, bytes, bytes]:
        nonce = os.urandom(12)
        aead = AESGCM(self._keys[self.current_id])
        ciphertext = aead.encrypt(nonce, plaintext, _associated_data(tenant_id, name))
        return self.current_id, nonce, ciphertext

    def decrypt(
        self, tenant_id: uuid.UUID, name: str, key_id: str, nonce: bytes, ciphertext: bytes
    ) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            raise SecretUnreadable(f"no configured key has id {key_id}")
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, _associated_data(tenant_id, name))
        except InvalidTag as exc:
            raise SecretUnreadable("ciphertext does not match this tenant and name") from exc


class TenantSecretRepository(TenantScopedRepository[TenantSecret]):
    model = TenantSecret

    async def by_name(self, name: str) -> TenantSecret | None:
        stmt = self.scoped().where(TenantSecret.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()


class TenantSecretService:
    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID, box: SecretBox) -> None:
        self.box = box
        self.tenant_id = tenant_id
        self.secrets = TenantSecretRepository(session, tenant_id)

    async def put(self, name: str, value: str) -> None:
        key_id, nonce, ciphertext = self.box.encrypt(self.tenant_id, name, value.encode())
        row = await self.secrets.by_name(name)
        if row is None:
            row = self.secrets.add(TenantSecret(name=name, key_id="", nonce=b"", ciphertext=b""))
        row.key_id, row.nonce, row.ciphertext = key_id, nonce, ciphertext
        await self.secrets.session.flush()

    async def get(self, name: str) -> str | None:
        row = await self.secrets.by_name(name)
        if row is None:
            return None
        plaintext = self.box.decrypt(self.tenant_id, name, row.key_id, row.nonce, row.ciphertext)
        return plaintext.decode()

    async def delete(self, name: str) -> None:
        row = await self.secrets.by_name(name)
        if row is not None:
            await self.secrets.remove(row)


async def rotate_all(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt every tenant secret not yet under the current key; returns the count.

    Operator maintenance across all tenants, so it reads the table directly; each row is
    decrypted with its own tenant id as associated data."""
    rows = (
        await session.execute(select(TenantSecret).where(TenantSecret.key_id != box.current_id))
    ).scalars()
    count = 0
    for row in rows:
        plaintext = box.decrypt(row.tenant_id, row.name, row.key_id, row.nonce, row.ciphertext)
        row.key_id, row.nonce, row.ciphertext = box.encrypt(row.tenant_id, row.name, plaintext)
        count += 1
    await session.flush()
    return count
