"""Queries behind availability: the tenant's blackout dates (bookings are read through
`bookings.repository.BookingRepository`)."""

from __future__ import annotations

from datetime import date

from mais.core.repository import TenantScopedRepository
from mais.models import BlackoutDate


class BlackoutRepository(TenantScopedRepository[BlackoutDate]):
    model = BlackoutDate

    async def dates_between(self, start: date, end: date) -> set[date]:
        stmt = self.scoped(BlackoutDate.date).where(
            BlackoutDate.date >= start, BlackoutDate.date <= end
        )
        return {row[0] for row in await self.session.execute(stmt)}
