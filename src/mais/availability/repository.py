"""Queries behind availability: the tenant's blackout dates (bookings are read through
`bookings.repository.BookingRepository`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam

from mais.core.repository import TenantScopedRepository, scoped_statement
from mais.models import BlackoutDate

# Read by every availability answer and every checkout: built once.
_DATES_BETWEEN = scoped_statement(BlackoutDate, BlackoutDate.date).where(
    BlackoutDate.date >= bindparam("start"), BlackoutDate.date <= bindparam("end")
)


class BlackoutRepository(TenantScopedRepository[BlackoutDate]):
    model = BlackoutDate

    async def dates_between(self, start: date, end: date) -> set[date]:
        rows = await self.execute_scoped(_DATES_BETWEEN, {"start": start, "end": end})
        return {row[0] for row in rows}
