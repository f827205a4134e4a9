"""/me, /settings and /stripe/status of the tenant-admin API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from mais.models import AuditEntry
from mais.tenants.service import normalize_embed_origin

BASE = "/v1/tenant-admin/settings"


async def test_me_names_the_tenant_and_the_user_or_null_for_a_key(client, alpha):
    by_jwt = await client.get("/v1/tenant-admin/me", headers=alpha.headers)
    by_key = await client.get("/v1/tenant-admin/me", headers=alpha.key_headers)

    assert by_jwt.status_code == by_key.status_code == 200
    assert by_jwt.json()["tenant"] == by_key.json()["tenant"]
    assert by_jwt.json()["tenant"] == {
        "id": str(alpha.tenant.id),
        "slug": "alpha-events",
        "name": "Alpha-Events Events",
        "status": "active",
        "timezone": "America/New_York",
        "currency": "usd",
        "commissionPercent": 10.0,
    }
    assert by_jwt.json()["user"]["email"] == alpha.tenant.email
    assert by_key.json()["user"] is None


async def test_settings_round_trip(client, alpha, credential):
    response = await client.put(
        BASE,
        headers=credential,
        json={
            "timezone": "Europe/Paris",
            "minNoticeDays": 3,
            "maxDaysAhead": 400,
            "allowedEmbedOrigins": ["https://Weddings.Example.com", "https://shop.example:8443/"],
            "notificationEmail": "Bookings@Example.com",
            "calendarId": "abc123@group.calendar.google.com",
        },
    )

    assert response.status_code == 200
    expected = {
        "timezone": "Europe/Paris",
        "minNoticeDays": 3,
        "maxDaysAhead": 400,
        "allowedEmbedOrigins": ["https://weddings.example.com", "https://shop.example:8443"],
        "notificationEmail": "Bookings@Example.com",
        "calendarId": "abc123@group.calendar.google.com",
    }
    assert response.json() == expected
    assert (await client.get(BASE, headers=credential)).json() == expected
    me = await client.get("/v1/tenant-admin/me", headers=credential)
    assert me.json()["tenant"]["timezone"] == "Europe/Paris"


async def test_partial_put_changes_only_what_is_sent_and_null_clears(client, alpha):
    await client.put(
        BASE, headers=alpha.headers, json={"notificationEmail": "a@example.com", "calendarId": "x"}
    )

    response = await client.put(
        BASE, headers=alpha.headers, json={"calendarId": None, "minNoticeDays": 0}
    )

    assert response.json()["notificationEmail"] == "a@example.com"
    assert response.json()["calendarId"] is None
    assert response.json()["minNoticeDays"] == 0
    assert response.json()["maxDaysAhead"] == 730


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"minNoticeDays": -1}, "minNoticeDays"),
        ({"minNoticeDays": 366}, "minNoticeDays"),
        ({"minNoticeDays": "2"}, "minNoticeDays"),
        ({"maxDaysAhead": 0}, "maxDaysAhead"),
        ({"maxDaysAhead": 5000}, "maxDaysAhead"),
        ({"minNoticeDays": 30, "maxDaysAhead": 30}, "maxDaysAhead"),
        ({"minNoticeDays": 731}, "minNoticeDays"),
        ({"notificationEmail": "not-an-email"}, "notificationEmail"),
        ({"notificationEmail": "a@example.com\r\nBcc: x@evil.test"}, "notificationEmail"),
        ({"calendarId": "has spaces"}, "calendarId"),
        ({"allowedEmbedOrigins": ["http://example.com"]}, "allowedEmbedOrigins.0"),
        (
            {"allowedEmbedOrigins": ["https://ok.example", "https://x.test/path"]},
            "allowedEmbedOrigins.1",
        ),
        ({"allowedEmbedOrigins": ["https://*.example.com"]}, "allowedEmbedOrigins.0"),
        ({"allowedEmbedOrigins": ["https://user:pw@example.com"]}, "allowedEmbedOrigins.0"),
        ({"allowedEmbedOrigins": ["https://example.com?x=1"]}, "allowedEmbedOrigins.0"),
        ({"allowedEmbedOrigins": ["javascript:alert(1)"]}, "allowedEmbedOrigins.0"),
        ({"allowedEmbedOrigins": ["http://localhost:3000"]}, "allowedEmbedOrigins.0"),
        (
            {"allowedEmbedOrigins": [f"https://s{n}.example" for n in range(21)]},
            "allowedEmbedOrigins",
        ),
        ({"allowedEmbedOrigins": "https://example.com"}, "allowedEmbedOrigins"),
        ({"commissionPercent": 0}, "commissionPercent"),
    ],
)
async def test_invalid_settings_are_422_and_change_nothing(client, alpha, body, field):
    before = (await client.get(BASE, headers=alpha.headers)).json()

    response = await client.put(BASE, headers=alpha.headers, json=body)

    assert response.status_code == 422
    if field is not None:
        assert field in [d["field"] for d in response.json()["details"]]
    assert (await client.get(BASE, headers=alpha.headers)).json() == before


async def test_settings_change_is_audited_with_before_and_after(container, client, alpha):
    await client.put(BASE, headers=alpha.headers, json={"maxDaysAhead": 365})
    await client.put(BASE, headers=alpha.headers, json={"maxDaysAhead": 365})  # no change

    async with container.db.sessionmaker() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "tenant.settings_updated")
                )
            )
            .scalars()
            .all()
        )
    assert len(entries) == 1
    assert (entries[0].before["maxDaysAhead"], entries[0].after["maxDaysAhead"]) == (730, 365)


async def test_settings_reach_key_resolution_at_once(container, client, alpha):
    warmed = await container.resolver.resolve_key(alpha.tenant.public_key)
    assert warmed.timezone == "America/New_York"

    await client.put(BASE, headers=alpha.headers, json={"timezone": "Asia/Tokyo"})

    resolved = await container.resolver.resolve_key(alpha.tenant.public_key)
    assert resolved.timezone == "Asia/Tokyo"


class TestEmbedOrigins:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("https://Example.COM", "https://example.com"),
            ("https://example.com:443/", "https://example.com"),
            ("https://sub.example.co.uk:8443", "https://sub.example.co.uk:8443"),
            ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ],
    )
    def test_valid_origins_are_normalised(self, raw, expected):
        assert normalize_embed_origin(raw) == expected

    @pytest.mark.parametrize(
        "raw", ["http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:5000"]
    )
    def test_local_http_only_when_allowed(self, raw):
        assert normalize_embed_origin(raw, allow_local_http=True) == raw
        with pytest.raises(ValueError, match="https"):
            normalize_embed_origin(raw)

    @pytest.mark.parametrize(
        "raw",
        ["http://example.com", "https://", "https://exa mple.com", "https://-bad.com", "ftp://x.y",
         "https://example.com:99999", "https://example.com#frag", "//example.com"],
    )  # fmt: skip
    def test_invalid_origins(self, raw):
        with pytest.raises(ValueError):  # noqa: PT011 - every reason is a ValueError
            normalize_embed_origin(raw, allow_local_http=True)


@pytest.fixture
def development(settings_overrides):
    settings_overrides["app_env"] = "development"


async def test_localhost_origins_are_accepted_in_development(development, client, alpha):
    response = await client.put(
        BASE, headers=alpha.headers, json={"allowedEmbedOrigins": ["http://localhost:3000"]}
    )

    assert response.status_code == 200
    assert response.json()["allowedEmbedOrigins"] == ["http://localhost:3000"]


async def test_stripe_onboarding_link_then_status_after_the_account_is_updated(
    container, client, alpha, webhooks_to_app
):
    status = await client.get("/v1/tenant-admin/stripe/status", headers=alpha.headers)
    assert status.json() == {
        "accountId": None,
        "chargesEnabled": False,
        "payoutsEnabled": False,
        "detailsSubmitted": False,
        "requirementsDue": [],
    }

    connect = await client.post("/v1/tenant-admin/stripe/connect", headers=alpha.headers)

    assert connect.status_code == 200
    url = urlsplit(connect.json()["url"])
    assert url.path.startswith("/mock/connect/acct_mock")
    account_id = url.path.rsplit("/", 1)[1]
    assert parse_qs(url.query)["return_url"] == ["http://testserver/tenant/stripe/return"]
    again = await client.post("/v1/tenant-admin/stripe/connect", headers=alpha.key_headers)
    assert urlsplit(again.json()["url"]).path == url.path  # the same account, a new link
    # The owner finishes onboarding on Stripe's page; Stripe sends `account.updated`.
    done = await client.post(
        f"/mock/connect/{account_id}",
        data={"return_url": "http://testserver/tenant/stripe/return"},
    )
    assert done.status_code == 303

    status = await client.get("/v1/tenant-admin/stripe/status", headers=alpha.key_headers)
    assert status.json() == {
        "accountId": account_id,
        "chargesEnabled": True,
        "payoutsEnabled": True,
        "detailsSubmitted": True,
        "requirementsDue": [],
    }
