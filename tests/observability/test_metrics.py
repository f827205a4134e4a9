"""GET /metrics: Prometheus text with request counts by route template, DB-derived gauges,
and bearer protection when METRICS_TOKEN is set."""

from __future__ import annotations

import re
from pathlib import Path

from tests.factories.world import add_catalog, make_tenant


def sample(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {prefix!r} in metrics")


async def test_metrics_count_requests_by_route_template_not_raw_path(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    before = await client.get("/metrics")
    base = 0.0
    if 'route="/v1/packages/{slug}",status="200"' in before.text:
        base = sample(
            before.text,
            'mais_http_requests_total{method="GET",route="/v1/packages/{slug}",status="200"}',
        )

    for _ in range(3):
        assert (await client.get("/v1/packages/garden", headers=tenant.headers)).status_code == 200

    after = (await client.get("/metrics")).text
    key = 'mais_http_requests_total{method="GET",route="/v1/packages/{slug}",status="200"}'
    assert sample(after, key) == base + 3
    assert "/v1/packages/garden" not in after
    assert (
        'mais_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/packages/{slug}"}'
        in after
    )


async def test_metrics_expose_queue_bookings_cache_and_pool_gauges(container, client):
    text = (await client.get("/metrics")).text
    for name in (
        "mais_jobs_oldest_pending_age_seconds",
        "mais_cache_hit_ratio",
        "mais_cache_connected 1.0",
        "mais_db_pool_connections_in_use",
        "mais_webhook_events_failed",
        "mais_rate_limit_rejections_total",
    ):
        assert name in text


def metric_names_in(*documents: str) -> set[str]:
    root = Path(__file__).resolve().parents[2]
    return {
        name
        for document in documents
        for name in re.findall(r"\bmais_[a-z_]+", (root / document).read_text())
    }


async def test_every_metric_the_alert_rules_and_runbook_name_is_exposed(container, client):
    """An alert on a metric that does not exist never fires: the names in
    deploy/prometheus-alerts.yml and docs/runbook.md must all be on /metrics."""
    named = metric_names_in("deploy/prometheus-alerts.yml", "docs/runbook.md")
    assert len(named) >= 10
    await client.get("/health")
    text = (await client.get("/metrics")).text
    exposed = set(re.findall(r"^# TYPE (mais_[a-z_]+)", text, flags=re.MULTILINE))
    # A histogram `x` is queried as x_bucket / x_sum / x_count, a counter `x_total` as such.
    missing = {
        name
        for name in named
        if name not in exposed
        and re.sub(r"_(bucket|sum|count)$", "", name) not in exposed
        and name.removesuffix("_total") not in exposed
    }
    assert not missing, f"named but not exposed: {sorted(missing)}"
