"""Platform-wide queries of the platform admin: tenants with counts, money and booking
aggregates, and jobs (the audit log is read through `audit.repository`, webhook events
through `payments.repository`).

These are deliberately not tenant-scoped: the platform admin sees every tenant. Nothing
here is reachable from a tenant's credentials (`PlatformAdminAuth` guards every route).
Aggregates are computed by the database (COUNT/SUM ... GROUP BY), never by loading rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.repository import escape_like, parse_uuid
from mais.models import (
    Booking,
    Job,
    JobStatus,
    Package,
    Payment,
    PaymentStatus,
    Tenant,
    TenantStatus,
    User,
)


@dataclass(frozen=True)
class Money:
    gross_volume_cents: int
    platform_commission_cents: int


class PlatformRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- tenants ------------------------------------------------------------------------

    def _tenants(self, search: str | None) -> Select[Any]:
        stmt = select(Tenant)
        if search:
            pattern = f"%{escape_like(search.lower())}%"
            stmt = stmt.where(
                or_(
                    func.lower(Tenant.slug).like(pattern, escape="\\"),
                    func.lower(Tenant.name).like(pattern, escape="\\"),
                    func.lower(Tenant.email).like(pattern, escape="\\"),
                )
            )
        return stmt

    async def tenant_page(
        self, *, search: str | None, offset: int, limit: int
    ) -> tuple[Sequence[Tenant], int]:
        stmt = self._tenants(search)
        total = (
            await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        ).scalar_one()
        rows = await self.session.execute(
            stmt.order_by(Tenant.created_at.desc(), Tenant.slug).offset(offset).limit(limit)
        )
        return rows.scalars().all(), int(total)

    async def tenant(self, id_or_slug: str) -> Tenant | None:
        parsed = parse_uuid(id_or_slug)
        condition = Tenant.id == parsed if parsed is not None else Tenant.slug == id_or_slug
        return (await self.session.execute(select(Tenant).where(condition))).scalar_one_or_none()

    async def tenant_totals(self) -> tuple[int, int]:
        """(all tenants, active tenants)."""
        row = (
            await self.session.execute(
                select(
                    func.count(Tenant.id),
                    func.coalesce(
                        func.sum(case((Tenant.status == TenantStatus.active, 1), else_=0)), 0
                    ),
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def package_counts(self, tenant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not tenant_ids:
            return {}
        rows = await self.session.execute(
            select(Package.tenant_id, func.count(Package.id))
            .where(Package.tenant_id.in_(tenant_ids), Package.archived_at.is_(None))
            .group_by(Package.tenant_id)
        )
        return {tenant_id: int(count) for tenant_id, count in rows.all()}

    async def booking_counts(
        self, tenant_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[str, int]]:
        """Per tenant, bookings by status."""
        if not tenant_ids:
            return {}
        rows = await self.session.execute(
            select(Booking.tenant_id, Booking.status, func.count(Booking.id))
            .where(Booking.tenant_id.in_(tenant_ids))
            .group_by(Booking.tenant_id, Booking.status)
        )
        counts: dict[uuid.UUID, dict[str, int]] = {}
        for tenant_id, status, count in rows.all():
            counts.setdefault(tenant_id, {})[status] = int(count)
        return counts

    async def admins(self, tenant_id: uuid.UUID) -> Sequence[User]:
        rows = await self.session.execute(
            select(User).where(User.tenant_id == tenant_id).order_by(User.created_at, User.id)
        )
        return rows.scalars().all()

    # --- money and bookings ----------------------------------------------------------------

    async def bookings_by_status(self, tenant_id: uuid.UUID | None = None) -> dict[str, int]:
        stmt = select(Booking.status, func.count(Booking.id)).group_by(Booking.status)
        if tenant_id is not None:
            stmt = stmt.where(Booking.tenant_id == tenant_id)
        return {status: int(count) for status, count in (await self.session.execute(stmt)).all()}

    async def confirmed_since(self, since: datetime, tenant_id: uuid.UUID | None = None) -> int:
        stmt = select(func.count(Booking.id)).where(Booking.confirmed_at >= since)
        if tenant_id is not None:
            stmt = stmt.where(Booking.tenant_id == tenant_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def money(
        self, *, tenant_id: uuid.UUID | None = None, since: datetime | None = None
    ) -> Money:
        """Money kept from successful payments: amounts less refunds, and application fees
        less refunded fees (the platform's commission)."""
        stmt = select(
            func.coalesce(func.sum(Payment.amount_cents - Payment.refunded_cents), 0),
            func.coalesce(
                func.sum(Payment.application_fee_cents - Payment.application_fee_refunded_cents),
                0,
            ),
        ).where(Payment.status != PaymentStatus.failed)
        if tenant_id is not None:
            stmt = stmt.where(Payment.tenant_id == tenant_id)
        if since is not None:
            stmt = stmt.where(Payment.created_at >= since)
        gross, commission = (await self.session.execute(stmt)).one()
        return Money(gross_volume_cents=int(gross), platform_commission_cents=int(commission))


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _with_status(self, status: str, *entities: Any) -> Select[Any]:
        stmt = select(*(entities or (Job,)))
        if status == "failed":
            # Dead, or still retrying after a failed attempt.
            return stmt.where(
                or_(
                    Job.status == JobStatus.dead,
                    (Job.status == JobStatus.pending) & Job.last_error.is_not(None),
                )
            )
        return stmt.where(Job.status == status)

    async def page(self, status: str, *, offset: int, limit: int) -> tuple[Sequence[Job], int]:
        total = (
            await self.session.execute(self._with_status(status, func.count(Job.id)))
        ).scalar_one()
        rows = await self.session.execute(
            self._with_status(status)
            .order_by(Job.created_at.desc(), Job.id)
            .offset(offset)
            .limit(limit)
        )
        return rows.scalars().all(), int(total)

    async def get(self, job_id: str) -> Job | None:
        parsed = parse_uuid(job_id)
        return None if parsed is None else await self.session.get(Job, parsed)

    async def requeue(self, job_id: uuid.UUID, now: datetime) -> bool:
        """Make a dead (or failing) job due now with a fresh set of attempts. False when the
        job is running or done meanwhile (a worker holds it; nothing to retry)."""
        result = await self.session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    Job.status == JobStatus.dead,
                    (Job.status == JobStatus.pending) & Job.last_error.is_not(None),
                ),
            )
            .values(
                status=JobStatus.pending,
                attempts=0,
                run_at=now,
                locked_at=None,
                locked_by=None,
                finished_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
