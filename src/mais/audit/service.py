"""Writes audit entries in the caller's transaction, so an entry exists exactly when the
change it describes was committed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.context import current_request_id
from mais.models import AuditEntry, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a user, a tenant's secret key, a customer, Stripe or the system."""

    role: str
    label: str
    user_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None


SYSTEM = Actor(role="system", label="system")
STRIPE = Actor(role="stripe", label="stripe webhook")


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    *,
    tenant_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add the entry to the session: it is written with the transaction's other changes."""
    entry = audit_entry(
        actor, action, entity_type, entity_id, tenant_id=tenant_id, before=before, after=after
    )
    session.add(entry)
    return entry


def audit_entry(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    *,
    tenant_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """The entry, not yet written (`record` adds it to the session; a hot path inserts it
    with its other rows, `TenantScopedRepository.insert`)."""
    return AuditEntry(
        tenant_id=tenant_id if tenant_id is not None else actor.tenant_id,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        request_id=current_request_id(),
        created_at=utcnow(),
    )
