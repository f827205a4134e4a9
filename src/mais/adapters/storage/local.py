"""Local-directory storage, served by the app under `/uploads/` (the embedded default)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from mais.adapters.storage.port import Storage

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,400}$")
# What the app stores (re-encoded images) and therefore the only files it serves.
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


class LocalStorage(Storage):
    backend = "local"

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path_of(self, key: str) -> Path:
        if not _SAFE_KEY.match(key) or ".." in key:
            raise ValueError(f"unsafe storage key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_of(key)

        def _write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)

        await asyncio.to_thread(_write)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

    def servable(self, key: str) -> tuple[Path, str] | None:
        """The file and content type to serve for `/uploads/<key>`, or None when the key
        is unsafe (traversal, odd characters, a symlink out of the root), names no file,
        or is not one of the image types the app stores."""
        try:
            path = self.path_of(key)
        except ValueError:
            return None
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            return None
        try:
            resolved = path.resolve(strict=True)
            if not resolved.is_relative_to(self.root.resolve()) or not resolved.is_file():
                return None
        except OSError:
            return None
        return resolved, content_type

    def url(self, key: str) -> str:
        return f"{self.base_url}/uploads/{key}"

    async def check(self) -> str | None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-probe"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return f"uploads directory {self.root} is not writable: {exc}"
        return None
