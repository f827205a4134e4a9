"""The storage interface: put bytes under a key, delete them, and say where they are served."""

from __future__ import annotations

import abc


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

    def public_host(self) -> str | None:
        """Origin serving objects when it is not the app itself (for the CSP)."""
        return None
