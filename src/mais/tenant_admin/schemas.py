"""Request and response shapes of `/v1/tenant-admin/...` (SPEC §5.1)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints, model_validator

from mais.adapters.storage import Storage
from mais.core.schemas import ApiModel, InputModel, PartialUpdate
from mais.core.validation import (
    DescriptionText,
    EmailAddress,
    HexColor,
    PositiveCents,
    PriceCents,
    ReasonText,
    TitleText,
)
from mais.models import AddOn, AuditEntry, BlackoutDate, Booking, Package, PackagePhoto, Tenant
from mais.tenants.branding import logo_url_of
from mais.tenants.context import TenantContext

PackageSlug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
]
CalendarId = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"^[^\s]+$")]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EmbedOrigin = Annotated[str, StringConstraints(min_length=1, max_length=300)]
SortOrder = Annotated[int, Field(strict=True, ge=0, le=100_000)]
IdList = Annotated[list[uuid.UUID], Field(max_length=500)]


# --- me, settings, keys ---------------------------------------------------------------


class TenantOut(ApiModel):
    id: uuid.UUID
    slug: str
    name: str
    status: str
    timezone: str
    currency: str
    commission_percent: float

    @classmethod
    def of(cls, tenant: TenantContext | Tenant) -> TenantOut:
        return cls(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            status=tenant.status,
            timezone=tenant.timezone,
            currency=tenant.currency,
            commission_percent=tenant.commission_bps / 100,
        )


class UserOut(ApiModel):
    id: uuid.UUID
    email: str


class MeOut(ApiModel):
    tenant: TenantOut
    user: UserOut | None = Field(description="null when authenticated with the secret key")


class SettingsOut(ApiModel):
    timezone: str
    min_notice_days: int
    max_days_ahead: int
    allowed_embed_origins: list[str]
    notification_email: str | None
    calendar_id: str | None

    @classmethod
    def of(cls, tenant: Tenant) -> SettingsOut:
        return cls(
            timezone=tenant.timezone,
            min_notice_days=tenant.min_notice_days,
            max_days_ahead=tenant.max_days_ahead,
            allowed_embed_origins=list(tenant.allowed_embed_origins or []),
            notification_email=tenant.notification_email,
            calendar_id=tenant.calendar_id,
        )


class SettingsIn(PartialUpdate):
    """Any subset of the settings; `notificationEmail` and `calendarId` may be null."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"notification_email", "calendar_id"})

    timezone: TimeZoneName | None = None
    min_notice_days: Annotated[int, Field(strict=True, ge=0, le=365)] | None = None
    max_days_ahead: Annotated[int, Field(strict=True, ge=1, le=1095)] | None = None
    allowed_embed_origins: Annotated[list[EmbedOrigin], Field(max_length=20)] | None = None
    notification_email: EmailAddress | None = None
    calendar_id: CalendarId | None = None


class ApiKeysOut(ApiModel):
    public_key: str | None
    secret_key_hint: str | None


class RotatedKeysOut(ApiModel):
    public_key: str
    secret_key: str = Field(description="Shown once; store it now.")


# --- packages, photos, add-ons ------------------------------------------------------------


class PhotoOut(ApiModel):
    id: uuid.UUID
    url: str
    thumb_url: str
    width: int
    height: int
    order: int

    @classmethod
    def of(cls, photo: PackagePhoto, storage: Storage) -> PhotoOut:
        return cls(
            id=photo.id,
            url=storage.url(photo.large_key),
            thumb_url=storage.url(photo.thumb_key),
            width=photo.width,
            height=photo.height,
            order=photo.sort_order,
        )


class LinkedAddOnOut(ApiModel):
    id: uuid.UUID
    title: str
    price_cents: int
    active: bool


