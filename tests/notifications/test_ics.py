"""The `.ics` invitation: all-day DATE values, one UID per booking, REQUEST and CANCEL."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from mais.notifications.compose import compose_booking_email
from mais.notifications.events import BookingEvent
from mais.notifications.ics import Invite, invite_ics
from tests.notifications.facts import sample_facts


def _invite(**overrides: object) -> Invite:
    values: dict[str, object] = {
        "booking_id": uuid.UUID("7f3a09c2-1111-4222-8333-444455556666"),
        "event_date": date(2025, 6, 14),
        "summary": "Garden Ceremony with Kiwi Events",
        "description": "Booking reference: 7F3A-09C2",
        "timezone": "Pacific/Auckland",
        "organizer_name": "Kiwi Events",
        "organizer_email": "hello@kiwi.example",
        "attendee_name": "Alex & Sam",
        "attendee_email": "couple@example.com",
    }
    values.update(overrides)
    return Invite(**values)  # type: ignore[arg-type]


def _event(raw: bytes):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_confirmation_is_an_all_day_request_on_the_event_date():
    raw = invite_ics(_invite())

    calendar, event = _event(raw)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert b"DTSTART;VALUE=DATE:20250614\r\n" in raw
    assert b"DTEND;VALUE=DATE:20250615\r\n" in raw
    assert event.decoded("DTSTART") == date(2025, 6, 14)
    assert type(event.decoded("DTSTART")) is date  # a DATE, not a DATE-TIME
    assert event.decoded("DTEND") == date(2025, 6, 15)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Garden Ceremony with Kiwi Events"
    assert str(event["ORGANIZER"]) == "mailto:hello@kiwi.example"
    assert event["ORGANIZER"].params["CN"] == "Kiwi Events"
    assert str(event["ATTENDEE"]) == "mailto:couple@example.com"
    assert str(calendar["X-WR-TIMEZONE"]) == "Pacific/Auckland"


def test_uid_is_stable_per_booking_and_differs_between_bookings():
    first = _event(invite_ics(_invite()))[1]["UID"]
    again = _event(invite_ics(_invite(summary="changed")))[1]["UID"]
    other = _event(invite_ics(_invite(booking_id=uuid.uuid4())))[1]["UID"]

    assert first == again == "booking-7f3a09c2-1111-4222-8333-444455556666@mais"
    assert other != first


def test_cancellation_reuses_the_uid_with_a_higher_sequence_and_cancelled_status():
    _, request = _event(invite_ics(_invite()))
    calendar, cancel = _event(invite_ics(_invite(), cancel=True))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert cancel["UID"] == request["UID"]
    assert int(cancel["SEQUENCE"]) > int(request["SEQUENCE"])
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert cancel.decoded("DTSTART") == date(2025, 6, 14)


@pytest.mark.parametrize(
    ("timezone", "event_date", "utc_now"),
    [
        # New Year's Day in Auckland starts while UTC is still on Dec 31.
        ("Pacific/Auckland", date(2025, 1, 1), datetime(2024, 12, 31, 11, 30, tzinfo=UTC)),
        # Auckland's DST ends on April 6, 2025: a 25-hour day must still be one date.
        ("Pacific/Auckland", date(2025, 4, 6), datetime(2025, 4, 5, 12, 0, tzinfo=UTC)),
        # New Year's Eve in Los Angeles is already Jan 1 in UTC for its last 8 hours.
        ("America/Los_Angeles", date(2025, 12, 31), datetime(2026, 1, 1, 7, 0, tzinfo=UTC)),
        # Los Angeles' DST starts on March 9, 2025: a 23-hour day.
        ("America/Los_Angeles", date(2025, 3, 9), datetime(2025, 3, 9, 9, 0, tzinfo=UTC)),
    ],
)
def test_the_tenants_date_is_never_shifted_by_a_time_zone(timezone, event_date, utc_now):
    facts = sample_facts(timezone=timezone, event_date=event_date)

    message = compose_booking_email(facts, BookingEvent.confirmed, "customer")
    [attachment] = message.attachments
    calendar, event = _event(attachment.data)

    assert event.decoded("DTSTART") == event_date
    assert (event.decoded("DTEND") - event_date).days == 1
    assert str(calendar["X-WR-TIMEZONE"]) == timezone
    human = f"{event_date:%A}, {event_date:%B} {event_date.day}, {event_date.year}"
    assert human in message.text
    assert human in message.html
    # Rendering at any instant gives the same day.
    at_instant = invite_ics(_invite(event_date=event_date, timezone=timezone), now=utc_now)
    assert _event(at_instant)[1].decoded("DTSTART") == event_date


def test_hostile_names_in_the_invite_are_escaped_property_values():
    raw = invite_ics(_invite(attendee_name='Evil"; X-INJECT:1', summary="A\nB;C,D"))

    calendar, event = _event(raw)
    assert str(event["SUMMARY"]) == "A\nB;C,D"
    assert "X-INJECT" not in event
    assert event["ATTENDEE"].params["CN"] == 'Evil"; X-INJECT:1'
    assert len(calendar.walk("VEVENT")) == 1


def test_refund_that_keeps_the_booking_sends_no_invite_but_a_full_refund_cancels_it():
    partial = sample_facts(refunded_cents=10_000)
    full = dataclasses.replace(partial, refunded_cents=415_000, status="refunded")

    assert compose_booking_email(partial, BookingEvent.refunded, "customer").attachments == ()
    [cancel] = compose_booking_email(full, BookingEvent.refunded, "customer").attachments
    assert "method=CANCEL" in cancel.content_type
    assert str(_event(cancel.data)[0]["METHOD"]) == "CANCEL"
