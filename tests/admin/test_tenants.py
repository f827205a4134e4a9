"""Platform admin: tenants list with counts, create (keys once; password or invitation),
detail with stats, edit, suspend/reactivate, commission for new bookings only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mais.models import AuditEntry, Booking, BookingStatus
from tests.factories.admin import add_booking, login, platform_headers
from tests.factories.world import add_catalog, make_tenant

BASE = "/v1/admin/tenants"
VALID = {"slug": "ok-slug", "name": "X", "email": "a@b.example"}


@pytest.fixture
async def admin(container, client) -> dict[str, str]:
    return await platform_headers(container, client)


async def test_create_tenant_with_password_returns_keys_once_and_its_admin_can_log_in(
    container, client, admin
):
    response = await client.post(
        BASE,
        headers=admin,
        json={
            "slug": "maple-grove",
            "name": "Maple Grove Weddings",
            "email": "Owner@MapleGrove.example",
            "password": "  exactly as typed  ",
            "commissionPercent": 12.5,
            "timezone": "America/Chicago",
        },
    )

    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["publicKey"].startswith("pk_live_maple-grove_")
    assert body["secretKey"].startswith("sk_live_maple-grove_")
    tenant = body["tenant"]
    assert (tenant["slug"], tenant["status"], tenant["commissionPercent"]) == (
        "maple-grove", "active", 12.5,
    )  # fmt: skip
    assert tenant["timezone"] == "America/Chicago"
    headers = await login(client, "owner@maplegrove.example", "  exactly as typed  ")
    me = await client.get("/v1/tenant-admin/me", headers=headers)
    assert me.json()["tenant"]["id"] == tenant["id"]
    by_key = await client.get(
        "/v1/tenant-admin/me", headers={"Authorization": f"Bearer {body['secretKey']}"}
    )
    assert by_key.status_code == 200
    public = await client.get("/v1/packages", headers={"X-Tenant-Key": body["publicKey"]})
    assert public.json() == []
    detail = await client.get(f"{BASE}/{tenant['id']}", headers=admin)
    assert body["secretKey"] not in detail.text
    assert detail.json()["publicKey"] == body["publicKey"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "X", "email": "a@b.example"}, 422, "slug"),
        ({"slug": "Bad Slug", "name": "X", "email": "a@b.example"}, 422, "slug"),
        ({"slug": "admin", "name": "X", "email": "a@b.example"}, 422, "slug"),
        ({"slug": "ok-slug", "name": "", "email": "a@b.example"}, 422, "name"),
        ({"slug": "ok-slug", "name": "X", "email": "not-an-email"}, 422, "email"),
        (VALID | {"password": "short"}, 422, "password"),
        (VALID | {"commissionPercent": 51}, 422, "commissionPercent"),
        (VALID | {"commissionPercent": 1.234}, 422, "commissionPercent"),
        (VALID | {"timezone": "Nowhere/Land"}, 422, "timezone"),
    ],
)
async def test_invalid_tenant_creation_is_422_and_creates_nothing(
    client, admin, body, status, field
):
    response = await client.post(BASE, headers=admin, json=body)

    assert response.status_code == status
    if field:
        assert field in [d.get("field") for d in response.json().get("details", [])]
    assert (await client.get(BASE, headers=admin)).json()["total"] == 0


async def test_duplicate_slug_or_email_is_409(container, client, admin):
    existing = await make_tenant(container, "taken-slug")
    body = {
        "slug": "taken-slug",
        "name": "X",
        "email": "new@x.example",
        "password": "a-long-password",
    }

    slug = await client.post(BASE, headers=admin, json=body)
    email = await client.post(
        BASE, headers=admin, json=body | {"slug": "fresh-slug", "email": existing.email.upper()}
    )

    assert (slug.status_code, slug.json()["error"]) == (409, "SLUG_TAKEN")
    assert (email.status_code, email.json()["error"]) == (409, "EMAIL_TAKEN")


async def test_list_has_counts_and_search_and_pages(container, client, admin):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    await add_booking(container, alpha)
    await add_booking(container, alpha, status=BookingStatus.canceled)
    await make_tenant(container, "beta-events")

    response = await client.get(BASE, headers=admin)

    assert response.status_code == 200
    assert response.json()["total"] == 2
    by_slug = {t["slug"]: t for t in response.json()["items"]}
    assert by_slug["alpha-events"]["counts"] == {
        "packages": 1,
        "bookings": 2,
        "bookingsByStatus": {"confirmed": 1, "canceled": 1},
    }
    assert by_slug["beta-events"]["counts"]["bookings"] == 0
    found = await client.get(BASE, headers=admin, params={"q": "BETA"})
    assert [t["slug"] for t in found.json()["items"]] == ["beta-events"]
    paged = await client.get(BASE, headers=admin, params={"pageSize": 1, "page": 2})
    assert len(paged.json()["items"]) == 1


async def test_detail_by_id_or_slug_with_stats_and_admins(container, client, admin):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    await add_booking(container, alpha, refunded_cents=50_000)
    await add_booking(container, alpha, status=BookingStatus.held)

    by_id = await client.get(f"{BASE}/{alpha.id}", headers=admin)
    by_slug = await client.get(f"{BASE}/alpha-events", headers=admin)

    assert by_id.status_code == 200
    assert by_id.json() == by_slug.json()
    body = by_id.json()
    assert [a["email"] for a in body["admins"]] == [alpha.email]
    stats = body["stats"]
    assert stats["bookings"]["byStatus"] == {"confirmed": 1, "held": 1}
    assert stats["grossVolumeCents"] == 350_000 - 50_000
    assert stats["platformCommissionCents"] == 35_000 - 5_000
    assert stats["thisMonth"]["bookings"] == 1
    assert (await client.get(f"{BASE}/no-such-tenant", headers=admin)).status_code == 404


async def test_commission_change_applies_to_new_bookings_only(container, client, admin):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    old_booking = await add_booking(container, alpha)
    warmed = await container.resolver.resolve_key(alpha.public_key)
    assert warmed.commission_bps == 1000

    response = await client.patch(
        f"{BASE}/{alpha.id}", headers=admin, json={"commissionPercent": 15}
    )

    assert response.status_code == 200
    assert response.json()["commissionPercent"] == 15.0
    # New bookings take their commission from the resolved tenant: it changed at once.
    assert (await container.resolver.resolve_key(alpha.public_key)).commission_bps == 1500
    async with container.db.sessionmaker() as session:
        booking = await session.get(Booking, old_booking)
    assert (booking.commission_bps, booking.commission_cents) == (1000, 35_000)


async def test_rename_and_suspend_are_audited(container, client, admin):
    alpha = await make_tenant(container, "alpha-events")

    await client.patch(f"{BASE}/{alpha.id}", headers=admin, json={"name": "Alpha Weddings"})
    await client.patch(f"{BASE}/{alpha.id}", headers=admin, json={"status": "suspended"})
    await client.patch(f"{BASE}/{alpha.id}", headers=admin, json={"status": "active"})

    async with container.db.sessionmaker() as session:
        actions = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.actor_role)
                .where(AuditEntry.tenant_id == alpha.id, AuditEntry.actor_role == "platform_admin")
                .order_by(AuditEntry.created_at)
            )
        ).all()
    assert [a for a, _ in actions] == ["tenant.updated", "tenant.suspended", "tenant.reactivated"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "deleted"},
        {"status": None},
        {"commissionPercent": -1},
        {"commissionPercent": "lots"},
        {"name": ""},
        {"slug": "renamed"},
    ],
)
async def test_invalid_tenant_patch_is_422(container, client, admin, body):
    alpha = await make_tenant(container, "alpha-events")

    response = await client.patch(f"{BASE}/{alpha.id}", headers=admin, json=body)

    assert response.status_code == 422
    assert (await client.get(f"{BASE}/{alpha.id}", headers=admin)).json()["status"] == "active"


async def test_read_only_view_of_a_tenants_bookings(container, client, admin):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    beta = await add_catalog(container, await make_tenant(container, "beta-events"))
    soon = date.today() + timedelta(days=50)
    alpha_booking = await add_booking(container, alpha, event_date=soon, couple_name="Alpha Pair")
    await add_booking(container, beta, event_date=soon, couple_name="Beta Pair")

    listed = await client.get(f"{BASE}/{alpha.id}/bookings", headers=admin)
    filtered = await client.get(
        f"{BASE}/alpha-events/bookings", headers=admin, params={"status": "held"}
    )
    detail = await client.get(f"{BASE}/{alpha.id}/bookings/{alpha_booking}", headers=admin)
    other_tenant = await client.get(f"{BASE}/{beta.id}/bookings/{alpha_booking}", headers=admin)

    assert [b["coupleName"] for b in listed.json()["items"]] == ["Alpha Pair"]
    assert filtered.json()["total"] == 0
    assert detail.json()["coupleName"] == "Alpha Pair"
    assert other_tenant.status_code == 404
    tenant_token = await login(client, alpha.email)
    assert (
        await client.get(f"{BASE}/{alpha.id}/bookings", headers=tenant_token)
    ).status_code == 403


async def test_the_platform_admin_can_start_stripe_onboarding_for_a_tenant(
    container, client, admin
):
    alpha = await make_tenant(container, "alpha-events")

    response = await client.post(f"{BASE}/{alpha.id}/stripe/connect", headers=admin)

    assert response.status_code == 200
    assert "/mock/connect/acct_mock" in response.json()["url"]
    detail = await client.get(f"{BASE}/{alpha.id}", headers=admin)
    async with container.db.sessionmaker() as session:
        created = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "tenant.stripe_account_created")
            )
        ).scalar_one()
    assert (created.tenant_id, created.actor_role) == (alpha.id, "platform_admin")
    assert detail.status_code == 200
    assert (await client.post(f"{BASE}/nope/stripe/connect", headers=admin)).status_code == 404
