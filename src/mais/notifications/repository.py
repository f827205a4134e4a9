"""Queries behind booking e-mails: the deliveries already handed to the provider (the
booking itself is read through `bookings.repository.BookingRepository`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mais.core.repository import TenantScopedRepository
from mais.models import EmailDelivery, new_id


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
