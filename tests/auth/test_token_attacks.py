"""Forged, expired, tampered and misplaced credentials on the admin APIs."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from mais.auth.repository import UserRepository
from tests.factories.admin import key_headers, login, platform_headers
from tests.factories.world import make_tenant

ME = "/v1/tenant-admin/me"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims_of(headers: dict[str, str]) -> dict:
    token = headers["Authorization"].split(" ", 1)[1]
    return jwt.decode(token, options={"verify_signature": False})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _tenant_login(container, client, slug=None):
    tenant = await make_tenant(container, slug)
    return tenant, await login(client, tenant.email)


async def test_alg_none_token_is_refused(container, client):
    _, headers = await _tenant_login(container, client)
    claims = _claims_of(headers)
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."

    response = await client.get(ME, headers=_bearer(unsigned))

    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_TOKEN"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_token_signed_with_another_key_is_refused(container, client):
    _, headers = await _tenant_login(container, client)
    forged = jwt.encode(_claims_of(headers), "not-the-server-secret-0123456789abcdef", "HS256")

    response = await client.get(ME, headers=_bearer(forged))

    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_TOKEN"


async def test_expired_token_is_refused(container, client):
    _, headers = await _tenant_login(container, client)
    claims = _claims_of(headers) | {"iat": time.time() - 7200, "exp": int(time.time()) - 3600}
    expired = jwt.encode(claims, container.settings.effective_jwt_secret, "HS256")

    response = await client.get(ME, headers=_bearer(expired))

    assert response.status_code == 401
    assert response.json()["error"] == "TOKEN_EXPIRED"


@pytest.mark.parametrize(("claim", "value"), [("iss", "someone-else"), ("aud", "other-api")])
async def test_wrong_issuer_or_audience_is_refused(container, client, claim, value):
    _, headers = await _tenant_login(container, client)
    claims = _claims_of(headers) | {claim: value}
    token = jwt.encode(claims, container.settings.effective_jwt_secret, "HS256")

    response = await client.get(ME, headers=_bearer(token))

    assert response.status_code == 401


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "role", "iss", "aud"])
async def test_token_missing_a_required_claim_is_refused(container, client, missing):
    _, headers = await _tenant_login(container, client)
    claims = _claims_of(headers)
    del claims[missing]
    token = jwt.encode(claims, container.settings.effective_jwt_secret, "HS256")

    assert (await client.get(ME, headers=_bearer(token))).status_code == 401


async def test_payload_edited_without_re_signing_is_refused(container, client):
    _, headers = await _tenant_login(container, client)
    beta = await make_tenant(container)
    header, _payload, signature = headers["Authorization"].split(" ", 1)[1].split(".")
    tampered = _claims_of(headers) | {"tid": str(beta.id)}

    response = await client.get(ME, headers=_bearer(f"{header}.{_b64(tampered)}.{signature}"))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"role": "platform_admin", "tid": None},
        {"tid": "other-tenant"},
        {"sub": "other-user"},
    ],
)
async def test_validly_signed_token_whose_claims_no_longer_match_the_user_is_refused(
    container, client, change
):
    """Even with the signing key (a leaked secret, a bug elsewhere), claims are re-checked
    against the user row: role, tenant and user must be the user's own."""
    _, headers = await _tenant_login(container, client)
    other = await make_tenant(container)
    other_headers = await login(client, other.email)
    substitutes = {"other-tenant": str(other.id), "other-user": str(uuid.uuid4())}
    claims = _claims_of(headers) | {k: substitutes.get(v, v) for k, v in change.items()}
    token = jwt.encode(claims, container.settings.effective_jwt_secret, "HS256")

    for path in (ME, "/v1/admin/stats"):
        response = await client.get(path, headers=_bearer(token))
        assert response.status_code == 401, (path, response.text)
    assert (await client.get(ME, headers=other_headers)).json()["tenant"]["id"] == str(other.id)


async def test_tenant_admin_token_on_platform_admin_api_is_403(container, client):
    _, headers = await _tenant_login(container, client)

    for path in ("/v1/admin/stats", "/v1/admin/tenants", "/v1/admin/audit-log"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert response.json()["error"] == "FORBIDDEN"


async def test_secret_key_on_platform_admin_api_is_403(container, client):
    tenant = await make_tenant(container)

    response = await client.get("/v1/admin/tenants", headers=key_headers(tenant))

    assert response.status_code == 403


async def test_platform_admin_token_on_tenant_admin_api_is_403(container, client):
    headers = await platform_headers(container, client)

    response = await client.get(ME, headers=headers)

    assert response.status_code == 403


async def test_public_key_never_grants_the_admin_api(container, client):
    tenant = await make_tenant(container)

    response = await client.get(ME, headers=_bearer(tenant.public_key))

    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_TENANT_KEY"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer not-a-jwt"],
)
async def test_missing_or_malformed_authorization_is_401(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] in {"AUTHENTICATION_REQUIRED", "INVALID_TOKEN"}
    assert "requestId" in response.json()


async def test_unknown_or_malformed_secret_key_is_401(container, client):
    tenant = await make_tenant(container)
    last = "0" if tenant.secret_key[-1] != "0" else "1"
    unknown = tenant.secret_key[:-1] + last

    assert (await client.get(ME, headers=_bearer(unknown))).json()["error"] == "TENANT_NOT_FOUND"
    malformed = await client.get(ME, headers=_bearer("sk_live_nope"))
    assert malformed.status_code == 401
    assert malformed.json()["error"] == "INVALID_TENANT_KEY"


async def test_suspended_tenant_is_refused_for_jwt_and_secret_key_at_once(container, client):
    tenant, headers = await _tenant_login(container, client)
    admin = await platform_headers(container, client)
    assert (await client.get(ME, headers=key_headers(tenant))).status_code == 200

    suspend = await client.patch(
        f"/v1/admin/tenants/{tenant.id}", headers=admin, json={"status": "suspended"}
    )
    assert suspend.status_code == 200

    for credential in (headers, key_headers(tenant)):
        response = await client.get(ME, headers=credential)
        assert response.status_code == 403
        assert response.json()["error"] == "TENANT_INACTIVE"
    public = await client.get("/v1/packages", headers=tenant.headers)
    assert public.json()["error"] == "TENANT_INACTIVE"

    await client.patch(f"/v1/admin/tenants/{tenant.id}", headers=admin, json={"status": "active"})
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_deactivated_user_token_stops_working(container, client):
    tenant, headers = await _tenant_login(container, client)

    async with container.db.transaction() as session:
        user = await UserRepository(session).get_by_email(tenant.email)
        user.is_active = False

    assert (await client.get(ME, headers=headers)).status_code == 401
