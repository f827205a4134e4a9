"""Every query on payments, refunds and inbound webhook events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.repository import TenantScopedRepository, parse_uuid
from mais.models import Payment, Refund, WebhookEvent, WebhookEventStatus, new_id


class PaymentRepository(TenantScopedRepository[Payment]):
    model = Payment

    async def for_booking(self, booking_id: uuid.UUID) -> Sequence[Payment]:
        stmt = self.scoped().where(Payment.booking_id == booking_id).order_by(Payment.created_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def by_processor_id(self, processor_id: str, *, lock: bool = False) -> Payment | None:
        stmt = (
            self.scoped()
            .where(Payment.processor_id == processor_id)
            .execution_options(populate_existing=True)
        )
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()


class RefundRepository(TenantScopedRepository[Refund]):
    model = Refund

    async def for_payment(self, payment_id: uuid.UUID) -> Sequence[Refund]:
        stmt = self.scoped().where(Refund.payment_id == payment_id).order_by(Refund.created_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def for_payments(self, payment_ids: Sequence[uuid.UUID]) -> Sequence[Refund]:
        if not payment_ids:
            return []
        stmt = self.scoped().where(Refund.payment_id.in_(payment_ids)).order_by(Refund.created_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def known_processor_ids(self, payment_id: uuid.UUID) -> set[str]:
        stmt = self.scoped(Refund.processor_refund_id).where(Refund.payment_id == payment_id)
        return {row[0] for row in await self.session.execute(stmt) if row[0]}


@dataclass(frozen=True, slots=True)
class PaymentRef:
    id: uuid.UUID
    tenant_id: uuid.UUID
    booking_id: uuid.UUID


class PaymentLookup:
    """Cross-tenant read for refunds reported by Stripe (they name only the payment intent)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_processor_id(self, processor_id: str) -> PaymentRef | None:
        row = (
            await self.session.execute(
                select(Payment.id, Payment.tenant_id, Payment.booking_id).where(
                    Payment.processor_id == processor_id
                )
            )
        ).first()
        return None if row is None else PaymentRef(row.id, row.tenant_id, row.booking_id)


class WebhookEventRepository:
    """Inbound events are operational records, not tenant data: the tenant is learnt only
    while processing. Admin listings read them across tenants."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_if_new(
        self, *, source: str, event_id: str, event_type: str, payload: str, now: datetime
    ) -> None:
        """Record the event unless (source, event id) is already stored."""
        values: dict[str, Any] = {
            "id": new_id(),
            "source": source,
            "event_id": event_id,
            "type": event_type,
            "payload": payload,
            "status": WebhookEventStatus.received,
            "attempts": 0,
            "received_at": now,
        }
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(WebhookEvent)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
        )

    async def get(self, source: str, event_id: str) -> WebhookEvent | None:
        stmt = (
            select(WebhookEvent)
            .where(WebhookEvent.source == source, WebhookEvent.event_id == event_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_by_id(self, webhook_event_id: str | uuid.UUID) -> WebhookEvent | None:
        parsed = parse_uuid(webhook_event_id)
        if parsed is None:
            return None
        stmt = (
            select(WebhookEvent)
            .where(WebhookEvent.id == parsed)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def claim(self, webhook_event_id: uuid.UUID) -> bool:
        """Take the event for processing unless it is already processed. As the first write
        of its transaction this also serialises concurrent deliveries: on PostgreSQL the
        row lock makes a duplicate wait, then find the event processed."""
        result = await self.session.execute(
            update(WebhookEvent)
            .where(
                WebhookEvent.id == webhook_event_id,
                WebhookEvent.status != WebhookEventStatus.processed,
            )
            .values(attempts=WebhookEvent.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def mark_processed(
        self,
        webhook_event_id: uuid.UUID,
        *,
        now: datetime,
        tenant_id: uuid.UUID | None,
        note: str | None,
    ) -> None:
        await self.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == webhook_event_id)
            .values(
                status=WebhookEventStatus.processed,
                processed_at=now,
                last_error=note,
                tenant_id=tenant_id,
            )
            .execution_options(synchronize_session=False)
        )

    async def mark_failed(self, webhook_event_id: uuid.UUID, error: str) -> None:
        """Record a failed processing (its attempt was counted when it was claimed)."""
        await self.session.execute(
            update(WebhookEvent)
            .where(
                WebhookEvent.id == webhook_event_id,
                WebhookEvent.status != WebhookEventStatus.processed,
            )
            .values(status=WebhookEventStatus.failed, last_error=error[:4000])
            .execution_options(synchronize_session=False)
        )

    async def page(
        self, status: str | None, *, offset: int, limit: int
    ) -> tuple[Sequence[WebhookEvent], int]:
        """Newest first, optionally of one status (the platform admin's list)."""
        stmt = select(WebhookEvent)
        count = select(func.count(WebhookEvent.id))
        if status:
            stmt = stmt.where(WebhookEvent.status == status)
            count = count.where(WebhookEvent.status == status)
        total = (await self.session.execute(count)).scalar_one()
        rows = await self.session.execute(
            stmt.order_by(WebhookEvent.received_at.desc(), WebhookEvent.id)
            .offset(offset)
            .limit(limit)
        )
        return rows.scalars().all(), int(total)
