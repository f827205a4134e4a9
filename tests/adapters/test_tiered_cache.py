"""Redis behind a per-process tier: one process's invalidation reaches the others at once."""

from __future__ import annotations

import asyncio

import pytest

from mais.adapters.cache import RedisCache, TieredCache

pytestmark = pytest.mark.redis


async def _eventually(condition, within: float = 2.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_invalidation_in_one_process_reaches_the_others_local_tier(container):
    url = container.settings.redis_url
    first, second = TieredCache(RedisCache(url)), TieredCache(RedisCache(url))
    listeners = [asyncio.create_task(c.listen_for_invalidations()) for c in (first, second)]
    try:
        await asyncio.sleep(0.2)  # both subscribed
        await first.set("catalog:t1:packages", b"v1", 600)
        assert await second.get("catalog:t1:packages") == b"v1"  # now in second's local tier
        assert second.local.peek("catalog:t1:packages") == b"v1"

        await first.delete_prefix("catalog:t1:")

        async def gone() -> bool:
            return second.local.peek("catalog:t1:packages") is None

        assert await _eventually(gone)
        assert await second.get("catalog:t1:packages") is None
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await first.close()
        await second.close()


async def test_local_hits_are_counted_in_shared_statistics(container):
    cache = TieredCache(RedisCache(container.settings.redis_url))
    try:
        await cache.set("catalog:t2:packages", b"x", 600)
        for _ in range(5):
            assert await cache.get("catalog:t2:packages") == b"x"
        assert await cache.get("catalog:t2:missing") is None
        stats = await cache.stats()
        assert (stats["hits"], stats["misses"]) == (5, 1)
        assert stats["hitRate"] == "83%"
    finally:
        await cache.close()
