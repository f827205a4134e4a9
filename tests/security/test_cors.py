"""CORS: the public API answers its tenant's allowed embed origins (never with
credentials), the admin APIs only FRONTEND_URL's origin, preflights are answered without a
tenant key, and nothing ever pairs a wildcard or a foreign origin with credentials."""

from __future__ import annotations

import pytest

from mais.security.cors import public_allow_origin
from mais.tenants.context import TenantContext
from tests.factories.admin import login
from tests.factories.world import add_catalog, make_tenant
from tests.tenants.test_resolution import counting_statements

VENUE = "https://venue.example"
EVIL = "https://evil.example"
FRONTEND = "http://testserver"  # FRONTEND_URL of the test settings

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"


def preflight(origin: str, method: str = "POST", headers: str = "content-type,x-tenant-key"):
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.fixture
async def venue(container):
    """A tenant whose site is https://venue.example."""
    return await add_catalog(
        container, await make_tenant(container, "venue-co", allowed_embed_origins=[VENUE])
    )


# --- public API, actual requests ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/packages", "/v1/packages/garden", "/v1/tenant/branding", "/v1/availability"]
)
async def test_public_api_allows_the_tenants_own_origin_without_credentials(client, venue, path):
    params = {"date": "2031-06-01"} if path == "/v1/availability" else None
    response = await client.get(path, params=params, headers={**venue.headers, "Origin": VENUE})

    assert response.status_code == 200
    assert response.headers[ACAO] == VENUE
    assert ACAC not in response.headers
    assert "Origin" in response.headers["vary"]


async def test_public_api_gives_another_origin_nothing(client, venue):
    response = await client.get("/v1/packages", headers={**venue.headers, "Origin": EVIL})

    assert response.status_code == 200  # served (CORS is enforced by the browser)...
    assert ACAO not in response.headers  # ...which is not allowed to read it
    assert "Origin" in response.headers["vary"]


async def test_another_tenants_origin_does_not_open_this_tenant(container, client, venue):
    other = await make_tenant(container, "other-co", allowed_embed_origins=[EVIL])

    response = await client.get("/v1/packages", headers={**venue.headers, "Origin": EVIL})
    assert ACAO not in response.headers
    response = await client.get("/v1/packages", headers={**other.headers, "Origin": EVIL})
    assert response.headers[ACAO] == EVIL


async def test_a_checkout_error_is_readable_by_the_tenants_site(client, venue):
    response = await client.post(
        "/v1/bookings/checkout", headers={**venue.headers, "Origin": VENUE}, json={}
    )

    assert response.status_code == 422
    assert response.headers[ACAO] == VENUE
    assert ACAC not in response.headers


async def test_outside_production_a_tenant_without_origins_may_be_called_from_anywhere(
    container, client
):
    open_tenant = await make_tenant(container, "open-co")
    response = await client.get("/v1/packages", headers={**open_tenant.headers, "Origin": EVIL})

    assert response.headers[ACAO] == "*"
    assert ACAC not in response.headers


def test_in_production_a_tenant_without_origins_is_not_callable_cross_origin():
    tenant = _context(())
    assert public_allow_origin(tenant, EVIL, production=True) is None
    assert public_allow_origin(tenant, EVIL, production=False) == b"*"
    configured = _context((VENUE,))
    assert public_allow_origin(configured, VENUE, production=True) == VENUE.encode()
    assert public_allow_origin(configured, EVIL, production=True) is None
    assert public_allow_origin(None, VENUE, production=False) is None


def _context(origins: tuple[str, ...]) -> TenantContext:
    import uuid

    return TenantContext(
        id=uuid.uuid4(),
        slug="x-co",
        name="X",
        status="active",
        timezone="UTC",
        currency="usd",
        commission_bps=1000,
        commission_min_cents=None,
        commission_max_cents=None,
        min_notice_days=0,
        max_days_ahead=365,
        stripe_account_id=None,
        stripe_charges_enabled=False,
        allowed_embed_origins=origins,
    )


async def test_cors_costs_the_catalog_no_database_query(client, container, venue):
    headers = {**venue.headers, "Origin": VENUE}
    await client.get("/v1/packages", headers=headers)  # warms key and catalog caches

    with counting_statements(container) as statements:
        for _ in range(10):
            response = await client.get("/v1/packages", headers=headers)
            assert response.headers[ACAO] == VENUE
    assert statements == []


