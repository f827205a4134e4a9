"""Headers audit: the production checklist's `curl -I https://app...` checks (CSP, HSTS,
nosniff, X-Frame-Options: DENY), on the home page, a widget page, an API response and an
error response, and the baseline headers on every GET route of the app.

To audit another page (a dashboard page, when it exists), add its URL to `SEED_PAGES`;
`assert_seed_curl_checks(response)` is the one helper that says what the checklist wants."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.factories.routes import app_routes
from tests.factories.world import add_catalog, make_tenant

VENUE = "https://venue.example"

# URL → whether the page may be framed by the tenant's sites (widget pages only).
SEED_PAGES: dict[str, bool] = {
    "/": False,  # the home page: what `curl -I https://app.maconaisolutions.com` reads
    "/t/audit-co": False,  # storefront page
    "/widget?tenant=audit-co": True,  # widget page (framable by the tenant's origins)
    "/tenant/login": False,  # tenant dashboard login page
    "/admin/login": False,  # platform dashboard login page
    "/v1/packages": False,  # API response
    "/v1/nowhere": False,  # error response (404 JSON)
    "/v1/tenant/branding?no-key": False,  # error response (401 JSON, no key sent)
}


def assert_seed_curl_checks(response: httpx.Response, *, framable: bool = False) -> None:
    """The checklist's headers audit (section 11), plus what the issue adds to it."""
    headers = response.headers
    where = f"{response.request.method} {response.request.url}"
    csp = headers.get("content-security-policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    assert headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", where
    permissions = headers.get("permissions-policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions, f"{where}: {feature} missing"
    assert headers.get("cross-origin-opener-policy") == "same-origin-allow-popups", where
    assert headers.get("x-request-id"), where
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "unsafe-inline" not in directives.get("script-src", ""), where
    assert "unsafe-eval" not in csp, where
    if framable:
        assert "x-frame-options" not in headers, f"{where}: a widget page must be framable"
        assert VENUE in directives["frame-ancestors"], where
    else:
        assert headers.get("x-frame-options") == "DENY", where
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
    if "text/html" in headers.get("content-type", ""):
        assert directives["default-src"] in ("default-src 'none'", "default-src 'self'"), where
        assert "report-uri /v1/csp-violations" in csp, where
        assert "report-to" in csp, f"{where}: report-to is added over HTTPS"
        assert "/v1/csp-violations" in headers.get("reporting-endpoints", ""), where


@pytest.fixture
async def https_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """As `curl -I https://...`: the request's scheme is https."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


@pytest.fixture
async def audit_tenant(container):
    tenant = await make_tenant(container, "audit-co", allowed_embed_origins=[VENUE])
    return await add_catalog(container, tenant)


@pytest.mark.parametrize("url", list(SEED_PAGES))
@pytest.mark.parametrize("method", ["HEAD", "GET"])
async def test_seed_headers_audit(https_client, audit_tenant, url, method):
    headers = audit_tenant.headers if url == "/v1/packages" else {}
    response = await https_client.request(method, url, headers=headers)

    if url.startswith("/v1/no") or "no-key" in url:
        assert response.status_code >= 400
    else:
        assert response.status_code == 200
    if method == "HEAD":
        assert response.content == b""
    assert_seed_curl_checks(response, framable=SEED_PAGES[url])


async def test_the_home_page_is_a_small_html_landing_page(client):
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'href="/tenant/login"' in html
    assert 'href="/docs"' in html
    assert "<script" not in html
    nonce = response.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in html
    assert len(response.content) < 8_000


async def test_hsts_only_over_https_outside_production(client, audit_tenant):
    response = await client.get("/")
    assert "strict-transport-security" not in response.headers


PRODUCTION = {
    "app_env": "production",
    "database_url": "postgresql://mais@127.0.0.1:9/mais",
    "direct_url": "postgresql://mais@127.0.0.1:9/mais",
    "jwt_secret": "j" * 64,
    "tenant_secrets_encryption_key": "ab" * 32,
    "stripe_secret_key": "sk_live_" + "0" * 24,
    "stripe_webhook_secret": "whsec_" + "0" * 24,
    "stripe_success_url": "https://app.example/success",
    "stripe_cancel_url": "https://app.example",
    "adapters_preset": "real",
    "port": 3001,
    "frontend_url": "https://app.example",
    "admin_email": "ops@mais-platform.io",
    "admin_password": "a long production passphrase",
}


async def test_production_sends_hsts_even_over_a_plain_http_hop():
    """Behind a TLS-terminating proxy the app sees http; production still sends HSTS."""
    from mais.app import create_app
    from mais.settings import Settings

    settings = Settings(_env_file=None, **PRODUCTION)  # type: ignore[arg-type]
    assert settings.problems() == []
    app = create_app(settings)  # no container: the 404 below needs none
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.example") as http:
        response = await http.get("/v1/nowhere")
    assert response.status_code == 404
    assert_seed_curl_checks(response)


GET_ROUTES_WITHOUT_PARAMETERS = [
    path for method, path in app_routes() if method == "GET" and "{" not in path
]


async def test_every_get_route_sends_the_baseline_headers(https_client, audit_tenant):
    assert "/" in GET_ROUTES_WITHOUT_PARAMETERS
    assert len(GET_ROUTES_WITHOUT_PARAMETERS) >= 20
    for path in GET_ROUTES_WITHOUT_PARAMETERS:
        response = await https_client.get(path, headers=audit_tenant.headers)
        where = f"GET {path}: {response.status_code}"
        assert response.status_code < 500, where
        assert response.headers.get("x-content-type-options") == "nosniff", where
        assert response.headers.get("strict-transport-security"), where
        assert response.headers.get("content-security-policy"), where
        csp = response.headers["content-security-policy"]
        framable = "frame-ancestors 'none'" not in csp
        assert framable or response.headers.get("x-frame-options") == "DENY", where
        if "text/html" in response.headers.get("content-type", ""):
            assert "script-src" not in csp or "unsafe-inline" not in csp.split("script-src")[1]
