"""Hold expiry (the periodic sweep), completion after the event date, cancellation and
refunds through BookingService."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mais.audit.service import Actor
from mais.bookings.errors import BookingNotCancelable, BookingNotRefundable, InvalidRefundAmount
from mais.bookings.service import BookingService
from mais.core.errors import NotFound
from mais.jobs.worker import JobWorker
from mais.models import AuditEntry, Booking, Job, Payment, Refund
from tests.factories.world import (
    add_catalog,
    cancel_booking,
    confirmed_booking,
    days_ahead,
    hold_booking,
    make_tenant,
)

ADMIN = Actor(role="tenant_admin", label="owner@example.com")


async def _booking(container, booking_id) -> Booking:
    async with container.db.sessionmaker() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        return booking


async def _rows(container, model, *where):
    async with container.db.sessionmaker() as session:
        return (await session.execute(select(model).where(*where))).scalars().all()


async def test_the_periodic_sweep_releases_expired_holds_and_frees_their_dates(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    stale = await hold_booking(container, tenant, days_ahead(container, 20))
    container.clock.advance(timedelta(minutes=20))
    fresh = await hold_booking(container, tenant, days_ahead(container, 21))
    container.clock.advance(timedelta(minutes=12))  # the first hold is now 32 minutes old

    await JobWorker(container).run_periodic(force=True)

    assert (await _booking(container, stale.id)).status == "expired"
    assert (await _booking(container, fresh.id)).status == "held"
    (audit,) = await _rows(container, AuditEntry, AuditEntry.action == "booking.expired")
    assert (audit.entity_id, audit.actor_role) == (str(stale.id), "system")
    response = await client.get(
        "/v1/availability", params={"date": stale.event_date.isoformat()}, headers=tenant.headers
    )
    assert response.json()["available"] is True


async def test_confirmed_bookings_complete_once_their_date_has_passed_in_the_tenants_zone(
    container,
):
    auckland = await add_catalog(
        container, await make_tenant(container, timezone="Pacific/Auckland")
    )
    los_angeles = await add_catalog(
        container, await make_tenant(container, timezone="America/Los_Angeles")
    )
    container.clock.freeze(datetime(2030, 6, 1, 12, 0, tzinfo=UTC))
    day = date(2030, 6, 15)
    in_auckland = await confirmed_booking(container, auckland, day)
    in_los_angeles = await confirmed_booking(container, los_angeles, day)
    canceled = await confirmed_booking(container, auckland, date(2030, 6, 14))
    await cancel_booking(container, auckland, canceled.id)
    later = await confirmed_booking(container, auckland, date(2030, 6, 16))

    # 12:30 UTC on the 15th: 00:30 on the 16th in Auckland, 05:30 on the 15th in Los Angeles.
    container.clock.freeze(datetime(2030, 6, 15, 12, 30, tzinfo=UTC))
    await JobWorker(container).run_periodic(force=True)

    assert (await _booking(container, in_auckland.id)).status == "completed"
    assert (await _booking(container, in_los_angeles.id)).status == "confirmed"
    assert (await _booking(container, canceled.id)).status == "canceled"
    assert (await _booking(container, later.id)).status == "confirmed"
    (audit,) = await _rows(container, AuditEntry, AuditEntry.action == "booking.completed")
    assert (audit.entity_id, audit.actor_role, audit.tenant_id) == (
        str(in_auckland.id),
        "system",
        auckland.id,
    )
    assert (audit.before["status"], audit.after["status"]) == ("confirmed", "completed")

    # Midnight has come to Los Angeles (07:00 UTC on the 16th is 00:00 there).
    container.clock.freeze(datetime(2030, 6, 16, 7, 0, tzinfo=UTC))
    await JobWorker(container).run_periodic(force=True)

    assert (await _booking(container, in_los_angeles.id)).status == "completed"
    assert (await _booking(container, later.id)).status == "confirmed"  # today in Auckland
    completions = await _rows(container, AuditEntry, AuditEntry.action == "booking.completed")
    assert sorted(a.entity_id for a in completions) == sorted(
        [str(in_auckland.id), str(in_los_angeles.id)]
    )


async def test_canceling_a_confirmed_booking_frees_the_date_and_tells_both_parties(
    container, client
):
    tenant = await add_catalog(container, await make_tenant(container))
    booking = await confirmed_booking(container, tenant, days_ahead(container, 30))

    async with container.db.transaction() as session:
        canceled = await BookingService(session, container, tenant.id).cancel(
            ADMIN, booking.id, "  venue flooded "
        )
        assert canceled.status == "canceled"

    stored = await _booking(container, booking.id)
    assert (stored.status, stored.cancel_reason) == ("canceled", "venue flooded")
    assert stored.canceled_at is not None
    jobs = await _rows(container, Job, Job.kind == "email.booking")
    assert sorted(j.payload["audience"] for j in jobs if j.payload["event"] == "canceled") == [
        "customer",
        "tenant",
    ]
    (audit,) = await _rows(container, AuditEntry, AuditEntry.action == "booking.canceled")
    assert (audit.before["status"], audit.after["status"], audit.actor_label) == (
        "confirmed",
        "canceled",
        ADMIN.label,
    )
    free = await client.get(
        "/v1/availability", params={"date": booking.event_date.isoformat()}, headers=tenant.headers
    )
    assert free.json()["available"] is True

    async with container.db.transaction() as session:
        with pytest.raises(BookingNotCancelable):
            await BookingService(session, container, tenant.id).cancel(ADMIN, booking.id)


async def test_canceling_a_hold_closes_its_checkout_page(container, webhooks_to_app):
    tenant = await add_catalog(container, await make_tenant(container))
    held = await hold_booking(container, tenant, days_ahead(container, 31))
    async with container.db.transaction() as session:
        await BookingService(session, container, tenant.id).cancel(ADMIN, held.id)

    await JobWorker(container).drain()

    assert container.payments.get_session(held.session_id)["status"] == "expired"
    assert (await _booking(container, held.id)).status == "canceled"


async def test_partial_then_full_refund_moves_fee_in_proportion_and_ends_refunded(container):
    tenant = await add_catalog(container, await make_tenant(container, commission_percent="7.5"))
    booking = await confirmed_booking(
        container, tenant, days_ahead(container, 40)
    )  # 350,000; fee 26,250

    async with container.db.transaction() as session:
        partial = await BookingService(session, container, tenant.id).refund(
            ADMIN, booking.id, 1_001
        )
        assert partial.status == "confirmed"
    (payment,) = await _rows(container, Payment)
    # 26,250 × 1,001 / 350,000 = 75.075 → 76 cents of fee back.
    assert (payment.status, payment.refunded_cents, payment.application_fee_refunded_cents) == (
        "partially_refunded",
        1_001,
        76,
    )

    async with container.db.transaction() as session:
        full = await BookingService(session, container, tenant.id).refund(ADMIN, booking.id)
        assert full.status == "refunded"

    (payment,) = await _rows(container, Payment)
    assert (payment.status, payment.refunded_cents, payment.application_fee_refunded_cents) == (
        "refunded",
        350_000,
        26_250,
    )
    assert sorted(r.amount_cents for r in await _rows(container, Refund)) == [1_001, 348_999]
    assert sorted(r["amount"] for r in container.payments.refunds()) == [1_001, 348_999]
    jobs = await _rows(container, Job, Job.kind == "email.booking")
    refund_mails = [j for j in jobs if j.payload["event"] == "refunded"]
    assert len(refund_mails) == 4  # customer and tenant, for each refund
    assert {a.action for a in await _rows(container, AuditEntry)} >= {
        "payment.refunded",
        "booking.refunded",
    }


async def test_refund_amounts_and_states_are_checked(container):
    tenant = await add_catalog(container, await make_tenant(container))
    booking = await confirmed_booking(container, tenant, days_ahead(container, 41))
    held = await hold_booking(container, tenant, days_ahead(container, 42))
    for amount in (0, -5, 350_001):
        async with container.db.transaction() as session:
            with pytest.raises(InvalidRefundAmount):
                await BookingService(session, container, tenant.id).refund(
                    ADMIN, booking.id, amount
                )
    async with container.db.transaction() as session:
        with pytest.raises(BookingNotRefundable):
            await BookingService(session, container, tenant.id).refund(ADMIN, held.id)
    assert container.payments.refunds() == []


async def test_another_tenants_booking_cannot_be_canceled_or_refunded(container):
    alpha = await add_catalog(container, await make_tenant(container))
    beta = await make_tenant(container)
    booking = await confirmed_booking(container, alpha, days_ahead(container, 43))
    async with container.db.transaction() as session:
        service = BookingService(session, container, beta.id)
        with pytest.raises(NotFound):
            await service.cancel(ADMIN, booking.id)
        with pytest.raises(NotFound):
            await service.refund(ADMIN, booking.id)
    assert (await _booking(container, booking.id)).status == "confirmed"
