"""Every dashboard route, enumerated from the app's router: each POST without the CSRF
token is 403 (with a live session), each tenant route given another tenant's id is 404
and changes nothing, and each page needs a login."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import select

from mais.app import create_app
from mais.models import Base, Tenant
from mais.settings import Settings
from tests.dashboard.conftest import Browser
from tests.factories.admin import add_booking
from tests.factories.routes import route_objects

PRE_LOGIN = {"login", "logout", "forgot-password", "reset-password"}


def dashboard_routes() -> list[tuple[str, str]]:
    """(method, path) of every dashboard route (FastAPI keeps included routers nested)."""
    app = create_app(Settings(_env_file=None, app_env="test"))
    found = []
    for route in route_objects(app.router.routes):
        if isinstance(route, APIRoute) and route.path.startswith(("/tenant", "/admin")):
            found.extend((method, route.path) for method in sorted(route.methods))
    return sorted(found)


ROUTES = dashboard_routes()
POSTS = [path for method, path in ROUTES if method == "POST"]


def test_the_enumeration_sees_the_dashboards():
    assert len(POSTS) >= 35
    assert ("GET", "/tenant/bookings/{booking_id}") in ROUTES


async def _worlds(container: Any, alpha: Any, beta: Any) -> dict[str, str]:
    """Ids of tenant B's things, for tenant A's admin to try."""
    from mais.tenants.blackouts import BlackoutService
    from mais.tenants.context import TenantContext
    from tests.factories.world import TEST_ACTOR, days_ahead

    booking = await add_booking(container, beta, package_slug="b-own")
    async with container.db.transaction() as session:
        tenant = await session.get(Tenant, beta.id)
        result = await BlackoutService(session, TenantContext.of(tenant), TEST_ACTOR).add(
            [days_ahead(container, 90)], None
        )
        blackout = result.created[0].id
    package = beta.packages["b-own"]
    return {
        "package_id": str(package.id),
        "add_on_id": str(beta.add_ons["Beta extra"].id),
        "booking_id": str(booking),
        "blackout_id": str(blackout),
        "photo_id": "00000000-0000-4000-8000-000000000000",
    }


async def _tenant_rows(container: Any, tenant_id: Any) -> dict[str, list[Any]]:
    snapshot: dict[str, list[Any]] = {}
    async with container.db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" in table.c:
                rows = await session.execute(select(table).where(table.c.tenant_id == tenant_id))
                snapshot[table.name] = sorted((tuple(r) for r in rows.all()), key=repr)
    return snapshot


async def test_every_post_without_the_csrf_token_is_403(
    alpha_browser: Browser, admin_browser: Browser, alpha
):
    fill = {
        "package_id": str(alpha.packages["garden"].id),
        "add_on_id": str(alpha.add_ons["Violinist"].id),
        "booking_id": "00000000-0000-4000-8000-000000000001",
        "blackout_id": "00000000-0000-4000-8000-000000000002",
        "photo_id": "00000000-0000-4000-8000-000000000003",
        "tenant_id": str(alpha.id),
        "job_id": "00000000-0000-4000-8000-000000000004",
        "event_id": "00000000-0000-4000-8000-000000000005",
    }
    for path in POSTS:
        concrete = re.sub(r"\{(\w+)\}", lambda m: fill[m.group(1)], path)
        browser = admin_browser if path.startswith("/admin") else alpha_browser
        missing = await browser.post(concrete, {"title": "x"}, csrf=False)
        assert missing.status_code == 403, (path, missing.status_code)
        wrong = await browser.post(concrete, {"csrf_token": "wrong"}, csrf=False)
        assert wrong.status_code == 403, (path, wrong.status_code)
    # Still logged in, nothing changed: the package is still published.
    assert "Published" in (await alpha_browser.get("/tenant/packages")).text


async def test_another_tenants_ids_are_404_on_every_tenant_route_and_change_nothing(
    alpha_browser: Browser, container, beta
):
    ids = await _worlds(container, None, beta)
    before = await _tenant_rows(container, beta.id)
    tried = 0
    for method, path in ROUTES:
        if not path.startswith("/tenant/") or "{" not in path:
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        if method == "GET":
            response = await alpha_browser.get(concrete)
        else:
            response = await alpha_browser.post(
                concrete, {"title": "Hacked", "price": "1", "direction": "up", "kind": "full"}
            )
        assert response.status_code == 404, (method, path, response.status_code)
        assert "text/html" in response.headers["content-type"]
        tried += 1
    assert tried >= 16
    assert await _tenant_rows(container, beta.id) == before


async def test_every_dashboard_page_needs_a_login(browser: Browser):
    for method, path in ROUTES:
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last in PRE_LOGIN or method != "GET":
            continue
        concrete = re.sub(r"\{\w+\}", "00000000-0000-4000-8000-000000000000", path)
        response = await browser.get(concrete)
        assert response.status_code == 303, path
        assert re.match(r"^/(tenant|admin)/login\?next=", response.headers["location"]), path


async def test_a_tenant_admin_cannot_open_the_platform_dashboard(alpha_browser: Browser):
    response = await alpha_browser.get("/admin/tenants")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


async def test_malformed_ids_are_404_pages(alpha_browser: Browser):
    response = await alpha_browser.get("/tenant/packages/not-a-uuid")
    assert response.status_code == 404


async def test_control_characters_in_a_dashboard_url_are_refused(alpha_browser: Browser):
    # The request middleware refuses control characters in any URL before routing.
    response = await alpha_browser.get("/tenant/bookings/%00")
    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
