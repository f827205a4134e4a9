"""Redis behind a per-process LRU: hot entries are served from memory, Redis is the shared
truth, and invalidations reach every process at once through Redis pub/sub.

A lost invalidation message (Redis restarted mid-publish) is bounded: the listener clears
the local tier whenever it (re)subscribes, and no local entry lives longer than
`local_ttl` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.exceptions import RedisError

from mais.adapters.cache.memory import MemoryCache
from mais.adapters.cache.port import Cache
from mais.adapters.cache.redis import RedisCache

log = logging.getLogger("mais.cache")

INVALIDATION_CHANNEL = "mais:cache:invalidate"


class TieredCache(Cache):
    backend = "redis"
    spans_processes = True

    def __init__(self, shared: RedisCache, *, local_ttl: int = 30, max_local: int = 5_000) -> None:
        self.shared = shared
        self.local = MemoryCache(max_entries=max_local)
        self.local_ttl = local_ttl

    @property
    def connected(self) -> bool:
        return self.shared.connected

    async def get(self, key: str) -> bytes | None:
        value = self.local.peek(key)
        if value is not None:
            self.shared.count_hit()
            return value
        value = await self.shared.get(key)  # counts its own hit or miss
        if value is not None:
            await self.local.set(key, value, self.local_ttl)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self.local.set(key, value, min(ttl_seconds, self.local_ttl))
        await self.shared.set(key, value, ttl_seconds)

    async def delete(self, *keys: str) -> None:
        await self.local.delete(*keys)
        await self.shared.delete(*keys)
        for key in keys:
            await self._publish(f"key:{key}")

    async def delete_prefix(self, prefix: str) -> int:
        await self.local.delete_prefix(prefix)
        removed = await self.shared.delete_prefix(prefix)
        await self._publish(f"prefix:{prefix}")
        return removed

    async def change_token(self, name: str) -> bytes | None:
        return await self.shared.change_token(name)

    async def mark_changed(self, *names: str) -> None:
        await self.shared.mark_changed(*names)

    async def set_if_unchanged(
        self, key: str, value: bytes, ttl_seconds: int, *, name: str, token: bytes | None
    ) -> bool | None:
        stored = await self.shared.set_if_unchanged(key, value, ttl_seconds, name=name, token=token)
        # Refused means the rows changed after this value was read: keep it nowhere. With
        # Redis unreachable the local tier still serves, as `set` does.
        if stored is not False:
            await self.local.set(key, value, min(ttl_seconds, self.local_ttl))
        return stored

    async def _publish(self, message: str) -> None:
        try:
            await self.shared.client.publish(INVALIDATION_CHANNEL, message)
        except (RedisError, OSError) as exc:
            log.warning("cache invalidation not published: %s", exc)

    async def apply_invalidation(self, message: str) -> None:
        kind, _, value = message.partition(":")
        if kind == "prefix":
            await self.local.delete_prefix(value)
        else:
            await self.local.delete(value)

    async def listen_for_invalidations(self) -> None:
        while True:
            pubsub = self.shared.client.pubsub()
            try:
                await pubsub.subscribe(INVALIDATION_CHANNEL)
                # Whatever was cached while not subscribed may have missed a message.
                self.local.clear()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        data = message["data"]
                        text = data.decode() if isinstance(data, bytes) else str(data)
                        await self.apply_invalidation(text)
            except (RedisError, OSError) as exc:
                log.warning("cache invalidation listener lost Redis: %s", exc)
                self.local.clear()
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def maintain(self) -> None:
        await asyncio.gather(self.shared.maintain(), self.listen_for_invalidations())

    async def stats(self) -> dict[str, Any]:
        return await self.shared.stats()

    async def ping(self) -> bool:
        return await self.shared.ping()

    async def flush_stats(self) -> None:
        await self.shared.flush_stats()

    async def close(self) -> None:
        await self.shared.close()
