"""Every query on bookings, customers and idempotency records.

Tenant-owned rows go through the scoped repositories. `BookingLookup` is the one
unscoped reader: Stripe's webhooks and the hold sweeper arrive without a tenant and
must find which tenant a session, payment intent or expired hold belongs to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from mais.core.repository import TenantScopedRepository, parse_uuid
from mais.models import (
    DATE_BLOCKING_STATUSES,
    Booking,
    BookingStatus,
    Customer,
    IdempotencyRecord,
    new_id,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class Occupancy:
    """A live booking holding a date."""

    event_date: date
    status: str
    hold_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class BookingRef:
    id: uuid.UUID
    tenant_id: uuid.UUID


class BookingRepository(TenantScopedRepository[Booking]):
    model = Booking
    not_found_message = "Booking not found."

    async def get_full(self, booking_id: str | uuid.UUID, *, lock: bool = False) -> Booking | None:
        """The booking with its add-on snapshots; `lock` takes the row lock (PostgreSQL)
        so state changes of one booking happen one at a time."""
        parsed = parse_uuid(booking_id)
        if parsed is None:
            return None
        stmt = (
            self.scoped()
            .where(Booking.id == parsed)
            .options(selectinload(Booking.add_ons))
            .execution_options(populate_existing=True)
        )
        if lock:
            stmt = stmt.with_for_update(of=Booking)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_by_checkout_session(self, session_id: str) -> Booking | None:
        stmt = (
            self.scoped()
            .where(Booking.checkout_session_id == session_id)
            .options(selectinload(Booking.add_ons))
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def occupied_between(self, start: date, end: date) -> Sequence[Occupancy]:
        stmt = self.scoped(Booking.event_date, Booking.status, Booking.hold_expires_at).where(
            Booking.event_date >= start,
            Booking.event_date <= end,
            Booking.status.in_(DATE_BLOCKING_STATUSES),
        )
        rows = await self.session.execute(stmt)
        return [Occupancy(r.event_date, r.status, r.hold_expires_at) for r in rows]

    async def live_booking_on(
        self, event_date: date, *, exclude: uuid.UUID | None = None
    ) -> Booking | None:
        """The held or confirmed booking occupying the date, if any."""
        stmt = self.scoped().where(
            Booking.event_date == event_date, Booking.status.in_(DATE_BLOCKING_STATUSES)
        )
        if exclude is not None:
            stmt = stmt.where(Booking.id != exclude)
        return (await self.session.execute(stmt.limit(1))).scalar_one_or_none()

    async def expire_stale_holds(
        self, now: datetime, event_date: date | None = None
    ) -> list[uuid.UUID]:
        """Mark holds whose time ran out as expired (freeing their dates); returns their ids."""
        stmt = self.scoped_update().where(
            Booking.status == BookingStatus.held, Booking.hold_expires_at <= now
        )
        if event_date is not None:
            stmt = stmt.where(Booking.event_date == event_date)
        result = await self.session.execute(
            stmt.values(status=BookingStatus.expired, updated_at=utcnow())
            .returning(Booking.id)
            .execution_options(synchronize_session=False)
        )
        return [row[0] for row in result]


class CustomerRepository(TenantScopedRepository[Customer]):
    model = Customer

    async def upsert(self, *, email: str, name: str, phone: str | None) -> uuid.UUID:
        """The tenant's customer with this e-mail, created or updated with the latest name
        and phone. One statement, so concurrent checkouts by one person cannot collide."""
        now = utcnow()
        values: dict[str, Any] = {
            "id": new_id(),
            "tenant_id": self.tenant_id,
            "email": email,
            "email_key": email.lower(),
            "name": name,
            "phone": phone,
            "created_at": now,
            "updated_at": now,
        }
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(Customer).values(**values)
        changes: dict[str, Any] = {
            "name": stmt.excluded.name,
            "email": stmt.excluded.email,
            "updated_at": now,
        }
        if phone is not None:
            changes["phone"] = stmt.excluded.phone
        upsert = stmt.on_conflict_do_update(
            index_elements=[Customer.tenant_id, Customer.email_key], set_=changes
        ).returning(Customer.id)
        return (await self.session.execute(upsert)).scalar_one()


class IdempotencyRepository(TenantScopedRepository[IdempotencyRecord]):
    model = IdempotencyRecord

    async def find(self, key: str) -> IdempotencyRecord | None:
        stmt = (
            self.scoped()
            .where(IdempotencyRecord.key == key)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


class BookingLookup:
    """Cross-tenant reads for callers that arrive without a tenant (webhooks, sweeps)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_checkout_session(self, session_id: str) -> BookingRef | None:
        row = (
            await self.session.execute(
                select(Booking.id, Booking.tenant_id).where(
                    Booking.checkout_session_id == session_id
                )
            )
        ).first()
        return None if row is None else BookingRef(row.id, row.tenant_id)

    async def by_payment_intent(self, payment_intent_id: str) -> BookingRef | None:
        row = (
            await self.session.execute(
                select(Booking.id, Booking.tenant_id).where(
                    Booking.payment_intent_id == payment_intent_id
                )
            )
        ).first()
        return None if row is None else BookingRef(row.id, row.tenant_id)

    async def by_id(self, booking_id: str | uuid.UUID) -> BookingRef | None:
        parsed = parse_uuid(booking_id)
        if parsed is None:
            return None
        row = (
            await self.session.execute(
                select(Booking.id, Booking.tenant_id).where(Booking.id == parsed)
            )
        ).first()
        return None if row is None else BookingRef(row.id, row.tenant_id)

    async def expire_all_stale_holds(self, now: datetime) -> list[BookingRef]:
        """Every hold past its expiry, across tenants, marked expired (the periodic sweep)."""
        result = await self.session.execute(
            update(Booking)
            .where(Booking.status == BookingStatus.held, Booking.hold_expires_at <= now)
            .values(status=BookingStatus.expired, updated_at=utcnow())
            .returning(Booking.id, Booking.tenant_id)
            .execution_options(synchronize_session=False)
        )
        return [BookingRef(row.id, row.tenant_id) for row in result]

    async def delete_idempotency_records_before(self, cutoff: datetime) -> int:
        from sqlalchemy import delete

        result = await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
