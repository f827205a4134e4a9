"""E-mails handed to the provider, one row per delivery, so a re-run job does not send twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mais.models.base import Base, IdMixin, TenantScoped


class EmailDelivery(IdMixin, TenantScoped, Base):
    __tablename__ = "email_deliveries"
    __table_args__ = (Index("ix_email_deliveries_booking_sent", "booking_id", "sent_at"),)

    # Same value as the job's dedupe key (`email:<booking>:<event>:<audience>[:<occurrence>]`).
    delivery_key: Mapped[str] = mapped_column(String(255), unique=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(30))
    audience: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    backend: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime] = mapped_column()
