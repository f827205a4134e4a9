"""Checkout benchmark: `POST /v1/bookings/checkout` with mock payments, every request for a
date nobody else asked for (request g books tenant g % T on day tomorrow + g // T), so each
one creates a hold, a customer and a mock Checkout session instead of answering 409.

MAIS runs with PostgreSQL, Redis, N uvicorn workers, INFO logs and the rate limiter on
with a high limit, as in production, except that `NODE_ENV=test`: production refuses mock
adapters, and the real Stripe adapter would time Stripe's API rather than MAIS.

    python bench/checkout.py [--duration 30] [--connections 10] [--workers 2] [--tenants 40]

Prints requests/s, P50/P95/P99 and errors (target: P95 <= 50 ms). Capacity: tenants x 728
days of the booking window; the run stops being meaningful past it (409s count as errors)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from harness import (  # type: ignore[import-not-found]
    mais_server,
    prepare,
    print_report,
    worker_restarts,
    wrk,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tenants", type=int, default=40)
    args = parser.parse_args()

    mock = {"NODE_ENV": "test", "ADAPTERS_PRESET": "mock"}
    prepared = prepare(
        "mais_bench_checkout", tenants=args.tenants, packages=3, workers=args.workers, env=mock
    )
    tenants_file = prepared.logs / "tenants.txt"
    tenants_file.write_text(
        "".join(f"{t['public_key']} {t['package_ids'][0]}\n" for t in prepared.tenants)
    )
    threads = min(args.connections, 2)
    first = date.today() + timedelta(days=2)  # past every time zone's minimum notice
    url = prepared.url("/v1/bookings/checkout")

    with mais_server(prepared, "--workers", str(args.workers)):
        # The warm-up books the first days; the measured run continues after them.
        warm = wrk(url, connections=args.connections, duration=3, script="checkout.lua",
                   script_args=[str(tenants_file), first.isoformat(), str(threads)])  # fmt: skip
        # wrk counts the answers, while each thread numbers the requests it sent: the two
        # threads' numbering can run ahead of the count, so leave a margin of days.
        later = first + timedelta(days=warm["requests"] // args.tenants + 30)
        result = wrk(url, connections=args.connections, duration=args.duration,
                     script="checkout.lua",
                     script_args=[str(tenants_file), later.isoformat(), str(threads)])  # fmt: skip

    print_report(
        {
            "workers": args.workers,
            "connections": args.connections,
            "duration_s": args.duration,
            "tenants": args.tenants,
            "checkout": result,
            "capacity_requests": args.tenants * 728,
            "worker_restarts": worker_restarts(prepared),
        }
    )


if __name__ == "__main__":
    main()
