"""Request and response shapes of `/v1/admin/...` (SPEC §5.1)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from mais.core.schemas import ApiModel, InputModel, PartialUpdate
from mais.core.validation import EmailAddress, TitleText
from mais.models import Job, Tenant, TenantStatus, User, WebhookEvent
from mais.tenant_admin.schemas import AuditEntryOut

CommissionPercent = Annotated[Decimal, Field(ge=0, le=50, decimal_places=2)]
TenantSlug = Annotated[str, StringConstraints(min_length=1, max_length=50)]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
NewPassword = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TenantCounts(ApiModel):
    packages: int
    bookings: int
    bookings_by_status: dict[str, int]


class AdminTenantOut(ApiModel):
    id: uuid.UUID
    slug: str
    name: str
    email: str
    status: str
    commission_percent: float
    currency: str
    timezone: str
    stripe_account_id: str | None
    stripe_charges_enabled: bool
    created_at: dt.datetime

    @classmethod
    def fields_of(cls, tenant: Tenant) -> dict[str, Any]:
        return {
            "id": tenant.id,
            "slug": tenant.slug,
            "name": tenant.name,
            "email": tenant.email,
            "status": tenant.status,
            "commission_percent": tenant.commission_bps / 100,
            "currency": tenant.currency,
            "timezone": tenant.timezone,
            "stripe_account_id": tenant.stripe_account_id,
            "stripe_charges_enabled": tenant.stripe_charges_enabled,
            "created_at": tenant.created_at,
        }

    @classmethod
    def of(cls, tenant: Tenant) -> AdminTenantOut:
        return cls(**cls.fields_of(tenant))


class TenantListItem(AdminTenantOut):
    counts: TenantCounts


class TenantPage(ApiModel):
    items: list[TenantListItem]
    total: int
    page: int
    page_size: int


class TenantCreate(InputModel):
    slug: TenantSlug
    name: TitleText
    email: EmailAddress
    password: NewPassword | None = Field(
        default=None, description="Without a password the admin is e-mailed an invitation."
    )
    commission_percent: CommissionPercent | None = Field(default=None, description="Default 10.")
    timezone: TimeZoneName | None = Field(default=None, description="Default America/New_York.")


class TenantCreated(ApiModel):
    tenant: AdminTenantOut
    public_key: str
    secret_key: str = Field(description="Shown once; store it now.")


class TenantUpdate(PartialUpdate):
    name: TitleText | None = None
    commission_percent: CommissionPercent | None = Field(
        default=None, description="Applies to bookings made from now on."
    )
    status: TenantStatus | None = Field(
        default=None, description="`suspended` stops the widget and the keys at once."
    )


class MonthStats(ApiModel):
    bookings: int = Field(description="Bookings confirmed since the 1st of this month (UTC).")
    gross_volume_cents: int
    platform_commission_cents: int


class BookingStats(ApiModel):
    by_status: dict[str, int]


class TenantStats(ApiModel):
    bookings: BookingStats
    gross_volume_cents: int = Field(description="Payments received less refunds.")
    platform_commission_cents: int = Field(description="Application fees less refunded fees.")
    this_month: MonthStats


class TenantTotals(ApiModel):
    total: int
    active: int


class PlatformStats(TenantStats):
    tenants: TenantTotals


class AdminUserOut(ApiModel):
    id: uuid.UUID
    email: str
    is_active: bool
    last_login_at: dt.datetime | None

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(
            id=user.id, email=user.email, is_active=user.is_active, last_login_at=user.last_login_at
        )


class TenantDetail(AdminTenantOut):
    public_key: str | None
    admins: list[AdminUserOut]
    stats: TenantStats


class AuditPage(ApiModel):
    items: list[AuditEntryOut]
    total: int
    page: int
    page_size: int


class JobOut(ApiModel):
    id: uuid.UUID
    kind: str
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    run_at: dt.datetime
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            last_error=job.last_error,
            tenant_id=job.tenant_id,
            payload=dict(job.payload),
            run_at=job.run_at,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


class JobPage(ApiModel):
    items: list[JobOut]
    total: int
    page: int
    page_size: int


class WebhookEventOut(ApiModel):
    id: uuid.UUID
    source: str
    event_id: str
    type: str
    status: str
    attempts: int
    last_error: str | None
    tenant_id: uuid.UUID | None
    received_at: dt.datetime
    processed_at: dt.datetime | None

    @classmethod
    def of(cls, event: WebhookEvent) -> WebhookEventOut:
        return cls(
            id=event.id,
            source=event.source,
            event_id=event.event_id,
            type=event.type,
            status=event.status,
            attempts=event.attempts,
            last_error=event.last_error,
            tenant_id=event.tenant_id,
            received_at=event.received_at,
            processed_at=event.processed_at,
        )


class WebhookEventPage(ApiModel):
    items: list[WebhookEventOut]
    total: int
    page: int
    page_size: int
