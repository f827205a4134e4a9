"""Prometheus metrics. With several worker processes `mais serve` sets
PROMETHEUS_MULTIPROC_DIR so every process writes its samples there and `/metrics`
aggregates them; values read from the database are collected at scrape time."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "mais_http_requests_total", "HTTP requests by route template and status.",
    ["method", "route", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "mais_http_request_duration_seconds", "HTTP request latency by route template.",
    ["method", "route"], buckets=LATENCY_BUCKETS,
)  # fmt: skip
CACHE_LOOKUPS = Counter("mais_cache_lookups_total", "Cache lookups by result.", ["result"])
RATE_LIMITED = Counter("mais_rate_limit_rejections_total", "Requests refused with 429.", ["limit"])
SLOW_QUERIES = Counter("mais_slow_queries_total", "Statements slower than SLOW_QUERY_MS.")
WEBHOOK_EVENTS = Counter(
    "mais_webhook_events_total", "Inbound webhook events by type and outcome.",
    ["type", "outcome"],
)  # fmt: skip
JOBS_FINISHED = Counter(
    "mais_jobs_total", "Background jobs by kind and outcome.", ["kind", "outcome"]
)
CSP_VIOLATIONS = Counter(
    "mais_csp_violations_total", "CSP violation reports received, by directive.", ["directive"]
)
CALENDAR_FAILURES = Counter(
    "mais_calendar_failures_total", "Calendar reads that failed (availability failed open)."
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


class ScrapeCollector(Collector):
    """Gauges whose values come from outside the process counters (DB, pool)."""

    def __init__(self, gauges: dict[str, tuple[str, list[tuple[dict[str, str], float]]]]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterable[Metric]:
        for name, (documentation, samples) in self.gauges.items():
            labels = sorted({key for sample_labels, _ in samples for key in sample_labels})
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for sample_labels, value in samples:
                family.add_metric([sample_labels.get(label, "") for label in labels], value)
            yield family


def render(extra: dict[str, tuple[str, list[tuple[dict[str, str], float]]]]) -> tuple[bytes, str]:
    """The text exposition of every process's metrics plus the scrape-time gauges."""
    if multiprocess_dir():
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        from prometheus_client import REGISTRY as processes
    scrape = CollectorRegistry()
    scrape.register(ScrapeCollector(extra))
    return generate_latest(processes) + generate_latest(scrape), CONTENT_TYPE_LATEST
