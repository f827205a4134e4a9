"""Queries behind availability: what occupies a tenant's dates (live bookings and
blackouts, in one statement) and the blackout dates alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, literal, null, union_all

from mais.core.repository import TenantScopedRepository, scoped_statement
from mais.models import DATE_BLOCKING_STATUSES, BlackoutDate, Booking

# The status an `OccupiedDay` of a blackout carries (no booking status is spelled so).
BLACKOUT = "blackout"

_DATES_BETWEEN = scoped_statement(BlackoutDate, BlackoutDate.date).where(
    BlackoutDate.date >= bindparam("start"), BlackoutDate.date <= bindparam("end")
)

# Read by every availability answer not cached and by every checkout: built once, and
# one round trip for both tables (both halves share the tenant and range parameters).
_OCCUPIED_BETWEEN = union_all(
    scoped_statement(Booking, Booking.event_date, Booking.status, Booking.hold_expires_at).where(
        Booking.event_date >= bindparam("start"),
        Booking.event_date <= bindparam("end"),
        Booking.status.in_(DATE_BLOCKING_STATUSES),
    ),
    _DATES_BETWEEN.add_columns(literal(BLACKOUT), null()),
)


class OccupiedDay(NamedTuple):
    """A date a live booking holds or takes (its status, a hold's expiry), or a blackout
    (`status == BLACKOUT`)."""

    day: date
    status: str
    hold_expires_at: datetime | None


class OccupancyRepository(TenantScopedRepository[Booking]):
    model = Booking

    async def between(self, start: date, end: date) -> Sequence[OccupiedDay]:
        rows = await self.execute_scoped(_OCCUPIED_BETWEEN, {"start": start, "end": end})
        return [OccupiedDay(*row) for row in rows]


class BlackoutRepository(TenantScopedRepository[BlackoutDate]):
    model = BlackoutDate

    async def dates_between(self, start: date, end: date) -> set[date]:
        rows = await self.execute_scoped(_DATES_BETWEEN, {"start": start, "end": end})
        return {row[0] for row in rows}
