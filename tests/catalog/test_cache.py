"""The public catalog is served from the cache: counted, tenant-scoped under `catalog:`,
invalidated by every catalog write, and still served when Redis is gone."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from mais.app import create_app
from mais.catalog.admin_service import CatalogAdminService, PackageDraft
from mais.container import build_container
from mais.settings import Settings
from tests.factories.services import RedisServer, client_for, free_port
from tests.factories.world import TEST_ACTOR, add_catalog, make_tenant

CHECKLIST_FIELDS = {"connected", "hits", "misses", "keys", "totalRequests", "hitRate", "efficiency"}


async def cached_keys(container) -> list[str]:
    """What `redis-cli --scan --pattern 'catalog:*'` lists (or the in-process equivalent)."""
    if container.cache.backend == "redis":
        client = Redis.from_url(container.settings.redis_url)
        try:
            return sorted([k.decode() async for k in client.scan_iter(match="catalog:*")])
        finally:
            await client.aclose()
    in_memory = container.cache.keys()
    return sorted(k for k in in_memory if k.startswith("catalog:"))


async def add_package(container, tenant, slug: str, *, active: bool = True) -> None:
    async with container.db.transaction() as session:
        service = CatalogAdminService(
            session, tenant.id, TEST_ACTOR, container.cache, container.storage
        )
        await service.create_package(
            PackageDraft(title=slug.title(), slug=slug, price_cents=10_000, active=active)
        )


async def test_health_cache_of_a_fresh_process_is_the_checklist_body(client):
    response = await client.get("/health/cache")
    assert response.status_code == 200
    assert response.json() == {
        "connected": True,
        "hits": 0,
        "misses": 0,
        "keys": 0,
        "totalRequests": 0,
        "hitRate": "0%",
        "efficiency": "optimal",
    }


async def test_catalog_requests_count_one_miss_then_hits(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    await container.resolver.resolve_key(tenant.public_key)  # key resolution out of the way
    before = (await client.get("/health/cache")).json()

    for _ in range(4):
        assert (await client.get("/v1/packages", headers=tenant.headers)).status_code == 200

    after = (await client.get("/health/cache")).json()
    assert set(after) == CHECKLIST_FIELDS
    assert after["misses"] - before["misses"] == 1
    assert after["hits"] - before["hits"] == 3
    assert after["totalRequests"] == after["hits"] + after["misses"]
    expected = round(100 * after["hits"] / after["totalRequests"])
    assert after["hitRate"] == f"{expected}%"
    assert after["keys"] >= 1


async def test_cached_response_is_identical_to_the_database_one(container, client):
    tenant = await add_catalog(container, await make_tenant(container), photos=1)
    first = await client.get("/v1/packages", headers=tenant.headers)
    second = await client.get("/v1/packages", headers=tenant.headers)
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"] == "application/json"


async def test_catalog_keys_live_under_catalog_and_the_tenant_id(container, client):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-co"))
    beta = await add_catalog(container, await make_tenant(container, "beta-co"))
    for tenant in (alpha, beta):
        await client.get("/v1/packages", headers=tenant.headers)
        await client.get("/v1/packages/garden", headers=tenant.headers)

    keys = await cached_keys(container)
    assert keys == sorted(
        [
            f"catalog:{alpha.id}:packages",
            f"catalog:{alpha.id}:package:garden",
            f"catalog:{beta.id}:packages",
            f"catalog:{beta.id}:package:garden",
        ]
    )


async def test_a_catalog_write_invalidates_only_that_tenants_entries_after_commit(
    container, client
):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-co"))
    beta = await add_catalog(container, await make_tenant(container, "beta-co"))
    for tenant in (alpha, beta):
        await client.get("/v1/packages", headers=tenant.headers)

    await add_package(container, alpha, "new-hall")

    assert await cached_keys(container) == [f"catalog:{beta.id}:packages"]
    slugs = [p["slug"] for p in (await client.get("/v1/packages", headers=alpha.headers)).json()]
    assert slugs == ["garden", "new-hall"]


async def test_a_rolled_back_catalog_write_leaves_the_cache_alone(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    await client.get("/v1/packages", headers=tenant.headers)

    async def write_then_fail() -> None:
        async with container.db.transaction() as session:
            service = CatalogAdminService(
                session, tenant.id, TEST_ACTOR, container.cache, container.storage
            )
            await service.create_package(PackageDraft(title="Ghost", price_cents=1, active=True))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert await cached_keys(container) == [f"catalog:{tenant.id}:packages"]


async def test_a_read_racing_a_write_cannot_cache_the_old_catalog(container, client):
    """A request reads the catalog from the database, the tenant's change commits and
    invalidates, then the request stores what it read: the change token has moved, so
    that store is refused."""
    tenant = await add_catalog(container, await make_tenant(container))
    cache = container.cache
    original_store = cache.set_if_unchanged
    read_done, proceed = asyncio.Event(), asyncio.Event()

    async def paused_store(key, *args, **kwargs):
        if key.startswith("catalog:"):
            read_done.set()
            await proceed.wait()
        await original_store(key, *args, **kwargs)

    cache.set_if_unchanged = paused_store
    reader = asyncio.create_task(client.get("/v1/packages", headers=tenant.headers))
    await read_done.wait()
    cache.set_if_unchanged = original_store
    await add_package(container, tenant, "late-addition")
    proceed.set()
    assert [p["slug"] for p in (await reader).json()] == ["garden"]

    fresh = await client.get("/v1/packages", headers=tenant.headers)
    assert [p["slug"] for p in fresh.json()] == ["garden", "late-addition"]


# --- Redis unavailable ------------------------------------------------------------------


def _settings_with_redis(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


async def test_redis_on_a_closed_port_serves_from_the_database(container, settings):
    tenant = await add_catalog(container, await make_tenant(container))
    down = build_container(_settings_with_redis(settings, f"redis://127.0.0.1:{free_port()}/0"))
    try:
        async with client_for(create_app(down.settings, down)) as http:
            for _ in range(3):
                response = await http.get("/v1/packages", headers=tenant.headers)
                assert response.status_code == 200
                assert [p["slug"] for p in response.json()] == ["garden"]
            cache = (await http.get("/health/cache")).json()
            assert set(cache) == CHECKLIST_FIELDS
            assert cache["connected"] is False
            assert (await http.get("/health")).status_code == 200
            ready = await http.get("/health/ready")
            assert ready.status_code == 200
            assert ready.json()["cache"].startswith("disconnected")
    finally:
        await down.close()


async def test_redis_killed_mid_test_then_restarted(container, settings):
    tenant = await add_catalog(container, await make_tenant(container))
    server = RedisServer().start()
    live = build_container(_settings_with_redis(settings, server.url))
    clock_offset = 0.0
    redis_tier = live.resolver.shared  # the RedisCache, behind the per-process tier
    redis_tier.clock = lambda: asyncio.get_running_loop().time() + clock_offset

    async def in_redis(key: str) -> bool:
        probe = Redis.from_url(server.url)
        try:
            return bool(await probe.exists(key))
        finally:
            await probe.aclose()

    try:
        async with client_for(create_app(live.settings, live)) as http:
            assert (await http.get("/v1/packages", headers=tenant.headers)).status_code == 200
            assert await in_redis(f"catalog:{tenant.id}:packages")

            server.stop()  # Redis dies with the entries
            for _ in range(3):
                response = await http.get("/v1/packages", headers=tenant.headers)
                assert response.status_code == 200
                assert [p["slug"] for p in response.json()] == ["garden"]
            assert (await http.get("/health/cache")).json()["connected"] is False

            await add_package(live, tenant, "during-outage")  # a write while Redis is away
            response = await http.get("/v1/packages", headers=tenant.headers)
            assert [p["slug"] for p in response.json()] == ["garden", "during-outage"]

            server.start()
            clock_offset += 10  # past the circuit breaker, without sleeping
            assert (await http.get("/health/cache")).json()["connected"] is True
            response = await http.get("/v1/packages", headers=tenant.headers)
            assert [p["slug"] for p in response.json()] == ["garden", "during-outage"]

            await add_package(live, tenant, "after-outage")  # invalidation works again
            response = await http.get("/v1/packages", headers=tenant.headers)
            slugs = ["garden", "during-outage", "after-outage"]
            assert [p["slug"] for p in response.json()] == slugs
            assert await in_redis(f"catalog:{tenant.id}:packages")  # cached in Redis again
    finally:
        await live.close()
        server.close()
