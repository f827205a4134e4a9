"""Aggregate, cross-tenant queries for operators (metrics). Not tenant-scoped on purpose:
they count rows of every tenant and return no row data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mais.models import Booking, Job, JobStatus, WebhookEvent, WebhookEventStatus


class OperationsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def jobs_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(select(Job.status, func.count()).group_by(Job.status))
        return {str(status): int(count) for status, count in rows.all()}

    async def oldest_pending_job(self) -> datetime | None:
        result = await self.session.execute(
            select(func.min(Job.run_at)).where(Job.status == JobStatus.pending)
        )
        value: datetime | None = result.scalar_one_or_none()
        return value

    async def bookings_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Booking.status, func.count()).group_by(Booking.status)
        )
        return {str(status): int(count) for status, count in rows.all()}

    async def failed_webhook_events(self) -> int:
        result = await self.session.execute(
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.status == WebhookEventStatus.failed)
        )
        return int(result.scalar_one())
