"""A browser-like client for the dashboards: it keeps cookies (the session cookie is
Secure outside development, so the client talks https to the app), reads each page's CSRF
token, and logs in through the login form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.factories.admin import make_platform_admin
from tests.factories.world import PASSWORD, TenantWorld, add_catalog, make_tenant

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Browser:
    """Cookies, the last page's CSRF token, form posts."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(path, **kwargs)
        if "text/html" in response.headers.get("content-type", ""):
            found = _CSRF.search(response.text)
            if found:
                self.csrf = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.csrf)
        return await self.http.post(path, data=body, **kwargs)

    async def login(self, area: str, email: str, password: str = PASSWORD) -> httpx.Response:
        await self.get(f"/{area}/login")
        response = await self.post(f"/{area}/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response


async def open_browser(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.20", 50000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[Browser]:
    async with await open_browser(app) as http:
        yield Browser(http)


@pytest.fixture
async def other_browser(app: Any) -> AsyncIterator[Browser]:
    async with await open_browser(app) as http:
        yield Browser(http)


@pytest.fixture
async def alpha(container: Any) -> TenantWorld:
    return await add_catalog(container, await make_tenant(container, "alpha-events"), photos=1)


@pytest.fixture
async def beta(container: Any) -> TenantWorld:
    return await add_catalog(
        container,
        await make_tenant(container, "beta-events"),
        add_ons=[{"title": "Beta extra", "price_cents": 500}],
        packages=[{"slug": "b-own", "title": "B Own", "price_cents": 900, "active": True}],
    )


@pytest.fixture
async def alpha_browser(browser: Browser, alpha: TenantWorld) -> Browser:
    await browser.login("tenant", alpha.email)
    await browser.get("/tenant")
    return browser


@pytest.fixture
async def admin_browser(container: Any, other_browser: Browser) -> Browser:
    email, password = await make_platform_admin(container)
    await other_browser.login("admin", email, password)
    await other_browser.get("/admin")
    return other_browser


@pytest.fixture
def settings(settings: Any, request: pytest.FixtureRequest) -> Any:
    """Browser tests build their world with the live server's settings (same database,
    data directory and public URL)."""
    from tests.factories.live_server import settings_following_the_server

    return settings_following_the_server(request, settings)
