"""Job handler for `email.booking`: one e-mail about one booking event to one audience."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mais.jobs.registry import PermanentJobError, job_handler
from mais.notifications.compose import CUSTOMER, TENANT
from mais.notifications.events import EMAIL_JOB, BookingEvent
from mais.notifications.service import BookingEmailService

if TYPE_CHECKING:
    from mais.container import Container


@job_handler(EMAIL_JOB)
async def send_booking_email(container: Container, payload: dict[str, Any]) -> None:
    try:
        tenant_id = uuid.UUID(str(payload["tenant_id"]))
        booking_id = uuid.UUID(str(payload["booking_id"]))
        event = BookingEvent(payload["event"])
        audience = str(payload["audience"])
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"malformed {EMAIL_JOB} payload: {exc}") from exc
    if audience not in (CUSTOMER, TENANT):
        raise PermanentJobError(f"unknown audience {audience!r}")
    await BookingEmailService(container).send_booking_email(
        tenant_id=tenant_id,
        booking_id=booking_id,
        event=event,
        audience=audience,
        occurrence=payload.get("occurrence"),
    )
