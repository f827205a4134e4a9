"""Sentry error reporting when SENTRY_DSN is set: errors carry the request id and tenant,
and no personal data (no cookies, headers with credentials, bodies or client IPs)."""

from __future__ import annotations

from typing import Any

import sentry_sdk

from mais.core.context import current_request_id, tenant_slug_var
from mais.observability.logging import scrub_text
from mais.settings import Settings

_DROPPED_HEADERS = {"authorization", "cookie", "x-tenant-key", "stripe-signature", "x-csrf-token"}


def _before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    tags = event.setdefault("tags", {})
    if request_id := current_request_id():
        tags["request_id"] = request_id
    if tenant := tenant_slug_var.get():
        tags["tenant"] = tenant
    request = event.get("request") or {}
    headers = request.get("headers") or {}
    request["headers"] = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    request.pop("cookies", None)
    request.pop("data", None)
    if "query_string" in request:
        request["query_string"] = ""  # booking pages carry access tokens in the query
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"])
    for value in (event.get("exception") or {}).get("values", []):
        if isinstance(value.get("value"), str):
            value["value"] = scrub_text(value["value"])
        for frame in (value.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
            if isinstance(frame.get("context_line"), str):
                frame["context_line"] = scrub_text(frame["context_line"])
            for key in ("pre_context", "post_context"):
                frame[key] = [scrub_text(line) for line in frame.get(key) or []]
    event.pop("user", None)
    return event


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry client for this process; returns whether it is enabled."""
    if not settings.sentry_dsn:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.app_env.value,
        # No user identity, cookies, bodies, query strings or local variables leave the process.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        traces_sample_rate=0.0,
        before_send=_before_send,  # type: ignore[arg-type]
        max_request_body_size="never",
    )
    return True


def report_exception(exc: BaseException) -> None:
    """Send an unexpected exception to Sentry (a no-op when Sentry is not configured)."""
    sentry_sdk.capture_exception(exc)
