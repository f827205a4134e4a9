"""The storage interface: put bytes under a key, delete them, and say where they are served."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence

log = logging.getLogger("mais.storage")

# Stored objects are written once under unique keys, so clients may keep them for a year.
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


class Storage(abc.ABC):
    backend: str

    @abc.abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abc.abstractmethod
    async def delete(self, key: str) -> None: ...

    @abc.abstractmethod
    def url(self, key: str) -> str:
        """Public URL of a stored object."""

    @abc.abstractmethod
    async def check(self) -> str | None:
        """None when writable, else a readable description of the problem."""

    async def delete_quietly(self, keys: Sequence[str]) -> None:
        """Delete objects the database no longer references (run after the commit that
        dropped their rows). A failure leaves an orphan object and is logged, never raised."""
        for key in keys:
            try:
                await self.delete(key)
            except Exception:
                log.exception("could not delete stored object", extra={"key": key})

    def public_host(self) -> str | None:
        """Origin serving objects when it is not the app itself (for the CSP)."""
        return None
