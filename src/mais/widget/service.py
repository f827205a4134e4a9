"""What the booking pages show and do: the tenant's catalog (cached), a package's month of
availability, holding a date through `BookingService.checkout`, and a booking's status
for the success page. Pages call this directly, never our own HTTP API."""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.email import Attachment
from mais.availability.months import month_end
from mais.availability.service import AvailabilityService, BookingWindow, UnavailableReason
from mais.bookings.errors import (
    DateUnavailable,
    IdempotencyKeyReused,
    PaymentProviderFailed,
    PaymentProviderUnavailableError,
    TenantNotOnboarded,
)
from mais.bookings.repository import BookingLookup, BookingRepository
from mais.bookings.schemas import BookingSummaryOut
from mais.bookings.service import BookingService, booking_summary, hash_token
from mais.catalog.repository import PackageRepository
from mais.catalog.service import CATALOG_TTL_SECONDS, catalog_prefix
from mais.core.db import rollback
from mais.core.errors import AppError, NotFound, RateLimited, ValidationFailed
from mais.models import ApiKeyKind, Booking, BookingStatus, Package
from mais.notifications.compose import CUSTOMER, booking_invite, booking_reference
from mais.notifications.events import BookingEvent
from mais.notifications.service import booking_facts
from mais.tenants.branding import BrandingOut, branding_json
from mais.tenants.context import TenantContext
from mais.tenants.repository import ApiKeyRepository, TenantRepository
from mais.tenants.resolver import TenantInactive
from mais.widget.calendar import CalendarMonth, initial_month, month_grid
from mais.widget.forms import EVENT_DATE, GENERAL, BookingForm, problems_from_details

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.widget")

MAX_SLUG_LENGTH = 80


class WidgetTenantNotFound(NotFound):
    code = "TENANT_NOT_FOUND"
    message = "No business has this booking page."


# --- the catalog as the pages show it -------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotoView:
    url: str
    width: int
    height: int
    thumb_url: str
    thumb_width: int
    thumb_height: int


@dataclass(frozen=True, slots=True)
class AddOnView:
    id: str
    title: str
    description: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class PackageView:
    id: str
    slug: str
    title: str
    description: str
    price_cents: int
    photos: tuple[PhotoView, ...]
    add_ons: tuple[AddOnView, ...]

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.description.split("\n\n") if p.strip()]

    @property
    def summary(self) -> str:
        text = " ".join(self.description.split())
        return text if len(text) <= 180 else text[:177].rsplit(" ", 1)[0] + "…"

    def add_on(self, add_on_id: str) -> AddOnView | None:
        return next((a for a in self.add_ons if a.id == add_on_id), None)

    def total_cents(self, add_on_ids: list[str]) -> int:
        return self.price_cents + sum(a.price_cents for a in self.add_ons if a.id in add_on_ids)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackageView:
        return cls(
            id=data["id"],
            slug=data["slug"],
            title=data["title"],
            description=data["description"],
            price_cents=data["price_cents"],
            photos=tuple(PhotoView(**photo) for photo in data["photos"]),
            add_ons=tuple(AddOnView(**add_on) for add_on in data["add_ons"]),
        )


def widget_catalog_key(tenant_id: uuid.UUID) -> str:
    # Under the catalog prefix, so every catalog change invalidates it too.
    return f"{catalog_prefix(tenant_id)}widget"


def _package_dict(package: Package, container: Container) -> dict[str, Any]:
    url = container.storage.url
    return {
        "id": str(package.id),
        "slug": package.slug,
        "title": package.title,
        "description": package.description,
        "price_cents": package.price_cents,
        "photos": [
            {
                "url": url(p.large_key),
                "width": p.width,
                "height": p.height,
                "thumb_url": url(p.thumb_key),
                "thumb_width": p.thumb_width,
                "thumb_height": p.thumb_height,
            }
            for p in package.photos
        ],
        "add_ons": [
            {
                "id": str(link.add_on.id),
                "title": link.add_on.title,
                "description": link.add_on.description,
                "price_cents": link.add_on.price_cents,
            }
            for link in package.add_on_links
            if link.add_on.active and link.add_on.archived_at is None
        ],
    }


# --- results of the flow -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldDate:
    """A date held for the customer and the payment page that completes the booking."""

    booking_id: str
    session_id: str
    checkout_url: str
    expires_at: datetime
    subtotal_cents: int
    public_key: str | None

    @property
    def reference(self) -> str:
        return booking_reference(uuid.UUID(self.booking_id))


@dataclass(frozen=True, slots=True)
class HoldRefused:
    """Why no date was held: problems by form field, in plain words; `taken` says the
    date went to someone else meanwhile (the calendar is shown again)."""

    problems: dict[str, str]
    status_code: int
    taken: bool = False


class BookingState:
    confirming = "confirming"
    confirmed = "confirmed"
    expired = "expired"
    canceled = "canceled"
    refunded = "refunded"


