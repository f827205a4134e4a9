"""Google Calendar through a service account: `google-auth` signs the JWT grant and
refreshes the token (in a thread: it is synchronous), httpx makes the REST calls.

Busy days come from `freeBusy` (queried in windows Google accepts), events are all-day
events whose id is derived from the booking id, so a retried insert cannot duplicate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from mais.adapters.calendar.port import (
    CalendarEvent,
    CalendarPort,
    CalendarUnavailable,
    event_id_for,
)

log = logging.getLogger("mais.calendar")

SCOPES = ("https://www.googleapis.com/auth/calendar",)
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Google refuses freeBusy ranges longer than about 90 days; stay well inside.
FREEBUSY_WINDOW_DAYS = 60


class _TokenResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class _TokenTransport(google.auth.transport.Request):
    """google-auth's transport interface over a synchronous httpx client (with timeouts),
    used only for the token endpoint."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        self._client = httpx.Client(timeout=timeout)

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _TokenResponse:
        try:
            response = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(str(exc)) from exc
        return _TokenResponse(response)

    def close(self) -> None:
        self._client.close()


def days_covered(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    """Every calendar day in `zone` that the interval [start, end) touches."""
    if end <= start:
        return
    day = start.astimezone(zone).date()
    last = (end.astimezone(zone) - timedelta(microseconds=1)).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _windows(start: date, end: date) -> Iterator[tuple[date, date]]:
    window_start = start
    while window_start <= end:
        window_end = min(end, window_start + timedelta(days=FREEBUSY_WINDOW_DAYS - 1))
        yield window_start, window_end
        window_start = window_end + timedelta(days=1)


def _local_midnight(day: date, zone: ZoneInfo) -> str:
    return datetime.combine(day, time(0), tzinfo=zone).isoformat()


def _parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class GoogleCalendar(CalendarPort):
    backend = "google"

    def __init__(
        self,
        service_account_info: Mapping[str, Any],
        *,
        api_base: str = "https://www.googleapis.com",
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        # token_uri comes from the key itself, which is how tests point it at a local fake.
        self._credentials = service_account.Credentials.from_service_account_info(
            dict(service_account_info), scopes=list(SCOPES)
        )
        self._token_transport = _TokenTransport(timeout)
        self._token_lock = asyncio.Lock()
        self._client = httpx.AsyncClient(
            base_url=f"{api_base.rstrip('/')}/calendar/v3", timeout=timeout
        )

    @property
    def service_account_email(self) -> str:
        return str(self._credentials.service_account_email)

    # --- tokens ---------------------------------------------------------------------

    async def _access_token(self) -> str:
        """A cached token until google-auth considers it expired (it refreshes a few
        minutes early); one refresh at a time."""
        if self._credentials.valid:
            return str(self._credentials.token)
        async with self._token_lock:
            if not self._credentials.valid:
                try:
                    await asyncio.to_thread(self._credentials.refresh, self._token_transport)
                except google.auth.exceptions.GoogleAuthError as exc:
                    raise CalendarUnavailable(f"Google token refresh failed: {exc}") from exc
        return str(self._credentials.token)

    async def _call(
        self, method: str, path: str, *, json_body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One authorised request; a 401 (token revoked early) gets one fresh token."""
        for attempt in (1, 2):
            token = await self._access_token()
            try:
                response = await self._client.request(
                    method, path, json=json_body, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError as exc:
                raise CalendarUnavailable(
                    f"Google Calendar unreachable: {exc.__class__.__name__}"
                ) from exc
            if response.status_code == 401 and attempt == 1:
                self._credentials.token = None
                continue
            return response
        raise AssertionError("unreachable")

    # --- the port ---------------------------------------------------------------------

    async def busy_dates(
        self, calendar_id: str, start: date, end: date, timezone: str
    ) -> set[date]:
        if end < start:
            return set()
        zone = ZoneInfo(timezone)
        chunks = await asyncio.gather(
            *(
                self._busy_in_window(calendar_id, first, last, zone)
                for first, last in _windows(start, end)
            )
        )
        return {day for chunk in chunks for day in chunk if start <= day <= end}

    async def _busy_in_window(
        self, calendar_id: str, start: date, end: date, zone: ZoneInfo
    ) -> set[date]:
        response = await self._call(
            "POST",
            "/freeBusy",
            json_body={
                "timeMin": _local_midnight(start, zone),
                "timeMax": _local_midnight(end + timedelta(days=1), zone),
                "timeZone": zone.key,
                "items": [{"id": calendar_id}],
            },
        )
        _raise_for_status(response, "freeBusy")
        entry = (response.json().get("calendars") or {}).get(calendar_id)
        if entry is None:
            raise CalendarUnavailable(f"freeBusy answered nothing for calendar {calendar_id}")
        if entry.get("errors"):
            reasons = ", ".join(str(e.get("reason")) for e in entry["errors"])
            raise CalendarUnavailable(f"freeBusy failed for calendar {calendar_id}: {reasons}")
        days: set[date] = set()
        for interval in entry.get("busy", []):
            busy_start = _parse_instant(interval["start"])
            busy_end = _parse_instant(interval["end"])
            days.update(days_covered(busy_start, busy_end, zone))
        return days

    async def insert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        event_id = event_id_for(event.booking_id)
        response = await self._call(
            "POST",
            f"/calendars/{quote(calendar_id, safe='')}/events",
            json_body={
                "id": event_id,
                "summary": event.summary,
                "description": event.description,
                # All-day: dates, not instants, so no time zone can move the day.
                "start": {"date": event.date.isoformat()},
                "end": {"date": (event.date + timedelta(days=1)).isoformat()},
                "transparency": "opaque",
                "extendedProperties": {"private": {"maisBookingId": event.booking_id}},
            },
        )
        if response.status_code == 409:
            # The id is derived from the booking: it exists because an earlier attempt
            # (whose answer we lost) created it.
            log.info("calendar event already exists", extra={"event_id": event_id})
            return event_id
        _raise_for_status(response, "events.insert")
        return str(response.json().get("id", event_id))

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        response = await self._call(
            "DELETE",
            f"/calendars/{quote(calendar_id, safe='')}/events/{quote(event_id, safe='')}",
        )
        if response.status_code in (404, 410):
            return  # already gone (deleted by us earlier, or by the tenant)
        _raise_for_status(response, "events.delete")

    async def close(self) -> None:
        await self._client.aclose()
        self._token_transport.close()


def _raise_for_status(response: httpx.Response, operation: str) -> None:
    if response.is_success:
        return
    try:
        message = response.json().get("error", {}).get("message")
    except (ValueError, AttributeError):
        message = None
    raise CalendarUnavailable(
        f"Google Calendar {operation} answered {response.status_code}: {message or 'no detail'}"
    )
