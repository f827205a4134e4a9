"""Stripe webhook intake and processing.

An event is verified (signature over the raw body, with a tolerance window), stored
first under its unique (source, event id) — committed before any processing — and then
processed in its own transaction that starts by claiming the stored row: concurrent
deliveries of one event queue on that row and find it processed. A failed processing
is recorded (`failed`, attempts, last error), answered 503 (with Retry-After) so Stripe
delivers it again, and retried by a background job; the platform admin's retry runs
`process_in` inside its request. Every event is counted in
`mais_webhook_events_total{type,outcome}`.

This service manages its own transactions (the insert must commit before processing),
so the webhook endpoint does not use the request session."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import orjson
import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.payments.port import account_status_of
from mais.audit.service import STRIPE, record
from mais.bookings.repository import BookingLookup, BookingRef
from mais.bookings.service import BookingService, PaidCheckout
from mais.core.errors import BadRequest, ServiceUnavailable
from mais.jobs.queue import enqueue
from mais.models import WebhookEvent, utcnow
from mais.observability.metrics import WEBHOOK_EVENTS
from mais.payments.connect_service import ConnectService
from mais.payments.repository import PaymentLookup, WebhookEventRepository
from mais.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.payments.webhooks")

SOURCE = "stripe"
SIGNATURE_TOLERANCE_SECONDS = 300
WEBHOOK_RETRY_JOB = "payments.webhook_retry"
FIRST_RETRY_DELAY = timedelta(seconds=30)


class InvalidSignature(BadRequest):
    code = "INVALID_SIGNATURE"
    message = "The Stripe-Signature header is missing, invalid or too old."


class InvalidWebhookPayload(BadRequest):
    code = "INVALID_PAYLOAD"
    message = "The webhook body is not a Stripe event."


class WebhookProcessingFailed(ServiceUnavailable):
    """Stored but not processed: a temporary condition, not a bug of the request. Stripe
    re-delivers on any non-2xx answer; our own retry job runs after FIRST_RETRY_DELAY."""

    code = "WEBHOOK_PROCESSING_FAILED"
    message = "The event was stored but could not be processed; it will be retried."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(int(FIRST_RETRY_DELAY.total_seconds()))})


class WebhookOutcome(StrEnum):
    processed = "processed"
    duplicate = "duplicate"  # already processed (a re-delivery or a concurrent one)
    failed = "failed"  # stored; processed again on re-delivery and by the retry job
    ignored = "ignored"  # a type we do not handle: recorded and acknowledged


@dataclass(frozen=True)
class Handled:
    """What processing an event did: the tenant it concerned and a note for the record."""

    tenant_id: uuid.UUID | None
    note: str | None = None


@dataclass(frozen=True)
class VerifiedEvent:
    id: str
    type: str
    payload: str


def verify_stripe_event(payload: bytes, signature: str | None, secret: str) -> VerifiedEvent:
    """Check `Stripe-Signature` over the raw body with the SDK, then parse the envelope."""
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature or "", secret, SIGNATURE_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise InvalidSignature() from exc
    try:
        event = orjson.loads(payload)
        event_id, event_type = event["id"], event["type"]
        if not (isinstance(event_id, str) and isinstance(event_type, str)) or not event_id:
            raise TypeError("id and type must be strings")
        if not isinstance(event.get("data", {}).get("object"), dict):
            raise TypeError("data.object must be an object")
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidWebhookPayload() from exc
    return VerifiedEvent(id=event_id, type=event_type, payload=text)


EventHandler = Callable[["StripeWebhookService", AsyncSession, dict[str, Any]], Awaitable[Handled]]


def _id_of(value: Any) -> str | None:
    """Stripe fields that may be an id or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


