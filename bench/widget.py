"""Widget benchmark: MAIS started as in production (PostgreSQL, Redis, N uvicorn workers,
INFO logs) serving the widget's catalog page `/widget?tenant=<slug>`.

Prints, as JSON:
- the first page's transfer size with gzip (HTML + CSS + JS, images excluded) and raw;
- time of the catalog page with a warm cache: sequential requests on one keep-alive
  connection (the full round trip on loopback, and the time the server itself logged
  per request, `duration_ms`);
- the same page under the checklist's load (wrk, 10 connections), both measures;
- for comparison, the package page (it reads a month of availability from the database).

    python bench/widget.py [--requests 2000] [--duration 15] [--workers 2]

Needs `wrk` and local PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL)."""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import time
from pathlib import Path
from typing import Any

from harness import mais_server, prepare, print_report, wrk  # type: ignore[import-not-found]

GZIP = {"Accept-Encoding": "gzip", "Accept": "text/html"}


def get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> bytes:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return body


def first_page_bytes(port: int, path: str) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    html_raw = get(connection, path, {"Accept": "text/html"})
    html_gz = get(connection, path, GZIP)
    assets = re.findall(rb'(?:href|src)="(/widget/static/[^"]+)"', html_raw)
    sizes = {"html": (len(html_gz), len(html_raw))}
    for asset in (a.decode() for a in assets):
        name = asset.rsplit("/", 1)[-1]
        sizes[name] = (len(get(connection, asset, GZIP)), len(get(connection, asset, {})))
    connection.close()
    return {
        "files": {name: {"gzip": gz, "raw": raw} for name, (gz, raw) in sizes.items()},
        "total_gzip_bytes": sum(gz for gz, _ in sizes.values()),
        "total_raw_bytes": sum(raw for _, raw in sizes.values()),
    }


def sequential_latency(port: int, path: str, requests: int) -> dict[str, Any]:
    """Each request's full round trip on one keep-alive connection (no queueing)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(200):  # warm: every cache tier, the template, the connection pool
        get(connection, path, GZIP)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        get(connection, path, GZIP)
        timings.append((time.perf_counter() - started) * 1000)
    connection.close()
    timings.sort()
    return {
        "requests": requests,
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "max_ms": round(timings[-1], 3),
    }


def server_times(log: Path, start: int, end: int, route: str) -> dict[str, float]:
    """Percentiles of `duration_ms` that the server itself logged for `route` between two
    offsets of its log (time inside the app, without the client's or the socket's)."""
    with log.open("rb") as handle:
        handle.seek(start)
        chunk = handle.read(end - start)
    durations = sorted(
        entry["duration_ms"]
        for entry in (json.loads(line) for line in chunk.splitlines() if line.startswith(b"{"))
        if entry.get("route") == route and "duration_ms" in entry
    )
    if not durations:
        return {}
    return {
        "requests": len(durations),
        "p50_ms": durations[len(durations) // 2],
        "p95_ms": durations[int(len(durations) * 0.95) - 1],
        "p99_ms": durations[int(len(durations) * 0.99) - 1],
    }


def wrk_page(url: str, connections: int, duration: int) -> dict[str, Any]:
    return wrk(url, connections=connections, duration=duration, headers={"Accept-Encoding": "gzip"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    # Tenant bench-00000 has 5 packages with photos.
    prepared = prepare("mais_bench_widget", tenants=3, packages=5, workers=args.workers)
    port = prepared.port
    catalog = "/widget?tenant=bench-00000"
    package = "/widget/packages/garden-package-0?tenant=bench-00000"
    log = prepared.logs / "mais.log"
    with mais_server(prepared):
        sizes = first_page_bytes(port, catalog)
        wrk_page(f"http://127.0.0.1:{port}{catalog}", args.connections, 3)  # every worker warm
        marks = [log.stat().st_size]
        sequential = sequential_latency(port, catalog, args.requests)
        time.sleep(0.5)  # log lines are written after the response
        marks.append(log.stat().st_size)
        loaded = wrk_page(f"http://127.0.0.1:{port}{catalog}", args.connections, args.duration)
        time.sleep(0.5)
        marks.append(log.stat().st_size)
        package_sequential = sequential_latency(port, package, max(200, args.requests // 4))
        time.sleep(0.5)
        marks.append(log.stat().st_size)
        sequential["server_time"] = server_times(log, marks[0], marks[1], "/widget")
        loaded["server_time"] = server_times(log, marks[1], marks[2], "/widget")
        package_sequential["server_time"] = server_times(
            log, marks[2], marks[3], "/widget/packages/{package_slug}"
        )

    report = {
        "workers": args.workers,
        "first_page": sizes,
        "catalog_sequential": sequential,
        "catalog_under_load": loaded | {"connections": args.connections},
        "package_sequential": package_sequential,
    }
    print_report(report)


if __name__ == "__main__":
    main()
