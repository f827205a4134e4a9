"""`GET /metrics` in Prometheus text format; bearer-protected when METRICS_TOKEN is set."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.responses import Response

from mais.core.deps import ContainerDep
from mais.core.errors import Unauthorized
from mais.models import utcnow
from mais.observability.metrics import render
from mais.observability.repository import OperationsRepository

router = APIRouter(tags=["operations"])

Samples = list[tuple[dict[str, str], float]]


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request, container: ContainerDep) -> Response:
    token = container.settings.metrics_token
    if token:
        supplied = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            raise Unauthorized("A valid metrics token is required.", code="METRICS_TOKEN_REQUIRED")
    gauges: dict[str, tuple[str, Samples]] = {}
    async with container.db.sessionmaker() as session:
        operations = OperationsRepository(session)
        jobs = await operations.jobs_by_status()
        oldest = await operations.oldest_pending_job()
        bookings = await operations.bookings_by_status()
        failed_webhooks = await operations.failed_webhook_events()
    gauges["mais_job_queue"] = (
        "Background jobs by status (queue depth: pending; dead: gave up).",
        [({"status": s}, n) for s, n in jobs.items()],
    )
    age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    gauges["mais_jobs_oldest_pending_age_seconds"] = (
        "Age of the oldest due job.",
        [({}, max(0.0, age))],
    )
    gauges["mais_bookings"] = (
        "Bookings by status.",
        [({"status": s}, n) for s, n in bookings.items()],
    )
    gauges["mais_webhook_events_failed"] = (
        "Webhook events whose processing failed.",
        [({}, failed_webhooks)],
    )
    pool = container.db.engine.pool
    in_use = float(getattr(pool, "checkedout", lambda: 0)())
    gauges["mais_db_pool_connections_in_use"] = (
        "Database connections checked out.",
        [({}, in_use)],
    )
    stats = await container.cache.stats()
    gauges["mais_cache_hits"] = ("Cache hits (all processes).", [({}, float(stats["hits"]))])
    gauges["mais_cache_misses"] = ("Cache misses (all processes).", [({}, float(stats["misses"]))])
    total = stats["totalRequests"]
    ratio = stats["hits"] / total if total else 0.0
    gauges["mais_cache_hit_ratio"] = ("Cache hit ratio (all processes).", [({}, ratio)])
    gauges["mais_cache_connected"] = (
        "1 when the cache backend is reachable.",
        [({}, 1.0 if stats["connected"] else 0.0)],
    )
    body, content_type = render(gauges)
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
