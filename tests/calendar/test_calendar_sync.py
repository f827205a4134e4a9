"""`calendar.sync` jobs keep the tenant's calendar in step with its bookings (confirmed by
the signed Stripe webhook, canceled and refunded through the booking service), on the
in-memory calendar (mock) and on Google Calendar (real adapter, local fake)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mais.adapters.calendar import event_id_for
from mais.bookings.repository import BookingRepository
from mais.calendar.service import calendar_event_for, calendar_id_for
from mais.jobs import worker as worker_module
from mais.jobs.worker import JobWorker
from mais.models import Job, JobStatus, Tenant, utcnow
from mais.notifications.events import CALENDAR_JOB
from tests.factories.world import (
    HeldBooking,
    add_catalog,
    cancel_booking,
    confirmed_booking,
    days_ahead,
    make_tenant,
    refund_booking,
)

PLATFORM_CALENDAR = "platform@group.calendar.google.com"
AUCKLAND = "Pacific/Auckland"


@pytest.fixture(params=["memory", "google"])
def calendar_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_overrides(
    calendar_backend: str, fake_google: Any, service_account_key: Any
) -> dict[str, Any]:
    if calendar_backend == "memory":
        return {}
    fake_google.add_calendar(PLATFORM_CALENDAR)
    overrides = {
        "google_service_account_json_base64": service_account_key.info_base64(
            fake_google.token_uri
        ),
        "google_api_base": fake_google.base_url,
    }
    if calendar_backend == "google":
        overrides["google_calendar_id"] = PLATFORM_CALENDAR
    return overrides  # "google-without-calendar-id": the service account alone


@pytest.fixture
async def world(container: Any) -> Any:
    return await add_catalog(container, await make_tenant(container, timezone=AUCKLAND))


async def booked(container: Any, world: Any, days: int = 90) -> HeldBooking:
    """A booking confirmed by its signed webhook: its calendar job is queued."""
    return await confirmed_booking(
        container,
        world,
        days_ahead(container, days, AUCKLAND),
        couple_name="Alex & Sam",
        add_ons=("Violinist",),
    )


async def calendar_events(container: Any, world: Any, fake_google: Any) -> dict[str, date]:
    """Event id → all-day date on the tenant's calendar, for either backend."""
    if container.calendar.backend == "google":
        return {
            event_id: date.fromisoformat(event["start"]["date"])
            for calendar in fake_google.events.values()
            for event_id, event in calendar.items()
        }
    async with container.db.sessionmaker() as session:
        tenant = await session.get(Tenant, world.id)
    calendar_id = calendar_id_for(tenant, container.settings, container.calendar)
    return {
        event_id: event.date for event_id, event in container.calendar.events[calendar_id].items()
    }


async def stored_event_id(container: Any, world: Any, booking_id: Any) -> str | None:
    async with container.db.sessionmaker() as session:
        booking = await BookingRepository(session, world.id).get(booking_id)
        assert booking is not None
        return booking.calendar_event_id


async def calendar_jobs(container: Any) -> list[Job]:
    async with container.db.sessionmaker() as session:
        return list(
            (await session.execute(select(Job).where(Job.kind == CALENDAR_JOB))).scalars().all()
        )


async def test_a_confirmed_booking_gets_one_all_day_event_on_its_date(
    container, world, fake_google
):
    booking = await booked(container, world)

    await JobWorker(container).drain()

    assert await calendar_events(container, world, fake_google) == {
        event_id_for(booking.id): booking.event_date
    }
    assert await stored_event_id(container, world, booking.id) == event_id_for(booking.id)
    if container.calendar.backend == "google":
        [insert] = [r for r in fake_google.api_requests() if r.path.endswith("/events")]
        body = insert.json()
        assert body["start"] == {"date": booking.event_date.isoformat()}
        assert body["end"] == {"date": (booking.event_date + timedelta(days=1)).isoformat()}
        assert body["summary"] == "Alex & Sam: Garden Ceremony"


@pytest.mark.parametrize(
    ("change", "keeps_event"),
    [
        ("cancel", False),
        ("full refund", False),
        ("partial refund", True),  # the booking still stands
    ],
)
async def test_cancel_and_full_refund_remove_the_event_and_a_partial_refund_keeps_it(
    container, world, fake_google, change, keeps_event
):
    booking = await booked(container, world)
    await JobWorker(container).drain()

    if change == "cancel":
        await cancel_booking(container, world, booking.id)
    else:
        await refund_booking(container, world, booking.id, 10_000 if keeps_event else None)
    await JobWorker(container).drain()

    events = await calendar_events(container, world, fake_google)
    stored = await stored_event_id(container, world, booking.id)
    if keeps_event:
        assert events == {event_id_for(booking.id): booking.event_date}
        assert stored == event_id_for(booking.id)
    else:
        assert events == {}
        assert stored is None
    assert {job.status for job in await calendar_jobs(container)} == {JobStatus.done}


async def test_running_the_sync_again_changes_nothing(container, world, fake_google):
    booking = await booked(container, world)
    await JobWorker(container).drain()
    calls_before = len(fake_google.api_requests())

    from mais.jobs.registry import HANDLERS

    payload = {"booking_id": str(booking.id), "tenant_id": str(world.id)}
    await HANDLERS[CALENDAR_JOB](container, payload)
    await HANDLERS[CALENDAR_JOB](container, payload)

    assert len(await calendar_events(container, world, fake_google)) == 1
    assert len(fake_google.api_requests()) == calls_before


