"""Alembic migrations: from empty to head on both databases, identical to the models,
reversible, and the data invariants SPEC §2 puts in the database."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool
from sqlalchemy.exc import IntegrityError

from mais.core.db import connect_args, sync_url
from mais.migrations import MIGRATION_ONLY_INDEXES, include_object
from mais.migrations.runner import current_revision, downgrade, head_revision, status_line, upgrade
from mais.models import Base, Booking, Customer, Payment, WebhookEvent, utcnow
from tests.factories.world import add_catalog, make_tenant


def _engine(url: str):
    return create_engine(sync_url(url), poolclass=pool.NullPool, connect_args=connect_args(url))


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_empty_database_migrates_to_head_and_reports_up_to_date(empty_database_url):
    ok, line = status_line(empty_database_url)
    assert not ok
    assert "behind" in line

    upgrade(empty_database_url)

    ok, line = status_line(empty_database_url)
    assert ok
    assert line.startswith("Database schema is up to date")
    assert current_revision(empty_database_url) == head_revision()
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(empty_database_url)


def test_migrated_schema_matches_the_models_exactly(empty_database_url):
    upgrade(empty_database_url)
    engine = _engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_downgrade_to_base_then_upgrade_again(empty_database_url):
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) <= {"alembic_version"}
    assert current_revision(empty_database_url) is None
    assert not status_line(empty_database_url)[0]

    upgrade(empty_database_url)
    assert status_line(empty_database_url)[0]
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(empty_database_url)


def test_upgrade_twice_is_harmless(empty_database_url):
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    assert status_line(empty_database_url)[0]


# --- invariants the database itself enforces --------------------------------------------


async def _booking_world(container):
    tenant = await add_catalog(container, await make_tenant(container))
    async with container.db.transaction() as session:
        customer = Customer(
            tenant_id=tenant.id, email="c@example.com", email_key="c@example.com", name="C"
        )
        session.add(customer)
        await session.flush()
        customer_id = customer.id
    return tenant, tenant.packages["garden"].id, customer_id


def _booking(tenant_id, package_id, customer_id, day: date, status: str) -> Booking:
    return Booking(
        tenant_id=tenant_id,
        package_id=package_id,
        customer_id=customer_id,
        event_date=day,
        status=status,
        couple_name="A & B",
        email="c@example.com",
        package_title="Garden",
        package_price_cents=10_000,
        subtotal_cents=10_000,
        commission_bps=1000,
        commission_cents=1_000,
        tenant_net_cents=9_000,
        currency="usd",
        access_token_hash=uuid.uuid4().hex,
    )


async def _insert(container, *rows) -> None:
    async with container.db.transaction() as session:
        session.add_all(rows)


@pytest.mark.parametrize("second_status", ["held", "confirmed"])
async def test_one_held_or_confirmed_booking_per_tenant_and_date(container, second_status):
    tenant, package_id, customer_id = await _booking_world(container)
    day = date.today() + timedelta(days=60)
    await _insert(container, _booking(tenant.id, package_id, customer_id, day, "held"))
    with pytest.raises(IntegrityError):
        await _insert(container, _booking(tenant.id, package_id, customer_id, day, second_status))


async def test_released_dates_can_be_booked_again(container):
    tenant, package_id, customer_id = await _booking_world(container)
    day = date.today() + timedelta(days=61)
    for status in ("canceled", "refunded", "expired", "expired"):
        await _insert(container, _booking(tenant.id, package_id, customer_id, day, status))
    await _insert(container, _booking(tenant.id, package_id, customer_id, day, "confirmed"))


async def test_payment_processor_id_is_unique(container):
    tenant, package_id, customer_id = await _booking_world(container)
    booking = _booking(tenant.id, package_id, customer_id, date.today(), "confirmed")
    await _insert(container, booking)

    def payment() -> Payment:
        return Payment(
            tenant_id=tenant.id,
            booking_id=booking.id,
            amount_cents=10_000,
            currency="usd",
            status="succeeded",
            processor_id="pi_123",
        )

    await _insert(container, payment())
    with pytest.raises(IntegrityError):
        await _insert(container, payment())


async def test_webhook_event_is_unique_per_source_and_event_id(container):
    def event(source: str) -> WebhookEvent:
        return WebhookEvent(
            source=source, event_id="evt_1", type="x", payload="{}", received_at=utcnow()
        )

    await _insert(container, event("stripe"), event("other"))
    with pytest.raises(IntegrityError):
        await _insert(container, event("stripe"))


def _booking_indexes(url: str) -> set[str]:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT indexname FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = 'bookings'"
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_booking_search_gets_trigram_indexes_that_downgrade_removes(empty_database_url):
    upgrade(empty_database_url)
    assert _booking_indexes(empty_database_url) >= MIGRATION_ONLY_INDEXES

    downgrade(empty_database_url, "0001")
    remaining = _booking_indexes(empty_database_url)
    assert "ix_bookings_tenant_event_date" in remaining
    assert not MIGRATION_ONLY_INDEXES & remaining
