"""Tenants (the businesses), their API keys and their encrypted secrets."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from mais.core.changes import BOOKINGS, tracks_changes
from mais.models.base import Base, IdMixin, TenantScoped, TimestampMixin


class TenantStatus(StrEnum):
    active = "active"
    suspended = "suspended"


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("commission_bps >= 0 AND commission_bps <= 5000", name="commission_range"),
        CheckConstraint("status IN ('active', 'suspended')", name="status_values"),
    )

    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default=TenantStatus.active)
    # Commission in basis points (10.00 % = 1000) so that money math stays integral.
    commission_bps: Mapped[int] = mapped_column(default=1000)
    commission_min_cents: Mapped[int | None] = mapped_column(default=None)
    commission_max_cents: Mapped[int | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")

    # Branding
    primary_color: Mapped[str] = mapped_column(String(7), default="#7A5C58")
    secondary_color: Mapped[str] = mapped_column(String(7), default="#F4ECE6")
    accent_color: Mapped[str] = mapped_column(String(7), default="#C8A97E")
    background_color: Mapped[str] = mapped_column(String(7), default="#FFFFFF")
    font_family: Mapped[str] = mapped_column(String(40), default="Georgia")
    # An uploaded logo lives in storage under `logo_key`; `logo_url` is an external link.
    logo_key: Mapped[str | None] = mapped_column(String(500), default=None)
    logo_url: Mapped[str | None] = mapped_column(String(1000), default=None)

    # Settings
    allowed_embed_origins: Mapped[list[str]] = mapped_column(default=list)
    notification_email: Mapped[str | None] = mapped_column(String(320), default=None)
    calendar_id: Mapped[str | None] = mapped_column(String(300), default=None)
    min_notice_days: Mapped[int] = mapped_column(default=1)
    max_days_ahead: Mapped[int] = mapped_column(default=730)

    # Stripe Connect
    stripe_account_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    stripe_charges_enabled: Mapped[bool] = mapped_column(default=False)
    stripe_payouts_enabled: Mapped[bool] = mapped_column(default=False)
    stripe_details_submitted: Mapped[bool] = mapped_column(default=False)
    stripe_requirements_due: Mapped[list[str]] = mapped_column(default=list)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.active


class ApiKeyKind(StrEnum):
    public = "public"
    secret = "secret"  # nosec B105 # noqa: S105 - an enum label, not a password


class TenantApiKey(IdMixin, TenantScoped, Base):
    """One issued key. `lookup` is the public key itself, or the HMAC of a secret key."""

    __tablename__ = "tenant_api_keys"
    __table_args__ = (
        CheckConstraint("kind IN ('public', 'secret')", name="kind_values"),
        # At most one live key of each kind per tenant.
        Index(
            "uq_tenant_api_keys_live_kind",
            "tenant_id",
            "kind",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(10))
    lookup: Mapped[str] = mapped_column(String(128), unique=True)
    hint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class TenantSecret(IdMixin, TimestampMixin, TenantScoped, Base):
    """A tenant's own credential, AES-256-GCM encrypted with the tenant id as associated data."""

    __tablename__ = "tenant_secrets"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column()
    ciphertext: Mapped[bytes] = mapped_column()


@tracks_changes(BOOKINGS)  # cached availability and booking counts follow it
class BlackoutDate(IdMixin, TenantScoped, Base):
    __tablename__ = "blackout_dates"
    __table_args__ = (UniqueConstraint("tenant_id", "date"),)

    date: Mapped[date] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column()


class IdempotencyRecord(IdMixin, TenantScoped, Base):
    """A stored response for an `Idempotency-Key`, scoped to the tenant."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column()
    response_body: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
