"""Which calendar a tenant's bookings go to, and making that calendar match a booking:
a confirmed booking has exactly one all-day event, any other booking has none."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Protocol

from mais.adapters.calendar import CalendarEvent, CalendarPort
from mais.availability.calendar_busy import forget_busy_days
from mais.bookings.repository import BookingRepository
from mais.jobs.registry import PermanentJobError
from mais.models import Booking, BookingStatus, Tenant
from mais.notifications.compose import booking_reference
from mais.settings import Settings
from mais.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.calendar")

_HAS_EVENT = {BookingStatus.confirmed, BookingStatus.completed}
# Each round either changes the calendar or finds it in step; a booking that changes
# state while we work is caught by the next round.
_MAX_ROUNDS = 3


class TenantWithCalendar(Protocol):
    """What choosing a calendar needs to know (a Tenant row or a resolved TenantContext)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def calendar_id(self) -> str | None: ...


def calendar_id_for(
    tenant: TenantWithCalendar, settings: Settings, calendar: CalendarPort
) -> str | None:
    """The tenant's own calendar id, else the platform's GOOGLE_CALENDAR_ID; None means no
    calendar is configured (nothing to read or write). The in-memory calendar of mock mode
    gives every tenant its own calendar. Availability reads busy days from the same
    calendar the sync jobs write to."""
    if calendar.backend == "memory":
        return tenant.calendar_id or f"memory:{tenant.id}"
    return tenant.calendar_id or settings.google_calendar_id


def calendar_event_for(booking: Booking, tenant: Tenant, settings: Settings) -> CalendarEvent:
    lines = [
        f"Booking reference: {booking_reference(booking.id)}",
        f"Package: {booking.package_title}",
        *(f"Add-on: {add_on.title}" for add_on in booking.add_ons),
        f"Couple: {booking.couple_name}",
        f"E-mail: {booking.email}",
    ]
    if booking.phone:
        lines.append(f"Phone: {booking.phone}")
    if booking.notes:
        lines.append(f"Notes: {booking.notes}")
    lines.append(f"{settings.public_url}/tenant/bookings/{booking.id}")
    return CalendarEvent(
        booking_id=str(booking.id),
        date=booking.event_date,
        summary=f"{booking.couple_name}: {booking.package_title}",
        description="\n".join(lines),
        timezone=tenant.timezone,
    )


class CalendarSyncService:
    def __init__(self, container: Container) -> None:
        self.container = container

    async def sync_booking(self, tenant_id: uuid.UUID, booking_id: uuid.UUID) -> None:
        """Idempotent: inserts are keyed by the booking id and deletes of a missing event
        succeed, so running it again (after a crash or a retry) converges."""
        calendar = self.container.calendar
        for _ in range(_MAX_ROUNDS):
            async with self.container.db.sessionmaker() as session:
                booking = await BookingRepository(session, tenant_id).get_full(booking_id)
                tenant = await TenantRepository(session).get(tenant_id)
                if booking is None or tenant is None:
                    raise PermanentJobError(f"booking {booking_id} of tenant {tenant_id} not found")
                calendar_id = calendar_id_for(tenant, self.container.settings, calendar)
                if calendar_id is None:
                    return  # no calendar configured for this tenant
                wants_event = booking.status in _HAS_EVENT
                event_id = booking.calendar_event_id
                event = calendar_event_for(booking, tenant, self.container.settings)

            if wants_event and event_id is None:
                new_event_id = await calendar.insert_event(calendar_id, event)
                async with self.container.db.transaction() as session:
                    await BookingRepository(session, tenant_id).store_calendar_event_id(
                        booking_id, new_event_id
                    )
                await forget_busy_days(self.container.cache, tenant_id, calendar_id, event.date)
                log.info("calendar event inserted", extra={"booking_id": str(booking_id)})
            elif not wants_event and event_id is not None:
                await calendar.delete_event(calendar_id, event_id)
                async with self.container.db.transaction() as session:
                    await BookingRepository(session, tenant_id).forget_calendar_event_id(
                        booking_id, event_id
                    )
                # Availability must not keep showing the freed date as busy for a minute.
                await forget_busy_days(self.container.cache, tenant_id, calendar_id, event.date)
                log.info("calendar event deleted", extra={"booking_id": str(booking_id)})
            else:
                return
        log.warning("calendar sync did not settle", extra={"booking_id": str(booking_id)})
