"""In-process LRU cache with per-key TTL: the embedded default and the Redis fallback."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from typing import Any

from mais.adapters.cache.port import Cache, CacheStats


class MemoryCache(Cache):
    backend = "memory"

    def __init__(self, max_entries: int = 10_000, clock: Any = time.monotonic) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock
        self._tokens: dict[str, bytes] = {}
        self.counters = CacheStats()

    def _live(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def peek(self, key: str) -> bytes | None:
        """The live value without counting a hit or miss."""
        return self._live(key)

    def clear(self) -> None:
        self._entries.clear()

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is None:
            self.counters.misses += 1
        else:
            self.counters.hits += 1
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._entries[key] = (self._clock() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def change_token(self, name: str) -> bytes | None:
        return self._tokens.get(name)

    async def mark_changed(self, *names: str) -> None:
        if len(self._tokens) + len(names) > self._max:
            self._tokens.clear()  # forgetting tokens only refuses some fills: still safe
        for name in names:
            self._tokens[name] = secrets.token_bytes(8)

    async def set_if_unchanged(
        self, key: str, value: bytes, ttl_seconds: int, *, name: str, token: bytes | None
    ) -> bool | None:
        if self._tokens.get(name) != token:
            return False
        await self.set(key, value, ttl_seconds)
        return True

    async def delete_prefix(self, prefix: str) -> int:
        doomed = [key for key in self._entries if key.startswith(prefix)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    def keys(self) -> list[str]:
        return [key for key in list(self._entries) if self._live(key) is not None]

    async def stats(self) -> dict[str, Any]:
        return self.counters.report(connected=True, keys=len(self.keys()))

    async def ping(self) -> bool:
        return True