@dataclass(frozen=True, slots=True)
class BookingView:
    tenant: TenantContext
    summary: BookingSummaryOut
    session_id: str
    public_key: str | None
    package_slug: str | None
    now: datetime

    @property
    def reference(self) -> str:
        return booking_reference(self.summary.id)

    @property
    def state(self) -> str:
        status = self.summary.status
        if status == BookingStatus.held:
            expires = self.summary.expires_at
            live = expires is None or expires > self.now
            return BookingState.confirming if live else BookingState.expired
        if status in (BookingStatus.confirmed, BookingStatus.completed):
            return BookingState.confirmed
        if status == BookingStatus.refunded:
            return BookingState.refunded
        if status == BookingStatus.canceled:
            return BookingState.canceled
        return BookingState.expired


@dataclass(frozen=True, slots=True)
class BookingChoices:
    """What a customer had chosen for a booking (to start again after a canceled payment)."""

    package_slug: str
    event_date: date
    add_on_ids: list[str]


class WidgetService:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.settings = container.settings

    # --- tenant, branding, catalog ----------------------------------------------------

    async def tenant(self, slug: str | None) -> TenantContext:
        """The active tenant of this slug; 404 TENANT_NOT_FOUND / 403 TENANT_INACTIVE."""
        if not slug or len(slug) > MAX_SLUG_LENGTH:
            raise WidgetTenantNotFound()
        tenant = await self.container.resolver.resolve_slug(slug)
        if tenant is None:
            raise WidgetTenantNotFound()
        if not tenant.is_active:
            raise TenantInactive("This business is not taking bookings online right now.")
        return tenant

    async def branding(self, tenant: TenantContext) -> BrandingOut:
        return BrandingOut.model_validate_json(await branding_json(self.container, tenant.id))

    async def catalog(self, tenant: TenantContext) -> list[PackageView]:
        """Published packages in display order, with thumbnails (cached with the catalog)."""
        key = widget_catalog_key(tenant.id)
        raw = await self.container.cache.get(key)
        if raw is None:
            async with self.container.db.sessionmaker() as session:
                packages = await PackageRepository(session, tenant.id).list_published()
                raw = orjson.dumps([_package_dict(p, self.container) for p in packages])
            await self.container.cache.set(key, raw, CATALOG_TTL_SECONDS)
        return [PackageView.from_dict(item) for item in orjson.loads(raw)]

    async def package(self, tenant: TenantContext, slug: str) -> PackageView | None:
        return next((p for p in await self.catalog(tenant) if p.slug == slug), None)

    # --- availability -----------------------------------------------------------------

    async def calendar(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        *,
        asked_month: date | None,
        selected: date | None,
    ) -> tuple[CalendarMonth, BookingWindow]:
        availability = AvailabilityService.of(self.container, session, tenant, cached=True)
        first = initial_month(availability.window, selected, asked_month)
        unavailable = await availability.unavailable_between(first, month_end(first))
        grid = month_grid(first, availability.window, unavailable, selected)
        return grid, availability.window

    async def date_problem(
        self, session: AsyncSession, tenant: TenantContext, day: date
    ) -> UnavailableReason | None:
        availability = AvailabilityService.of(self.container, session, tenant, cached=True)
        return await availability.reason_for(day)

    # --- holding a date -------------------------------------------------------------------

    async def hold_date(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        package: PackageView,
        form: BookingForm,
        *,
        return_url: str | None,
        client_ip: str,
    ) -> HeldDate | HoldRefused:
        """Hold the chosen date and open its payment page, as `POST /v1/bookings/checkout`
        does (same service, same rules, same rate limit). On any refusal the request's
        transaction is rolled back, so nothing half-done is committed."""
        request, problems = form.checkout_request(package.id, return_url)
        if request is None:
            return HoldRefused(problems, 422)
        service = BookingService(session, self.container, tenant.id)
        try:
            await self.container.rate_limiter.check_api(str(tenant.id), client_ip)
            try:
                result = await service.checkout(
                    tenant, request, idempotency_key=form.idempotency_key
                )
            except IdempotencyKeyReused:
                # The same form was sent again with other answers: a new attempt.
                await rollback(session)
                result = await service.checkout(tenant, request, idempotency_key=None)
        except AppError as exc:
            await rollback(session)
            return self._refusal(exc)
        body = result.body
        return HeldDate(
            booking_id=str(body["bookingId"]),
            session_id=str(body["sessionId"]),
            checkout_url=str(body["checkoutUrl"]),
            expires_at=datetime.fromisoformat(str(body["expiresAt"])),
            subtotal_cents=int(body["totals"]["subtotalCents"]),
            public_key=await self.public_key(session, tenant.id),
        )

    def _refusal(self, exc: AppError) -> HoldRefused:
        support = self.settings.support_email
        if isinstance(exc, DateUnavailable):
            return HoldRefused(
                {EVENT_DATE: "Sorry, this date was just taken by someone else. "
                 "Please choose another date below."}
                if exc.reason in (UnavailableReason.booked, UnavailableReason.held)
                else {EVENT_DATE: "Sorry, this date can no longer be booked. "
                      "Please choose another date below."},
                409,
                taken=True,
            )  # fmt: skip
        if isinstance(exc, ValidationFailed):
            return HoldRefused(problems_from_details(exc.details), 422)
        if isinstance(exc, RateLimited):
            return HoldRefused(
                {GENERAL: "Too many attempts from your network. Please wait a minute and "
                 "try again."},
                429,
            )  # fmt: skip
        if isinstance(exc, TenantNotOnboarded):
            message = (
                "This business cannot take online payments yet. Please contact them "
                f"directly, or write to {support}."
            )
            return HoldRefused({GENERAL: message}, 409)
        if isinstance(exc, PaymentProviderUnavailableError | PaymentProviderFailed):
            log.warning("widget checkout: payment provider failed (%s)", exc.code)
            message = (
                "We could not reach the payment service. Your date was not held and nothing "
                f"was charged. Please try again in a minute; if it keeps happening, write to "
                f"{support}."
            )
            return HoldRefused({GENERAL: message}, exc.status_code)
        log.warning("widget checkout refused: %s %s", exc.code, exc.message)
        return HoldRefused(
            {GENERAL: f"Something went wrong on our side. Please try again, or write to "
             f"{support}."},
            exc.status_code,
        )  # fmt: skip

    async def public_key(self, session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
        """The tenant's public API key, which the page script polls the booking with. It
        is not a secret (SPEC §2); it is put in the page, never in a URL."""
        for key in await ApiKeyRepository(session, tenant_id).live_keys():
            if key.kind == ApiKeyKind.public:
                return key.lookup
        return None

    # --- after payment ------------------------------------------------------------------

    async def _booking_of_session(
        self, session: AsyncSession, session_id: str
    ) -> tuple[TenantContext, Booking] | None:
        if not session_id or len(session_id) > 255:
            return None
        ref = await BookingLookup(session).by_checkout_session(session_id)
        if ref is None:
            return None
        tenant = await TenantRepository(session).get(ref.tenant_id)
        booking = await BookingRepository(session, ref.tenant_id).get_full(ref.id)
        if tenant is None or booking is None:
            return None
        return TenantContext.of(tenant), booking

    async def booking_view(
        self, session: AsyncSession, session_id: str, *, tenant_slug: str | None = None
    ) -> BookingView | None:
        """The booking paid (or being paid) through this Checkout session. The session id
        is the customer's capability, as for `GET /v1/bookings/by-session/{id}`."""
        found = await self._booking_of_session(session, session_id)
        if found is None:
            return None
        tenant, booking = found
        if tenant_slug and tenant_slug != tenant.slug:
            return None
        package = await PackageRepository(session, tenant.id).get(booking.package_id)
        return BookingView(
            tenant=tenant,
            summary=booking_summary(booking),
            session_id=session_id,
            public_key=await self.public_key(session, tenant.id),
            package_slug=package.slug if package and package.archived_at is None else None,
            now=self.container.clock.now(),
        )

    async def booking_choices(
        self, session: AsyncSession, tenant: TenantContext, booking_id: str
    ) -> BookingChoices | None:
        booking = await BookingRepository(session, tenant.id).get_full(booking_id)
        if booking is None:
            return None
        package = await PackageRepository(session, tenant.id).get(booking.package_id)
        if package is None:
            return None
        return BookingChoices(
            package_slug=package.slug,
            event_date=booking.event_date,
            add_on_ids=[str(item.add_on_id) for item in booking.add_ons],
        )

    async def calendar_invite(
        self,
        session: AsyncSession,
        booking_id: str,
        *,
        token: str | None,
        session_id: str | None,
    ) -> Attachment | None:
        """The confirmed booking's .ics for its holder (access token or Checkout session
        id); None for anyone else and for bookings that do not take place."""
        ref = await BookingLookup(session).by_id(booking_id)
        if ref is None:
            return None
        booking = await BookingRepository(session, ref.tenant_id).get_full(ref.id)
        tenant = await TenantRepository(session).get(ref.tenant_id)
        if booking is None or tenant is None or not _holds_booking(booking, token, session_id):
            return None
        if booking.status not in (BookingStatus.confirmed, BookingStatus.completed):
            return None
        facts = booking_facts(booking, tenant, self.container.storage, self.settings)
        return booking_invite(facts, BookingEvent.confirmed, CUSTOMER)


def _holds_booking(booking: Booking, token: str | None, session_id: str | None) -> bool:
    if token:
        return hmac.compare_digest(booking.access_token_hash, hash_token(token))
    if session_id and booking.checkout_session_id:
        return hmac.compare_digest(booking.checkout_session_id, session_id)
    return False
