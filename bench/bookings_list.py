"""Tenant bookings list benchmark: `GET /v1/tenant-admin/bookings` for a tenant with
`--bookings` bookings (100,000 by default, bulk-inserted by mais.demo.bulk), authenticated
with the tenant's secret key as a server-to-server client would be, against MAIS started as
in production (PostgreSQL, Redis, N uvicorn workers, INFO logs).

Three loads, one after the other: the first page (newest event dates), a filtered page
(status and a date range), and a search by name (`q`, part of the couple's name or e-mail).

    python bench/bookings_list.py [--duration 30] [--connections 10] [--bookings 100000]

Prints requests/s, P50/P95/P99 and errors of each (target: P95 <= 50 ms)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from urllib.parse import urlencode

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
    parser.add_argument("--bookings", type=int, default=100_000)
    args = parser.parse_args()

    prepared = prepare("mais_bench_bookings", tenants=3, packages=3, workers=args.workers)
    tenant = prepared.tenants[0]
    first_day = date.today() - timedelta(days=3000)
    insert_bookings(prepared, tenant, args.bookings, first_day=first_day, days=3650)
    headers = {"Authorization": f"Bearer {tenant['secret_key']}"}
    loads = {
        "first_page": {},
        "filtered": {
            "status": "completed",
            "from": (first_day + timedelta(days=400)).isoformat(),
            "to": (first_day + timedelta(days=700)).isoformat(),
        },
        "search": {"q": "garcia"},
    }
    results = {}
    with mais_server(prepared):
        for name, params in loads.items():
            url = prepared.url("/v1/tenant-admin/bookings?" + urlencode(params))
            page = get_json(url, headers)
            wrk(url, connections=args.connections, duration=3, headers=headers)
            results[name] = {
                "query": params,
                "total": page["total"],
                **wrk(url, connections=args.connections, duration=args.duration, headers=headers),
            }

    print_report(
        {
            "workers": args.workers,
            "connections": args.connections,
            "duration_s": args.duration,
            "bookings": args.bookings,
            "bookings_list": results,
            "worker_restarts": worker_restarts(prepared),
        }
    )


if __name__ == "__main__":
    main()
