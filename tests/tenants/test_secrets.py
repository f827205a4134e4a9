"""Tenant secrets: AES-256-GCM at rest, bound to their tenant, rotatable."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mais.models import TenantSecret
from mais.tenants.secrets import SecretBox, SecretUnreadable, TenantSecretService, rotate_all
from tests.factories.world import make_tenant

CALENDAR_JSON = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----x"}'


async def test_secret_is_stored_encrypted_and_reads_back(container):
    tenant = await make_tenant(container)
    async with container.db.transaction() as session:
        await TenantSecretService(session, tenant.id, container.secret_box).put(
            "calendar_credentials", CALENDAR_JSON
        )
    async with container.db.transaction() as session:
        row = (await session.execute(select(TenantSecret))).scalar_one()
        assert b"PRIVATE KEY" not in row.ciphertext
        assert row.key_id == container.secret_box.current_id
        value = await TenantSecretService(session, tenant.id, container.secret_box).get(
            "calendar_credentials"
        )
    assert value == CALENDAR_JSON


async def test_ciphertext_moved_to_another_tenant_does_not_decrypt(container):
    alpha, beta = await make_tenant(container), await make_tenant(container)
    async with container.db.transaction() as session:
        await TenantSecretService(session, alpha.id, container.secret_box).put("hook", "s3cr3t")
    async with container.db.transaction() as session:
        row = (await session.execute(select(TenantSecret))).scalar_one()
        row.tenant_id = beta.id  # an attacker (or a bug) re-homes the row
    async with container.db.transaction() as session:
        with pytest.raises(SecretUnreadable):
            await TenantSecretService(session, beta.id, container.secret_box).get("hook")
        assert (
            await TenantSecretService(session, alpha.id, container.secret_box).get("hook") is None
        )


async def test_rotation_re_encrypts_under_the_new_key_and_old_key_can_then_go(container):
    tenant = await make_tenant(container)
    old_key, new_key = os.urandom(32), os.urandom(32)
    async with container.db.transaction() as session:
        await TenantSecretService(session, tenant.id, SecretBox(old_key)).put("hook", "value-1")

    rotating = SecretBox(new_key, previous=[old_key])
    async with container.db.transaction() as session:
        assert await rotate_all(session, rotating) == 1
        assert await rotate_all(session, rotating) == 0  # idempotent

    async with container.db.transaction() as session:
        service = TenantSecretService(session, tenant.id, SecretBox(new_key))
        assert await service.get("hook") == "value-1"
        with pytest.raises(SecretUnreadable):
            await TenantSecretService(session, tenant.id, SecretBox(old_key)).get("hook")


def test_a_tampered_ciphertext_is_refused():
    box = SecretBox(os.urandom(32))
    import uuid

    tenant_id = uuid.uuid4()
    key_id, nonce, ciphertext = box.encrypt(tenant_id, "hook", b"value")
    tampered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
    with pytest.raises(SecretUnreadable):
        box.decrypt(tenant_id, "hook", key_id, nonce, tampered)
    with pytest.raises(SecretUnreadable):
        box.decrypt(tenant_id, "other-name", key_id, nonce, ciphertext)


async def test_cli_rotate_key_reports_what_it_re_encrypted(container, monkeypatch, database_url):
    from mais.cli import app as cli

    tenant = await make_tenant(container)
    old_key = container.settings.effective_encryption_key
    async with container.db.transaction() as session:
        await TenantSecretService(session, tenant.id, container.secret_box).put("hook", "v")

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(container.settings.data_dir))
    monkeypatch.setenv("TENANT_SECRETS_ENCRYPTION_KEY", os.urandom(32).hex())
    monkeypatch.setenv("TENANT_SECRETS_PREVIOUS_KEYS", old_key.hex())
    # The CLI runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["secrets", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 tenant secrets" in result.output
