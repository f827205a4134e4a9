"""What occupies a tenant's dates: confirmed bookings, holds (with their expiry) and
blackouts — read live, or by calendar month through the cache.

The widget's calendar and the public availability endpoints ask for the same few months
over and over, and the rows behind them change only when a booking or blackout of the
tenant commits. Each such commit gives the tenant's `bookings` change token a new value
(`mais.core.changes`), and cached months are keyed by that token, so a month read after a
change is always read anew: a date taken a second ago shows as taken. Holds are kept with
their expiry and judged against the clock by the caller, since a hold times out without
any write. A decision that writes (checkout holding a date) reads live, in its own
transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.cache import Cache
from mais.availability.months import month_end, months_covering
from mais.availability.repository import BLACKOUT, OccupancyRepository
from mais.core.changes import BOOKINGS, TenantTopicCache
from mais.models import BookingStatus

# Entries are unreachable after any change; the lifetime only bounds the memory they use.
OCCUPANCY_TTL_SECONDS = 600


@dataclass(slots=True)
class Occupied:
    booked: set[date] = field(default_factory=set)
    holds: dict[date, datetime | None] = field(default_factory=dict)  # date -> expiry
    blackout: set[date] = field(default_factory=set)

    def update(self, other: Occupied) -> None:
        self.booked |= other.booked
        self.holds |= other.holds
        self.blackout |= other.blackout

    def within(self, start: date, end: date) -> Occupied:
        return Occupied(
            {d for d in self.booked if start <= d <= end},
            {d: e for d, e in self.holds.items() if start <= d <= end},
            {d for d in self.blackout if start <= d <= end},
        )

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "booked": sorted(self.booked),
                "holds": sorted(self.holds.items()),
                "blackout": sorted(self.blackout),
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Occupied:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(
            {date.fromisoformat(d) for d in data["booked"]},
            {
                date.fromisoformat(d): None if e is None else datetime.fromisoformat(e)
                for d, e in data["holds"]
            },
            {date.fromisoformat(d) for d in data["blackout"]},
        )


async def read_occupied(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> Occupied:
    """The live rows occupying [start, end]."""
    occupied = Occupied()
    for day, status, expires in await OccupancyRepository(session, tenant_id).between(start, end):
        if status == BLACKOUT:
            occupied.blackout.add(day)
        elif status == BookingStatus.confirmed:
            occupied.booked.add(day)
        else:
            occupied.holds[day] = expires
    return occupied


async def cached_occupied(
    cache: Cache, session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> Occupied:
    """`read_occupied`, by whole months kept in the cache until the tenant's next change;
    the months not cached are read in one query."""
    months = await TenantTopicCache.open(cache, BOOKINGS, tenant_id)
    if months is None:
        return await read_occupied(session, tenant_id, start, end)
    occupied, missing = Occupied(), []
    for month in months_covering(start, end):
        raw = await months.get(f"occupied:{month:%Y-%m}")
        if raw is None:
            missing.append(month)
        else:
            occupied.update(Occupied.from_json(raw))
    if missing:
        fresh = await read_occupied(session, tenant_id, missing[0], month_end(missing[-1]))
        for month in missing:
            await months.put(
                f"occupied:{month:%Y-%m}",
                fresh.within(month, month_end(month)).to_json(),
                OCCUPANCY_TTL_SECONDS,
            )
        occupied.update(fresh)
    return occupied.within(start, end)
