"""The cache port on both implementations: values, TTL, prefixes, change tokens, and Redis
invalidations that survive an outage."""

from __future__ import annotations

import pytest

from mais.adapters.cache import MemoryCache, RedisCache
from mais.adapters.cache.port import CacheStats
from tests.factories.services import RedisServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_values_round_trip_and_deletes_work(container):
    cache = container.cache
    await cache.set("catalog:t1:packages", b"[1]", 60)
    await cache.set("catalog:t1:package:a", b"{}", 60)
    await cache.set("catalog:t2:packages", b"[2]", 60)
    assert await cache.get("catalog:t1:packages") == b"[1]"

    assert await cache.delete_prefix("catalog:t1:") == 2
    assert await cache.get("catalog:t1:packages") is None
    assert await cache.get("catalog:t2:packages") == b"[2]"
    await cache.delete("catalog:t2:packages")
    assert await cache.get("catalog:t2:packages") is None


async def test_prefix_deletion_treats_glob_characters_literally(container):
    cache = container.cache
    await cache.set("catalog:a*:x", b"1", 60)
    await cache.set("catalog:ab:x", b"2", 60)
    assert await cache.delete_prefix("catalog:a*:") == 1
    assert await cache.get("catalog:ab:x") == b"2"


async def test_a_fill_that_read_before_a_change_is_refused(container):
    cache = container.cache
    seen = await cache.change_token("catalog:t1:")
    await cache.mark_changed("catalog:t1:")  # a change commits while the fill reads
    await cache.set_if_unchanged(
        "catalog:t1:packages", b"stale", 60, name="catalog:t1:", token=seen
    )
    assert await cache.get("catalog:t1:packages") is None

    fresh = await cache.change_token("catalog:t1:")
    assert fresh is not None
    assert fresh != seen
    await cache.set_if_unchanged("catalog:t1:packages", b"new", 60, name="catalog:t1:", token=fresh)
    assert await cache.get("catalog:t1:packages") == b"new"


async def test_changes_to_one_name_do_not_refuse_fills_of_another(container):
    cache = container.cache
    seen = await cache.change_token("catalog:t2:")
    assert seen is None  # never changed
    await cache.mark_changed("catalog:t1:")
    await cache.set_if_unchanged("catalog:t2:packages", b"ok", 60, name="catalog:t2:", token=seen)
    assert await cache.get("catalog:t2:packages") == b"ok"


async def test_every_change_gets_a_new_token(container):
    cache = container.cache
    tokens = set()
    for _ in range(5):
        await cache.mark_changed("tenant:slug:x")
        tokens.add(await cache.change_token("tenant:slug:x"))
    assert len(tokens) == 5


async def test_memory_cache_expires_entries_and_evicts_least_recently_used():
    clock = FakeClock()
    cache = MemoryCache(max_entries=2, clock=clock)
    await cache.set("a", b"1", 10)
    await cache.set("b", b"2", 100)
    await cache.get("a")  # a is now more recent than b
    await cache.set("c", b"3", 100)
    assert cache.keys() == ["a", "c"]
    clock.now += 10
    assert await cache.get("a") is None
    assert cache.keys() == ["c"]


def test_stats_report_has_the_checklist_fields_and_percent_format():
    fields = {"connected", "hits", "misses", "keys", "totalRequests", "hitRate", "efficiency"}
    empty = CacheStats().report(connected=True, keys=0)
    assert empty == {
        "connected": True,
        "hits": 0,
        "misses": 0,
        "keys": 0,
        "totalRequests": 0,
        "hitRate": "0%",
        "efficiency": "optimal",
    }
    cases = [((2, 1), "67%", "degraded"), ((1, 0), "100%", "optimal"), ((7, 3), "70%", "optimal")]
    cases += [((1, 2), "33%", "poor"), ((0, 5), "0%", "poor"), ((999, 1), "100%", "optimal")]
    for (hits, misses), rate, efficiency in cases:
        report = CacheStats(hits=hits, misses=misses).report(connected=False, keys=3)
        assert set(report) == fields
        assert report["totalRequests"] == hits + misses
        assert report["hitRate"] == rate
        assert report["efficiency"] == efficiency


@pytest.fixture
def private_redis():
    server = RedisServer().start()
    yield server
    server.close()


async def test_invalidation_missed_during_an_outage_is_replayed_before_the_next_read(
    private_redis,
):
    clock = FakeClock()
    cache = RedisCache(private_redis.url, clock=clock)
    try:
        await cache.set("catalog:t1:packages", b"old", 600)
        await cache.set("tenant:key:k", b"old", 600)
        private_redis.stop(save=True)  # Redis goes away with its data

        await cache.delete_prefix("catalog:t1:")  # the catalog changed meanwhile
        await cache.delete("tenant:key:k")
        assert cache.connected is False

        private_redis.start()  # back, still holding the entries from before
        clock.now += 10  # past the circuit breaker
        assert await cache.get("catalog:t1:packages") is None
        assert await cache.get("tenant:key:k") is None
        assert cache.connected is True
    finally:
        await cache.close()


async def test_redis_cache_misses_quietly_when_redis_is_unreachable():
    from tests.factories.services import free_port

    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    try:
        await cache.set("k", b"v", 10)
        assert await cache.get("k") is None
        assert await cache.ping() is False
        stats = await cache.stats()
        assert stats["connected"] is False
        assert stats["misses"] == 1
    finally:
        await cache.close()


async def test_rediss_url_talks_tls_for_cache_and_rate_limits(container, settings):
    from redis.asyncio import Redis

    from mais.app import create_app
    from mais.container import build_container
    from tests.factories.services import client_for
    from tests.factories.world import add_catalog, make_tenant

    server = RedisServer(tls=True).start()
    tenant = await add_catalog(container, await make_tenant(container))
    secure = build_container(settings.model_copy(update={"redis_url": server.url}))
    probe = Redis.from_url(server.url)
    try:
        assert server.url.startswith("rediss://")
        async with client_for(create_app(secure.settings, secure)) as http:
            assert (await http.get("/v1/packages", headers=tenant.headers)).status_code == 200
            assert (await http.get("/health/cache")).json()["connected"] is True
        assert await probe.exists(f"catalog:{tenant.id}:packages")
        assert [key async for key in probe.scan_iter(match="LIMITS:*")]  # shared limiter
    finally:
        await probe.aclose()
        await secure.close()
        server.close()