class PackageOut(ApiModel):
    id: uuid.UUID
    slug: str
    title: str
    description: str
    price_cents: int
    active: bool
    sort_order: int
    photos: list[PhotoOut]
    add_on_ids: list[uuid.UUID]
    add_ons: list[LinkedAddOnOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, package: Package, storage: Storage) -> PackageOut:
        """`package` must be loaded with photos and add-on links."""
        add_ons = [link.add_on for link in package.add_on_links]
        return cls(
            id=package.id,
            slug=package.slug,
            title=package.title,
            description=package.description,
            price_cents=package.price_cents,
            active=package.active,
            sort_order=package.sort_order,
            photos=[PhotoOut.of(photo, storage) for photo in package.photos],
            add_on_ids=[add_on.id for add_on in add_ons],
            add_ons=[
                LinkedAddOnOut(id=a.id, title=a.title, price_cents=a.price_cents, active=a.active)
                for a in add_ons
            ],
            created_at=package.created_at,
            updated_at=package.updated_at,
        )


class PackageCreate(InputModel):
    slug: PackageSlug | None = Field(default=None, description="Default: made from the title.")
    title: TitleText
    description: DescriptionText = ""
    price_cents: PositiveCents
    active: bool = Field(default=False, description="Published in the widget.")
    sort_order: SortOrder | None = Field(default=None, description="Default: last.")
    add_on_ids: IdList | None = None


class PackageUpdate(PartialUpdate):
    slug: PackageSlug | None = None
    title: TitleText | None = None
    description: DescriptionText | None = None
    price_cents: PositiveCents | None = None
    active: bool | None = None
    sort_order: SortOrder | None = None
    add_on_ids: IdList | None = None


class ReorderIn(InputModel):
    ids: IdList = Field(description="Every id exactly once, in the new order.")


class AddOnOut(ApiModel):
    id: uuid.UUID
    title: str
    description: str
    price_cents: int
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, add_on: AddOn) -> AddOnOut:
        return cls(
            id=add_on.id,
            title=add_on.title,
            description=add_on.description,
            price_cents=add_on.price_cents,
            active=add_on.active,
            created_at=add_on.created_at,
            updated_at=add_on.updated_at,
        )


class AddOnCreate(InputModel):
    title: TitleText
    description: DescriptionText = ""
    price_cents: PriceCents
    active: bool = True


class AddOnUpdate(PartialUpdate):
    title: TitleText | None = None
    description: DescriptionText | None = None
    price_cents: PriceCents | None = None
    active: bool | None = None


# --- blackouts --------------------------------------------------------------------------


class BlackoutOut(ApiModel):
    id: uuid.UUID
    date: dt.date
    reason: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, row: BlackoutDate) -> BlackoutOut:
        return cls(id=row.id, date=row.date, reason=row.reason, created_at=row.created_at)


class BlackoutCreate(InputModel):
    """Either `date`, or `startDate` and `endDate` (inclusive, at most 366 days)."""

    date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    reason: ReasonText | None = None

    @model_validator(mode="after")
    def _one_form(self) -> BlackoutCreate:
        single = self.date is not None
        ranged = self.start_date is not None or self.end_date is not None
        if single == ranged:
            raise ValueError("send either date, or startDate and endDate")
        if ranged and (self.start_date is None or self.end_date is None):
            raise ValueError("a range needs both startDate and endDate")
        return self

    def bounds(self) -> tuple[dt.date, dt.date]:
        """First and last date (the same date for a single day)."""
        start = self.date or self.start_date
        end = self.date or self.end_date
        assert start is not None
        assert end is not None
        return start, end


class BlackoutsCreated(ApiModel):
    created: list[BlackoutOut]
    skipped: list[dt.date] = Field(description="Dates that were already blacked out.")


# --- branding ---------------------------------------------------------------------------


class BrandingSettingsOut(ApiModel):
    primary_color: str
    secondary_color: str
    accent_color: str
    background_color: str
    font_family: str
    logo_url: str | None

    @classmethod
    def of(cls, tenant: Tenant, storage: Storage) -> BrandingSettingsOut:
        return cls(
            primary_color=tenant.primary_color,
            secondary_color=tenant.secondary_color,
            accent_color=tenant.accent_color,
            background_color=tenant.background_color,
            font_family=tenant.font_family,
            logo_url=logo_url_of(tenant, storage),
        )


