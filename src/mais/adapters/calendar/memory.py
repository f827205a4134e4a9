"""In-memory calendar for mock mode and tests: busy dates can be set by hand, and events
MAIS inserts are kept (and count as busy, as on a real calendar)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from mais.adapters.calendar.port import CalendarEvent, CalendarPort, event_id_for


class MemoryCalendar(CalendarPort):
    backend = "memory"

    def __init__(self) -> None:
        self.busy: dict[str, set[date]] = defaultdict(set)
        self.events: dict[str, dict[str, CalendarEvent]] = defaultdict(dict)

    def mark_busy(self, calendar_id: str, *days: date) -> None:
        self.busy[calendar_id].update(days)

    async def busy_dates(
        self, calendar_id: str, start: date, end: date, timezone: str
    ) -> set[date]:
        event_days = {event.date for event in self.events[calendar_id].values()}
        return {d for d in self.busy[calendar_id] | event_days if start <= d <= end}

    async def insert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        event_id = event_id_for(event.booking_id)
        self.events[calendar_id][event_id] = event
        return event_id

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        self.events[calendar_id].pop(event_id, None)
