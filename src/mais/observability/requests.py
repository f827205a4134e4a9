"""What happens when a response has been sent: one log line and the request metrics."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.types import Scope

from mais.observability.logging import request_log
from mais.observability.metrics import LATENCY, REQUESTS


def route_template(scope: Scope) -> str:
    """The matched route's template (`/v1/packages/{slug}`), never the raw path, so
    metrics stay low-cardinality and ids or tokens never become labels."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


# The labelled children of the request metrics, looked up once per label set: `labels()`
# validates and locks on every call, and this runs for every request. Bounded, because
# the labels are route templates and status codes, never raw paths.
@cache
def _request_metrics(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter's and the latency histogram's children for these labels."""
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)


# Clients may send any method token; anything else is one label, not one per invention.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def record_request(scope: Scope, status: int, duration: float) -> None:
    route = route_template(scope)
    method = scope.get("method", "")
    if method not in _METHODS:
        method = "OTHER"
    requests, latency = _request_metrics(method, route, status)
    requests.inc()
    latency.observe(duration)
    state = scope.get("state") or {}
    request_log.info(
        method=method,
        path=scope.get("path"),  # without the query string: it may carry tokens
        route=route,
        status=status,
        duration_ms=round(duration * 1000, 2),
        tenant=getattr(state.get("tenant"), "slug", None),
        request_id=state.get("request_id"),
    )
