"""Tenants, catalogs and admins made through the same services the product uses."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from mais.audit.service import Actor
from mais.catalog.admin_service import CatalogAdminService, PackageDraft
from mais.models import AddOn, Package
from mais.tenants.service import TenantService

TEST_ACTOR = Actor(role="system", label="test")

# Settings for tests of the real adapters: Stripe values shaped like real ones, pointed at
# a closed port unless the test starts a fake and overrides `stripe_api_base`.
REAL_ADAPTERS: dict[str, Any] = {
    "adapters_preset": "real",
    "stripe_secret_key": "sk_test_0123456789abcdef",
    "stripe_webhook_secret": "whsec_test_secret",
    "stripe_success_url": "http://testserver/success",
    "stripe_cancel_url": "http://testserver/cancel",
    "stripe_api_base": "http://127.0.0.1:9",
}
PASSWORD = "correct horse battery staple"


@dataclass
class TenantWorld:
    id: uuid.UUID
    slug: str
    public_key: str
    secret_key: str
    email: str
    password: str = PASSWORD
    packages: dict[str, Package] = field(default_factory=dict)
    add_ons: dict[str, AddOn] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Tenant-Key": self.public_key}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (640, 480), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


async def make_tenant(
    container: Any,
    slug: str | None = None,
    *,
    timezone: str = "America/New_York",
    commission_percent: str = "10",
    **tenant_fields: Any,
) -> TenantWorld:
    slug = slug or f"t-{uuid.uuid4().hex[:10]}"
    email = f"owner@{slug}.example.com"
    async with container.db.transaction() as session:
        created = await TenantService(session, container.resolver).create_tenant(
            TEST_ACTOR,
            slug=slug,
            name=f"{slug.title()} Events",
            email=email,
            password=PASSWORD,
            commission_percent=commission_percent,
            timezone=timezone,
        )
        for name, value in tenant_fields.items():
            setattr(created.tenant, name, value)
    return TenantWorld(
        id=created.tenant.id,
        slug=slug,
        public_key=created.keys.public_key,
        secret_key=created.keys.secret_key,
        email=email,
    )


async def add_catalog(
    container: Any,
    world: TenantWorld,
    *,
    packages: list[dict[str, Any]] | None = None,
    add_ons: list[dict[str, Any]] | None = None,
    photos: int = 0,
) -> TenantWorld:
    """Create add-ons (keyed by title) then packages (keyed by slug) for the tenant."""
    add_ons = (
        add_ons
        if add_ons is not None
        else [
            {"title": "Violinist", "price_cents": 25_000},
            {"title": "Champagne", "price_cents": 40_000},
        ]
    )
    packages = packages if packages is not None else [
        {"slug": "garden", "title": "Garden Ceremony", "price_cents": 350_000, "active": True,
         "add_ons": ["Violinist", "Champagne"]},
    ]  # fmt: skip
    async with container.db.transaction() as session:
        service = CatalogAdminService(
            session, world.id, TEST_ACTOR, container.cache, container.storage
        )
        for spec in add_ons:
            add_on = await service.create_add_on(**spec)
            world.add_ons[add_on.title] = add_on
        for spec in packages:
            spec = dict(spec)
            names = spec.pop("add_ons", [])
            draft = PackageDraft(**spec, add_on_ids=[world.add_ons[n].id for n in names])
            package = await service.create_package(draft)
            for n in range(photos):
                await service.add_photo(package, image_bytes(color=["teal", "plum", "gold"][n % 3]))
            world.packages[package.slug] = package
    return world


# --- bookings ---------------------------------------------------------------------------
# Every booking is made the way the product makes it: a hold through BookingService (as
# checkout does), confirmed by a signed Stripe webhook, canceled and refunded through
# BookingService. Nothing here writes booking rows itself.

TENANT_ADMIN = Actor(role="tenant_admin", label="owner@example.com")


def days_ahead(container: Any, days: int, timezone: str = "America/New_York") -> date:
    """The tenant-local date `days` after today by the container's clock."""
    return container.clock.now().astimezone(ZoneInfo(timezone)).date() + timedelta(days=days)


@dataclass
class HeldBooking:
    id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: str
    access_token: str
    event_date: date
    expires_at: datetime
    subtotal_cents: int
    currency: str


