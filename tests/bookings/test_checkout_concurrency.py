"""Races for one date, with real concurrency (each request its own connection and
transaction) on PostgreSQL and on SQLite: the partial unique index decides, never luck,
and the losers hear 409, never 503. On SQLite every transaction takes the write lock at
BEGIN (`mais.core.db`), so racing transactions queue instead of failing with "database
is locked" when a reader tries to become a writer."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from mais.models import Booking
from tests.factories.world import add_catalog, checkout_body, days_ahead, make_tenant


async def _live_bookings(container) -> int:
    async with container.db.sessionmaker() as session:
        query = (
            select(func.count())
            .select_from(Booking)
            .where(Booking.status.in_(["held", "confirmed"]))
        )
        return int((await session.execute(query)).scalar_one())


async def test_twenty_concurrent_checkouts_for_one_date_give_exactly_one_hold(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 45)
    await client.get("/v1/packages", headers=tenant.headers)  # warm the key resolution

    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/bookings/checkout", json=checkout_body(tenant, day), headers=tenant.headers
            )
            for _ in range(20)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"] == "DATE_UNAVAILABLE"
            assert response.json()["details"]["reason"] == "held"
    assert await _live_bookings(container) == 1
    # A loser that raced past the availability check had opened a Checkout session before
    # its insert failed: that session was expired, so only the winner's can be paid.
    (winner,) = [r.json() for r in responses if r.status_code == 201]
    sessions_dir = container.payments.state_dir / "sessions"
    sessions = [json.loads(path.read_text()) for path in sessions_dir.glob("*.json")]
    assert [s["id"] for s in sessions if s["status"] == "open"] == [winner["sessionId"]]


async def test_concurrent_duplicates_with_one_idempotency_key_make_one_hold(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    body = checkout_body(tenant, days_ahead(container, 46))
    headers = tenant.headers | {"Idempotency-Key": "double-click"}
    await client.get("/v1/packages", headers=tenant.headers)

    responses = await asyncio.gather(
        *(client.post("/v1/bookings/checkout", json=body, headers=headers) for _ in range(8))
    )

    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["bookingId"] for r in responses}) == 1
    assert len({r.json()["accessToken"] for r in responses}) == 1
    assert await _live_bookings(container) == 1
