"""Redis dies while MAIS is under load and comes back: no request fails (the cache falls
back to the database, rate limits to per-process memory), `/health/cache` reports the
outage, and the cache is used again once Redis returns. The Redis is a private
`redis-server` the test starts and kills, never the shared one."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from redis.asyncio import Redis

from mais.app import create_app
from mais.container import build_container
from tests.factories.services import RedisServer, client_for
from tests.factories.world import add_catalog, days_ahead, make_tenant

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.close()


async def test_redis_killed_under_load_costs_no_request_and_recovers(
    container, settings, redis_server
):
    tenants = [await add_catalog(container, await make_tenant(container)) for _ in range(2)]
    live = build_container(settings.model_copy(update={"redis_url": redis_server.url}))
    offset = 0.0  # moves the Redis client's clock past its circuit breaker without sleeping
    live.resolver.shared.clock = lambda: asyncio.get_running_loop().time() + offset
    day = days_ahead(container, 45).isoformat()
    phase = "before"
    seen: dict[str, Counter[int]] = {p: Counter() for p in ("before", "outage", "after")}
    stop = asyncio.Event()

    async def until_served(name: str, count: int = 20) -> None:
        """Let the load run until `count` requests of this phase have been answered."""
        for _ in range(3000):
            if sum(seen[name].values()) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"the load stalled in phase {name}: {seen[name]}")

    async def load(http, n: int) -> None:
        tenant = tenants[n % 2]
        paths = [
            ("/v1/packages", None),
            ("/v1/packages/garden", None),
            ("/v1/availability", {"date": day}),
            ("/v1/tenant/branding", None),
        ]
        i = 0
        while not stop.is_set():
            path, params = paths[i % len(paths)]
            i += 1
            started_in = phase
            response = await http.get(path, params=params, headers=tenant.headers)
            seen[started_in][response.status_code] += 1
            await asyncio.sleep(0)

    try:
        async with client_for(create_app(live.settings, live)) as http:
            workers = [asyncio.create_task(load(http, n)) for n in range(6)]
            await until_served("before")
            assert (await http.get("/health/cache")).json()["connected"] is True

            phase = "outage"
            redis_server.stop()  # killed, with every key
            await until_served("outage", 40)
            cache = (await http.get("/health/cache")).json()
            assert cache["connected"] is False
            assert (await http.get("/health")).status_code == 200

            redis_server.start()
            phase = "after"
            await until_served("after")
            # Requests that failed while Redis restarted may have opened the breaker again;
            # recovery must follow within a few breaker periods.
            for _ in range(5):
                offset += 10
                if (await http.get("/health/cache")).json()["connected"]:
                    break
                await asyncio.sleep(0.2)
            assert (await http.get("/health/cache")).json()["connected"] is True
            stop.set()
            await asyncio.gather(*workers)

            # The same process uses Redis again: a change invalidates through it and the
            # next read stores the catalog there.
            tenant = tenants[0]
            offset += 10  # past any breaker a failed call during the restart opened
            await add_catalog(
                live,
                tenant,
                add_ons=[],
                packages=[{"slug": "after", "title": "After", "price_cents": 1000, "active": True}],
            )
            response = await http.get("/v1/packages", headers=tenant.headers)
            assert [p["slug"] for p in response.json()] == ["garden", "after"]
            probe = Redis.from_url(redis_server.url)
            assert await probe.exists(f"catalog:{tenant.id}:packages")
            await probe.aclose()
    finally:
        await live.close()

    for name, statuses in seen.items():
        assert sum(statuses.values()) >= 10, f"too few requests {name}: {statuses}"
        assert set(statuses) == {200}, f"{name}: {statuses}"
