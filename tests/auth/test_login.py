"""POST /v1/auth/login (SPEC §5): tokens, errors, rate limit, timing, passwords as typed."""

from __future__ import annotations

import httpx
import jwt
import pytest

from mais.auth.tokens import AUDIENCE, ISSUER
from mais.models import TenantStatus
from tests.factories.admin import login, make_platform_admin
from tests.factories.world import PASSWORD, make_tenant


async def test_tenant_admin_login_returns_a_signed_token_with_role_and_tenant(container, client):
    tenant = await make_tenant(container, "alpha-events")

    response = await client.post(
        "/v1/auth/login", json={"email": tenant.email, "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "tenant_admin"
    assert body["tenantSlug"] == "alpha-events"
    assert response.headers["cache-control"] == "no-store"
    claims = jwt.decode(
        body["token"],
        container.settings.effective_jwt_secret,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert claims["role"] == "tenant_admin"
    assert claims["tid"] == str(tenant.id)
    assert claims["exp"] - claims["iat"] == pytest.approx(3600, abs=1)
    me = await client.get(
        "/v1/tenant-admin/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me.json()["tenant"]["slug"] == "alpha-events"


async def test_platform_admin_login_has_no_tenant_slug(container, client):
    email, password = await make_platform_admin(container)

    response = await client.post("/v1/auth/login", json={"email": email, "password": password})

    assert response.status_code == 200
    assert response.json()["role"] == "platform_admin"
    assert "tenantSlug" not in response.json()


async def test_email_matches_in_any_case_but_password_only_exactly_as_typed(container, client):
    tenant = await make_tenant(container)

    ok = await client.post(
        "/v1/auth/login", json={"email": tenant.email.upper(), "password": PASSWORD}
    )
    assert ok.status_code == 200
    for altered in (f" {PASSWORD}", f"{PASSWORD} ", PASSWORD.upper()):
        response = await client.post(
            "/v1/auth/login", json={"email": tenant.email, "password": altered}
        )
        assert response.status_code == 401, altered


async def test_wrong_password_and_unknown_email_get_the_same_answer(container, client):
    tenant = await make_tenant(container)

    wrong = await client.post("/v1/auth/login", json={"email": tenant.email, "password": "nope"})
    unknown = await client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "nope"}
    )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"] == "INVALID_CREDENTIALS"
    assert wrong.json()["message"] == unknown.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "a@example.com"},
        {"email": "a@example.com", "password": ""},
        {"email": "a@example.com", "password": "x" * 1025},
        {"email": "a@example.com", "password": 12345678901},
    ],
)
async def test_malformed_login_bodies_are_422_with_field_details(client, body):
    response = await client.post("/v1/auth/login", json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert response.json()["details"]


async def test_suspended_tenants_admin_cannot_log_in(container, client):
    tenant = await make_tenant(container, status=TenantStatus.suspended)

    response = await client.post(
        "/v1/auth/login", json={"email": tenant.email, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert response.json()["error"] == "TENANT_INACTIVE"


async def test_five_failed_logins_from_one_ip_then_429_with_retry_after(container, client, app):
    tenant = await make_tenant(container)
    for _ in range(5):
        response = await client.post(
            "/v1/auth/login", json={"email": tenant.email, "password": "wrong-password"}
        )
        assert response.status_code == 401

    # Even the right password is refused now: the limit is on the IP, not the guess.
    blocked = await client.post(
        "/v1/auth/login", json={"email": tenant.email, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "RATE_LIMITED"
    assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60

    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other_ip:
        assert (await login(other_ip, tenant.email))["Authorization"].startswith("Bearer ")


async def test_successful_logins_do_not_use_up_the_attempts(container, client):
    tenant = await make_tenant(container)
    for _ in range(6):
        await login(client, tenant.email)
