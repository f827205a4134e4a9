"""The booking queries calendar sync needs: the booking, and its stored event id."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import selectinload

from mais.core.repository import TenantScopedRepository
from mais.models import Booking


class CalendarBookingRepository(TenantScopedRepository[Booking]):
    model = Booking
    not_found_message = "Booking not found."

    async def get_with_add_ons(self, booking_id: str | uuid.UUID) -> Booking | None:
        return await self.get(booking_id, selectinload(Booking.add_ons))

    async def store_event_id(self, booking_id: uuid.UUID, event_id: str) -> None:
        """Remember the event, unless another run already stored one."""
        await self.session.execute(
            self.scoped_update()
            .where(Booking.id == booking_id, Booking.calendar_event_id.is_(None))
            .values(calendar_event_id=event_id)
        )

    async def forget_event_id(self, booking_id: uuid.UUID, event_id: str) -> None:
        await self.session.execute(
            self.scoped_update()
            .where(Booking.id == booking_id, Booking.calendar_event_id == event_id)
            .values(calendar_event_id=None)
        )
