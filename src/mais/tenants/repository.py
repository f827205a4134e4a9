"""Queries on tenants, their API keys and their blackout dates.

The tenants table is the root of tenancy, so these queries are not tenant-scoped: they
serve key resolution, the platform admin and the CLI. Key queries that act for one
tenant go through `ApiKeyRepository`, which is scoped like every other repository.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.changes import record_table_change
from mais.core.repository import TenantScopedRepository, parse_uuid
from mais.models import BlackoutDate, Tenant, TenantApiKey, TenantStatus, new_id


class TenantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str | uuid.UUID) -> Tenant | None:
        parsed = parse_uuid(tenant_id)
        return None if parsed is None else await self.session.get(Tenant, parsed)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        result = await self.session.execute(select(Tenant).where(Tenant.slug == slug))
        return result.scalar_one_or_none()

    async def get_by_stripe_account(self, account_id: str) -> Tenant | None:
        result = await self.session.execute(
            select(Tenant).where(Tenant.stripe_account_id == account_id)
        )
        return result.scalar_one_or_none()

    async def slug_exists(self, slug: str) -> bool:
        result = await self.session.execute(select(Tenant.id).where(Tenant.slug == slug))
        return result.first() is not None

    async def email_taken(self, email: str) -> bool:
        """Whether a tenant already uses this login e-mail (compared case-insensitively)."""
        stmt = select(Tenant.id).where(func.lower(Tenant.email) == email.lower())
        return (await self.session.execute(stmt)).first() is not None

    async def list(self, *, offset: int = 0, limit: int = 100) -> Sequence[Tenant]:
        result = await self.session.execute(
            select(Tenant).order_by(Tenant.created_at, Tenant.slug).offset(offset).limit(limit)
        )
        return result.scalars().all()

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count(Tenant.id)))).scalar_one())

    async def find_by_key_lookup(self, lookup: str) -> Tenant | None:
        """The tenant whose live (not revoked) key has this lookup value."""
        result = await self.session.execute(
            select(Tenant)
            .join(TenantApiKey, TenantApiKey.tenant_id == Tenant.id)
            .where(TenantApiKey.lookup == lookup, TenantApiKey.revoked_at.is_(None))
        )
        return result.scalar_one_or_none()

    async def embed_origins_of_active_tenants(self) -> Sequence[Sequence[str]]:
        """Each active tenant's allowed embed origins (an empty list: none configured)."""
        result = await self.session.execute(
            select(Tenant.allowed_embed_origins).where(Tenant.status == TenantStatus.active)
        )
        return [tuple(origins or ()) for origins in result.scalars().all()]

    def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        return tenant


class ApiKeyRepository(TenantScopedRepository[TenantApiKey]):
    model = TenantApiKey

    async def live_keys(self) -> Sequence[TenantApiKey]:
        result = await self.session.execute(self.scoped().where(TenantApiKey.revoked_at.is_(None)))
        return result.scalars().all()

    async def relabel(self, old_lookup: str, new_lookup: str) -> None:
        """Store a live key under a new lookup value (re-hashed under a new HMAC key)."""
        await self.session.execute(
            self.scoped_update()
            .where(TenantApiKey.lookup == old_lookup, TenantApiKey.revoked_at.is_(None))
            .values(lookup=new_lookup)
        )

    async def revoke_live(self, kind: str, now: datetime) -> None:
        await self.session.execute(
            self.scoped_update()
            .where(TenantApiKey.kind == kind, TenantApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await self.session.flush()


class BlackoutRepository(TenantScopedRepository[BlackoutDate]):
    model = BlackoutDate
    not_found_message = "Blackout date not found."

    async def list_between(self, start: date | None, end: date | None) -> Sequence[BlackoutDate]:
        stmt = self.scoped()
        if start is not None:
            stmt = stmt.where(BlackoutDate.date >= start)
        if end is not None:
            stmt = stmt.where(BlackoutDate.date <= end)
        result = await self.session.execute(stmt.order_by(BlackoutDate.date))
        return result.scalars().all()

    async def insert_missing(
        self, dates: Sequence[date], reason: str | None, now: datetime
    ) -> list[BlackoutDate]:
        """Insert the dates not yet blacked out; dates already present (also ones another
        request inserts concurrently) are left alone. Returns the rows inserted."""
        if not dates:
            return []
        rows = [
            {"id": new_id(), "tenant_id": self.tenant_id, "date": day, "reason": reason,
             "created_at": now}
            for day in dates
        ]  # fmt: skip
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        record_table_change(self.session, BlackoutDate, self.tenant_id)
        statement = (
            insert(BlackoutDate)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["tenant_id", "date"])
            .returning(BlackoutDate.id)
        )
        inserted = set((await self.session.execute(statement)).scalars().all())
        if not inserted:
            return []
        result = await self.session.execute(
            self.scoped().where(BlackoutDate.id.in_(inserted)).order_by(BlackoutDate.date)
        )
        return list(result.scalars().all())
