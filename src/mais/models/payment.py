"""Money that moved: payments (one per paid booking) and their refunds."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mais.models.base import Base, IdMixin, TenantScoped, TimestampMixin


class PaymentStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


class Payment(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "payments"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30))
    processor: Mapped[str] = mapped_column(String(20), default="stripe")
    # The payment intent id; unique so a replayed webhook cannot record a payment twice.
    processor_id: Mapped[str] = mapped_column(String(255), unique=True)
    application_fee_cents: Mapped[int] = mapped_column(default=0)
    refunded_cents: Mapped[int] = mapped_column(default=0)
    application_fee_refunded_cents: Mapped[int] = mapped_column(default=0)


class Refund(IdMixin, TenantScoped, Base):
    __tablename__ = "refunds"

    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column()
    application_fee_refunded_cents: Mapped[int] = mapped_column(default=0)
    processor_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column()