@pytest.mark.parametrize("calendar_backend", ["google"])
async def test_an_insert_whose_answer_was_lost_is_recognised_not_duplicated(
    container, world, fake_google
):
    booking_id = (await booked(container, world)).id
    async with container.db.sessionmaker() as session:
        booking = await BookingRepository(session, world.id).get_full(booking_id)
        tenant = await session.get(Tenant, world.id)
    # A previous run created the event, then died before storing its id.
    await container.calendar.insert_event(
        PLATFORM_CALENDAR, calendar_event_for(booking, tenant, container.settings)
    )

    await JobWorker(container).drain()  # Google answers 409 to the retried insert

    assert list(fake_google.events[PLATFORM_CALENDAR]) == [event_id_for(booking_id)]
    assert await stored_event_id(container, world, booking_id) == event_id_for(booking_id)


@pytest.mark.parametrize("calendar_backend", ["google"])
async def test_an_event_the_tenant_already_deleted_is_not_an_error_on_cancel(
    container, world, fake_google
):
    booking = await booked(container, world)
    await JobWorker(container).drain()
    fake_google.events[PLATFORM_CALENDAR].clear()  # deleted by hand in Google Calendar

    await cancel_booking(container, world, booking.id)
    await JobWorker(container).drain()

    assert await stored_event_id(container, world, booking.id) is None
    assert {job.status for job in await calendar_jobs(container)} == {JobStatus.done}


@pytest.mark.parametrize("calendar_backend", ["google-without-calendar-id"])
async def test_without_a_calendar_id_the_sync_does_nothing(container, world, fake_google):
    booking = await booked(container, world)

    await JobWorker(container).drain()

    assert container.calendar.backend == "google"
    assert fake_google.api_requests() == []  # neither free/busy reads nor events
    assert await stored_event_id(container, world, booking.id) is None
    assert {job.status for job in await calendar_jobs(container)} == {JobStatus.done}


@pytest.mark.parametrize("calendar_backend", ["google"])
async def test_the_tenants_own_calendar_wins_over_the_platform_default(container, fake_google):
    fake_google.add_calendar("kiwi@group.calendar.google.com")
    world = await add_catalog(
        container, await make_tenant(container, calendar_id="kiwi@group.calendar.google.com")
    )
    booking = await booked(container, world)

    await JobWorker(container).drain()

    assert list(fake_google.events["kiwi@group.calendar.google.com"]) == [event_id_for(booking.id)]
    assert fake_google.events[PLATFORM_CALENDAR] == {}


@pytest.mark.parametrize("calendar_backend", ["google"])
async def test_a_google_outage_is_retried_later(container, world, fake_google, monkeypatch):
    booking_id = (await booked(container, world)).id
    fake_google.fail_next("/calendar/v3/calendars", 503)

    await JobWorker(container).drain()

    [job] = await calendar_jobs(container)
    assert job.status == JobStatus.pending
    assert job.attempts == 1
    assert "CalendarUnavailable" in job.last_error

    monkeypatch.setattr(worker_module, "utcnow", lambda: utcnow() + timedelta(minutes=1))
    await JobWorker(container).drain()

    assert await stored_event_id(container, world, booking_id) == event_id_for(booking_id)


@pytest.mark.parametrize("calendar_backend", ["google"])
async def test_a_booking_canceled_while_its_event_is_inserted_ends_without_an_event(
    container, world, fake_google
):
    booking = await booked(container, world)
    loop = asyncio.get_running_loop()

    def cancel_meanwhile(calendar_id: str, event: dict[str, Any]) -> None:
        # The tenant cancels the booking while Google is creating the event (this runs in
        # the fake's thread; the job is awaiting Google's answer on the test's loop).
        asyncio.run_coroutine_threadsafe(cancel_booking(container, world, booking.id), loop).result(
            timeout=30
        )

    fake_google.on_insert = cancel_meanwhile
    # Only the jobs due now: the calendar job the cancellation queues is left pending, so
    # what follows is the doing of the running sync alone.
    await JobWorker(container).run_once()

    assert fake_google.events[PLATFORM_CALENDAR] == {}
    assert await stored_event_id(container, world, booking.id) is None
    [pending] = [j for j in await calendar_jobs(container) if j.status == JobStatus.pending]
    assert pending.payload["booking_id"] == str(booking.id)


@pytest.mark.parametrize("calendar_backend", ["memory"])
async def test_in_mock_mode_each_tenant_has_its_own_calendar(container, world, fake_google):
    other = await add_catalog(container, await make_tenant(container))
    booking = await booked(container, world)
    await JobWorker(container).drain()

    async with container.db.sessionmaker() as session:
        mine = await session.get(Tenant, world.id)
        theirs = await session.get(Tenant, other.id)
    settings, calendar = container.settings, container.calendar
    mine_id = calendar_id_for(mine, settings, calendar)
    theirs_id = calendar_id_for(theirs, settings, calendar)

    assert mine_id != theirs_id
    day = booking.event_date
    window = (day - timedelta(days=1), day + timedelta(days=1))
    assert await calendar.busy_dates(mine_id, *window, AUCKLAND) == {day}
    assert await calendar.busy_dates(theirs_id, *window, "America/New_York") == set()
