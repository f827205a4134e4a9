"""The cache interface every implementation offers, and the hit/miss statistics."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    @property
    def total(self) -> int:
        return self.hits + self.misses

    def report(self, *, connected: bool, keys: int) -> dict[str, Any]:
        """The exact shape of `GET /health/cache` (deployment checklist §6)."""
        rate = (self.hits / self.total) if self.total else 0.0
        if self.total == 0 or rate >= 0.7:
            efficiency = "optimal"
        elif rate >= 0.4:
            efficiency = "degraded"
        else:
            efficiency = "poor"
        return {
            "connected": connected,
            "hits": self.hits,
            "misses": self.misses,
            "keys": keys,
            "totalRequests": self.total,
            "hitRate": f"{round(rate * 100)}%",
            "efficiency": efficiency,
        }


class Cache(abc.ABC):
    """Byte values under string keys. Never raises for an unreachable backend: it misses."""

    backend: str
    # Whether every process (web workers, the job worker) sees the same entries and change
    # tokens. Reads cached until "the tenant's next change" need it: a per-process cache
    # never hears of a change committed by another process.
    spans_processes: bool = False

    @abc.abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abc.abstractmethod
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    @abc.abstractmethod
    async def delete(self, *keys: str) -> None: ...

    # Change tokens close the read-then-write race of a cache filled from the database: a
    # reader that loaded rows before a change committed must not store them after the
    # change's invalidation. The reader takes the token of what it caches *before* reading
    # the database and stores only if the token is unchanged; an invalidation first gives
    # the token a new random value (`mark_changed`), then deletes.

    @abc.abstractmethod
    async def change_token(self, name: str) -> bytes | None:
        """The current token of `name` (None when it never changed)."""

    @abc.abstractmethod
    async def mark_changed(self, *names: str) -> None:
        """Give each name a new token: fills that read the old one are refused."""

    @abc.abstractmethod
    async def set_if_unchanged(
        self, key: str, value: bytes, ttl_seconds: int, *, name: str, token: bytes | None
    ) -> bool | None:
        """`set`, unless `name`'s token is no longer `token`. True when stored, False when
        refused because `name` changed, None when the backend could not be asked."""

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with `prefix`; returns how many were removed."""

    @abc.abstractmethod
    async def stats(self) -> dict[str, Any]:
        """`/health/cache` body, statistics aggregated over every process that shares it."""

    @abc.abstractmethod
    async def ping(self) -> bool: ...

    async def flush_stats(self) -> None:
        """Publish this process's counters where other processes can read them."""
        return None

    async def maintain(self) -> None:
        """Long-running upkeep for the life of the process (publishing statistics,
        listening for invalidations); returns at once when there is none."""
        return None

    async def close(self) -> None:
        return None
