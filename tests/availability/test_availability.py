"""GET /v1/availability and /v1/availability/unavailable (SPEC §4): one rule, all reasons."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

from mais.adapters.cache import MemoryCache
from mais.adapters.calendar import CalendarUnavailable, MemoryCalendar
from mais.availability.calendar_busy import CALENDAR_STATS, CalendarBusyDays
from mais.models import BlackoutDate, utcnow
from tests.factories.world import (
    add_catalog,
    confirmed_booking,
    days_ahead,
    hold_booking,
    make_tenant,
)


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


async def test_a_calendar_outage_fails_open_and_is_counted(container, client):
    tenant = await make_tenant(container, calendar_id="cal-down")
    container.calendar = _BrokenCalendar()
    before = CALENDAR_STATS.failures
    day = days_ahead(container, 30)

    body = await _day(client, tenant, day)

    assert body["available"] is True
    assert CALENDAR_STATS.failures == before + 1


async def test_a_slow_calendar_times_out_and_fails_open():
    busy_days = CalendarBusyDays(_SlowCalendar(), MemoryCache(), timeout_seconds=0.05)
    before = CALENDAR_STATS.timeouts
    day = date(2030, 1, 10)

    assert await busy_days.busy_between(uuid.uuid4(), "cal", day, day, "UTC") == set()
    assert CALENDAR_STATS.timeouts == before + 1


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


async def test_settings_calendar_is_used_when_the_tenant_has_none(container, client):
    container.settings.google_calendar_id = "shared-cal"
    tenant = await make_tenant(container)
    day = days_ahead(container, 50)
    container.calendar.mark_busy("shared-cal", day)
    assert (await _day(client, tenant, day))["reason"] == "calendar"


async def test_one_tenants_bookings_never_block_another_tenant(container, client):
    alpha = await add_catalog(container, await make_tenant(container))
    beta = await make_tenant(container)
    day = days_ahead(container, 25)
    await confirmed_booking(container, alpha, day)
    assert (await _day(client, alpha, day))["reason"] == "booked"
    assert (await _day(client, beta, day))["available"] is True
