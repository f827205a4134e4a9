"""Job handler for `calendar.sync`: make the tenant's calendar match one booking."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mais.calendar.service import CalendarSyncService
from mais.jobs.registry import PermanentJobError, job_handler
from mais.notifications.events import CALENDAR_JOB

if TYPE_CHECKING:
    from mais.container import Container


@job_handler(CALENDAR_JOB)
async def sync_booking_calendar(container: Container, payload: dict[str, Any]) -> None:
    try:
        tenant_id = uuid.UUID(str(payload["tenant_id"]))
        booking_id = uuid.UUID(str(payload["booking_id"]))
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"malformed {CALENDAR_JOB} payload: {exc}") from exc
    await CalendarSyncService(container).sync_booking(tenant_id, booking_id)
