"""PostgreSQL becomes unreachable while MAIS runs (the app reaches it through a TCP proxy
the test cuts): health checks say so with 503, the API answers 503 in the one JSON error
shape without internals, and everything works again when the database returns — without
restarting anything."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from mais.app import create_app
from mais.container import build_container
from mais.core import db
from tests.factories.services import TcpProxy, client_for
from tests.factories.world import add_catalog, days_ahead, make_tenant

pytestmark = pytest.mark.postgres

INTERNALS = ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "127.0.0.1")


@pytest.fixture
async def proxy(database_url):
    url = make_url(database_url)
    proxy = await TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def through_proxy(settings, container, proxy):
    """A second app whose DATABASE_URL goes through the proxy (same database and schema)."""
    url = make_url(settings.database_url).set(port=proxy.port)
    built = build_container(
        settings.model_copy(
            update={"database_url": url.render_as_string(hide_password=False), "direct_url": None}
        )
    )
    yield built
    await built.close()


async def test_database_outage_is_503_json_and_recovers_without_restart(
    container, through_proxy, proxy
):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 40).isoformat()
    # Occupied dates are cached by month: a month read before the outage keeps answering
    # from the cache (no write can commit meanwhile); any other month needs the database.
    other_month = days_ahead(container, 150).isoformat()

    async with client_for(create_app(through_proxy.settings, through_proxy)) as http:

        async def statuses(availability_day: str) -> dict[str, int]:
            answers = {
                "health": await http.get("/health"),
                "ready": await http.get("/health/ready"),
                "availability": await http.get(
                    "/v1/availability", params={"date": availability_day}, headers=tenant.headers
                ),
                "admin": await http.get(
                    "/v1/tenant-admin/bookings",
                    headers={"Authorization": f"Bearer {tenant.secret_key}"},
                ),
            }
            return {name: response.status_code for name, response in answers.items()}

        assert await statuses(day) == {
            "health": 200,
            "ready": 200,
            "availability": 200,
            "admin": 200,
        }

        await proxy.cut()
        # Pooled connections are dead and new ones refused.
        health = await http.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unhealthy"
        assert "database" in health.text
        cached = await http.get("/v1/availability", params={"date": day}, headers=tenant.headers)
        assert cached.status_code == 200
        for _ in range(3):
            response = await http.get(
                "/v1/availability", params={"date": other_month}, headers=tenant.headers
            )
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            assert body["error"] == "DATABASE_UNAVAILABLE"
            assert set(body) >= {"error", "message", "requestId"}
            assert response.headers["retry-after"]
            assert not any(marker in response.text for marker in INTERNALS)
        assert (await http.get("/health/live")).status_code == 200
        assert await statuses(other_month) == {
            "health": 503,
            "ready": 503,
            "availability": 503,
            "admin": 503,
        }

        await proxy.restore()
        assert await statuses(other_month) == {
            "health": 200,
            "ready": 200,
            "availability": 200,
            "admin": 200,
        }


async def test_a_restart_during_a_quiet_spell_costs_no_request(
    container, through_proxy, proxy, monkeypatch
):
    """Connections idle in the pool when the database restarted are dead; the first
    request after the quiet spell must not be the one that finds out. An idle connection
    is pinged before it is lent out, and a dead one replaced."""
    tenant = await add_catalog(container, await make_tenant(container))
    admin = {"Authorization": f"Bearer {tenant.secret_key}"}
    async with client_for(create_app(through_proxy.settings, through_proxy)) as http:
        assert (await http.get("/v1/tenant-admin/bookings", headers=admin)).status_code == 200
        # The restart: every open connection is dropped, and new ones are accepted again.
        await proxy.cut()
        await proxy.restore()

        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # as if it were busy
        unpinged = await http.get("/v1/tenant-admin/bookings", headers=admin)
        assert unpinged.status_code == 503  # the control: a dead connection was lent out
        # That failure discarded the pool; the next request connects afresh.
        assert (await http.get("/v1/tenant-admin/bookings", headers=admin)).status_code == 200

        await proxy.cut()
        await proxy.restore()
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection is idle
        for _ in range(3):
            response = await http.get("/v1/tenant-admin/bookings", headers=admin)
            assert response.status_code == 200, response.text
