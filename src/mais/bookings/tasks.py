"""Periodic booking housekeeping: releasing holds whose time ran out (so dates free
themselves even when Stripe's `checkout.session.expired` never arrives) and forgetting
old idempotency records."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from mais.audit.service import record
from mais.bookings.repository import BookingLookup
from mais.bookings.service import HOLD_SWEEPER
from mais.jobs.registry import periodic

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.bookings")

IDEMPOTENCY_RETENTION = timedelta(hours=24)


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


@periodic("bookings.purge_idempotency_records", 3600)
async def purge_idempotency_records(container: Container) -> None:
    """Idempotency keys are honoured for a day, like Stripe's."""
    cutoff = container.clock.now() - IDEMPOTENCY_RETENTION
    async with container.db.transaction() as session:
        await BookingLookup(session).delete_idempotency_records_before(cutoff)
