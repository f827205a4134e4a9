"""TenantService: creation (keys, admin, validation), rotation and suspension."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from mais.auth.passwords import verify_password
from mais.core.errors import ValidationFailed
from mais.models import AuditEntry, Base, Tenant, TenantApiKey, User
from mais.tenants.keys import derive_hmac_key, lookup_of
from mais.tenants.resolver import TenantInactive, TenantNotFound
from mais.tenants.service import EmailTaken, SlugTaken, TenantService
from tests.factories.world import PASSWORD, TEST_ACTOR, make_tenant


async def _every_stored_value(container) -> str:
    """All rows of all tables as text, plus the raw SQLite files when there are some."""
    chunks: list[str] = []
    async with container.db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                chunks.append(repr(tuple(row)))
    if container.db.is_sqlite:
        path = Path(container.db.url.split("///", 1)[1])
        for file in path.parent.glob(path.name + "*"):
            chunks.append(file.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


async def test_secret_key_is_stored_only_as_its_hmac_with_a_hint(container):
    tenant = await make_tenant(container, "hmac-only")
    token = tenant.secret_key.rsplit("_", 1)[1]

    stored = await _every_stored_value(container)
    assert tenant.secret_key not in stored
    assert token not in stored
    assert token[:16] not in stored  # not even a prefix of the random part

    async with container.db.sessionmaker() as session:
        rows = (await session.execute(select(TenantApiKey))).scalars().all()
    secret_row = next(r for r in rows if r.kind == "secret")
    hmac_key = derive_hmac_key(container.settings.effective_encryption_key)
    assert secret_row.lookup == lookup_of(tenant.secret_key, hmac_key)
    assert secret_row.hint == f"sk_live_hmac-only_…{token[-4:]}"
    public_row = next(r for r in rows if r.kind == "public")
    assert public_row.lookup == tenant.public_key  # the public key is not a secret


async def test_created_admin_password_is_argon2id_and_verifies(container):
    tenant = await make_tenant(container, "login-ok")
    async with container.db.sessionmaker() as session:
        query = select(User).where(User.tenant_id == tenant.id)
        admin = (await session.execute(query)).scalar_one()
    assert admin.role == "tenant_admin"
    assert admin.password_hash.startswith("$argon2id$")
    assert PASSWORD not in admin.password_hash
    assert verify_password(admin.password_hash, PASSWORD)
    assert not verify_password(admin.password_hash, PASSWORD.upper())


async def test_create_tenant_reports_every_invalid_field_at_once(container):
    async with container.db.transaction() as session:
        service = TenantService(session, container.resolver)
        with pytest.raises(ValidationFailed) as caught:
            await service.create_tenant(
                TEST_ACTOR,
                slug="Admin",
                name=" ",
                email="not-an-email",
                password="short",
                commission_percent="60",
                timezone="Mars/Olympus",
            )
    fields = [detail["field"] for detail in caught.value.details]
    assert fields == ["slug", "name", "email", "password", "commissionPercent", "timezone"]


async def test_slug_and_login_email_are_unique(container):
    await make_tenant(container, "taken-slug")
    async with container.db.transaction() as session:
        service = TenantService(session, container.resolver)
        with pytest.raises(SlugTaken):
            await service.create_tenant(
                TEST_ACTOR, slug="taken-slug", name="X", email="new@example.com"
            )
        with pytest.raises(EmailTaken):
            await service.create_tenant(
                TEST_ACTOR,
                slug="other-slug",
                name="X",
                email="OWNER@taken-slug.example.com",
                password=PASSWORD,
            )


async def test_rotation_stops_old_keys_at_once_and_records_an_audit_entry(container):
    tenant = await make_tenant(container, "rotating")
    resolver = container.resolver
    assert (await resolver.resolve_key(tenant.public_key)).id == tenant.id
    assert (await resolver.resolve_key(tenant.secret_key)).id == tenant.id

    async with container.db.transaction() as session:
        row = await session.get(Tenant, tenant.id)
        new = await TenantService(session, resolver).rotate_keys(TEST_ACTOR, row)

    for old in (tenant.public_key, tenant.secret_key):
        with pytest.raises(TenantNotFound):
            await resolver.resolve_key(old)
    assert (await resolver.resolve_key(new.public_key)).id == tenant.id
    assert (await resolver.resolve_key(new.secret_key)).id == tenant.id
    async with container.db.sessionmaker() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "tenant.keys_rotated" in actions


async def test_rotation_that_rolls_back_keeps_the_old_keys(container):
    tenant = await make_tenant(container, "rollback")
    await container.resolver.resolve_key(tenant.public_key)

    async def rotate_then_fail() -> None:
        async with container.db.transaction() as session:
            row = await session.get(Tenant, tenant.id)
            await TenantService(session, container.resolver).rotate_keys(TEST_ACTOR, row)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await rotate_then_fail()
    assert (await container.resolver.resolve_key(tenant.public_key)).id == tenant.id


async def test_suspend_and_reactivate_are_audited_and_take_effect_on_commit(container):
    tenant = await make_tenant(container, "on-off")
    resolver = container.resolver
    await resolver.resolve_key(tenant.public_key)  # warm every cache level

    async with container.db.transaction() as session:
        row = await session.get(Tenant, tenant.id)
        await TenantService(session, resolver).set_status(TEST_ACTOR, row, "suspended")
        # Not yet committed: the change must not be visible (or cached) before the commit.
        assert (await resolver.resolve_key(tenant.public_key)).is_active
    with pytest.raises(TenantInactive):
        await resolver.resolve_key(tenant.public_key)
    with pytest.raises(TenantInactive):
        await resolver.resolve_key(tenant.secret_key)
    assert (await resolver.resolve_slug("on-off")).status == "suspended"

    async with container.db.transaction() as session:
        row = await session.get(Tenant, tenant.id)
        await TenantService(session, resolver).set_status(TEST_ACTOR, row, "active")
    assert (await resolver.resolve_key(tenant.public_key)).is_active

    async with container.db.sessionmaker() as session:
        entries = (
            await session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity_id == str(tenant.id))
                .order_by(AuditEntry.created_at)
            )
        ).scalars()
        changes = [
            (e.action, e.before["status"], e.after["status"])
            for e in entries
            if e.action != "tenant.created"
        ]
    assert changes == [
        ("tenant.suspended", "active", "suspended"),
        ("tenant.reactivated", "suspended", "active"),
    ]


async def test_set_status_refuses_unknown_status_and_ignores_no_change(container):
    tenant = await make_tenant(container, "steady")
    async with container.db.transaction() as session:
        row = await session.get(Tenant, tenant.id)
        service = TenantService(session, container.resolver)
        with pytest.raises(ValidationFailed):
            await service.set_status(TEST_ACTOR, row, "deleted")
        await service.set_status(TEST_ACTOR, row, "active")
    async with container.db.sessionmaker() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions == ["tenant.created"]


async def test_creating_a_tenant_clears_a_cached_no_such_slug(container):
    resolver = container.resolver
    assert await resolver.resolve_slug("brand-new") is None  # now cached as missing
    await make_tenant(container, "brand-new")
    found = await resolver.resolve_slug("brand-new")
    assert found is not None
    assert found.slug == "brand-new"
