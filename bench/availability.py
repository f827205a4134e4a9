"""Availability benchmark: `GET /v1/availability/unavailable` for a 60-day range, the widget
calendar's question, against MAIS started as in production (PostgreSQL, Redis, N uvicorn
workers, INFO logs, rate limiter on with a high limit). The tenant has `--bookings`
bookings (bulk-inserted: confirmed ones on consecutive days from tomorrow, then past ones),
so the range is full of booked dates. Each request asks a different 60-day window (the
calendar is never cached: a date taken a second ago must show as taken).

    python bench/availability.py [--duration 30] [--connections 10] [--workers 2]

Prints requests/s, P50/P95/P99 and errors (target: P95 <= 20 ms)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from harness import (  # type: ignore[import-not-found]
    get_json,
    insert_bookings,
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
    parser.add_argument("--bookings", type=int, default=5000)
    args = parser.parse_args()

    prepared = prepare("mais_bench_availability", tenants=3, packages=3, workers=args.workers)
    tenant = prepared.tenants[0]
    tomorrow = date.today() + timedelta(days=1)
    insert_bookings(prepared, tenant, args.bookings, first_day=tomorrow, days=365)
    headers = {"X-Tenant-Key": tenant["public_key"]}
    first = tomorrow + timedelta(days=7)
    path = "/v1/availability/unavailable"

    with mais_server(prepared):
        sample = get_json(
            prepared.url(f"{path}?startDate={first}&endDate={first + timedelta(days=59)}"),
            headers,
        )
        args_for_lua = [first.isoformat(), "60", "300"]  # first start, days, starts to cycle
        wrk(prepared.url(path), connections=args.connections, duration=3, headers=headers,
            script="ranges.lua", script_args=args_for_lua)  # fmt: skip
        result = wrk(prepared.url(path), connections=args.connections, duration=args.duration,
                     headers=headers, script="ranges.lua", script_args=args_for_lua)  # fmt: skip

    print_report(
        {
            "workers": args.workers,
            "connections": args.connections,
            "duration_s": args.duration,
            "bookings": args.bookings,
            "unavailable_dates_in_first_range": len(sample["dates"]),
            "availability_60_days": result,
            "worker_restarts": worker_restarts(prepared),
        }
    )


if __name__ == "__main__":
    main()
