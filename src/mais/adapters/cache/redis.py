"""Redis cache. When Redis is unreachable every call misses quietly and the app reads the
database instead; a short circuit-breaker keeps a dead Redis from adding latency."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mais.adapters.cache.port import Cache, CacheStats

log = logging.getLogger("mais.cache")

STATS_KEY = "mais:cache:stats"


class RedisCache(Cache):
    backend = "redis"

    def __init__(self, url: str, *, retry_after_seconds: float = 2.0) -> None:
        self.client: Redis = Redis.from_url(
            url,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            health_check_interval=30,
            retry_on_timeout=False,
        )
        self._retry_after = retry_after_seconds
        self._down_until = 0.0
        self.connected = True
        # Counters not yet added to the shared hash; `flush_stats` moves them there.
        self.pending = CacheStats()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self.connected:
            log.warning("redis unreachable, serving without cache: %s", exc)
        self.connected = False
        self._down_until = time.monotonic() + self._retry_after

    def _succeeded(self) -> None:
        if not self.connected:
            log.info("redis reachable again")
        self.connected = True

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = None
        if self._available():
            try:
                raw = await self.client.get(key)
                value = raw.encode() if isinstance(raw, str) else raw
                self._succeeded()
            except (RedisError, OSError) as exc:
                self._failed(exc)
        if value is None:
            self.pending.misses += 1
        else:
            self.pending.hits += 1
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if not self._available():
            return
        try:
            await self.client.set(key, value, ex=ttl_seconds)
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self.client.delete(*keys)
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def delete_prefix(self, prefix: str) -> int:
        removed = 0
        try:
            batch: list[Any] = []
            async for key in self.client.scan_iter(match=f"{prefix}*", count=500):
                batch.append(key)
                if len(batch) >= 500:
                    removed += await self.client.delete(*batch)
                    batch = []
            if batch:
                removed += await self.client.delete(*batch)
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)
        return removed

    def count_hit(self) -> None:
        """A hit served by a faster tier in front of this cache."""
        self.pending.hits += 1

    async def maintain(self) -> None:
        """Publish this process's counters every second so `/health/cache` sums all workers."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.flush_stats()
            except Exception:  # never let monitoring take the server down
                log.exception("cache stats flush failed")

    async def flush_stats(self) -> None:
        hits, misses = self.pending.hits, self.pending.misses
        if not (hits or misses) or not self._available():
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.hincrby(STATS_KEY, "hits", hits)
                pipe.hincrby(STATS_KEY, "misses", misses)
                await pipe.execute()
            self.pending.hits -= hits
            self.pending.misses -= misses
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def stats(self) -> dict[str, Any]:
        await self.flush_stats()
        shared = CacheStats(hits=self.pending.hits, misses=self.pending.misses)
        keys = 0
        connected = await self.ping()
        if connected:
            try:
                raw = await self.client.hgetall(STATS_KEY)
                shared.hits += int(raw.get(b"hits", 0))
                shared.misses += int(raw.get(b"misses", 0))
                keys = int(await self.client.dbsize())
            except (RedisError, OSError) as exc:
                self._failed(exc)
                connected = False
        return shared.report(connected=connected, keys=keys)

    async def ping(self) -> bool:
        try:
            await self.client.ping()
            self._succeeded()
            return True
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False

    async def close(self) -> None:
        await self.client.aclose()
