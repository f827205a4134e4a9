"""Blackout dates: days a tenant does not take bookings (single days or ranges).

Dates are the tenant's calendar dates. Adding a date that is already blacked out is not an
error: the answer lists it under `skipped`. Ranges are bounded so one request cannot
insert years of rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from mais.audit.service import Actor, record
from mais.core.errors import ValidationFailed
from mais.models import BlackoutDate, utcnow
from mais.tenants.context import TenantContext
from mais.tenants.repository import BlackoutRepository

MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class BlackoutResult:
    created: list[BlackoutDate]
    skipped: list[date]


def tenant_today(tenant: TenantContext, now: datetime | None = None) -> date:
    """Today in the tenant's time zone (not the server's)."""
    return (now or utcnow()).astimezone(ZoneInfo(tenant.timezone)).date()


def dates_in_range(start: date, end: date) -> list[date]:
    if end < start:
        raise ValidationFailed(
            "endDate must be on or after startDate.",
            details=[{"field": "endDate", "issue": "before startDate"}],
        )
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"A range may cover at most {MAX_RANGE_DAYS} days.",
            details=[{"field": "endDate", "issue": f"range longer than {MAX_RANGE_DAYS} days"}],
        )
    return [start + timedelta(days=n) for n in range(days)]


class BlackoutService:
    def __init__(self, session: AsyncSession, tenant: TenantContext, actor: Actor) -> None:
        self.session = session
        self.tenant = tenant
        self.actor = actor
        self.blackouts = BlackoutRepository(session, tenant.id)

    async def list_dates(
        self, start: date | None = None, end: date | None = None
    ) -> Sequence[BlackoutDate]:
        return await self.blackouts.list_between(start, end)

    async def add(self, dates: list[date], reason: str | None) -> BlackoutResult:
        today = tenant_today(self.tenant)
        if dates and dates[0] < today:
            raise ValidationFailed(
                "Blackout dates must be today or later (in the tenant's time zone).",
                details=[{"field": "date", "issue": "in the past"}],
            )
        created = await self.blackouts.insert_missing(dates, reason, utcnow())
        created_days = {row.date for row in created}
        if created:
            record(
                self.session,
                self.actor,
                "blackout.created",
                "blackout",
                created[0].id if len(created) == 1 else f"{created[0].date}..{created[-1].date}",
                tenant_id=self.tenant.id,
                after={"dates": [d.isoformat() for d in sorted(created_days)], "reason": reason},
            )
        return BlackoutResult(
            created=created, skipped=[day for day in dates if day not in created_days]
        )

    async def delete(self, blackout_id: str | uuid.UUID) -> None:
        row = await self.blackouts.get_or_404(blackout_id)
        record(
            self.session,
            self.actor,
            "blackout.deleted",
            "blackout",
            row.id,
            tenant_id=self.tenant.id,
            before={"date": row.date.isoformat(), "reason": row.reason},
        )
        await self.blackouts.remove(row)
        await self.session.flush()
