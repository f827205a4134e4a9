"""Periodic booking housekeeping: releasing holds whose time ran out (so dates free
themselves even when Stripe's `checkout.session.expired` never arrives), completing
bookings whose event date has passed, and forgetting old idempotency records."""

from __future__ import annotations

import logging
from datetime import timedelta, timezone
from typing import TYPE_CHECKING

from mais.audit.service import record
from mais.bookings.repository import BookingLookup
from mais.bookings.service import HOLD_SWEEPER, BookingService
from mais.core.clock import local_date
from mais.jobs.registry import periodic

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.bookings")

IDEMPOTENCY_RETENTION = timedelta(hours=24)
# The earliest-ahead zone in use (Kiribati, UTC+14): no tenant's "yesterday" is later.
_EARLIEST_ZONE = timezone(timedelta(hours=14))


@periodic("bookings.release_expired_holds", 60)
async def release_expired_holds(container: Container) -> None:
    """Mark every hold past its expiry as expired (freeing its date), with an audit entry."""
    async with container.db.transaction() as session:
        released = await BookingLookup(session).expire_all_stale_holds(container.clock.now())
        for ref in released:
            record(
                session,
                HOLD_SWEEPER,
                "booking.expired",
                "booking",
                ref.id,
                tenant_id=ref.tenant_id,
                before={"status": "held"},
                after={"status": "expired", "cause": "hold time ran out"},
            )
    if released:
        log.info("released %d expired holds", len(released))


@periodic("bookings.complete_past_bookings", 3600)
async def complete_past_bookings(container: Container) -> None:
    """confirmed → completed for every booking whose event date has passed in its tenant's
    time zone, each with an audit entry (`BookingService.complete`)."""
    now = container.clock.now()
    latest_past_day = now.astimezone(_EARLIEST_ZONE).date() - timedelta(days=1)
    async with container.db.sessionmaker() as session:
        candidates = await BookingLookup(session).confirmed_dated_until(latest_past_day)
    due = [ref for ref in candidates if ref.event_date < local_date(now, ref.timezone)]
    completed = 0
    for ref in due:
        # One short transaction per booking: row locks are held briefly, never over a backlog.
        async with container.db.transaction() as session:
            completed += await BookingService(session, container, ref.tenant_id).complete(ref.id)
    if completed:
        log.info("completed %d bookings whose date has passed", completed)


@periodic("bookings.purge_idempotency_records", 3600)
async def purge_idempotency_records(container: Container) -> None:
    """Idempotency keys are honoured for a day, like Stripe's."""
    cutoff = container.clock.now() - IDEMPOTENCY_RETENTION
    async with container.db.transaction() as session:
        await BookingLookup(session).delete_idempotency_records_before(cutoff)
