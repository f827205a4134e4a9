"""Sending one booking e-mail: load the booking, compose, hand it to the e-mail adapter,
and record the delivery so that a job run again after success sends nothing."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from mais.adapters.email import EmailUndeliverable
from mais.adapters.storage import Storage
from mais.bookings.repository import BookingRepository
from mais.jobs.registry import PermanentJobError
from mais.models import Booking, BookingStatus, Tenant, utcnow
from mais.notifications.compose import AddOnLine, BookingFacts, compose_booking_email
from mais.notifications.events import BookingEvent, email_delivery_key
from mais.notifications.repository import EmailDeliveryRepository
from mais.settings import Settings
from mais.tenants.branding import branding_of
from mais.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.notifications")

# A confirmation that only runs after the booking was canceled or refunded is not sent:
# the customer gets the cancellation instead, not a stale invitation.
_STILL_BOOKED = {BookingStatus.confirmed, BookingStatus.completed}


def tenant_contact_email(tenant: Tenant) -> str:
    """Where the tenant hears about bookings (and where customers' replies go)."""
    return tenant.notification_email or tenant.email


def customer_booking_url(booking: Booking, settings: Settings) -> str | None:
    """The success page of the booking's Checkout session shows its current state."""
    if not booking.checkout_session_id:
        return None
    base = settings.success_url
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'session_id': booking.checkout_session_id})}"


def tenant_booking_url(booking: Booking, settings: Settings) -> str:
    return f"{settings.public_url}/tenant/bookings/{booking.id}"


def booking_facts(
    booking: Booking, tenant: Tenant, storage: Storage, settings: Settings
) -> BookingFacts:
    return BookingFacts(
        booking_id=booking.id,
        status=booking.status,
        event_date=booking.event_date,
        couple_name=booking.couple_name,
        email=booking.email,
        phone=booking.phone,
        notes=booking.notes,
        package_title=booking.package_title,
        package_price_cents=booking.package_price_cents,
        add_ons=tuple(AddOnLine(a.title, a.price_cents) for a in booking.add_ons),
        subtotal_cents=booking.subtotal_cents,
        commission_bps=booking.commission_bps,
        commission_cents=booking.commission_cents,
        tenant_net_cents=booking.tenant_net_cents,
        refunded_cents=booking.refunded_cents,
        currency=booking.currency,
        cancel_reason=booking.cancel_reason,
        tenant_name=tenant.name,
        tenant_contact_email=tenant_contact_email(tenant),
        timezone=tenant.timezone,
        branding=branding_of(tenant, storage),
        support_email=settings.support_email,
        customer_url=customer_booking_url(booking, settings),
        tenant_url=tenant_booking_url(booking, settings),
        metadata={"tenant_id": str(tenant.id)},
    )


class BookingEmailService:
    def __init__(self, container: Container) -> None:
        self.container = container

    async def send_booking_email(
        self,
        *,
        tenant_id: uuid.UUID,
        booking_id: uuid.UUID,
        event: BookingEvent,
        audience: str,
        occurrence: str | None = None,
    ) -> str | None:
        """Send the e-mail unless it was sent already; returns the provider's message id,
        or None when nothing was sent. Raises PermanentJobError when the provider refuses
        it for good; other adapter errors are transient and propagate (the job retries)."""
        key = email_delivery_key(booking_id, event.value, audience, occurrence)
        async with self.container.db.sessionmaker() as session:
            if await EmailDeliveryRepository(session, tenant_id).find(key) is not None:
                log.info("booking e-mail already sent", extra={"delivery_key": key})
                return None
            booking = await BookingRepository(session, tenant_id).get_full(booking_id)
            tenant = await TenantRepository(session).get(tenant_id)
            if booking is None or tenant is None:
                raise PermanentJobError(f"booking {booking_id} of tenant {tenant_id} not found")
            facts = booking_facts(booking, tenant, self.container.storage, self.container.settings)

        if event is BookingEvent.confirmed and facts.status not in _STILL_BOOKED:
            log.info(
                "confirmation superseded by a later state; not sent",
                extra={"delivery_key": key, "status": facts.status},
            )
            return None

        message = compose_booking_email(facts, event, audience)
        try:
            message_id = await self.container.email.send(message)
        except EmailUndeliverable as exc:
            raise PermanentJobError(f"undeliverable to {message.to}: {exc}") from exc

        # The remaining crash window: if the process dies after the provider accepted the
        # message and before this commit (or Postmark accepted it but its answer timed
        # out), the job runs again, finds no delivery and sends a second copy. Postmark has
        # no idempotency key for /email, so delivery is at-least-once: a rare duplicate
        # rather than a lost confirmation. The window is one HTTP response plus one small
        # commit; a claimed job that dies before this point simply sends once when its
        # lease expires.
        async with self.container.db.transaction() as session:
            await EmailDeliveryRepository(session, tenant_id).record(
                delivery_key=key,
                booking_id=booking_id,
                event=event.value,
                audience=audience,
                recipient=message.to,
                subject=message.subject[:500],
                backend=self.container.email.backend,
                provider_message_id=message_id,
                sent_at=utcnow(),
            )
        log.info(
            "booking e-mail sent",
            extra={"delivery_key": key, "backend": self.container.email.backend},
        )
        return message_id
