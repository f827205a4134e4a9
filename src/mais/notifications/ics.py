"""The calendar invitation attached to booking e-mails (RFC 5545/5546, via `icalendar`).

The event is all-day on the booking's date: DTSTART/DTEND are DATE values (no time, no
zone), so the day shown is the tenant's calendar date in every client's time zone. One
UID per booking; a cancellation reuses it with a higher SEQUENCE."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//MAIS//Bookings 1.0//EN"


@dataclass(frozen=True)
class Invite:
    booking_id: uuid.UUID
    event_date: date
    summary: str
    description: str
    timezone: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    url: str | None = None


def invite_uid(booking_id: uuid.UUID) -> str:
    return f"booking-{booking_id}@mais"


def invite_ics(invite: Invite, *, cancel: bool = False, now: datetime | None = None) -> bytes:
    """METHOD:REQUEST for a confirmed booking, METHOD:CANCEL (same UID, SEQUENCE 1,
    STATUS:CANCELLED) when it no longer takes place."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    # Clients that show a calendar name or default zone use the tenant's; the event itself
    # is made of DATE values, which no zone can shift.
    calendar.add("x-wr-timezone", invite.timezone)

    event = Event()
    event.add("uid", invite_uid(invite.booking_id))
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", invite.event_date)
    event.add("dtend", invite.event_date + timedelta(days=1))
    event.add("sequence", 1 if cancel else 0)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    if invite.url:
        event.add("url", invite.url)
    event.add("x-microsoft-cdo-alldayevent", "TRUE")

    organizer = vCalAddress(f"mailto:{invite.organizer_email}")
    organizer.params["cn"] = vText(invite.organizer_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{invite.attendee_email}")
    attendee.params["cn"] = vText(invite.attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)

    calendar.add_component(event)
    return calendar.to_ical()