def checkout_body(
    world: TenantWorld,
    event_date: date,
    *,
    package: str = "garden",
    add_ons: tuple[str, ...] = (),
    email: str | None = None,
    couple_name: str = "Ada & Grace",
    phone: str | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """The JSON a widget posts to `/v1/bookings/checkout`."""
    body: dict[str, Any] = {
        "packageId": package,
        "eventDate": event_date.isoformat(),
        "coupleName": couple_name,
        "email": email or f"couple-{uuid.uuid4().hex[:8]}@example.com",
        "addOnIds": [str(world.add_ons[name].id) for name in add_ons],
    }
    if phone is not None:
        body["phone"] = phone
    if notes is not None:
        body["notes"] = notes
    return body


async def hold_booking(
    container: Any, world: TenantWorld, event_date: date, **body: Any
) -> HeldBooking:
    """A held booking made through `BookingService.create_hold` (as checkout does)."""
    from mais.bookings.schemas import CheckoutIn
    from mais.bookings.service import BookingService

    request = CheckoutIn.model_validate(checkout_body(world, event_date, **body))
    tenant = await container.resolver.resolve_slug(world.slug)
    assert tenant is not None
    async with container.db.transaction() as session:
        result = await BookingService(session, container, world.id).create_hold(tenant, request)
        assert result.booking.hold_expires_at is not None
        return HeldBooking(
            id=result.booking.id,
            tenant_id=world.id,
            session_id=result.session.id,
            access_token=result.access_token,
            event_date=event_date,
            expires_at=result.booking.hold_expires_at,
            subtotal_cents=result.booking.subtotal_cents,
            currency=result.booking.currency,
        )


async def deliver_stripe_event(container: Any, event: dict[str, Any]) -> Any:
    """Sign an event like Stripe and hand it to the webhook service (no HTTP)."""
    from mais.adapters.payments.mock import stripe_signature_header
    from mais.payments.service import StripeWebhookService

    payload = json.dumps(event).encode()
    signature = stripe_signature_header(payload, container.settings.effective_webhook_secret)
    return await StripeWebhookService(container).receive(payload, signature)


async def pay_with_mock_card(
    container: Any, session_id: str, card: str = "4242424242424242"
) -> list[Any]:
    """Pay on the mock checkout and deliver its events to the webhook service."""
    _outcome, events = await container.payments.pay(session_id, card)
    return [await deliver_stripe_event(container, event) for event in events]


def session_completed_event(held: HeldBooking) -> dict[str, Any]:
    """The `checkout.session.completed` Stripe sends when the hold's session is paid."""
    from mais.adapters.payments.mock import stripe_event

    session = {
        "id": held.session_id,
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": f"pi_test_{uuid.uuid4().hex[:24]}",
        "amount_total": held.subtotal_cents,
        "currency": held.currency,
        "metadata": {"booking_id": str(held.id), "tenant_id": str(held.tenant_id)},
    }
    return stripe_event("checkout.session.completed", session)


async def pay_checkout(container: Any, held: HeldBooking) -> list[Any]:
    """Pay the hold's Checkout session: with the success card on the mock checkout, or
    (real Stripe adapter, pointed at a fake) by delivering the event Stripe would send."""
    from mais.adapters.payments import MockPayments

    if isinstance(container.payments, MockPayments):
        return await pay_with_mock_card(container, held.session_id)
    return [await deliver_stripe_event(container, session_completed_event(held))]


async def confirmed_booking(
    container: Any, world: TenantWorld, event_date: date, **body: Any
) -> HeldBooking:
    """A hold paid through the signed webhook (booking confirmed, side effects queued)."""
    held = await hold_booking(container, world, event_date, **body)
    outcomes = await pay_checkout(container, held)
    assert outcomes[0] == "processed", outcomes
    return held


async def cancel_booking(
    container: Any, world: TenantWorld, booking_id: uuid.UUID, reason: str | None = None
) -> None:
    """The tenant cancels the booking (`BookingService.cancel`)."""
    from mais.bookings.service import BookingService

    async with container.db.transaction() as session:
        await BookingService(session, container, world.id).cancel(TENANT_ADMIN, booking_id, reason)


async def refund_booking(
    container: Any, world: TenantWorld, booking_id: uuid.UUID, amount_cents: int | None = None
) -> None:
    """The tenant refunds the booking, all of it by default (`BookingService.refund`)."""
    from mais.bookings.service import BookingService

    async with container.db.transaction() as session:
        await BookingService(session, container, world.id).refund(
            TENANT_ADMIN, booking_id, amount_cents
        )
