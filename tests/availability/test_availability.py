"""GET /v1/availability and /v1/availability/unavailable (SPEC §4): one rule, all reasons."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from mais.adapters.cache import MemoryCache
from mais.adapters.calendar import CalendarUnavailable, MemoryCalendar
from mais.availability.calendar_busy import CalendarBusyDays
from mais.calendar.service import calendar_id_for
from mais.jobs.worker import JobWorker
from mais.models import BlackoutDate, Tenant, utcnow
from tests.factories.metrics import scrape
from tests.factories.world import (
    add_catalog,
    cancel_booking,
    confirmed_booking,
    days_ahead,
    hold_booking,
    make_tenant,
)

SHARED_CALENDAR = "shared@group.calendar.google.com"
CALENDAR_FAILURES = "mais_calendar_failures_total"


@pytest.fixture
def calendar_backend() -> str:
    """The in-memory calendar, unless a test asks for Google (its local fake)."""
    return "memory"


@pytest.fixture
def settings_overrides(
    calendar_backend: str, fake_google: Any, service_account_key: Any
) -> dict[str, Any]:
    if calendar_backend == "memory":
        return {}
    fake_google.add_calendar(SHARED_CALENDAR)
    return {
        "google_service_account_json_base64": service_account_key.info_base64(
            fake_google.token_uri
        ),
        "google_api_base": fake_google.base_url,
        "google_calendar_id": SHARED_CALENDAR,
    }


async def _blackout(container, tenant, day: date) -> None:
    async with container.db.transaction() as session:
        session.add(
            BlackoutDate(tenant_id=tenant.id, date=day, reason="Owner away", created_at=utcnow())
        )


async def _day(client, tenant, day: date) -> dict:
    response = await client.get(
        "/v1/availability", params={"date": day.isoformat()}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_reason_is_reported_for_its_date_and_free_dates_are_available(container, client):
    tenant = await add_catalog(
        container,
        await make_tenant(container, min_notice_days=2, max_days_ahead=100, calendar_id="cal-1"),
    )
    held = days_ahead(container, 10)
    booked = days_ahead(container, 11)
    blackout = days_ahead(container, 12)
    busy = days_ahead(container, 13)
    container.calendar.mark_busy("cal-1", busy)  # before any lookup caches the month
    await hold_booking(container, tenant, held)
    await confirmed_booking(container, tenant, booked)
    await _blackout(container, tenant, blackout)

    expected = {
        days_ahead(container, -1): "past",
        days_ahead(container, 0): "too_soon",
        days_ahead(container, 1): "too_soon",
        days_ahead(container, 101): "too_far",
        held: "held",
        booked: "booked",
        blackout: "blackout",
        busy: "calendar",
    }
    for day, reason in expected.items():
        assert await _day(client, tenant, day) == {
            "date": day.isoformat(),
            "available": False,
            "reason": reason,
        }
    free = days_ahead(container, 2)
    assert await _day(client, tenant, free) == {
        "date": free.isoformat(),
        "available": True,
        "reason": None,
    }

    response = await client.get(
        "/v1/availability/unavailable",
        params={
            "startDate": days_ahead(container, -1).isoformat(),
            "endDate": days_ahead(container, 101).isoformat(),
        },
        headers=tenant.headers,
    )
    assert response.status_code == 200
    listed = {item["date"]: item["reason"] for item in response.json()["dates"]}
    assert {d.isoformat(): r for d, r in expected.items()}.items() <= listed.items()
    assert free.isoformat() not in listed
    # Exactly the unavailable dates: 1 past + 2 too soon + 4 occupied + 1 too far.
    assert len(listed) == 8
    assert [item["date"] for item in response.json()["dates"]] == sorted(listed)


async def test_a_hold_past_its_expiry_no_longer_blocks_even_before_it_is_released(
    container, client
):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 20)
    await hold_booking(container, tenant, day)
    assert (await _day(client, tenant, day))["reason"] == "held"

    container.clock.advance(timedelta(minutes=32))

    assert (await _day(client, tenant, day))["available"] is True


async def test_range_is_validated(container, client):
    tenant = await make_tenant(container)
    start = days_ahead(container, 1)
    for params in (
        {"startDate": start.isoformat(), "endDate": (start + timedelta(days=366)).isoformat()},
        {"startDate": start.isoformat(), "endDate": (start - timedelta(days=1)).isoformat()},
        {"startDate": "2030-02-30", "endDate": "2030-03-01"},
        {"startDate": start.isoformat()},
    ):
        response = await client.get(
            "/v1/availability/unavailable", params=params, headers=tenant.headers
        )
        assert response.status_code == 422, params
        assert response.json()["error"] == "VALIDATION_ERROR"
    longest = {"startDate": start.isoformat(), "endDate": (start + timedelta(days=365)).isoformat()}
    ok = await client.get("/v1/availability/unavailable", params=longest, headers=tenant.headers)
    assert ok.status_code == 200
    bad_day = await client.get(
        "/v1/availability", params={"date": "tomorrow"}, headers=tenant.headers
    )
    assert bad_day.status_code == 422


async def test_availability_needs_the_tenant_key(client):
    response = await client.get("/v1/availability", params={"date": "2030-01-01"})
    assert response.status_code == 401
    assert response.json()["error"] == "TENANT_KEY_REQUIRED"


async def test_today_is_decided_in_the_tenants_time_zone(container, client):
    auckland = await make_tenant(container, timezone="Pacific/Auckland", min_notice_days=0)
    los_angeles = await make_tenant(container, timezone="America/Los_Angeles", min_notice_days=0)
    # 11:30 UTC on 15 June 2030: 23:30 on the 15th in Auckland (UTC+12), 04:30 in Los Angeles.
    container.clock.freeze(datetime(2030, 6, 15, 11, 30, tzinfo=UTC))
    day = date(2030, 6, 15)
    assert (await _day(client, auckland, day))["available"] is True
    assert (await _day(client, los_angeles, day))["available"] is True

    # One hour later it is already the 16th in Auckland; still the morning of the 15th in LA.
    container.clock.advance(timedelta(hours=1))
    assert (await _day(client, auckland, day))["reason"] == "past"
    assert (await _day(client, los_angeles, day))["available"] is True
    assert (await _day(client, auckland, date(2030, 6, 16)))["available"] is True

    # And LA's 15th ends at 07:00 UTC on the 16th.
    container.clock.freeze(datetime(2030, 6, 16, 7, 0, tzinfo=UTC))
    assert (await _day(client, los_angeles, day))["reason"] == "past"
    assert (await _day(client, los_angeles, date(2030, 6, 16)))["available"] is True


class _BrokenCalendar(MemoryCalendar):
    async def busy_dates(self, calendar_id, start, end, timezone):
        raise CalendarUnavailable("Google said 503")


class _SlowCalendar(MemoryCalendar):
    async def busy_dates(self, calendar_id, start, end, timezone):
        await asyncio.sleep(5)
        return set()


async def test_a_calendar_outage_fails_open_and_is_counted_in_the_metrics(container, client):
    tenant = await make_tenant(container, calendar_id="cal-down")
    container.calendar = _BrokenCalendar()
    before = await scrape(client, CALENDAR_FAILURES)
    day = days_ahead(container, 30)

    body = await _day(client, tenant, day)

    assert body["available"] is True
    assert await scrape(client, CALENDAR_FAILURES) == before + 1


async def test_a_slow_calendar_times_out_fails_open_and_is_counted():
    busy_days = CalendarBusyDays(_SlowCalendar(), MemoryCache(), timeout_seconds=0.05)
    before = REGISTRY.get_sample_value(CALENDAR_FAILURES) or 0.0
    day = date(2030, 1, 10)

    assert await busy_days.busy_between(uuid.uuid4(), "cal", day, day, "UTC") == set()
    assert REGISTRY.get_sample_value(CALENDAR_FAILURES) == before + 1


async def test_busy_days_are_cached_per_month_for_a_minute(container, client):
    tenant = await make_tenant(container, calendar_id="cal-2")
    day = days_ahead(container, 40)
    container.calendar.mark_busy("cal-2", day)
    assert (await _day(client, tenant, day))["reason"] == "calendar"

    container.calendar.busy["cal-2"].clear()  # freed in the calendar: seen after the cache expires
    assert (await _day(client, tenant, day))["reason"] == "calendar"
    keys = [key async for key in _cache_keys(container)]
    assert any(key.startswith(f"calendar-busy:{tenant.id}:cal-2:") for key in keys)


async def _cache_keys(container):
    cache = container.cache
    if hasattr(cache, "keys"):
        for key in cache.keys():  # noqa: SIM118 - MemoryCache.keys() is a method
            yield key
    else:  # Redis, possibly behind a local tier
        redis = getattr(cache, "shared", cache)
        async for key in redis.client.scan_iter(match="calendar-busy:*"):
            yield key.decode()


@pytest.mark.parametrize("calendar_backend", ["google"])
async def test_the_platform_calendar_is_read_when_the_tenant_has_none(
    container, client, fake_google
):
    tenant = await make_tenant(container)
    day = days_ahead(container, 50)
    fake_google.add_busy(
        SHARED_CALENDAR, f"{day.isoformat()}T15:00:00-05:00", f"{day.isoformat()}T18:00:00-05:00"
    )

    assert (await _day(client, tenant, day))["reason"] == "calendar"
    [free_busy] = fake_google.api_requests("/calendar/v3/freeBusy")
    assert free_busy.json()["items"] == [{"id": SHARED_CALENDAR}]


async def test_in_mock_mode_availability_reads_the_tenants_own_memory_calendar(container, client):
    tenant = await make_tenant(container)
    async with container.db.sessionmaker() as session:
        row = await session.get(Tenant, tenant.id)
    calendar_id = calendar_id_for(row, container.settings, container.calendar)
    day = days_ahead(container, 50)
    container.calendar.mark_busy(calendar_id, day)

    assert calendar_id == f"memory:{tenant.id}"
    assert (await _day(client, tenant, day))["reason"] == "calendar"


@pytest.mark.parametrize("calendar_backend", ["memory", "google"])
async def test_a_confirmed_bookings_own_calendar_event_reads_booked_and_leaves_with_it(
    container, client, fake_google
):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 30)
    booking = await confirmed_booking(container, tenant, day)
    await JobWorker(container).drain()  # the booking's all-day event is on the calendar
    if container.calendar.backend == "memory":
        assert container.calendar.events[f"memory:{tenant.id}"]
    else:
        assert fake_google.events[SHARED_CALENDAR]

    assert (await _day(client, tenant, day))["reason"] == "booked"
    listed = await client.get(
        "/v1/availability/unavailable",
        params={"startDate": day.isoformat(), "endDate": day.isoformat()},
        headers=tenant.headers,
    )
    assert listed.json()["dates"] == [{"date": day.isoformat(), "reason": "booked"}]

    await cancel_booking(container, tenant, booking.id)
    assert (await _day(client, tenant, day))["reason"] == "calendar"  # event not yet removed
    await JobWorker(container).drain()  # the event is deleted and the cached month forgotten

    assert (await _day(client, tenant, day))["available"] is True


async def test_one_tenants_bookings_never_block_another_tenant(container, client):
    alpha = await add_catalog(container, await make_tenant(container))
    beta = await make_tenant(container)
    day = days_ahead(container, 25)
    await confirmed_booking(container, alpha, day)
    assert (await _day(client, alpha, day))["reason"] == "booked"
    assert (await _day(client, beta, day))["available"] is True
