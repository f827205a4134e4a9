"""Admins, logins, bookings and an e-mail port that records what it is asked to send."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from mais.adapters.email.port import EmailMessage, EmailPort
from mais.demo.seed import seed
from mais.models import (
    Booking,
    BookingAddOn,
    BookingStatus,
    Customer,
    Payment,
    PaymentStatus,
    Refund,
    utcnow,
)
from mais.settings import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD
from tests.factories.world import PASSWORD, TenantWorld

PLATFORM_EMAIL = DEV_ADMIN_EMAIL
PLATFORM_PASSWORD = DEV_ADMIN_PASSWORD


async def make_platform_admin(container: Any) -> tuple[str, str]:
    """The platform admin that `mais seed` creates (development defaults)."""
    await seed(container, demo=False)
    return PLATFORM_EMAIL, PLATFORM_PASSWORD


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def platform_headers(container: Any, client: httpx.AsyncClient) -> dict[str, str]:
    email, password = await make_platform_admin(container)
    return await login(client, email, password)


def key_headers(world: TenantWorld) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.secret_key}"}


@dataclass
class RecordingEmail(EmailPort):
    """An e-mail port that keeps the messages (a stand-in for the outbox adapter)."""

    backend: str = "recording"
    sent: list[EmailMessage] = field(default_factory=list)

    async def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return f"msg-{len(self.sent)}"


# Bookings are written directly until the bookings branch (BookingService.create_hold and
# the webhook confirmation) is merged; then this becomes a call to those services.
async def add_booking(
    container: Any,
    world: TenantWorld,
    *,
    package_slug: str = "garden",
    event_date: date | None = None,
    status: str = BookingStatus.confirmed,
    couple_name: str = "Ada & Grace",
    email: str | None = None,
    add_on_titles: tuple[str, ...] = (),
    paid: bool | None = None,
    refunded_cents: int = 0,
    notes: str | None = None,
) -> uuid.UUID:
    package = world.packages[package_slug]
    email = email or f"couple-{uuid.uuid4().hex[:6]}@example.com"
    event_date = event_date or (date.today() + timedelta(days=60 + secrets.randbelow(600)))
    add_ons = [world.add_ons[title] for title in add_on_titles]
    subtotal = package.price_cents + sum(a.price_cents for a in add_ons)
    commission = -(-subtotal * 1000 // 10_000)
    now = utcnow()
    async with container.db.transaction() as session:
        customer = Customer(
            tenant_id=world.id, email=email, email_key=email.lower(), name=couple_name
        )
        session.add(customer)
        await session.flush()
        booking = Booking(
            tenant_id=world.id,
            package_id=package.id,
            customer_id=customer.id,
            event_date=event_date,
            status=status,
            couple_name=couple_name,
            email=email,
            notes=notes,
            package_title=package.title,
            package_price_cents=package.price_cents,
            subtotal_cents=subtotal,
            commission_bps=1000,
            commission_cents=commission,
            tenant_net_cents=subtotal - commission,
            currency="usd",
            refunded_cents=refunded_cents,
            access_token_hash=secrets.token_hex(32),
            hold_expires_at=now + timedelta(minutes=30) if status == BookingStatus.held else None,
            confirmed_at=now if status != BookingStatus.held else None,
        )
        session.add(booking)
        await session.flush()
        for position, add_on in enumerate(add_ons):
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
        if paid if paid is not None else status != BookingStatus.held:
            paid_status = (
                PaymentStatus.partially_refunded if refunded_cents else PaymentStatus.succeeded
            )
            payment = Payment(
                tenant_id=world.id,
                booking_id=booking.id,
                amount_cents=subtotal,
                currency="usd",
                status=paid_status,
                processor_id=f"pi_{uuid.uuid4().hex}",
                application_fee_cents=commission,
                refunded_cents=refunded_cents,
                application_fee_refunded_cents=-(-refunded_cents * 1000 // 10_000),
            )
            session.add(payment)
            await session.flush()
            if refunded_cents:
                session.add(
                    Refund(
                        tenant_id=world.id,
                        payment_id=payment.id,
                        amount_cents=refunded_cents,
                        application_fee_refunded_cents=-(-refunded_cents * 1000 // 10_000),
                        processor_refund_id=f"re_{uuid.uuid4().hex}",
                        status="succeeded",
                        created_at=now,
                    )
                )
        return booking.id
