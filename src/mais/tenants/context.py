"""`TenantContext`: the immutable view of a tenant that request handling needs.

It is what key resolution caches, so it holds only small, non-secret fields.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from mais.models import Tenant


@dataclass(frozen=True, slots=True)
class TenantContext:
    id: uuid.UUID
    slug: str
    name: str
    status: str
    timezone: str
    currency: str
    commission_bps: int
    commission_min_cents: int | None
    commission_max_cents: int | None
    min_notice_days: int
    max_days_ahead: int
    stripe_account_id: str | None
    stripe_charges_enabled: bool
    allowed_embed_origins: tuple[str, ...] = field(default_factory=tuple)
    calendar_id: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @classmethod
    def of(cls, tenant: Tenant) -> TenantContext:
        return cls(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            status=tenant.status,
            timezone=tenant.timezone,
            currency=tenant.currency,
            commission_bps=tenant.commission_bps,
            commission_min_cents=tenant.commission_min_cents,
            commission_max_cents=tenant.commission_max_cents,
            min_notice_days=tenant.min_notice_days,
            max_days_ahead=tenant.max_days_ahead,
            stripe_account_id=tenant.stripe_account_id,
            stripe_charges_enabled=tenant.stripe_charges_enabled,
            allowed_embed_origins=tuple(tenant.allowed_embed_origins or ()),
            calendar_id=tenant.calendar_id,
        )

    def dumps(self) -> bytes:
        data: dict[str, Any] = asdict(self)
        data["id"] = str(self.id)
        data["allowed_embed_origins"] = list(self.allowed_embed_origins)
        return orjson.dumps(data)

    @classmethod
    def loads(cls, raw: bytes) -> TenantContext:
        data = orjson.loads(raw)
        data["id"] = uuid.UUID(data["id"])
        data["allowed_embed_origins"] = tuple(data["allowed_embed_origins"])
        return cls(**data)
