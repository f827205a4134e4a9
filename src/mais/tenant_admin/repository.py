"""Booking queries of the admin views (list, search, detail, export), scoped to one tenant.

The platform admin's read-only view of a tenant's bookings uses the same queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_
from sqlalchemy.orm import selectinload

from mais.core.repository import TenantScopedRepository
from mais.models import AuditEntry, Booking, BookingAddOn, Payment, Refund

# What the CSV export reads of each booking.
EXPORT_COLUMNS = (
    Booking.id,
    Booking.status,
    Booking.event_date,
    Booking.couple_name,
    Booking.email,
    Booking.phone,
    Booking.package_title,
    Booking.subtotal_cents,
    Booking.commission_cents,
    Booking.tenant_net_cents,
    Booking.refunded_cents,
    Booking.currency,
    Booking.notes,
    Booking.created_at,
    Booking.confirmed_at,
)


@dataclass(frozen=True)
class BookingFilters:
    statuses: tuple[str, ...] = ()
    event_from: date | None = None
    event_to: date | None = None
    search: str | None = None  # part of the couple's name or e-mail, any case


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class BookingQueryRepository(TenantScopedRepository[Booking]):
    model = Booking
    not_found_message = "Booking not found."

    def _filtered(self, filters: BookingFilters, *entities: Any) -> Select[Any]:
        stmt = self.scoped(*entities)
        if filters.statuses:
            stmt = stmt.where(Booking.status.in_(filters.statuses))
        if filters.event_from is not None:
            stmt = stmt.where(Booking.event_date >= filters.event_from)
        if filters.event_to is not None:
            stmt = stmt.where(Booking.event_date <= filters.event_to)
        if filters.search:
            pattern = _like_pattern(filters.search)
            stmt = stmt.where(
                or_(
                    func.lower(Booking.couple_name).like(pattern, escape="\\"),
                    func.lower(Booking.email).like(pattern, escape="\\"),
                )
            )
        return stmt

    async def count(self, filters: BookingFilters) -> int:
        stmt = self._filtered(filters, func.count(Booking.id))
        return int((await self.session.execute(stmt)).scalar_one())

    async def page(self, filters: BookingFilters, *, offset: int, limit: int) -> Sequence[Booking]:
        """Newest event dates first (the ones an admin works on are near the top)."""
        stmt = (
            self._filtered(filters)
            .order_by(Booking.event_date.desc(), Booking.created_at.desc(), Booking.id)
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def export_chunk(
        self, filters: BookingFilters, after: tuple[date, uuid.UUID] | None, limit: int
    ) -> Sequence[Row[Any]]:
        """The next `limit` bookings by (event date, id) after `after`, as plain rows of
        the exported columns (keyset paging keeps each query short however many bookings
        there are; plain rows keep 100k of them cheap)."""
        stmt = self._filtered(filters, *EXPORT_COLUMNS)
        if after is not None:
            last_date, last_id = after
            # Spelled out (not a row comparison) so the (tenant_id, event_date) index bounds it.
            stmt = stmt.where(
                Booking.event_date >= last_date,
                or_(
                    Booking.event_date > last_date,
                    and_(Booking.event_date == last_date, Booking.id > last_id),
                ),
            )
        stmt = stmt.order_by(Booking.event_date, Booking.id).limit(limit)
        return (await self.session.execute(stmt)).all()

    async def get_with_add_ons(self, booking_id: str | uuid.UUID) -> Booking | None:
        return await self.get(booking_id, selectinload(Booking.add_ons))


class BookingAddOnQueryRepository(TenantScopedRepository[BookingAddOn]):
    model = BookingAddOn

    async def titles_for(self, booking_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        if not booking_ids:
            return {}
        stmt = (
            self.scoped(BookingAddOn.booking_id, BookingAddOn.title)
            .where(BookingAddOn.booking_id.in_(booking_ids))
            .order_by(BookingAddOn.booking_id, BookingAddOn.position)
        )
        titles: dict[uuid.UUID, list[str]] = {}
        for booking_id, title in (await self.session.execute(stmt)).all():
            titles.setdefault(booking_id, []).append(title)
        return titles


class PaymentQueryRepository(TenantScopedRepository[Payment]):
    model = Payment

    async def for_booking(self, booking_id: uuid.UUID) -> Sequence[Payment]:
        stmt = self.scoped().where(Payment.booking_id == booking_id).order_by(Payment.created_at)
        return (await self.session.execute(stmt)).scalars().all()


class RefundQueryRepository(TenantScopedRepository[Refund]):
    model = Refund

    async def for_payments(self, payment_ids: Sequence[uuid.UUID]) -> Sequence[Refund]:
        if not payment_ids:
            return []
        stmt = self.scoped().where(Refund.payment_id.in_(payment_ids)).order_by(Refund.created_at)
        return (await self.session.execute(stmt)).scalars().all()


class BookingAuditRepository(TenantScopedRepository[AuditEntry]):
    model = AuditEntry

    async def trail(self, booking_id: uuid.UUID, limit: int = 200) -> Sequence[AuditEntry]:
        stmt = (
            self.scoped()
            .where(AuditEntry.entity_type == "booking", AuditEntry.entity_id == str(booking_id))
            .order_by(AuditEntry.created_at, AuditEntry.id)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).scalars().all()