# --- public API, preflight ------------------------------------------------------------------


async def test_preflight_is_answered_for_an_origin_some_tenant_allows(client, venue):
    response = await client.options("/v1/bookings/checkout", headers=preflight(VENUE))

    assert response.status_code == 204
    assert response.headers[ACAO] == VENUE
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"x-tenant-key", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed.split(",")
    }
    assert ACAC not in response.headers
    assert int(response.headers["access-control-max-age"]) > 0


async def test_preflight_from_an_origin_no_tenant_allows_is_refused(client, venue):
    response = await client.options("/v1/packages", headers=preflight(EVIL, "GET"))

    assert response.status_code == 403
    assert response.json()["error"] == "CORS_ORIGIN_NOT_ALLOWED"
    assert response.headers["x-request-id"] == response.json()["requestId"]
    assert ACAO not in response.headers


async def test_preflight_is_open_outside_production_while_a_tenant_has_no_origins(
    container, client, venue
):
    await make_tenant(container, "open-co")
    response = await client.options("/v1/packages", headers=preflight(EVIL, "GET"))

    assert response.status_code == 204
    assert response.headers[ACAO] == EVIL
    assert ACAC not in response.headers


async def test_a_suspended_tenants_origins_do_not_pass_preflight(container, client):
    await make_tenant(container, "gone-co", allowed_embed_origins=[VENUE], status="suspended")
    response = await client.options("/v1/packages", headers=preflight(VENUE, "GET"))
    assert response.status_code == 403


# --- admin APIs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/tenant-admin/packages", "/v1/admin/tenants", "/v1/auth/login"]
)
async def test_admin_preflight_allows_only_the_frontend_with_credentials(client, venue, path):
    allowed = await client.options(path, headers=preflight(FRONTEND, "POST", "authorization"))
    assert allowed.status_code == 204
    assert allowed.headers[ACAO] == FRONTEND
    assert allowed.headers[ACAC] == "true"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

    # A tenant's embed origin is not an admin origin.
    for origin in (VENUE, EVIL, "null"):
        refused = await client.options(path, headers=preflight(origin, "POST"))
        assert refused.status_code == 403, origin
        assert ACAO not in refused.headers


async def test_admin_responses_carry_cors_only_for_the_frontend(client, venue):
    headers = await login(client, venue.email)

    ok = await client.get("/v1/tenant-admin/me", headers={**headers, "Origin": FRONTEND})
    assert ok.headers[ACAO] == FRONTEND
    assert ok.headers[ACAC] == "true"
    for origin in (VENUE, EVIL):
        other = await client.get("/v1/tenant-admin/me", headers={**headers, "Origin": origin})
        assert ACAO not in other.headers
        assert ACAC not in other.headers


@pytest.mark.parametrize("path", ["/v1/webhooks/stripe", "/health", "/widget?tenant=venue-co"])
async def test_routes_outside_the_apis_send_no_cors_headers(client, venue, path):
    response = await client.get(path, headers={"Origin": VENUE})
    assert ACAO not in response.headers
    response = await client.options(path, headers=preflight(VENUE))
    assert ACAO not in response.headers


async def test_no_response_pairs_a_wildcard_or_foreign_origin_with_credentials(client, venue):
    jwt = await login(client, venue.email)
    requests = [
        ("GET", "/v1/packages", venue.headers),
        ("GET", "/v1/tenant-admin/me", jwt),
        ("POST", "/v1/auth/login", {}),
        ("GET", "/v1/admin/stats", jwt),
    ]
    for origin in (VENUE, EVIL, FRONTEND, "null"):
        for method, path, headers in requests:
            for response in (
                await client.request(method, path, headers={**headers, "Origin": origin}),
                await client.options(path, headers=preflight(origin, method)),
            ):
                allowed = response.headers.get(ACAO)
                where = f"{method} {path} from {origin}"
                if response.headers.get(ACAC) == "true":
                    assert allowed == FRONTEND, where
                assert allowed in (None, origin, "*"), where
                assert not (allowed == "*" and ACAC in response.headers), where
