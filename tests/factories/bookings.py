"""Bookings for notification and calendar tests, written straight through the ORM.

STAND-IN: the booking service (holds, checkout, webhooks) is built on another branch.
Until it is merged, tests that need a confirmed, canceled or refunded booking make it
here, with the same snapshots and the same side-effect call
(`enqueue_booking_notifications`) the service makes. After the merge these two functions
should call the booking service instead; every such shortcut is in this file only."""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from mais.models import Booking, BookingAddOn, BookingStatus, Customer, Tenant, utcnow
from mais.notifications.events import BookingEvent, enqueue_booking_notifications
from tests.factories.world import TenantWorld


async def make_confirmed_booking_via_orm(
    container: Any,
    world: TenantWorld,
    *,
    event_date: date,
    package_slug: str = "garden",
    add_ons: Sequence[str] = ("Violinist",),
    couple_name: str = "Alex & Sam",
    email: str = "couple@example.com",
    phone: str | None = None,
    notes: str | None = None,
    notify: bool = True,
) -> uuid.UUID:
    """A paid, confirmed booking of `world`'s package with add-on price snapshots; with
    `notify`, the confirmation's e-mail and calendar jobs are enqueued in the same
    transaction, as the webhook does."""
    package = world.packages[package_slug]
    chosen = [world.add_ons[title] for title in add_ons]
    async with container.db.transaction() as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.id == world.id))).scalar_one()
        customer = Customer(
            tenant_id=world.id, email=email, email_key=email.lower(), name=couple_name
        )
        session.add(customer)
        await session.flush()
        subtotal = package.price_cents + sum(add_on.price_cents for add_on in chosen)
        commission = math.ceil(subtotal * tenant.commission_bps / 10_000)
        booking = Booking(
            tenant_id=world.id,
            package_id=package.id,
            customer_id=customer.id,
            event_date=event_date,
            status=BookingStatus.confirmed,
            couple_name=couple_name,
            email=email,
            phone=phone,
            notes=notes,
            package_title=package.title,
            package_price_cents=package.price_cents,
            subtotal_cents=subtotal,
            commission_bps=tenant.commission_bps,
            commission_cents=commission,
            tenant_net_cents=subtotal - commission,
            currency=tenant.currency,
            access_token_hash=secrets.token_hex(32),
            checkout_session_id=f"cs_test_{secrets.token_hex(12)}",
            payment_intent_id=f"pi_test_{secrets.token_hex(12)}",
            confirmed_at=utcnow(),
        )
        session.add(booking)
        await session.flush()
        for position, add_on in enumerate(chosen):
            session.add(
                BookingAddOn(
                    tenant_id=world.id,
                    booking_id=booking.id,
                    add_on_id=add_on.id,
                    title=add_on.title,
                    price_cents=add_on.price_cents,
                    position=position,
                )
            )
        if notify:
            await enqueue_booking_notifications(session, booking, BookingEvent.confirmed)
        return booking.id


async def change_booking_via_orm(
    container: Any,
    world: TenantWorld,
    booking_id: uuid.UUID,
    event: BookingEvent,
    *,
    status: BookingStatus | None = None,
    refunded_cents: int | None = None,
    cancel_reason: str | None = None,
    occurrence: str | None = None,
) -> None:
    """Cancel or refund a booking and enqueue what that event calls for. Defaults:
    canceled → status canceled; refunded → full refund, status refunded."""
    async with container.db.transaction() as session:
        booking = (
            await session.execute(
                select(Booking).where(Booking.id == booking_id, Booking.tenant_id == world.id)
            )
        ).scalar_one()
        if event is BookingEvent.canceled:
            booking.status = status or BookingStatus.canceled
            booking.canceled_at = utcnow()
            booking.cancel_reason = cancel_reason
        elif event in (BookingEvent.refunded, BookingEvent.auto_refunded):
            booking.refunded_cents = (
                booking.subtotal_cents if refunded_cents is None else refunded_cents
            )
            booking.status = status or BookingStatus.refunded
        await enqueue_booking_notifications(session, booking, event, occurrence=occurrence)
