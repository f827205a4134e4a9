"""Occupied dates and booking counts served from the cache follow every committed change
of the tenant's bookings and blackouts at once (`mais.core.changes`), whichever way the
change was written: through the ORM, a bulk UPDATE, an INSERT ... ON CONFLICT, or the
cross-tenant sweep. Nothing is announced for a rolled-back transaction. Only a cache that
every process shares (Redis) keeps them; with the per-process cache (no REDIS_URL) they
are read live, since another process's commits would never reach it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from mais.adapters.cache import MemoryCache, RedisCache
from mais.availability.occupancy import cached_occupied
from mais.bookings.repository import BookingLookup
from mais.core.changes import BOOKINGS, token_name
from mais.models import Package
from tests.factories.admin import key_headers
from tests.factories.world import (
    add_catalog,
    cancel_booking,
    confirmed_booking,
    days_ahead,
    hold_booking,
    make_tenant,
)


@pytest.fixture
def booking_reads(container) -> Iterator[list[str]]:
    """The statements that read the bookings table, as sent."""
    reads: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM bookings" in statement:
            reads.append(statement)

    engine = container.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    yield reads
    event.remove(engine, "before_cursor_execute", capture)


async def _unavailable(client, tenant, first, last) -> dict[str, str]:
    response = await client.get(
        "/v1/availability/unavailable",
        params={"startDate": first.isoformat(), "endDate": last.isoformat()},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return {item["date"]: item["reason"] for item in response.json()["dates"]}


async def _token(container, tenant) -> bytes | None:
    return await container.cache.change_token(token_name(BOOKINGS, tenant.id))


async def test_a_repeated_range_is_answered_without_reading_bookings(
    container, client, booking_reads
):
    tenant = await add_catalog(container, await make_tenant(container))
    first, last = days_ahead(container, 5), days_ahead(container, 64)
    await confirmed_booking(container, tenant, days_ahead(container, 9))
    booking_reads.clear()

    before = await _unavailable(client, tenant, first, last)
    assert before == {days_ahead(container, 9).isoformat(): "booked"}
    assert len(booking_reads) == 1  # the months of the range, in one query

    booking_reads.clear()
    assert await _unavailable(client, tenant, first, last) == before
    assert await _unavailable(client, tenant, first + timedelta(days=3), last) == before
    # Shared cache: from it. Per-process cache: live, each time.
    assert len(booking_reads) == (0 if container.cache.spans_processes else 2)


async def test_cached_months_follow_every_kind_of_booking_and_blackout_change(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    first, last = days_ahead(container, 5), days_ahead(container, 64)
    day, blackout = days_ahead(container, 10), days_ahead(container, 20)
    assert await _unavailable(client, tenant, first, last) == {}  # months now cached

    held = await hold_booking(container, tenant, day)  # ORM insert
    assert await _unavailable(client, tenant, first, last) == {day.isoformat(): "held"}

    await confirmed_booking(container, tenant, days_ahead(container, 11))  # ORM update
    await cancel_booking(container, tenant, held.id)
    assert await _unavailable(client, tenant, first, last) == {
        days_ahead(container, 11).isoformat(): "booked"
    }

    response = await client.post(  # INSERT ... ON CONFLICT DO NOTHING
        "/v1/tenant-admin/blackouts",
        json={"date": blackout.isoformat(), "reason": "Owner away"},
        headers=key_headers(tenant),
    )
    assert response.status_code == 201, response.text
    assert (await _unavailable(client, tenant, first, last))[blackout.isoformat()] == "blackout"


async def test_the_stale_hold_sweep_and_a_rollback(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    other = await add_catalog(container, await make_tenant(container))
    first, last = days_ahead(container, 5), days_ahead(container, 64)
    day = days_ahead(container, 30)
    await hold_booking(container, tenant, day)
    assert await _unavailable(client, tenant, first, last) == {day.isoformat(): "held"}

    # A hold that timed out is free at once, by the clock, before any write.
    container.clock.advance(timedelta(hours=2))
    assert await _unavailable(client, tenant, first, last) == {}

    token, other_token = await _token(container, tenant), await _token(container, other)
    async with container.db.transaction() as session:  # the cross-tenant sweep
        expired = await BookingLookup(session).expire_all_stale_holds(container.clock.now())
    assert [ref.tenant_id for ref in expired] == [tenant.id]
    assert await _token(container, tenant) != token
    assert await _token(container, other) == other_token  # another tenant keeps its cache

    await hold_booking(container, tenant, days_ahead(container, 31))
    token = await _token(container, tenant)

    async def sweep_then_fail() -> None:
        async with container.db.transaction() as session:
            later = container.clock.now() + timedelta(days=1)
            assert await BookingLookup(session).expire_all_stale_holds(later)
            raise RuntimeError("the request failed after the sweep")

    with pytest.raises(RuntimeError):
        await sweep_then_fail()
    assert await _token(container, tenant) == token  # rolled back: nothing changed


async def test_rows_without_a_topic_announce_nothing(container):
    tenant = await add_catalog(container, await make_tenant(container))
    token = await _token(container, tenant)
    async with container.db.transaction() as session:
        package = await session.get(Package, tenant.packages["garden"].id)
        assert package is not None
        package.title = "Garden, renamed"
    assert await _token(container, tenant) == token


async def test_a_per_process_cache_is_never_trusted_with_them(container, booking_reads):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 12)
    await hold_booking(container, tenant, day)
    per_process = MemoryCache()
    for _ in range(2):
        async with container.db.sessionmaker() as session:
            booking_reads.clear()
            occupied = await cached_occupied(
                per_process, session, tenant.id, days_ahead(container, 1), days_ahead(container, 40)
            )
            assert set(occupied.holds) == {day}
            assert len(booking_reads) == 1


async def test_without_a_reachable_cache_the_rows_are_read_live(container):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 12)
    await hold_booking(container, tenant, day)
    unreachable = RedisCache("redis://127.0.0.1:9/0")
    try:
        async with container.db.sessionmaker() as session:
            occupied = await cached_occupied(
                unreachable, session, tenant.id, days_ahead(container, 1), days_ahead(container, 40)
            )
    finally:
        await unreachable.close()
    assert set(occupied.holds) == {day}


async def test_the_bookings_total_is_cached_until_the_next_booking(
    container, client, booking_reads
):
    tenant = await add_catalog(container, await make_tenant(container))
    await hold_booking(container, tenant, days_ahead(container, 10))

    async def total() -> int:
        response = await client.get("/v1/tenant-admin/bookings", headers=key_headers(tenant))
        assert response.status_code == 200, response.text
        return int(response.json()["total"])

    assert await total() == 1
    booking_reads.clear()
    assert await total() == 1
    counted = any("count(" in statement.lower() for statement in booking_reads)
    assert counted is not container.cache.spans_processes  # shared cache: not counted again

    await hold_booking(container, tenant, days_ahead(container, 11))
    assert await total() == 2
