"""Booking rules: holds at checkout, summaries for the customer, confirmation from a
payment, completion after the event, cancellation and refunds.

Every state change writes an audit entry and queues its side effects (e-mail, calendar,
refund jobs) in the caller's transaction. The partial unique index on (tenant, date)
for held/confirmed bookings is the final word on double booking; the availability check
before it only gives the customer a precise reason."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.payments import (
    CheckoutRequest,
    CheckoutSession,
    LineItem,
    PaymentProviderError,
    PaymentProviderUnavailable,
    RefundRequest,
)
from mais.audit.service import STRIPE, Actor, audit_entry, record
from mais.availability.repository import BlackoutRepository
from mais.availability.service import AvailabilityService, UnavailableReason, unavailable_reason
from mais.bookings.commission import Totals, compute_totals, refunded_fee_cents
from mais.bookings.errors import (
    BookingNotCancelable,
    BookingNotRefundable,
    DateUnavailable,
    InvalidRefundAmount,
    PaymentProviderFailed,
    PaymentProviderUnavailableError,
    TenantNotOnboarded,
)
from mais.bookings.idempotency import IdempotencyGuard, fingerprint, validate_key
from mais.bookings.repository import BookingRepository, CustomerRepository
from mais.bookings.schemas import (
    BookedAddOnOut,
    BookingSummaryOut,
    CheckoutIn,
    CheckoutOut,
    PackageRefOut,
    TotalsOut,
)
from mais.catalog.repository import OfferedAddOn, PackageRepository, PricedPackage
from mais.core.clock import local_date
from mais.core.db import rollback
from mais.core.errors import NotFound, ValidationFailed
from mais.jobs.queue import enqueue
from mais.models import (
    Booking,
    BookingAddOn,
    BookingStatus,
    Payment,
    PaymentStatus,
    Refund,
    Tenant,
    new_id,
)
from mais.notifications.events import BookingEvent, enqueue_booking_notifications
from mais.payments.repository import PaymentRepository, RefundRepository
from mais.tenants.context import TenantContext
from mais.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.bookings")

# Stripe refuses a session expiring less than 30 minutes after *its* clock says it was
# created; a minute of margin absorbs network latency and clock skew. The hold ends
# exactly when the session does.
CHECKOUT_EXPIRY_MARGIN = timedelta(minutes=1)

HOLD_SWEEPER = Actor(role="system", label="hold expiry")
BOOKING_COMPLETER = Actor(role="system", label="booking completion")
AUTO_REFUNDER = Actor(role="system", label="automatic refund")
AUTO_REFUND_JOB = "payments.auto_refund"
EXPIRE_SESSION_JOB = "payments.expire_checkout_session"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _state(booking: Booking) -> dict[str, Any]:
    return {
        "status": booking.status,
        "eventDate": booking.event_date.isoformat(),
        "refundedCents": booking.refunded_cents,
    }


def _is_date_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_bookings_tenant_date_active" in text or (
        "bookings.tenant_id, bookings.event_date" in text
    )


def _append_query(url: str, query: str) -> str:
    """Append raw `query` (it may hold Stripe's literal {CHECKOUT_SESSION_ID})."""
    base, _, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{query}"
    return f"{joined}#{fragment}" if fragment else joined


def booking_summary(booking: Booking) -> BookingSummaryOut:
    """The customer-facing view of a booking (SPEC §4); add-ons must be loaded."""
    live_hold = booking.status in (BookingStatus.held, BookingStatus.expired)
    return BookingSummaryOut(
        id=booking.id,
        status=booking.status,
        event_date=booking.event_date,
        couple_name=booking.couple_name,
        email=booking.email,
        package=PackageRefOut(id=booking.package_id, title=booking.package_title),
        add_ons=[
            BookedAddOnOut(id=item.add_on_id, title=item.title, price_cents=item.price_cents)
            for item in booking.add_ons
        ],
        totals=totals_out(booking),
        expires_at=booking.hold_expires_at if live_hold else None,
    )


def totals_out(booking: Booking) -> TotalsOut:
    return TotalsOut(
        subtotal_cents=booking.subtotal_cents,
        commission_cents=booking.commission_cents,
        tenant_net_cents=booking.tenant_net_cents,
        currency=booking.currency,
    )


@dataclass(frozen=True)
class CheckoutResponse:
    """What the checkout endpoint answers (possibly a replay of an earlier response)."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class HoldResult:
    booking: Booking
    session: CheckoutSession
    access_token: str


@dataclass(frozen=True)
class PaidCheckout:
    """A payment Stripe reports as done for one of our Checkout sessions."""

    session_id: str
    payment_intent_id: str
    amount_cents: int
    currency: str


class BookingService:
    """Booking rules for one tenant. Construct per transaction:
    `BookingService(session, container, tenant_id)`."""

    def __init__(self, session: AsyncSession, container: Container, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.container = container
        self.settings = container.settings
        self.payments = container.payments
        self.tenant_id = tenant_id
        self.bookings = BookingRepository(session, tenant_id)
        self.payment_rows = PaymentRepository(session, tenant_id)

    def _now(self) -> datetime:
        return self.container.clock.now()

    async def _tenant(self) -> Tenant:
        tenant = await TenantRepository(self.session).get(self.tenant_id)
        if tenant is None:
            raise NotFound("Tenant not found.")
        return tenant

    # --- checkout -----------------------------------------------------------------

    async def checkout(
        self, tenant: TenantContext, request: CheckoutIn, *, idempotency_key: str | None = None
    ) -> CheckoutResponse:
        """`POST /v1/bookings/checkout`: a held booking and its Checkout session, honouring
        `Idempotency-Key` (same key and body → the same response)."""
        guard = IdempotencyGuard(
            self.session, self.tenant_id, self.settings.effective_encryption_key
        )
        key = None
        if idempotency_key is not None:
            key = validate_key(idempotency_key)
            request_hash = fingerprint(request.model_dump(mode="json", by_alias=True))
            stored = await guard.reserve(key, request_hash, self._now())
            if stored is not None:
                return CheckoutResponse(stored.status_code, stored.body)
        result = await self.create_hold(tenant, request)
        body = CheckoutOut(
            booking_id=result.booking.id,
            session_id=result.session.id,
            checkout_url=result.session.url,
            expires_at=result.booking.hold_expires_at or result.session.expires_at,
            access_token=result.access_token,
            totals=totals_out(result.booking),
        ).model_dump(mode="json", by_alias=True)
        if key is not None:
            await guard.complete(key, 201, body)
        return CheckoutResponse(201, body)

    async def create_hold(self, tenant: TenantContext, request: CheckoutIn) -> HoldResult:
        """Validate, price from the database, hold the date and open a Checkout session.

        `tenant` is the request's resolved tenant (the key resolver's cached view, which
        every change to a tenant invalidates), so no tenant row is read here. Raises 422
        for invalid input (unknown package or add-on, past date), 409 DATE_UNAVAILABLE /
        TENANT_NOT_ONBOARDED, 503/502 when the payment provider fails (the hold is rolled
        back with the request, so the date stays free)."""
        if not self.settings.mock_adapters and not (
            tenant.stripe_account_id and tenant.stripe_charges_enabled
        ):
            raise TenantNotOnboarded()
        package = await self._bookable_package(request.package_id)
        add_ons = self._chosen_add_ons(package, request.add_on_ids)
        return_url = self._checked_return_url(tenant, request.return_url)
        now = self._now()
        event_date = request.event_date

        availability = AvailabilityService.of(self.container, self.session, tenant)
        facts = await availability.facts_between(event_date, event_date)
        reason = unavailable_reason(event_date, availability.window, facts)
        if reason is UnavailableReason.past:
            raise ValidationFailed(
                "The event date is in the past.",
                details=[{"field": "eventDate", "issue": "is in the past"}],
            )
        if reason is not None:
            raise DateUnavailable(event_date, reason)

        totals = compute_totals(
            [package.price_cents, *(a.price_cents for a in add_ons)],
            commission_bps=tenant.commission_bps,
            currency=tenant.currency,
            min_cents=tenant.commission_min_cents,
            max_cents=tenant.commission_max_cents,
        )
        access_token = secrets.token_urlsafe(32)
        expires_at = (
            now + timedelta(minutes=self.settings.effective_hold_minutes) + CHECKOUT_EXPIRY_MARGIN
        )
        if event_date in facts.expired_holds:
            await self._release_expired_holds(event_date)
        booking = self._new_hold(
            request, tenant, package, add_ons, totals, access_token, expires_at, return_url
        )
        # The Checkout session is opened before the hold is written: the hold goes in with
        # its session id in one INSERT, and no row is locked while the provider answers.
        # If the provider fails, nothing was written (503/502, the date stays free).
        checkout = await self._open_checkout_session(
            tenant, booking, package, add_ons, totals, return_url
        )
        booking.checkout_session_id = checkout.id
        await self._insert_hold(booking)
        held = audit_entry(
            Actor(role="customer", label=booking.email, tenant_id=tenant.id),
            "booking.held",
            "booking",
            booking.id,
            after=_state(booking)
            | {"checkoutSessionId": checkout.id, "subtotalCents": totals.subtotal_cents},
        )
        await self.bookings.insert(held)
        return HoldResult(booking=booking, session=checkout, access_token=access_token)

    async def _bookable_package(self, ref: str) -> PricedPackage:
        package = await PackageRepository(self.session, self.tenant_id).priced(ref)
        if package is None or not package.available:
            raise ValidationFailed(
                "Unknown or unavailable package.",
                details=[
                    {"field": "packageId", "issue": "no published package has this id or slug"}
                ],
            )
        return package

    def _chosen_add_ons(self, package: PricedPackage, requested: list[str]) -> list[OfferedAddOn]:
        offered = {str(add_on.id): add_on for add_on in package.add_ons}
        wanted = {str(raw).strip().lower() for raw in requested}
        problems = []
        for raw in sorted(wanted):
            add_on = offered.get(raw)
            if add_on is None:
                problems.append(
                    {"field": "addOnIds", "issue": f"{raw} is not offered with this package"}
                )
            elif not add_on.available:
                problems.append({"field": "addOnIds", "issue": f"{raw} is not available"})
        if problems:
            raise ValidationFailed("Unknown or unavailable add-on.", details=problems)
        # In the package's display order, each once.
        return [add_on for add_on in package.add_ons if str(add_on.id) in wanted]

    def _checked_return_url(self, tenant: TenantContext, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        local = parts.hostname in ("localhost", "127.0.0.1")
        allowed = {o.rstrip("/") for o in tenant.allowed_embed_origins or []}
        own = urlsplit(self.settings.public_url)
        allowed.add(f"{own.scheme}://{own.netloc}")
        if (
            parts.scheme not in ("https", "http")
            or (parts.scheme == "http" and not local)
            or origin not in allowed
        ):
            raise ValidationFailed(
                "returnUrl must be on one of the business's allowed embed origins.",
                details=[{"field": "returnUrl", "issue": "origin not allowed"}],
            )
        return url

    async def _release_expired_holds(self, event_date: date) -> None:
        """Holds for this date whose time ran out give way, in this same transaction
        (the availability check saw one; a hold made since cannot have expired yet)."""
        for stale_id in await self.bookings.expire_stale_holds(self._now(), event_date):
            record(
                self.session,
                HOLD_SWEEPER,
                "booking.expired",
                "booking",
                stale_id,
                tenant_id=self.tenant_id,
                before={"status": "held"},
                after={"status": "expired"},
            )

    def _new_hold(
        self,
        request: CheckoutIn,
        tenant: TenantContext,
        package: PricedPackage,
        add_ons: list[OfferedAddOn],
        totals: Totals,
        access_token: str,
        expires_at: datetime,
        return_url: str | None,
    ) -> Booking:
        """The held booking, not yet written (its id is chosen now: the Checkout session
        names it, and its add-on snapshots point to it)."""
        booking = Booking(
            id=new_id(),
            package_id=package.id,
            event_date=request.event_date,
            status=BookingStatus.held,
            couple_name=request.couple_name,
            email=str(request.email),
            phone=request.phone,
            notes=request.notes,
            package_title=package.title,
            package_price_cents=package.price_cents,
            subtotal_cents=totals.subtotal_cents,
            commission_bps=totals.commission_bps,
            commission_cents=totals.commission_cents,
            tenant_net_cents=totals.tenant_net_cents,
            currency=totals.currency,
            hold_expires_at=expires_at,
            access_token_hash=hash_token(access_token),
            return_url=return_url,
        )
        booking.add_ons = [
            BookingAddOn(
                tenant_id=tenant.id,
                booking_id=booking.id,
                add_on_id=a.id,
                title=a.title,
                price_cents=a.price_cents,
                position=n,
            )
            for n, a in enumerate(add_ons)
        ]
        return booking

    async def _insert_hold(self, booking: Booking) -> None:
        """Write the hold and its customer. A request that took the date since the
        availability check wins: this one answers 409, and its Checkout session is expired
        so it can never be paid."""
        booking.customer_id = await CustomerRepository(self.session, self.tenant_id).upsert(
            email=booking.email, name=booking.couple_name, phone=booking.phone
        )
        try:
            await self.bookings.insert(booking, *booking.add_ons)
        except IntegrityError as exc:
            if not _is_date_conflict(exc):
                raise
            event_date = booking.event_date
            log.info("date %s of tenant %s lost to a concurrent hold", event_date, self.tenant_id)
            await rollback(self.session)
            if booking.checkout_session_id is not None:
                await self._expire_unused_session(booking.checkout_session_id)
            raise DateUnavailable(event_date, await self._occupied_reason(event_date)) from None

    async def _expire_unused_session(self, session_id: str) -> None:
        try:
            await self.payments.expire_checkout_session(session_id)
        except (PaymentProviderUnavailable, PaymentProviderError) as exc:
            # Nobody was given its URL, and Stripe expires it by itself at `expires_at`.
            log.warning("could not expire unused checkout session %s: %s", session_id, exc)

    async def _occupied_reason(self, event_date: date) -> str:
        live = await self.bookings.live_booking_on(event_date)
        if live is not None and live.status == BookingStatus.confirmed:
            return UnavailableReason.booked.value
        return UnavailableReason.held.value

    async def _open_checkout_session(
        self,
        tenant: TenantContext,
        booking: Booking,
        package: PricedPackage,
        add_ons: list[OfferedAddOn],
        totals: Totals,
        return_url: str | None,
    ) -> CheckoutSession:
        assert booking.hold_expires_at is not None
        base_success = return_url or self.settings.success_url
        base_cancel = return_url or self.settings.cancel_url
        ours = f"tenant={tenant.slug}&booking={booking.id}"
        request = CheckoutRequest(
            booking_id=str(booking.id),
            tenant_id=str(tenant.id),
            currency=totals.currency,
            line_items=(
                LineItem(name=package.title, amount_cents=package.price_cents),
                *(LineItem(name=a.title, amount_cents=a.price_cents) for a in add_ons),
            ),
            customer_email=booking.email,
            application_fee_cents=totals.commission_cents,
            destination_account=tenant.stripe_account_id,
            expires_at=booking.hold_expires_at,
            success_url=_append_query(base_success, f"session_id={{CHECKOUT_SESSION_ID}}&{ours}"),
            cancel_url=_append_query(base_cancel, f"canceled=1&{ours}"),
            description=f"{tenant.name}: {package.title} on {booking.event_date.isoformat()}",
        )
        try:
            return await self.payments.create_checkout_session(request)
        except PaymentProviderUnavailable as exc:
            log.warning("checkout session failed (provider unavailable): %s", exc)
            raise PaymentProviderUnavailableError() from exc
        except PaymentProviderError as exc:
            log.error("checkout session refused by the provider: %s", exc)
            raise PaymentProviderFailed() from exc

    # --- customer views ---------------------------------------------------------------

    async def summary_for_token(self, booking_id: str, token: str | None) -> BookingSummaryOut:
        booking = await self.bookings.get_full(booking_id)
        if (
            booking is None
            or not token
            or not hmac.compare_digest(booking.access_token_hash, hash_token(token))
        ):
            raise NotFound("Booking not found.")
        return booking_summary(booking)

    async def summary_for_session(self, session_id: str) -> BookingSummaryOut:
        booking = await self.bookings.get_by_checkout_session(session_id)
        if booking is None:
            raise NotFound("Booking not found.")
        return booking_summary(booking)

    # --- payment outcomes (called by the Stripe webhook) ------------------------------

    async def record_paid_checkout(self, booking_id: uuid.UUID, paid: PaidCheckout) -> str:
        """A Checkout session of this booking was paid. Confirms a live hold; confirms an
        expired hold whose date is still free; otherwise schedules an automatic refund.
        Returns what happened (for the webhook event's record). Safe to call twice."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        if booking is None:
            raise NotFound("Booking not found.")
        payment = await self._record_payment(booking, paid)
        if (
            booking.status == BookingStatus.confirmed
            and booking.payment_intent_id == paid.payment_intent_id
        ):
            return "already confirmed"
        if booking.status == BookingStatus.held:
            await self._confirm(booking, paid)
            return "confirmed"
        if booking.status == BookingStatus.expired and await self._date_still_free(booking):
            await self._confirm(booking, paid)
            return "confirmed after hold expiry"
        await self._schedule_auto_refund(booking, payment)
        return f"refund scheduled (booking was {booking.status})"

    async def _record_payment(self, booking: Booking, paid: PaidCheckout) -> Payment:
        existing = await self.payment_rows.by_processor_id(paid.payment_intent_id, lock=True)
        if existing is not None:
            return existing
        payment = self.payment_rows.add(
            Payment(
                booking_id=booking.id,
                amount_cents=paid.amount_cents,
                currency=paid.currency,
                status=PaymentStatus.succeeded,
                processor="stripe",
                processor_id=paid.payment_intent_id,
                # The fee of this charge is what was asked for it: the booking's commission.
                application_fee_cents=min(booking.commission_cents, paid.amount_cents),
            )
        )
        await self.session.flush()
        record(
            self.session,
            STRIPE,
            "payment.recorded",
            "payment",
            payment.id,
            tenant_id=self.tenant_id,
            after={
                "bookingId": str(booking.id),
                "amountCents": paid.amount_cents,
                "processorId": paid.payment_intent_id,
            },
        )
        return payment

    async def _date_still_free(self, booking: Booking) -> bool:
        """After a hold expired: nobody else holds the date and it was not blacked out."""
        if await self.bookings.live_booking_on(booking.event_date, exclude=booking.id) is not None:
            return False
        day = booking.event_date
        blackouts = await BlackoutRepository(self.session, self.tenant_id).dates_between(day, day)
        return day not in blackouts

    async def _confirm(self, booking: Booking, paid: PaidCheckout) -> None:
        before = _state(booking)
        booking.status = BookingStatus.confirmed
        booking.confirmed_at = self._now()
        booking.payment_intent_id = paid.payment_intent_id
        await self.session.flush()
        self._audit_booking(STRIPE, "booking.confirmed", booking, before)
        await enqueue_booking_notifications(self.session, booking, BookingEvent.confirmed)

    async def _schedule_auto_refund(self, booking: Booking, payment: Payment) -> None:
        await enqueue(
            self.session,
            AUTO_REFUND_JOB,
            {
                "tenant_id": str(self.tenant_id),
                "booking_id": str(booking.id),
                "payment_id": str(payment.id),
            },
            tenant_id=self.tenant_id,
            dedupe_key=f"auto-refund:{payment.id}",
        )
        record(
            self.session,
            STRIPE,
            "booking.auto_refund_scheduled",
            "booking",
            booking.id,
            tenant_id=self.tenant_id,
            after={"paymentId": str(payment.id), "status": booking.status},
        )

    async def expire_hold(self, booking_id: uuid.UUID, actor: Actor, cause: str) -> bool:
        """Release a held date now (Stripe expired the session, or async payment failed)."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        if booking is None or booking.status != BookingStatus.held:
            return False
        before = _state(booking)
        booking.status = BookingStatus.expired
        await self.session.flush()
        self._audit_booking(actor, "booking.expired", booking, before, {"cause": cause})
        return True

    async def complete(self, booking_id: uuid.UUID) -> bool:
        """confirmed → completed once the event date has passed in the tenant's time zone
        (SPEC §2). Returns whether the booking changed; any other status is left alone."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        if booking is None or booking.status != BookingStatus.confirmed:
            return False
        tenant = await self._tenant()
        if booking.event_date >= local_date(self._now(), tenant.timezone):
            return False
        before = _state(booking)
        booking.status = BookingStatus.completed
        await self.session.flush()
        self._audit_booking(BOOKING_COMPLETER, "booking.completed", booking, before)
        return True

    # --- admin changes ------------------------------------------------------------------

    async def cancel(
        self, actor: Actor, booking_id: str | uuid.UUID, reason: str | None = None
    ) -> Booking:
        """Cancel a held or confirmed booking (the date becomes free). No money moves:
        refunding is a separate, explicit `refund`. 404 for another tenant's booking,
        409 BOOKING_NOT_CANCELABLE from any other status."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        if booking is None:
            raise NotFound("Booking not found.")
        if booking.status not in (BookingStatus.held, BookingStatus.confirmed):
            raise BookingNotCancelable(f"A {booking.status} booking cannot be canceled.")
        was, before = booking.status, _state(booking)
        booking.status = BookingStatus.canceled
        booking.canceled_at = self._now()
        booking.cancel_reason = (reason or "").strip()[:500] or None
        await self.session.flush()
        self._audit_booking(
            actor, "booking.canceled", booking, before, {"reason": booking.cancel_reason}
        )
        if was == BookingStatus.confirmed:
            await enqueue_booking_notifications(self.session, booking, BookingEvent.canceled)
        elif booking.checkout_session_id:
            # Close the payment page so nobody pays for a canceled hold.
            await enqueue(
                self.session,
                EXPIRE_SESSION_JOB,
                {"session_id": booking.checkout_session_id},
                tenant_id=self.tenant_id,
                dedupe_key=f"expire-session:{booking.checkout_session_id}",
            )
        return booking

    async def refund(
        self, actor: Actor, booking_id: str | uuid.UUID, amount_cents: int | None = None
    ) -> Booking:
        """Refund a paid booking through the payments port: all that remains (default) or
        `amount_cents`. The transfer to the tenant is reversed and the platform's fee given
        back in proportion (rounded up; all of it on a full refund). A full refund makes
        the booking `refunded`. 404 / 409 BOOKING_NOT_REFUNDABLE / 422
        INVALID_REFUND_AMOUNT / 503 PAYMENT_PROVIDER_UNAVAILABLE / 502 PAYMENT_PROVIDER_ERROR."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        if booking is None:
            raise NotFound("Booking not found.")
        payment = await self._refundable_payment(booking)
        if (
            booking.status
            not in (BookingStatus.confirmed, BookingStatus.canceled, BookingStatus.completed)
            or payment is None
        ):
            raise BookingNotRefundable()
        await self.refund_payment(actor, booking, payment, amount_cents, BookingEvent.refunded)
        return booking

    async def _refundable_payment(self, booking: Booking) -> Payment | None:
        for payment in await self.payment_rows.for_booking(booking.id):
            if payment.status in (PaymentStatus.succeeded, PaymentStatus.partially_refunded):
                return await self.payment_rows.by_processor_id(payment.processor_id, lock=True)
        return None

    async def refund_payment(
        self,
        actor: Actor,
        booking: Booking,
        payment: Payment,
        amount_cents: int | None,
        event: BookingEvent,
    ) -> Refund:
        """Move money back for one payment and record it (Refund row, payment and booking
        amounts, audit, notifications). The booking must be locked by the caller."""
        remaining = payment.amount_cents - payment.refunded_cents
        if remaining <= 0:
            raise BookingNotRefundable()
        amount = remaining if amount_cents is None else amount_cents
        if amount < 1 or amount > remaining:
            raise InvalidRefundAmount(details={"maxCents": remaining})
        fee_back = refunded_fee_cents(
            fee_cents=payment.application_fee_cents,
            fee_refunded_cents=payment.application_fee_refunded_cents,
            charge_cents=payment.amount_cents,
            refunded_cents=payment.refunded_cents,
            amount=amount,
        )
        try:
            result = await self.payments.refund(
                RefundRequest(
                    payment_intent_id=payment.processor_id,
                    amount_cents=amount,
                    # Same payment, same prior refunds, same amount → the same refund.
                    idempotency_key=f"mais-refund-{payment.id}-{payment.refunded_cents}-{amount}",
                    metadata={"booking_id": str(booking.id), "tenant_id": str(self.tenant_id)},
                )
            )
        except PaymentProviderUnavailable as exc:
            raise PaymentProviderUnavailableError() from exc
        except PaymentProviderError as exc:
            raise PaymentProviderFailed(f"The payment provider refused the refund: {exc}") from exc
        refund, before = await self._add_refund(
            booking,
            payment,
            amount=amount,
            fee_back=fee_back,
            processor_refund_id=result.id,
            status=result.status,
            reason=event.value,
        )
        record(
            self.session,
            actor,
            "payment.refunded",
            "payment",
            payment.id,
            tenant_id=self.tenant_id,
            after={
                "refundId": str(refund.id),
                "amountCents": amount,
                "feeRefundedCents": fee_back,
                "processorRefundId": result.id,
            },
        )
        self._audit_booking(actor, "booking.refunded", booking, before)
        await enqueue_booking_notifications(self.session, booking, event, occurrence=str(refund.id))
        return refund

    def _audit_booking(
        self,
        actor: Actor,
        action: str,
        booking: Booking,
        before: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> None:
        """The audit entry of a booking's state change: its state before and after."""
        after = _state(booking) | (extra or {})
        record(
            self.session,
            actor,
            action,
            "booking",
            booking.id,
            tenant_id=self.tenant_id,
            before=before,
            after=after,
        )

    async def _add_refund(
        self,
        booking: Booking,
        payment: Payment,
        *,
        amount: int,
        fee_back: int,
        processor_refund_id: str | None,
        status: str,
        reason: str,
    ) -> tuple[Refund, dict[str, Any]]:
        """Record `amount` refunded on `payment`: the Refund row, the payment's and the
        booking's refunded amounts, and `refunded` once the booking's own payment is fully
        refunded. Returns the row and the booking's state before, for the audit."""
        refund = Refund(
            payment_id=payment.id,
            amount_cents=amount,
            application_fee_refunded_cents=fee_back,
            processor_refund_id=processor_refund_id,
            status=status,
            reason=reason,
            created_at=self._now(),
        )
        refund.tenant_id = self.tenant_id
        self.session.add(refund)
        before = _state(booking)
        payment.refunded_cents += amount
        payment.application_fee_refunded_cents += fee_back
        full = payment.refunded_cents >= payment.amount_cents
        payment.status = PaymentStatus.refunded if full else PaymentStatus.partially_refunded
        booking.refunded_cents += amount
        if full and self._payment_is_the_bookings(booking, payment):
            booking.status = BookingStatus.refunded
        await self.session.flush()
        return refund, before

    @staticmethod
    def _payment_is_the_bookings(booking: Booking, payment: Payment) -> bool:
        """A stray second payment refunded in full must not end a confirmed booking."""
        return booking.status != BookingStatus.confirmed or (
            booking.payment_intent_id in (None, payment.processor_id)
        )

    async def auto_refund(self, booking_id: uuid.UUID, payment_id: uuid.UUID) -> Refund | None:
        """Give back a payment that arrived for a booking that cannot happen (the hold had
        expired and the date was taken, or the booking was canceled). Idempotent: a
        payment already refunded in full is left alone. Runs as the `payments.auto_refund`
        job; both parties are told (`BookingEvent.auto_refunded`)."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        payment = await self.payment_rows.get(payment_id)
        if booking is None or payment is None:
            raise NotFound("Booking or payment not found.")
        payment = await self.payment_rows.by_processor_id(payment.processor_id, lock=True)
        assert payment is not None
        if payment.refunded_cents >= payment.amount_cents:
            return None
        return await self.refund_payment(
            AUTO_REFUNDER, booking, payment, None, BookingEvent.auto_refunded
        )

    async def sync_refunds_from_processor(
        self,
        booking_id: uuid.UUID,
        payment_id: uuid.UUID,
        *,
        amount_refunded: int,
        refund_ids: list[str],
        occurrence: str,
    ) -> str:
        """Stripe says this payment has `amount_refunded` refunded in total (`charge.refunded`).
        Refunds we made are already recorded; anything more (a refund made in Stripe's
        dashboard) is recorded now, and a full refund makes the booking `refunded`."""
        booking = await self.bookings.get_full(booking_id, lock=True)
        payment = await self.payment_rows.get(payment_id)
        if booking is None or payment is None:
            return "payment without booking"
        payment = await self.payment_rows.by_processor_id(payment.processor_id, lock=True)
        assert payment is not None
        extra = min(amount_refunded, payment.amount_cents) - payment.refunded_cents
        if extra <= 0:
            return "refund already recorded"
        known = await RefundRepository(self.session, self.tenant_id).known_processor_ids(payment.id)
        new_ids = [rid for rid in refund_ids if rid not in known]
        fee_back = refunded_fee_cents(
            fee_cents=payment.application_fee_cents,
            fee_refunded_cents=payment.application_fee_refunded_cents,
            charge_cents=payment.amount_cents,
            refunded_cents=payment.refunded_cents,
            amount=extra,
        )
        _, before = await self._add_refund(
            booking,
            payment,
            amount=extra,
            fee_back=fee_back,
            processor_refund_id=new_ids[-1] if new_ids else None,
            status="succeeded",
            reason="refunded at Stripe",
        )
        record(
            self.session,
            STRIPE,
            "payment.refunded",
            "payment",
            payment.id,
            tenant_id=self.tenant_id,
            after={"amountCents": extra, "feeRefundedCents": fee_back, "source": "stripe"},
        )
        self._audit_booking(STRIPE, "booking.refunded", booking, before)
        await enqueue_booking_notifications(
            self.session,
            booking,
            BookingEvent.refunded,
            occurrence=f"{occurrence}:{amount_refunded}",
        )
        return f"recorded {extra} cents refunded at Stripe"
