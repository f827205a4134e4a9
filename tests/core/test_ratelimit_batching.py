"""The shared (Redis) API limit counts locally far from the limit and exactly near it."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis
from sqlalchemy.engine import make_url

from mais.core.errors import RateLimited
from mais.core.ratelimit import RateLimiter
from tests.factories.services import TcpProxy

pytestmark = pytest.mark.redis


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(url: str, per_minute: int, clock: Clock | None = None) -> RateLimiter:
    return RateLimiter(
        url,
        api_per_minute=per_minute,
        auth_attempts=5,
        auth_window_minutes=15,
        clock=clock or Clock(),
    )


async def test_one_process_is_exact_at_the_limit(container):
    limiter = _limiter(container.settings.redis_url, 50)
    try:
        for _ in range(50):
            await limiter.check_api("tenant-a", "198.51.100.1")
        with pytest.raises(RateLimited) as refused:
            await limiter.check_api("tenant-a", "198.51.100.1")
        assert int(refused.value.headers["Retry-After"]) >= 1
        await limiter.check_api("tenant-a", "198.51.100.2")  # another client, own bucket
    finally:
        await limiter.close()


async def test_processes_share_the_count_once_it_is_synced(container):
    url = container.settings.redis_url
    clock = Clock()
    first, second = _limiter(url, 50, clock), _limiter(url, 50, clock)
    try:
        for _ in range(30):
            await first.check_api("tenant-b", "198.51.100.9")
        await first.flush()  # what the 50 ms background flush does
        for _ in range(20):
            await second.check_api("tenant-b", "198.51.100.9")
        with pytest.raises(RateLimited):
            await second.check_api("tenant-b", "198.51.100.9")
        clock.now += 0.3  # first's view of the global count is now stale: it asks Redis
        with pytest.raises(RateLimited):
            await first.check_api("tenant-b", "198.51.100.9")
    finally:
        await first.close()
        await second.close()


async def test_a_slow_sync_holds_up_only_the_request_waiting_for_it(container):
    url = make_url(container.settings.redis_url)
    proxy = await TcpProxy(url.host or "127.0.0.1", url.port or 6379).start()
    clock = Clock()
    limiter = _limiter(url.set(port=proxy.port).render_as_string(), 1000, clock)
    client = ("tenant-d", "198.51.100.4")
    try:
        await limiter.check_api(*client)  # a key's first request: synced
        clock.now += 0.3  # the global count is stale: the next request asks Redis...
        proxy.hold()  # ...which is slow to answer
        waiting = asyncio.create_task(limiter.check_api(*client))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        for _ in range(20):  # meanwhile the others count locally, without waiting
            await asyncio.wait_for(limiter.check_api(*client), timeout=0.2)
        proxy.release()
        await waiting
        await limiter.flush()
        shared = redis.from_url(container.settings.redis_url)
        keys = await shared.keys("*tenant-d/198.51.100.4*")
        assert [int(await shared.get(key)) for key in keys] == [22]  # none lost or twice
        await shared.aclose()
    finally:
        proxy.release()
        await limiter.close()
        await proxy.close()


async def test_unreachable_redis_still_limits_in_memory():
    limiter = _limiter("redis://127.0.0.1:1/0", 3)
    try:
        for _ in range(3):
            await limiter.check_api("tenant-c", "198.51.100.3")
        with pytest.raises(RateLimited):
            await limiter.check_api("tenant-c", "198.51.100.3")
    finally:
        await limiter.close()
