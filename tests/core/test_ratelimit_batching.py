"""The shared (Redis) API limit counts locally far from the limit and exactly near it."""

from __future__ import annotations

import pytest

from mais.core.errors import RateLimited
from mais.core.ratelimit import RateLimiter

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


async def test_unreachable_redis_still_limits_in_memory():
    limiter = _limiter("redis://127.0.0.1:1/0", 3)
    try:
        for _ in range(3):
            await limiter.check_api("tenant-c", "198.51.100.3")
        with pytest.raises(RateLimited):
            await limiter.check_api("tenant-c", "198.51.100.3")
    finally:
        await limiter.close()
