"""The Google Calendar adapter against local fakes of Google's token endpoint and API."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from mais.adapters.calendar import CalendarEvent, CalendarUnavailable, event_id_for
from mais.adapters.calendar.google import GoogleCalendar

CALENDAR = "weddings@group.calendar.google.com"


@pytest.fixture
async def google(fake_google, service_account_key):
    fake_google.add_calendar(CALENDAR)
    adapter = GoogleCalendar(
        service_account_key.info(fake_google.token_uri), api_base=fake_google.base_url
    )
    yield adapter
    await adapter.close()


def _event(day: date = date(2025, 6, 14), booking_id: str | None = None) -> CalendarEvent:
    return CalendarEvent(
        booking_id=booking_id or str(uuid.uuid4()),
        date=day,
        summary="Alex & Sam: Garden Ceremony",
        description="Booking reference: 1234-ABCD",
        timezone="Pacific/Auckland",
    )


async def test_token_comes_from_a_signed_jwt_grant_and_is_reused_until_expiry(google, fake_google):
    for _ in range(3):
        await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 7), "UTC")

    assert len(fake_google.token_requests) == 1  # the fake verified signature, iss, aud, scope
    claims = fake_google.token_requests[0]
    assert claims["scope"] == "https://www.googleapis.com/auth/calendar"
    assert claims["iss"] == "mais-calendar@mais-test.iam.gserviceaccount.com"
    assert all(
        r.headers["authorization"].startswith("Bearer ya29.fake-")
        for r in fake_google.api_requests()
    )


async def test_an_expiring_token_is_refreshed_before_use(google, fake_google):
    fake_google.token_lifetime = 60  # inside google-auth's refresh margin: stale at once

    await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 7), "UTC")
    await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 7), "UTC")

    assert len(fake_google.token_requests) == 2


async def test_a_token_revoked_early_is_replaced_once_and_the_call_succeeds(google, fake_google):
    await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 7), "UTC")
    fake_google.revoke_tokens()

    assert await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 7), "UTC") == set()
    assert len(fake_google.token_requests) == 2


async def test_free_busy_asks_for_the_tenants_local_days_in_its_time_zone(google, fake_google):
    await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 7), "Pacific/Auckland")

    [request] = fake_google.api_requests("/calendar/v3/freeBusy")
    assert request.json() == {
        "timeMin": "2025-06-01T00:00:00+12:00",
        "timeMax": "2025-06-08T00:00:00+12:00",
        "timeZone": "Pacific/Auckland",
        "items": [{"id": CALENDAR}],
    }


async def test_busy_intervals_become_the_local_days_they_touch_in_auckland(google, fake_google):
    # 22:00-24:00 UTC on June 3 is 10:00-12:00 on June 4 in Auckland (NZST, UTC+12).
    fake_google.add_busy(CALENDAR, "2025-06-03T22:00:00Z", "2025-06-04T00:00:00Z")
    # Multi-day: June 5 10:00 to June 7 09:00 local covers 5, 6 and 7.
    fake_google.add_busy(CALENDAR, "2025-06-05T10:00:00+12:00", "2025-06-07T09:00:00+12:00")
    # Ends exactly at local midnight: only June 1 is touched, not June 2.
    fake_google.add_busy(CALENDAR, "2025-06-01T20:00:00+12:00", "2025-06-02T00:00:00+12:00")

    busy = await google.busy_dates(
        CALENDAR, date(2025, 6, 1), date(2025, 6, 10), "Pacific/Auckland"
    )

    assert busy == {date(2025, 6, 1), date(2025, 6, 4), date(2025, 6, 5), date(2025, 6, 6),
                    date(2025, 6, 7)}  # fmt: skip


async def test_busy_intervals_in_los_angeles_stay_on_the_local_day(google, fake_google):
    # 05:00 UTC on June 4 is 22:00 on June 3 in Los Angeles (PDT, UTC-7).
    fake_google.add_busy(CALENDAR, "2025-06-04T05:00:00Z", "2025-06-04T06:00:00Z")

    busy = await google.busy_dates(
        CALENDAR, date(2025, 6, 1), date(2025, 6, 10), "America/Los_Angeles"
    )

    assert busy == {date(2025, 6, 3)}


async def test_a_year_of_free_busy_is_asked_in_windows_google_accepts(google, fake_google):
    fake_google.add_busy(CALENDAR, "2025-02-14T12:00:00Z", "2025-02-14T13:00:00Z")
    fake_google.add_busy(CALENDAR, "2025-11-20T12:00:00Z", "2025-11-20T13:00:00Z")

    busy = await google.busy_dates(CALENDAR, date(2025, 1, 1), date(2025, 12, 31), "UTC")

    assert busy == {date(2025, 2, 14), date(2025, 11, 20)}
    assert len(fake_google.api_requests("/calendar/v3/freeBusy")) >= 5  # ~90-day limit


async def test_free_busy_errors_for_the_calendar_are_unavailable(google, fake_google):
    with pytest.raises(CalendarUnavailable, match="notFound"):
        await google.busy_dates("missing@example.com", date(2025, 6, 1), date(2025, 6, 2), "UTC")

    fake_google.fail_next("/calendar/v3/freeBusy", 503)
    with pytest.raises(CalendarUnavailable, match="503"):
        await google.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 2), "UTC")


async def test_insert_creates_an_all_day_event_with_an_id_derived_from_the_booking(
    google, fake_google
):
    event = _event(date(2025, 12, 31))

    event_id = await google.insert_event(CALENDAR, event)

    assert event_id == event_id_for(event.booking_id)
    [request] = fake_google.api_requests("/calendar/v3/calendars")
    assert request.path == "/calendar/v3/calendars/weddings%40group.calendar.google.com/events"
    body = request.json()
    assert body["id"] == event_id
    assert body["start"] == {"date": "2025-12-31"}
    assert body["end"] == {"date": "2026-01-01"}
    assert body["summary"] == "Alex & Sam: Garden Ceremony"
    assert body["extendedProperties"] == {"private": {"maisBookingId": event.booking_id}}
    assert set(fake_google.events[CALENDAR]) == {event_id}


async def test_inserting_the_same_booking_again_is_a_success_without_a_duplicate(
    google, fake_google
):
    event = _event()
    first = await google.insert_event(CALENDAR, event)

    again = await google.insert_event(CALENDAR, event)  # Google answers 409

    assert again == first
    assert len(fake_google.events[CALENDAR]) == 1


async def test_deleting_an_event_that_is_gone_or_unknown_succeeds(google, fake_google):
    event_id = await google.insert_event(CALENDAR, _event())

    await google.delete_event(CALENDAR, event_id)  # 204
    await google.delete_event(CALENDAR, event_id)  # 410 Gone
    await google.delete_event(CALENDAR, event_id_for(uuid.uuid4()))  # 404

    assert fake_google.events[CALENDAR] == {}
    statuses = [r.method for r in fake_google.api_requests("/calendar/v3/calendars")]
    assert statuses == ["POST", "DELETE", "DELETE", "DELETE"]


async def test_insert_failures_and_token_refusals_are_calendar_unavailable(google, fake_google):
    fake_google.fail_next("/calendar/v3/calendars", 500)
    with pytest.raises(CalendarUnavailable, match="500"):
        await google.insert_event(CALENDAR, _event())

    fake_google.reject_grants = True
    fake_google.revoke_tokens()
    google._credentials.token = None  # force a new grant
    with pytest.raises(CalendarUnavailable, match="token"):
        await google.insert_event(CALENDAR, _event())


async def test_an_unreachable_google_is_calendar_unavailable(fake_google, service_account_key):
    info = service_account_key.info(fake_google.token_uri)
    base = fake_google.base_url
    fake_google.stop()
    adapter = GoogleCalendar(info, api_base=base)
    try:
        with pytest.raises(CalendarUnavailable):
            await adapter.busy_dates(CALENDAR, date(2025, 6, 1), date(2025, 6, 2), "UTC")
    finally:
        await adapter.close()
