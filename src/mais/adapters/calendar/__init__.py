"""Calendar port: Google Calendar in real mode, in-memory busy dates in mock mode."""

from mais.adapters.calendar.memory import MemoryCalendar
from mais.adapters.calendar.port import (
    CalendarEvent,
    CalendarPort,
    CalendarUnavailable,
    event_id_for,
)

__all__ = ["CalendarEvent", "CalendarPort", "CalendarUnavailable", "MemoryCalendar", "event_id_for"]
