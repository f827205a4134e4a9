"""Rate-limit bypass attempts, all still limited: client-IP headers sent by an untrusted
peer (X-Forwarded-For, X-Real-IP, Forwarded, True-Client-IP, CF-Connecting-IP), the tenant
key's case or kind changed, another route of the same API, and for logins: the e-mail's
case, spaces, other accounts and spoofed addresses."""

from __future__ import annotations

import pytest

from tests.factories.services import client_for
from tests.factories.world import PASSWORD, add_catalog, make_tenant

SPOOFED_IP_HEADERS = [
    {"X-Forwarded-For": "192.0.2.{n}"},
    {"X-Forwarded-For": "192.0.2.{n}, 198.51.100.{n}"},
    {"X-Real-IP": "192.0.2.{n}"},
    {"Forwarded": "for=192.0.2.{n};proto=https"},
    {"True-Client-IP": "192.0.2.{n}"},
    {"CF-Connecting-IP": "192.0.2.{n}"},
]


def spoof(template: dict[str, str], n: int) -> dict[str, str]:
    return {name: value.format(n=n) for name, value in template.items()}


@pytest.fixture
def settings_overrides():
    return {"rate_limit_api_per_minute": 3}


@pytest.fixture
async def tenant(container):
    return await add_catalog(container, await make_tenant(container, "limit-co"))


async def exhaust(http, tenant) -> None:
    for _ in range(3):
        assert (await http.get("/v1/packages", headers=tenant.headers)).status_code == 200
    assert (await http.get("/v1/packages", headers=tenant.headers)).status_code == 429


@pytest.mark.parametrize("template", SPOOFED_IP_HEADERS, ids=lambda t: next(iter(t)))
async def test_client_ip_headers_from_an_untrusted_peer_do_not_reset_the_api_limit(
    app, tenant, template
):
    async with client_for(app, "198.51.100.1") as http:
        await exhaust(http, tenant)
        for n in range(5):
            response = await http.get("/v1/packages", headers=tenant.headers | spoof(template, n))
            assert response.status_code == 429, template
            assert response.json()["error"] == "RATE_LIMITED"


async def test_the_key_in_another_case_or_kind_does_not_reset_the_api_limit(app, tenant):
    async with client_for(app, "198.51.100.1") as http:
        await exhaust(http, tenant)
        variants = [
            tenant.public_key.upper(),
            tenant.public_key.replace("pk_live_", "PK_LIVE_"),
            tenant.public_key.capitalize(),
            f" {tenant.public_key}",
            tenant.secret_key,  # the same tenant's other key: the same bucket
        ]
        for key in variants:
            response = await http.get("/v1/packages", headers={"X-Tenant-Key": key})
            assert response.status_code in (401, 429), key
            assert response.status_code != 200, key


async def test_another_route_of_the_public_api_shares_the_limit(app, tenant):
    async with client_for(app, "198.51.100.1") as http:
        await exhaust(http, tenant)
        for url in ("/v1/packages/garden", "/v1/tenant/branding", "/v1/packages/"):
            response = await http.get(url, headers=tenant.headers)
            assert response.status_code in (307, 404, 429), url  # a redirect serves nothing
            assert response.status_code != 200, url


@pytest.mark.parametrize("template", SPOOFED_IP_HEADERS[:3], ids=lambda t: next(iter(t)))
async def test_login_brute_force_stays_limited_whatever_the_client_changes(
    container, app, template
):
    tenant = await make_tenant(container, "brute-co")
    other = await make_tenant(container, "other-brute-co")
    async with client_for(app, "198.51.100.9") as http:
        for _ in range(5):
            failed = await http.post(
                "/v1/auth/login", json={"email": tenant.email, "password": "guess"}
            )
            assert failed.status_code == 401
        attempts = [
            {"email": tenant.email.upper(), "password": "guess"},
            {"email": tenant.email.title(), "password": PASSWORD},
            {"email": other.email, "password": PASSWORD},  # another account, same attacker
            {"email": tenant.email, "password": PASSWORD},  # even the right password
        ]
        for n, body in enumerate(attempts):
            response = await http.post("/v1/auth/login", json=body, headers=spoof(template, n))
            assert response.status_code == 429, body
            assert int(response.headers["retry-after"]) > 0
