"""Rate limits with the `limits` library: Redis storage when `REDIS_URL` is set (shared by
all processes), memory otherwise. If Redis fails, limits are kept in memory meanwhile
rather than letting every request through."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from mais.core.errors import RateLimited
from mais.observability.metrics import RATE_LIMITED

log = logging.getLogger("mais.ratelimit")


class RateLimiter:
    def __init__(
        self,
        redis_url: str | None,
        *,
        api_per_minute: int,
        auth_attempts: int,
        auth_window_minutes: int,
    ) -> None:
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._shared: FixedWindowRateLimiter | None = None
        if redis_url:
            storage: Storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                socket_connect_timeout=0.5,
                socket_timeout=0.5,
            )
            self._shared = FixedWindowRateLimiter(storage)
        self.api_item = RateLimitItemPerMinute(api_per_minute)
        self.auth_item = RateLimitItemPerMinute(auth_attempts, auth_window_minutes)
        self.rejections = 0
        self._shared_down_until = 0.0

    def _limiter(self) -> FixedWindowRateLimiter:
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            return self._shared
        return self._memory

    async def _hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        limiter = self._limiter()
        try:
            return await limiter.hit(item, *identifiers)
        except Exception as exc:  # storage failure: keep limiting in memory
            if limiter is self._memory:
                raise
            log.warning("rate-limit storage unavailable, using memory: %s", exc)
            self._shared_down_until = time.monotonic() + 2.0
            return await self._memory.hit(item, *identifiers)

    async def _test(self, item: RateLimitItem, *identifiers: str) -> bool:
        limiter = self._limiter()
        try:
            return await limiter.test(item, *identifiers)
        except Exception as exc:
            if limiter is self._memory:
                raise
            log.warning("rate-limit storage unavailable, using memory: %s", exc)
            self._shared_down_until = time.monotonic() + 2.0
            return await self._memory.test(item, *identifiers)

    async def _retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        limiter = self._limiter()
        try:
            stats = await limiter.get_window_stats(item, *identifiers)
        except Exception:
            stats = await self._memory.get_window_stats(item, *identifiers)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def check(self, item: RateLimitItem, *identifiers: str) -> None:
        """Count one request; raise 429 with `Retry-After` when over the limit."""
        if not await self._hit(item, *identifiers):
            self.rejections += 1
            RATE_LIMITED.labels(identifiers[0] if identifiers else "other").inc()
            raise RateLimited(await self._retry_after(item, *identifiers))

    async def check_api(self, tenant_id: str, ip: str) -> None:
        await self.check(self.api_item, "api", tenant_id, ip)

    async def ensure_auth_allowed(self, ip: str) -> None:
        """Before checking a password: refuse when this IP used up its failed attempts."""
        if not await self._test(self.auth_item, "auth", ip):
            self.rejections += 1
            RATE_LIMITED.labels("auth").inc()
            raise RateLimited(
                await self._retry_after(self.auth_item, "auth", ip),
                "Too many failed login attempts; try again later.",
            )

    async def auth_failed(self, ip: str) -> None:
        await self._hit(self.auth_item, "auth", ip)
