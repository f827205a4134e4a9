"""Per-request values that code deep below the HTTP layer may read (logging, audit)."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
request_path_var: ContextVar[str | None] = ContextVar("request_path", default=None)
tenant_slug_var: ContextVar[str | None] = ContextVar("tenant_slug", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
