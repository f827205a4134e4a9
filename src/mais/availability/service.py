"""Whether a date can be booked, and if not why: one rule for the public availability
endpoints and for checkout.

Dates are the tenant's calendar dates: "today" is the date in the tenant's time zone at
the container clock's "now", never the server's or the browser's date."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.cache import Cache
from mais.availability.calendar_busy import CalendarBusyDays
from mais.availability.occupancy import cached_occupied, read_occupied
from mais.calendar.service import calendar_id_for
from mais.core.clock import local_date
from mais.core.errors import ValidationFailed

if TYPE_CHECKING:
    from mais.container import Container

MAX_RANGE_DAYS = 366


class UnavailableReason(StrEnum):
    booked = "booked"
    held = "held"
    blackout = "blackout"
    calendar = "calendar"
    past = "past"
    too_soon = "too_soon"
    too_far = "too_far"


class TenantCalendarView(Protocol):
    """What availability needs to know about a tenant (a Tenant row or a TenantContext)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def timezone(self) -> str: ...
    @property
    def min_notice_days(self) -> int: ...
    @property
    def max_days_ahead(self) -> int: ...
    @property
    def calendar_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class BookingWindow:
    """The dates a tenant accepts bookings for, as of one instant."""

    today: date
    first_bookable: date
    last_bookable: date

    @classmethod
    def at(
        cls, now: datetime, *, timezone: str, min_notice_days: int, max_days_ahead: int
    ) -> BookingWindow:
        today = local_date(now, timezone)
        return cls(
            today=today,
            first_bookable=today + timedelta(days=max(0, min_notice_days)),
            last_bookable=today + timedelta(days=max(0, max_days_ahead)),
        )


@dataclass(slots=True)
class DayFacts:
    """What occupies dates of a range: live bookings, live holds, blackouts, busy calendar days
    (and holds past their expiry that no sweep has released yet: they block nothing)."""

    booked: set[date] = field(default_factory=set)
    held: set[date] = field(default_factory=set)
    expired_holds: set[date] = field(default_factory=set)
    blackout: set[date] = field(default_factory=set)
    calendar: set[date] = field(default_factory=set)


def unavailable_reason(
    day: date, window: BookingWindow, facts: DayFacts
) -> UnavailableReason | None:
    """THE availability rule. The first matching reason wins: time (past, too soon,
    too far), then our own bookings and holds, then the tenant's blackouts, then the
    external calendar (last, so that a confirmed booking whose own event is on the
    calendar reads `booked`)."""
    if day < window.today:
        return UnavailableReason.past
    if day < window.first_bookable:
        return UnavailableReason.too_soon
    if day > window.last_bookable:
        return UnavailableReason.too_far
    if day in facts.booked:
        return UnavailableReason.booked
    if day in facts.held:
        return UnavailableReason.held
    if day in facts.blackout:
        return UnavailableReason.blackout
    if day in facts.calendar:
        return UnavailableReason.calendar
    return None


def validate_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(
            "endDate must not be before startDate",
            details=[{"field": "endDate", "issue": "must not be before startDate"}],
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"The range may cover at most {MAX_RANGE_DAYS} days",
            details=[{"field": "endDate", "issue": f"range longer than {MAX_RANGE_DAYS} days"}],
        )


class AvailabilityService:
    def __init__(
        self,
        session: AsyncSession,
        tenant: TenantCalendarView,
        *,
        now: datetime,
        busy_days: CalendarBusyDays,
        calendar_id: str | None,
        occupancy_cache: Cache | None = None,
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.now = now
        self.busy_days = busy_days
        self.calendar_id = calendar_id
        self.occupancy_cache = occupancy_cache
        self.window = BookingWindow.at(
            now,
            timezone=tenant.timezone,
            min_notice_days=tenant.min_notice_days,
            max_days_ahead=tenant.max_days_ahead,
        )

    @classmethod
    def of(
        cls,
        container: Container,
        session: AsyncSession,
        tenant: TenantCalendarView,
        *,
        cached: bool = False,
    ) -> AvailabilityService:
        """`cached`: read occupied dates through the cache (`availability.occupancy`), for
        answers shown to people; a decision that writes (holding a date) reads live."""
        return cls(
            session,
            tenant,
            now=container.clock.now(),
            busy_days=CalendarBusyDays(container.calendar, container.cache),
            # The calendar the sync jobs write to; None: no calendar, nothing to read.
            calendar_id=calendar_id_for(tenant, container.settings, container.calendar),
            occupancy_cache=container.cache if cached else None,
        )

    async def facts_between(self, start: date, end: date) -> DayFacts:
        """Occupancy of the bookable part of [start, end]; days outside the booking window
        are decided by time alone, so nothing is looked up for them."""
        facts = DayFacts()
        lo, hi = max(start, self.window.first_bookable), min(end, self.window.last_bookable)
        if lo > hi:
            return facts
        if self.occupancy_cache is None:
            occupied = await read_occupied(self.session, self.tenant.id, lo, hi)
        else:
            occupied = await cached_occupied(
                self.occupancy_cache, self.session, self.tenant.id, lo, hi
            )
        facts.booked = occupied.booked
        for day, expires in occupied.holds.items():
            if expires is None or expires > self.now:
                facts.held.add(day)
            else:
                # A hold past its expiry no longer blocks, even before the sweep releases it.
                facts.expired_holds.add(day)
        facts.blackout = occupied.blackout
        facts.calendar = await self.busy_days.busy_between(
            self.tenant.id, self.calendar_id, lo, hi, self.tenant.timezone
        )
        return facts

    async def unavailable_between(self, start: date, end: date) -> dict[date, UnavailableReason]:
        """Every unavailable date of the range with its reason (the range is validated)."""
        validate_range(start, end)
        facts = await self.facts_between(start, end)
        found: dict[date, UnavailableReason] = {}
        day = start
        while day <= end:
            reason = unavailable_reason(day, self.window, facts)
            if reason is not None:
                found[day] = reason
            day += timedelta(days=1)
        return found

    async def reason_for(self, day: date) -> UnavailableReason | None:
        return (await self.unavailable_between(day, day)).get(day)
