"""Busy days from the tenant's external calendar, cached briefly and failing open.

Lookups are cached per calendar month under `calendar-busy:<tenant id>:<calendar>:<YYYY-MM>`
for 60 s: the widget's month view and the checkout of a day in it share one entry. The
keys are deliberately not under `catalog:`: a catalog edit does not change anyone's
calendar, and the short lifetime bounds how stale a busy day can be. A calendar outage
(error or timeout) must never block bookings: it is logged, counted in
`mais_calendar_failures_total`, and treated as "no busy days". When the calendar sync
changes an event it forgets the cached month (`forget_busy_days`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date

import orjson

from mais.adapters.cache import Cache
from mais.adapters.calendar import CalendarPort, CalendarUnavailable
from mais.availability.months import month_end, month_start, months_covering
from mais.observability.metrics import CALENDAR_FAILURES

log = logging.getLogger("mais.availability.calendar")

BUSY_TTL_SECONDS = 60
LOOKUP_TIMEOUT_SECONDS = 3.0


def busy_key(tenant_id: uuid.UUID, calendar_id: str, month: date) -> str:
    return f"calendar-busy:{tenant_id}:{calendar_id}:{month:%Y-%m}"


async def forget_busy_days(cache: Cache, tenant_id: uuid.UUID, calendar_id: str, day: date) -> None:
    """Drop the cached busy days of `day`'s month (its calendar just changed). A cache
    error is only logged: the entry expires within BUSY_TTL_SECONDS anyway."""
    try:
        await cache.delete(busy_key(tenant_id, calendar_id, month_start(day)))
    except Exception:
        log.warning("could not forget cached busy days", exc_info=True)


class CalendarBusyDays:
    def __init__(
        self,
        calendar: CalendarPort,
        cache: Cache,
        *,
        timeout_seconds: float = LOOKUP_TIMEOUT_SECONDS,
    ) -> None:
        self.calendar = calendar
        self.cache = cache
        self.timeout_seconds = timeout_seconds

    async def busy_between(
        self, tenant_id: uuid.UUID, calendar_id: str | None, start: date, end: date, timezone: str
    ) -> set[date]:
        if not calendar_id:
            return set()
        months = months_covering(start, end)
        busy: set[date] = set()
        missing: list[date] = []
        for month in months:
            cached = await self.cache.get(busy_key(tenant_id, calendar_id, month))
            if cached is None:
                missing.append(month)
            else:
                busy.update(date.fromisoformat(d) for d in orjson.loads(cached))
        if missing:
            fetched = await self._fetch(calendar_id, missing[0], month_end(missing[-1]), timezone)
            if fetched is not None:
                for month in missing:
                    in_month = sorted(d for d in fetched if month_start(d) == month)
                    await self.cache.set(
                        busy_key(tenant_id, calendar_id, month),
                        orjson.dumps([d.isoformat() for d in in_month]),
                        BUSY_TTL_SECONDS,
                    )
                busy.update(fetched)
        return {d for d in busy if start <= d <= end}

    async def _fetch(
        self, calendar_id: str, start: date, end: date, timezone: str
    ) -> set[date] | None:
        try:
            return await asyncio.wait_for(
                self.calendar.busy_dates(calendar_id, start, end, timezone), self.timeout_seconds
            )
        except TimeoutError:
            log.warning(
                "calendar busy lookup timed out; treating days as free",
                extra={"calendar": calendar_id},
            )
        except CalendarUnavailable as exc:
            log.warning(
                "calendar unavailable; treating days as free: %s",
                exc,
                extra={"calendar": calendar_id},
            )
        except Exception:
            # A bug in an adapter must not stop bookings either; it is loud in the logs.
            log.exception("calendar busy lookup failed; treating days as free")
        CALENDAR_FAILURES.inc()
        return None