class StripeWebhookService:
    def __init__(self, container: Container) -> None:
        self.container = container

    async def receive(self, payload: bytes, signature: str | None) -> WebhookOutcome:
        """Verify, store (insert-first), process. Raises InvalidSignature /
        InvalidWebhookPayload (400) and WebhookProcessingFailed (503)."""
        event = verify_stripe_event(
            payload, signature, self.container.settings.effective_webhook_secret
        )
        async with self.container.db.transaction() as session:
            events = WebhookEventRepository(session)
            await events.insert_if_new(
                source=SOURCE,
                event_id=event.id,
                event_type=event.type,
                payload=event.payload,
                now=utcnow(),
            )
            stored = await events.get(SOURCE, event.id)
            assert stored is not None
            stored_id = stored.id
        outcome = await self.process_stored(stored_id)
        if outcome is WebhookOutcome.failed:
            raise WebhookProcessingFailed()
        return outcome

    async def process_stored(self, webhook_event_id: uuid.UUID) -> WebhookOutcome:
        """Process a stored event unless it already was (safe to call concurrently), in a
        transaction of its own."""
        async with self.container.db.transaction() as session:
            return await self.process_in(session, webhook_event_id)

    async def process_in(
        self, session: AsyncSession, webhook_event_id: uuid.UUID
    ) -> WebhookOutcome:
        """Process a stored event in the caller's transaction (the admin's retry runs in its
        request's). Claiming the row comes first, so a concurrent delivery waits on it and
        then finds the event processed. The handler runs in a savepoint: when it fails, its
        work is undone and the event stays `failed` (attempts, last error) with a retry job
        queued, all in the caller's transaction."""
        events = WebhookEventRepository(session)
        claimed = await events.claim(webhook_event_id)
        stored = await events.get_by_id(webhook_event_id)
        event_type = stored.type if stored is not None else "unknown"
        if not claimed or stored is None:
            outcome = WebhookOutcome.duplicate
        else:
            try:
                async with session.begin_nested():
                    outcome = await self._run_handler(session, stored)
            except Exception as exc:
                log.exception("stripe webhook event %s failed", webhook_event_id)
                await events.mark_failed(webhook_event_id, f"{exc.__class__.__name__}: {exc}")
                await enqueue(
                    session,
                    WEBHOOK_RETRY_JOB,
                    {"webhook_event_id": str(webhook_event_id)},
                    dedupe_key=f"webhook-retry:{webhook_event_id}",
                    run_at=utcnow() + FIRST_RETRY_DELAY,
                )
                outcome = WebhookOutcome.failed
        WEBHOOK_EVENTS.labels(event_type, outcome.value).inc()
        return outcome

    async def _run_handler(self, session: AsyncSession, stored: WebhookEvent) -> WebhookOutcome:
        """Apply a claimed event in the caller's transaction and mark it processed."""
        handler = EVENT_HANDLERS.get(stored.type)
        if handler is None:
            handled = Handled(None, f"not handled: {stored.type} (acknowledged)")
        else:
            handled = await handler(self, session, orjson.loads(stored.payload)["data"]["object"])
        await WebhookEventRepository(session).mark_processed(
            stored.id, now=utcnow(), tenant_id=handled.tenant_id, note=handled.note
        )
        return WebhookOutcome.ignored if handler is None else WebhookOutcome.processed

    # --- handlers -------------------------------------------------------------------

    async def _booking_of_session(
        self, session: AsyncSession, obj: dict[str, Any]
    ) -> BookingRef | None:
        """Our booking for a Checkout session, found by the session id we stored (the
        metadata only cross-checks it)."""
        ref = await BookingLookup(session).by_checkout_session(str(obj.get("id")))
        claimed = (obj.get("metadata") or {}).get("booking_id")
        if ref is not None and claimed and claimed != str(ref.id):
            log.warning(
                "session %s metadata names booking %s, ours is %s", obj.get("id"), claimed, ref.id
            )
        return ref

    async def _booking_of_intent(
        self, session: AsyncSession, obj: dict[str, Any]
    ) -> BookingRef | None:
        lookup = BookingLookup(session)
        ref = await lookup.by_payment_intent(str(obj.get("id")))
        if ref is None:
            ref = await lookup.by_id(str((obj.get("metadata") or {}).get("booking_id") or ""))
        return ref

    async def on_session_paid(self, session: AsyncSession, obj: dict[str, Any]) -> Handled:
        ref = await self._booking_of_session(session, obj)
        if ref is None:
            return Handled(None, f"unknown checkout session {obj.get('id')}")
        if obj.get("payment_status") not in ("paid", "no_payment_required"):
            # Delayed payment methods: `async_payment_succeeded` will follow.
            return Handled(ref.tenant_id, f"payment {obj.get('payment_status')}; waiting")
        intent = _id_of(obj.get("payment_intent"))
        if intent is None:
            raise ValueError(f"paid session {obj.get('id')} has no payment_intent")
        paid = PaidCheckout(
            session_id=str(obj["id"]),
            payment_intent_id=intent,
            amount_cents=int(obj.get("amount_total") or 0),
            currency=str(obj.get("currency") or "usd"),
        )
        service = BookingService(session, self.container, ref.tenant_id)
        return Handled(ref.tenant_id, await service.record_paid_checkout(ref.id, paid))

    async def on_session_closed(self, session: AsyncSession, obj: dict[str, Any]) -> Handled:
        """`checkout.session.expired` or `async_payment_failed`: the hold ends now."""
        ref = await self._booking_of_session(session, obj)
        if ref is None:
            return Handled(None, f"unknown checkout session {obj.get('id')}")
        cause = (
            "checkout session expired" if obj.get("status") == "expired" else "async payment failed"
        )
        service = BookingService(session, self.container, ref.tenant_id)
        released = await service.expire_hold(ref.id, STRIPE, cause)
        return Handled(ref.tenant_id, "hold released" if released else "booking was not held")

    async def on_intent_succeeded(self, session: AsyncSession, obj: dict[str, Any]) -> Handled:
        ref = await self._booking_of_intent(session, obj)
        # Confirmation follows `checkout.session.completed`, which names our session.
        return Handled(ref.tenant_id if ref else None, "recorded")

    async def on_intent_failed(self, session: AsyncSession, obj: dict[str, Any]) -> Handled:
        ref = await self._booking_of_intent(session, obj)
        if ref is None:
            return Handled(None, f"failed payment {obj.get('id')} of no known booking")
        error = obj.get("last_payment_error") or {}
        record(
            session,
            STRIPE,
            "payment.failed",
            "booking",
            ref.id,
            tenant_id=ref.tenant_id,
            after={
                "paymentIntent": obj.get("id"),
                "code": error.get("code"),
                "message": error.get("message"),
            },
        )
        # The customer may try another card: the hold stays until it expires.
        return Handled(ref.tenant_id, "payment failed; hold kept")

    async def on_charge_refunded(self, session: AsyncSession, obj: dict[str, Any]) -> Handled:
        intent = _id_of(obj.get("payment_intent"))
        ref = await PaymentLookup(session).by_processor_id(intent) if intent else None
        if ref is None:
            return Handled(None, f"refund of unknown payment {intent or obj.get('id')} recorded")
        refunds = ((obj.get("refunds") or {}).get("data")) or []
        service = BookingService(session, self.container, ref.tenant_id)
        note = await service.sync_refunds_from_processor(
            ref.booking_id,
            ref.id,
            amount_refunded=int(obj.get("amount_refunded") or 0),
            refund_ids=[r["id"] for r in refunds if isinstance(r, dict) and r.get("id")],
            occurrence=str(obj.get("id")),
        )
        return Handled(ref.tenant_id, note)

    async def on_account_updated(self, session: AsyncSession, obj: dict[str, Any]) -> Handled:
        tenant = await TenantRepository(session).get_by_stripe_account(str(obj.get("id")))
        if tenant is None:
            return Handled(None, f"unknown account {obj.get('id')}")
        changed = await ConnectService(session, self.container).apply_account_status(
            STRIPE, tenant, account_status_of(obj)
        )
        return Handled(tenant.id, "onboarding state updated" if changed else "no change")


EVENT_HANDLERS: dict[str, EventHandler] = {
    "checkout.session.completed": StripeWebhookService.on_session_paid,
    "checkout.session.async_payment_succeeded": StripeWebhookService.on_session_paid,
    "checkout.session.async_payment_failed": StripeWebhookService.on_session_closed,
    "checkout.session.expired": StripeWebhookService.on_session_closed,
    "payment_intent.succeeded": StripeWebhookService.on_intent_succeeded,
    "payment_intent.payment_failed": StripeWebhookService.on_intent_failed,
    "charge.refunded": StripeWebhookService.on_charge_refunded,
    "account.updated": StripeWebhookService.on_account_updated,
}
