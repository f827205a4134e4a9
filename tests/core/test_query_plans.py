"""The hot queries use indexes on a large dataset: every statement the product sends while
serving the catalog, key resolution, a 60-day availability range, a checkout session
lookup, a Stripe webhook delivery, the tenant-admin booking list (first page, filtered,
searched) and a job claim is
captured as sent, then EXPLAINed with its own parameters on PostgreSQL after ANALYZE; a
sequential scan of a big table fails the test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from mais.adapters.payments.mock import stripe_event
from mais.demo.bulk import insert_bookings, insert_history
from mais.jobs.worker import JobWorker
from tests.factories.admin import key_headers
from tests.factories.world import add_catalog, deliver_stripe_event, make_tenant

pytestmark = pytest.mark.postgres

# Tables that grow with use: reading one of them from end to end is the failure.
BIG_TABLES = {
    "bookings", "customers", "payments", "booking_add_ons", "webhook_events", "jobs",
    "audit_log", "idempotency_records",
}  # fmt: skip
TENANTS = 12
BOOKINGS_PER_TENANT = 700  # 8,400 bookings, as many customers, ~5,000 payments
HISTORY_PER_TENANT = 400  # 4,800 finished jobs and as many processed webhook events
FIRST_DAY = date(2020, 1, 1)


def seq_scans(plan: dict[str, Any]) -> Iterator[str]:
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
        yield str(plan["Relation Name"])
    for child in plan.get("Plans", []):
        yield from seq_scans(child)


async def explain(container: Any, statement: str, parameters: Any) -> dict[str, Any]:
    async with container.db.engine.connect() as connection:
        result = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        document = result.scalar_one()
        await connection.rollback()
    plan = document if isinstance(document, list) else json.loads(document)
    return dict(plan[0]["Plan"])


@pytest.fixture
async def big_world(container):
    worlds = []
    for _ in range(TENANTS):
        worlds.append(await add_catalog(container, await make_tenant(container)))
    async with container.db.engine.begin() as connection:
        for world in worlds:
            await insert_bookings(
                connection,
                tenant_id=world.id,
                package_id=world.packages["garden"].id,
                count=BOOKINGS_PER_TENANT,
                first_day=FIRST_DAY,
                days=500,
                add_on_id=world.add_ons["Violinist"].id,
            )
            await insert_history(connection, tenant_id=world.id, count=HISTORY_PER_TENANT)
    async with container.db.engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        await connection.exec_driver_sql("ANALYZE")
    return worlds


@pytest.fixture
def captured(container) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the app sends, with its parameters, as the driver received it."""
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            statements.append((statement, parameters))

    engine = container.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


async def assert_no_big_seq_scans(container: Any, statements: list[tuple[str, Any]]) -> int:
    assert statements, "nothing was captured: the check would pass vacuously"
    failures = []
    for statement, parameters in statements:
        plan = await explain(container, statement, parameters)
        scanned = sorted(set(seq_scans(plan)))
        if scanned:
            failures.append(f"Seq Scan on {', '.join(scanned)}:\n{statement}")
    assert not failures, "\n\n".join(failures)
    return len(statements)


async def test_the_checker_sees_a_sequential_scan_of_bookings(container):
    """The control: a query no index can serve is reported, so the tests below can fail."""
    with pytest.raises(AssertionError, match="Seq Scan on bookings"):
        await assert_no_big_seq_scans(
            container, [("SELECT id FROM bookings WHERE notes = %(notes)s", {"notes": "x"})]
        )


async def test_every_hot_query_uses_an_index_on_a_large_dataset(
    container, client, big_world, captured
):
    world = big_world[3]
    container.clock.freeze(datetime(2020, 1, 1, 12, tzinfo=UTC))  # the range is ahead
    start = FIRST_DAY + timedelta(days=200)
    captured.clear()

    # Key resolution and the catalog (cache empty), a 60-day range, a checkout session.
    assert (await client.get("/v1/packages", headers=world.headers)).status_code == 200
    availability = await client.get(
        "/v1/availability/unavailable",
        params={"startDate": start.isoformat(), "endDate": (start + timedelta(59)).isoformat()},
        headers=world.headers,
    )
    assert len(availability.json()["dates"]) == 60  # each one booked: the rows were read
    session_id = f"cs_bulk_{world.id.hex}_42"
    by_session = await client.get(f"/v1/bookings/by-session/{session_id}", headers=world.headers)
    assert by_session.status_code == 200

    # The tenant admin's booking list: first page, later page, filters, searches.
    for params in [
        {},
        {"page": 3, "pageSize": 50},
        {"status": "confirmed", "from": "2020-03-01", "to": "2020-05-31"},
        {"status": "canceled"},
        {"q": "garcia"},
        {"q": "guests.example.com", "status": "completed"},
    ]:
        response = await client.get(
            "/v1/tenant-admin/bookings", params=params, headers=key_headers(world)
        )
        assert response.status_code == 200, response.text
        assert response.json()["total"] > 0

    # A Stripe delivery among thousands of stored events (intake, claim, booking lookup).
    expired = stripe_event(
        "checkout.session.expired",
        {"id": f"cs_bulk_{world.id.hex}_43", "object": "checkout.session", "status": "expired"},
    )
    await deliver_stripe_event(container, expired)

    # A worker's claim while thousands of finished jobs lie in the table.
    assert await JobWorker(container).claim() == []

    assert await assert_no_big_seq_scans(container, captured) >= 20
