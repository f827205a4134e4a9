"""Queries behind booking e-mails: the booking with its snapshots, and sent deliveries."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from mais.core.repository import TenantScopedRepository
from mais.models import Booking, EmailDelivery, new_id


class NotifiedBookingRepository(TenantScopedRepository[Booking]):
    model = Booking
    not_found_message = "Booking not found."

    async def get_with_add_ons(self, booking_id: str | uuid.UUID) -> Booking | None:
        return await self.get(booking_id, selectinload(Booking.add_ons))


class EmailDeliveryRepository(TenantScopedRepository[EmailDelivery]):
    model = EmailDelivery

    async def find(self, delivery_key: str) -> EmailDelivery | None:
        stmt = self.scoped().where(EmailDelivery.delivery_key == delivery_key)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def record(self, **values: Any) -> None:
        """Insert once per delivery key; a second record of the same key changes nothing."""
        row = {"id": new_id(), "tenant_id": self.tenant_id, **values}
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(EmailDelivery)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["delivery_key"])
        )

    async def for_booking(self, booking_id: uuid.UUID) -> list[EmailDelivery]:
        stmt = (
            self.scoped()
            .where(EmailDelivery.booking_id == booking_id)
            .order_by(EmailDelivery.sent_at)
        )
        return list((await self.session.execute(stmt)).scalars().all())
