"""Storage port: where uploaded photos and logos live (local directory or S3-compatible)."""

from mais.adapters.storage.local import LocalStorage
from mais.adapters.storage.port import Storage

__all__ = ["LocalStorage", "Storage"]