class BrandingIn(PartialUpdate):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"logo_url"})

    primary_color: HexColor | None = None
    secondary_color: HexColor | None = None
    accent_color: HexColor | None = None
    background_color: HexColor | None = None
    font_family: Annotated[str, StringConstraints(max_length=40)] | None = None
    logo_url: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        default=None,
        description="An https:// URL, the current logo URL (kept), or null (no logo).",
    )


# --- Stripe -----------------------------------------------------------------------------


class StripeStatusOut(ApiModel):
    account_id: str | None
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str]

    @classmethod
    def of(cls, tenant: Tenant) -> StripeStatusOut:
        return cls(
            account_id=tenant.stripe_account_id,
            charges_enabled=tenant.stripe_charges_enabled,
            payouts_enabled=tenant.stripe_payouts_enabled,
            details_submitted=tenant.stripe_details_submitted,
            requirements_due=list(tenant.stripe_requirements_due or []),
        )


class ConnectLinkOut(ApiModel):
    url: str


# --- bookings ---------------------------------------------------------------------------


class BookingPackageOut(ApiModel):
    id: uuid.UUID
    title: str


class BookingTotalsOut(ApiModel):
    subtotal_cents: int
    commission_cents: int
    tenant_net_cents: int
    refunded_cents: int
    commission_percent: float
    currency: str


class BookingListItem(ApiModel):
    id: uuid.UUID
    status: str
    event_date: dt.date
    couple_name: str
    email: str
    phone: str | None
    package: BookingPackageOut
    totals: BookingTotalsOut
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    canceled_at: dt.datetime | None

    @classmethod
    def fields_of(cls, booking: Booking) -> dict[str, Any]:
        """The item's fields as plain data (nested parts too), for one validation of a
        whole page rather than three model constructions per booking."""
        return {
            "id": booking.id,
            "status": booking.status,
            "event_date": booking.event_date,
            "couple_name": booking.couple_name,
            "email": booking.email,
            "phone": booking.phone,
            "package": {"id": booking.package_id, "title": booking.package_title},
            "totals": {
                "subtotal_cents": booking.subtotal_cents,
                "commission_cents": booking.commission_cents,
                "tenant_net_cents": booking.tenant_net_cents,
                "refunded_cents": booking.refunded_cents,
                "commission_percent": booking.commission_bps / 100,
                "currency": booking.currency,
            },
            "created_at": booking.created_at,
            "confirmed_at": booking.confirmed_at,
            "canceled_at": booking.canceled_at,
        }


class BookingPage(ApiModel):
    items: list[BookingListItem]
    total: int
    page: int
    page_size: int


class BookingAddOnOut(ApiModel):
    id: uuid.UUID
    title: str
    price_cents: int


class RefundOut(ApiModel):
    id: uuid.UUID
    amount_cents: int
    application_fee_refunded_cents: int
    status: str
    reason: str | None
    created_at: dt.datetime


class PaymentOut(ApiModel):
    id: uuid.UUID
    amount_cents: int
    currency: str
    status: str
    processor: str
    processor_id: str
    application_fee_cents: int
    refunded_cents: int
    created_at: dt.datetime
    refunds: list[RefundOut]


class AuditEntryOut(ApiModel):
    id: uuid.UUID
    created_at: dt.datetime
    tenant_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    actor_role: str
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            id=entry.id,
            created_at=entry.created_at,
            tenant_id=entry.tenant_id,
            actor_user_id=entry.actor_user_id,
            actor_role=entry.actor_role,
            actor_label=entry.actor_label,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            before=entry.before,
            after=entry.after,
            request_id=entry.request_id,
        )


class BookingDetail(BookingListItem):
    notes: str | None
    add_ons: list[BookingAddOnOut]
    hold_expires_at: dt.datetime | None
    cancel_reason: str | None
    payments: list[PaymentOut]
    audit_trail: list[AuditEntryOut]


class CancelIn(InputModel):
    reason: ReasonText | None = None


class RefundIn(InputModel):
    amount_cents: PositiveCents | None = Field(
        default=None, description="Default: all that is left."
    )
