"""The contract between booking state changes and their side effects.

Code that changes a booking's state calls `enqueue_booking_notifications` in the same
transaction; it records the e-mail and calendar jobs (transactional outbox). The job
handlers (`notifications.tasks`, `calendar.tasks`) load the booking by id and are
idempotent; the dedupe keys make a replayed cause enqueue nothing new.

Payloads: `email.booking` {booking_id, tenant_id, event, audience, occurrence};
`calendar.sync` {booking_id, tenant_id}. The handlers read the booking's state when they
run, so they need nothing else."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from mais.jobs.queue import enqueue
from mais.models import Booking

EMAIL_JOB = "email.booking"
CALENDAR_JOB = "calendar.sync"


class BookingEvent(StrEnum):
    confirmed = "confirmed"
    canceled = "canceled"
    refunded = "refunded"  # full or partial refund by the tenant
    auto_refunded = "auto_refunded"  # paid after the hold expired and the date was taken


# Who hears about each event, and whether the tenant's calendar must follow.
AUDIENCES: dict[BookingEvent, tuple[str, ...]] = {
    BookingEvent.confirmed: ("customer", "tenant"),
    BookingEvent.canceled: ("customer", "tenant"),
    BookingEvent.refunded: ("customer", "tenant"),
    BookingEvent.auto_refunded: ("customer", "tenant"),
}
CALENDAR_EVENTS = {BookingEvent.confirmed, BookingEvent.canceled, BookingEvent.refunded}


def email_delivery_key(
    booking_id: object, event: str, audience: str, occurrence: str | None = None
) -> str:
    """Names one e-mail: the job's dedupe key, and the key its delivery is recorded under."""
    suffix = f":{occurrence}" if occurrence else ""
    return f"email:{booking_id}:{event}:{audience}{suffix}"


async def enqueue_booking_notifications(
    session: AsyncSession,
    booking: Booking,
    event: BookingEvent,
    *,
    occurrence: str | None = None,
) -> None:
    """Queue the e-mails (and calendar sync) that `event` on `booking` calls for.

    `occurrence` distinguishes repeatable events (each partial refund has its own id)."""
    suffix = f":{occurrence}" if occurrence else ""
    for audience in AUDIENCES[event]:
        await enqueue(
            session,
            EMAIL_JOB,
            {
                "booking_id": str(booking.id),
                "tenant_id": str(booking.tenant_id),
                "event": event.value,
                "audience": audience,
                "occurrence": occurrence,
            },
            tenant_id=booking.tenant_id,
            dedupe_key=email_delivery_key(booking.id, event.value, audience, occurrence),
        )
    if event in CALENDAR_EVENTS:
        await enqueue(
            session,
            CALENDAR_JOB,
            {"booking_id": str(booking.id), "tenant_id": str(booking.tenant_id)},
            tenant_id=booking.tenant_id,
            dedupe_key=f"calendar:{booking.id}:{event.value}{suffix}",
        )
