"""Every query on audit entries: one entity's trail for a tenant's admin, and the
platform-wide log for the platform admin. (Entries are written by `audit.service.record`.)"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.repository import TenantScopedRepository, escape_like, parse_uuid
from mais.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    tenant_id: uuid.UUID | None = None
    actor: str | None = None  # a user id, or an actor label (e-mail, "stripe webhook", ...)
    action: str | None = None  # exact action, or a prefix such as "package"


class AuditTrailRepository(TenantScopedRepository[AuditEntry]):
    model = AuditEntry

    async def trail(
        self, entity_type: str, entity_id: uuid.UUID, limit: int = 200
    ) -> Sequence[AuditEntry]:
        """The entity's entries, oldest first."""
        stmt = (
            self.scoped()
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.created_at, AuditEntry.id)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).scalars().all()


class AuditLog:
    """The platform-wide log (platform admin only): every tenant's entries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _filtered(self, filters: AuditFilters, *entities: Any) -> Select[Any]:
        stmt = select(*(entities or (AuditEntry,)))
        if filters.tenant_id is not None:
            stmt = stmt.where(AuditEntry.tenant_id == filters.tenant_id)
        if filters.actor:
            user_id = parse_uuid(filters.actor)
            if user_id is not None:
                stmt = stmt.where(AuditEntry.actor_user_id == user_id)
            else:
                stmt = stmt.where(func.lower(AuditEntry.actor_label) == filters.actor.lower())
        if filters.action:
            stmt = stmt.where(
                or_(
                    AuditEntry.action == filters.action,
                    AuditEntry.action.like(f"{escape_like(filters.action)}.%", escape="\\"),
                )
            )
        return stmt

    async def page(
        self, filters: AuditFilters, *, offset: int, limit: int
    ) -> tuple[Sequence[AuditEntry], int]:
        total = (
            await self.session.execute(self._filtered(filters, func.count(AuditEntry.id)))
        ).scalar_one()
        rows = await self.session.execute(
            self._filtered(filters)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id)
            .offset(offset)
            .limit(limit)
        )
        return rows.scalars().all(), int(total)
