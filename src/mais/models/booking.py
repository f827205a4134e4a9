"""Customers and their bookings, with the price snapshots taken when the hold was made."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mais.core.changes import BOOKINGS, tracks_changes
from mais.models.base import Base, IdMixin, TenantScoped, TimestampMixin


class BookingStatus(StrEnum):
    held = "held"
    confirmed = "confirmed"
    canceled = "canceled"
    refunded = "refunded"
    completed = "completed"
    expired = "expired"


# Statuses that occupy the date. The partial unique index below is the guarantee.
DATE_BLOCKING_STATUSES = (BookingStatus.held, BookingStatus.confirmed)


class Customer(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "email_key"),)

    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)


@tracks_changes(BOOKINGS)  # cached availability and booking counts follow it
class Booking(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('held', 'confirmed', 'canceled', 'refunded', 'completed', 'expired')",
            name="status_values",
        ),
        CheckConstraint(
            "subtotal_cents = commission_cents + tenant_net_cents", name="cents_add_up"
        ),
        # One held-or-confirmed booking per tenant and date, enforced by the database.
        Index(
            "uq_bookings_tenant_date_active",
            "tenant_id",
            "event_date",
            unique=True,
            sqlite_where=text("status IN ('held', 'confirmed')"),
            postgresql_where=text("status IN ('held', 'confirmed')"),
        ),
        Index("ix_bookings_tenant_event_date", "tenant_id", "event_date"),
        Index("ix_bookings_tenant_status_date", "tenant_id", "status", "event_date"),
        Index("ix_bookings_tenant_created", "tenant_id", "created_at"),
        Index("ix_bookings_status_hold_expires", "status", "hold_expires_at"),
    )

    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("packages.id", ondelete="RESTRICT"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    event_date: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.held)
    couple_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)

    # Snapshots (integer cents; percent in basis points) taken when the hold was created.
    package_title: Mapped[str] = mapped_column(String(200))
    package_price_cents: Mapped[int] = mapped_column()
    subtotal_cents: Mapped[int] = mapped_column()
    commission_bps: Mapped[int] = mapped_column()
    commission_cents: Mapped[int] = mapped_column()
    tenant_net_cents: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    refunded_cents: Mapped[int] = mapped_column(default=0)

    hold_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    return_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    calendar_event_id: Mapped[str | None] = mapped_column(String(255), default=None)

    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)

    add_ons: Mapped[list[BookingAddOn]] = relationship(
        order_by="BookingAddOn.position", lazy="raise", cascade="all, delete-orphan"
    )


class BookingAddOn(IdMixin, TenantScoped, Base):
    """An add-on as it was priced when the booking was made."""

    __tablename__ = "booking_add_ons"
    __table_args__ = (UniqueConstraint("booking_id", "add_on_id"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    add_on_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("add_ons.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
