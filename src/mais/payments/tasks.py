"""Payment side effects that run as durable jobs: automatic refunds, closing the Checkout
session of a canceled hold, and retrying webhook events whose processing failed."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mais.bookings.service import AUTO_REFUND_JOB, EXPIRE_SESSION_JOB, BookingService
from mais.jobs.registry import job_handler
from mais.payments.service import WEBHOOK_RETRY_JOB, StripeWebhookService, WebhookOutcome

if TYPE_CHECKING:
    from mais.container import Container


class WebhookStillFailing(Exception):
    """Raised so the worker backs off and tries the event again later."""


@job_handler(AUTO_REFUND_JOB)
async def refund_unfulfillable_payment(container: Container, payload: dict[str, Any]) -> None:
    async with container.db.transaction() as session:
        service = BookingService(session, container, uuid.UUID(payload["tenant_id"]))
        await service.auto_refund(
            uuid.UUID(payload["booking_id"]), uuid.UUID(payload["payment_id"])
        )


@job_handler(EXPIRE_SESSION_JOB)
async def expire_checkout_session(container: Container, payload: dict[str, Any]) -> None:
    await container.payments.expire_checkout_session(payload["session_id"])


@job_handler(WEBHOOK_RETRY_JOB)
async def retry_failed_webhook(container: Container, payload: dict[str, Any]) -> None:
    outcome = await StripeWebhookService(container).process_stored(
        uuid.UUID(payload["webhook_event_id"])
    )
    if outcome is WebhookOutcome.failed:
        raise WebhookStillFailing(f"webhook event {payload['webhook_event_id']} still fails")
