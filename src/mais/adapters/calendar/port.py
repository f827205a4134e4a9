"""What MAIS needs from a tenant's calendar: busy days, and all-day events it owns."""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass
from datetime import date


class CalendarUnavailable(Exception):
    """The calendar service could not be reached or refused the request."""


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day event on the tenant's calendar for one booking."""

    booking_id: str
    date: date
    summary: str
    description: str
    timezone: str


def event_id_for(booking_id: str | uuid.UUID) -> str:
    """The calendar event id of a booking, derived from it so that a retried insert
    names the same event. Google accepts ids of base32hex characters (a-v, 0-9), 5-1024
    long; "mais" plus the UUID's hex digits stays inside that alphabet."""
    return f"mais{uuid.UUID(str(booking_id)).hex}"


class CalendarPort(abc.ABC):
    backend: str

    @abc.abstractmethod
    async def busy_dates(
        self, calendar_id: str, start: date, end: date, timezone: str
    ) -> set[date]:
        """Calendar dates (in `timezone`) between start and end inclusive that have
        busy time. Raises CalendarUnavailable when the calendar cannot be read."""

    @abc.abstractmethod
    async def insert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        """Create the event (idempotent per booking id); returns the event id."""

    @abc.abstractmethod
    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Remove the event; an event that is already gone is not an error."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections held by the adapter."""
