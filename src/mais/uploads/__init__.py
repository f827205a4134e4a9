"""Serving the local storage directory at `/uploads/` (when storage is not S3)."""
