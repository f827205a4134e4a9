"""Catalog benchmark: MAIS as in production (PostgreSQL, Redis, N uvicorn workers, INFO logs,
rate limiter on with a high limit) under the checklist's load: 10 connections for 30 s on
GET /v1/packages. Prints requests/s, P50/P95/P99, errors, the cache hit rate from
/health/cache, and the same figures for a minimal app returning the same bytes (ceiling),
the two loaded in turn for several rounds.

    python bench/catalog.py [--duration 30] [--connections 10] [--workers 2]
    python bench/catalog.py --soak 600     # 10 minutes of load; each worker's memory over time
    python bench/catalog.py --tenants 100 --packages 100 --spread   # scaling: every key in turn

Needs `wrk` (Debian package) and local PostgreSQL and Redis (BENCH_DATABASE_URL,
BENCH_REDIS_URL override the defaults)."""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
import urllib.request
from typing import Any

from harness import (  # type: ignore[import-not-found]
    HERE,
    PYTHON,
    REDIS_URL,
    free_port,
    get_json,
    mais_server,
    prepare,
    print_report,
    rss_kib,
    server,
    worker_pids,
    worker_restarts,
    wrk,
)


def soak(master: int, url: str, key: str, connections: int, seconds: int) -> dict[str, Any]:
    """Load for `seconds` while sampling each worker's resident memory every 10 s (the first
    sample is taken after a minute of warm-up, when caches and pools are full)."""
    samples: dict[int, list[tuple[float, int]]] = {pid: [] for pid in worker_pids(master)}
    result: dict[str, Any] = {}
    loader = threading.Thread(
        target=lambda: result.update(
            wrk(url, connections=connections, duration=seconds, headers={"X-Tenant-Key": key})
        )
    )
    started = time.monotonic()
    loader.start()
    while loader.is_alive():
        elapsed = time.monotonic() - started
        for pid, series in samples.items():
            series.append((round(elapsed), rss_kib(pid)))
        loader.join(timeout=10)
    workers = []
    for pid, series in samples.items():
        warm = [kib for t, kib in series if t >= min(60, seconds // 2)] or [
            kib for _, kib in series
        ]
        workers.append(
            {
                "pid": pid,
                "rss_start_mib": round(series[0][1] / 1024, 1),
                "rss_after_warmup_mib": round(warm[0] / 1024, 1),
                "rss_end_mib": round(series[-1][1] / 1024, 1),
                "rss_max_mib": round(max(kib for _, kib in series) / 1024, 1),
                "growth_after_warmup_mib": round((series[-1][1] - warm[0]) / 1024, 1),
            }
        )
    return {"seconds": seconds, "load": result, "workers": workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30, help="seconds per run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="MAIS and the ceiling, loaded in turn this often"
    )
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--packages", type=int, default=5)
    parser.add_argument(
        "--spread", action="store_true",
        help="load every tenant's key in turn instead of the first tenant's (scaling runs)",
    )  # fmt: skip
    parser.add_argument(
        "--soak", type=int, default=0, metavar="SECONDS",
        help="instead of the comparison, load this long and report each worker's memory",
    )  # fmt: skip
    args = parser.parse_args()

    prepared = prepare(
        "mais_bench", tenants=args.tenants, packages=args.packages, workers=args.workers
    )
    key = prepared.tenants[0]["public_key"]
    url = prepared.url("/v1/packages")
    logs = prepared.logs

    with mais_server(prepared) as process:
        request = urllib.request.Request(url, headers={"X-Tenant-Key": key})
        body = urllib.request.urlopen(request, timeout=5).read()
        headers = {"X-Tenant-Key": key}
        load: dict[str, Any] = {"headers": headers}
        if args.spread:
            keys_file = logs / "keys.txt"
            keys_file.write_text("".join(t["public_key"] + "\n" for t in prepared.tenants))
            load = {"script": "keys.lua", "script_args": [str(keys_file)]}
        # Warm-up: every worker has the key and the page (spread: every tenant's, which
        # takes about a second per 200 tenants while the cache is cold).
        warm_up = 3 + (len(prepared.tenants) // 200 if args.spread else 0)
        wrk(url, connections=args.connections, duration=warm_up, **load)
        time.sleep(1.5)  # the workers publish the warm-up's last counts (every second)...
        subprocess.run(["redis-cli", "-u", REDIS_URL, "del", "mais:cache:stats"], check=True,
                       capture_output=True)  # fmt: skip  # ...then the count starts afresh
        if args.soak:
            report = soak(process.pid, url, key, args.connections, args.soak)
            restarts = worker_restarts(prepared)
            print_report({"workers": args.workers, "connections": args.connections,
                          "soak": report, "worker_restarts": restarts})  # fmt: skip
            return

        # The ceiling runs beside MAIS (an idle server costs nothing) and the two are loaded
        # in turn, round after round: the machine's speed drifts (other tenants of the host),
        # and each round's fraction compares two runs a few seconds apart.
        body_file = logs / "body.json"
        body_file.write_bytes(body)
        ceiling_port = free_port()
        ceiling_env = prepared.env | {"CEILING_BODY_FILE": str(body_file), "PYTHONPATH": str(HERE)}
        ceiling_argv = [
            PYTHON, "-m", "uvicorn", "ceiling_app:app", "--host", "127.0.0.1",
            "--port", str(ceiling_port), "--workers", str(args.workers), "--no-access-log",
            "--no-server-header", "--log-level", "warning",
        ]  # fmt: skip
        ceiling_url = f"http://127.0.0.1:{ceiling_port}/v1/packages"
        rounds = []
        with server(ceiling_argv, ceiling_env, ceiling_port, logs / "ceiling.log"):
            wrk(ceiling_url, connections=args.connections, duration=3, headers=headers)
            for _ in range(args.rounds):
                ours = wrk(url, connections=args.connections, duration=args.duration, **load)
                ceiling = wrk(
                    ceiling_url, connections=args.connections, duration=args.duration,
                    headers=headers,
                )  # fmt: skip
                fraction = round(ours["rps"] / ceiling["rps"], 3)
                rounds.append({"mais": ours, "ceiling": ceiling, "fraction_of_ceiling": fraction})
        time.sleep(1.5)  # let every worker publish its cache counters
        cache = get_json(prepared.url("/health/cache"))

    fractions = sorted(r["fraction_of_ceiling"] for r in rounds)
    report = {
        "tenants": args.tenants,
        "packages_per_tenant": args.packages,
        "keys_loaded": len(prepared.tenants) if args.spread else 1,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "body_bytes": len(body),
        "rounds": rounds,
        "fraction_of_ceiling_median": fractions[len(fractions) // 2],
        "p99_ms_worst_round": max(r["mais"]["p99_ms"] for r in rounds),
        "errors": sum(r["mais"]["errors"] + r["mais"]["non_2xx"] for r in rounds),
        "cache": cache,
        "worker_restarts": worker_restarts(prepared),
    }
    print_report(report)


if __name__ == "__main__":
    main()
