"""Redis cache. When Redis is unreachable every call misses quietly and the app reads the
database instead; a short circuit-breaker keeps a dead Redis from adding latency.
Invalidations that fail while Redis is away are replayed before it is read again, so a
change made during an outage is not hidden by an entry cached before it."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mais.adapters.cache.port import Cache, CacheStats

log = logging.getLogger("mais.cache")

STATS_KEY = "mais:cache:stats"

# KEYS[1] value key, KEYS[2] its change token; ARGV value, ttl, token seen ("" = none).
# Atomic, so a change marked between the comparison and the write cannot be missed.
_SET_IF_UNCHANGED = """
local current = redis.call('GET', KEYS[2]) or ''
if current == ARGV[3] then
  return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return false
"""
# Change tokens outlive every cached entry they guard.
TOKEN_TTL_SECONDS = 86_400

_MAX_LOST_KEYS = 10_000


def token_key(name: str) -> str:
    return f"changed:{name}"


def _glob_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)


class RedisCache(Cache):
    backend = "redis"
    spans_processes = True

    def __init__(
        self,
        url: str,
        *,
        retry_after_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client: Redis = Redis.from_url(
            url,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            health_check_interval=30,
            retry_on_timeout=False,
        )
        self._retry_after = retry_after_seconds
        self.clock = clock
        self._down_until = 0.0
        self.connected = True
        # Counters not yet added to the shared hash; `flush_stats` moves them there.
        self.pending = CacheStats()
        # Invalidations Redis missed while unreachable, replayed by `_usable` (bounded).
        self._lost_keys: set[str] = set()
        self._lost_prefixes: set[str] = set()

    def _available(self) -> bool:
        return self.clock() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self.connected:
            log.warning("redis unreachable, serving without cache: %s", exc)
        self.connected = False
        self._down_until = self.clock() + self._retry_after

    def _succeeded(self) -> None:
        if not self.connected:
            log.info("redis reachable again")
        self.connected = True

    def _lose(self, keys: tuple[str, ...] = (), prefix: str | None = None) -> None:
        if len(self._lost_keys) + len(keys) > _MAX_LOST_KEYS:
            log.warning("too many missed invalidations to replay; entries expire by TTL")
            self._lost_keys.clear()
            keys = ()
        self._lost_keys.update(keys)
        if prefix is not None:
            self._lost_prefixes.add(prefix)

    async def _usable(self) -> bool:
        """Redis may be tried now, and every invalidation it missed has been replayed."""
        if not self._available():
            return False
        if not (self._lost_keys or self._lost_prefixes):
            return True
        keys, prefixes = set(self._lost_keys), set(self._lost_prefixes)
        try:
            if keys:
                await self.client.delete(*keys)
            for prefix in prefixes:
                await self._delete_matching(prefix)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._lost_keys -= keys
        self._lost_prefixes -= prefixes
        self._succeeded()
        return True

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = None
        if await self._usable():
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
        if not await self._usable():
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
            self._lose(keys)

    async def change_token(self, name: str) -> bytes | None:
        if not await self._usable():
            return None
        try:
            raw = await self.client.get(token_key(name))
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        return raw.encode() if isinstance(raw, str) else raw

    async def mark_changed(self, *names: str) -> None:
        if not names:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.set(token_key(name), secrets.token_hex(8), ex=TOKEN_TTL_SECONDS)
                await pipe.execute()
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def set_if_unchanged(
        self, key: str, value: bytes, ttl_seconds: int, *, name: str, token: bytes | None
    ) -> bool | None:
        if not await self._usable():
            return None
        try:
            stored = await self.client.eval(
                _SET_IF_UNCHANGED, 2, key, token_key(name), value, ttl_seconds, token or b""
            )
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        return stored is not None

    async def delete_prefix(self, prefix: str) -> int:
        try:
            removed = await self._delete_matching(prefix)
            self._succeeded()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            self._lose(prefix=prefix)
            return 0
        return removed

    async def _delete_matching(self, prefix: str) -> int:
        removed = 0
        batch: list[Any] = []
        async for key in self.client.scan_iter(match=f"{_glob_escape(prefix)}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                removed += await self.client.delete(*batch)
                batch = []
        if batch:
            removed += await self.client.delete(*batch)
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
