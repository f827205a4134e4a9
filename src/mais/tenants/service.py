"""Business rules for tenants: creation with their first admin and keys, key rotation,
settings (booking window, embed origins, calendar) and platform-admin changes."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from mais.audit.service import Actor, record
from mais.auth.passwords import hash_password, password_problem
from mais.auth.repository import UserRepository
from mais.core.db import after_commit
from mais.core.errors import Conflict, ValidationFailed
from mais.models import ApiKeyKind, Role, Tenant, TenantApiKey, TenantStatus, User, utcnow
from mais.tenants.keys import (
    lookup_of,
    new_public_key,
    new_secret_key,
    secret_hint,
)
from mais.tenants.repository import ApiKeyRepository, TenantRepository
from mais.tenants.resolver import TenantResolver
from mais.tenants.slugs import slug_problem


@dataclass(frozen=True)
class IssuedKeys:
    public_key: str
    secret_key: str


@dataclass(frozen=True)
class KeySummary:
    public_key: str | None
    secret_key_hint: str | None


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    keys: IssuedKeys
    admin: User
    invited: bool = False  # created without a password: send the invitation e-mail


def percent_to_bps(percent: float | str | Decimal) -> int:
    """'12.5' → 1250. Commission is 0–50 % with at most two decimals (SPEC §2)."""
    try:
        value = Decimal(str(percent))
    except InvalidOperation as exc:
        raise ValidationFailed("commissionPercent must be a number") from exc
    if not value.is_finite() or value < 0 or value > 50:
        raise ValidationFailed("commissionPercent must be between 0 and 50")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed("commissionPercent may have at most two decimals")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def bps_to_percent(bps: int) -> float:
    return bps / 100


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            f"unknown time zone: {name}",
            details=[{"field": "timezone", "issue": "not an IANA time zone name"}],
        ) from exc
    return name


# The tenant settings a tenant admin may change (SPEC §5.1), by model attribute.
SETTINGS_FIELDS = (
    "timezone",
    "min_notice_days",
    "max_days_ahead",
    "allowed_embed_origins",
    "notification_email",
    "calendar_id",
)
MAX_EMBED_ORIGINS = 20
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def settings_state(tenant: Tenant) -> dict[str, Any]:
    return {
        "timezone": tenant.timezone,
        "minNoticeDays": tenant.min_notice_days,
        "maxDaysAhead": tenant.max_days_ahead,
        "allowedEmbedOrigins": list(tenant.allowed_embed_origins or []),
        "notificationEmail": tenant.notification_email,
        "calendarId": tenant.calendar_id,
    }


def tenant_state(tenant: Tenant) -> dict[str, Any]:
    return {"name": tenant.name, "commissionBps": tenant.commission_bps, "status": tenant.status}


def normalize_embed_origin(raw: str, *, allow_local_http: bool = False) -> str:
    """`https://host[:port]`, lower-cased, default port dropped; raises ValueError with the
    reason otherwise. `http://localhost` is accepted only when `allow_local_http`."""
    value = raw.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError("is not a valid origin") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme == "http" and allow_local_http and (host in _LOCAL_HOSTS or host == "::1"):
        pass
    elif parts.scheme != "https":
        raise ValueError("must start with https://")
    if not host:
        raise ValueError("has no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("must not contain credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith("?"):
        raise ValueError("must be an origin only (no path, query or fragment)")
    if host != "::1" and not all(_HOST_LABEL.match(label) for label in host.split(".")):
        raise ValueError("has an invalid host name")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("has an invalid port")
    netloc = "[::1]" if host == "::1" else host
    default_port = 443 if parts.scheme == "https" else 80
    if port is not None and port != default_port:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}"


def normalize_embed_origins(values: list[str], *, allow_local_http: bool) -> list[str]:
    if len(values) > MAX_EMBED_ORIGINS:
        raise ValidationFailed(
            f"At most {MAX_EMBED_ORIGINS} embed origins.",
            details=[{"field": "allowedEmbedOrigins", "issue": "too many origins"}],
        )
    normalized: list[str] = []
    problems = []
    for index, raw in enumerate(values):
        try:
            origin = normalize_embed_origin(raw, allow_local_http=allow_local_http)
        except ValueError as exc:
            problems.append({"field": f"allowedEmbedOrigins.{index}", "issue": str(exc)})
            continue
        if origin not in normalized:
            normalized.append(origin)
    if problems:
        summary = "; ".join(f"{p['field']} {p['issue']}" for p in problems[:3])
        raise ValidationFailed(f"Invalid embed origin: {summary}", details=problems)
    return normalized


class SlugTaken(Conflict):
    code = "SLUG_TAKEN"
    message = "A tenant with this slug already exists."


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"
    message = "A user with this e-mail already exists."


class TenantService:
    def __init__(self, session: AsyncSession, resolver: TenantResolver) -> None:
        self.session = session
        self.resolver = resolver
        self.tenants = TenantRepository(session)
        self.users = UserRepository(session)

    async def create_tenant(
        self,
        actor: Actor,
        *,
        slug: str,
        name: str,
        email: str,
        password: str | None = None,
        commission_percent: float | str | Decimal | None = None,
        timezone: str | None = None,
        currency: str = "usd",
    ) -> NewTenant:
        problem = slug_problem(slug)
        if problem:
            raise ValidationFailed(f"slug {problem}", details=[{"field": "slug", "issue": problem}])
        if not name.strip():
            raise ValidationFailed("name is required", details=[{"field": "name"}])
        if password is not None and (issue := password_problem(password)):
            raise ValidationFailed(f"password {issue}", details=[{"field": "password"}])
        if await self.tenants.slug_exists(slug):
            raise SlugTaken()
        if await self.users.get_by_email(email) is not None:
            raise EmailTaken()
        tenant = Tenant(
            slug=slug,
            name=name.strip(),
            email=email,
            currency=currency.lower(),
            commission_bps=1000
            if commission_percent is None
            else percent_to_bps(commission_percent),
            timezone=validate_timezone(timezone or "America/New_York"),
        )
        self.tenants.add(tenant)
        await self.session.flush()
        # Without a password the admin is invited: the hash is of a random secret nobody
        # knows (so logins cost the same Argon2 time) until the invitation link sets one.
        admin = User(
            email=email,
            email_key=email.lower(),
            password_hash=hash_password(password or secrets.token_urlsafe(32)),
            role=Role.tenant_admin,
            tenant_id=tenant.id,
        )
        self.session.add(admin)
        keys = await self._issue_keys(tenant)
        record(
            self.session,
            actor,
            "tenant.created",
            "tenant",
            tenant.id,
            tenant_id=tenant.id,
            after={"slug": slug, "name": tenant.name, "commissionBps": tenant.commission_bps},
        )
        await self.session.flush()
        return NewTenant(tenant=tenant, keys=keys, admin=admin, invited=password is None)

    async def rotate_keys(self, actor: Actor, tenant: Tenant) -> IssuedKeys:
        """New public and secret keys; the old ones stop working when this commits."""
        keys_repo = ApiKeyRepository(self.session, tenant.id)
        old_lookups = [key.lookup for key in await keys_repo.live_keys()]
        keys = await self._issue_keys(tenant)
        record(self.session, actor, "tenant.keys_rotated", "tenant", tenant.id, tenant_id=tenant.id)
        await self.invalidate_after_commit(tenant, extra_lookups=old_lookups)
        return keys

    async def invalidate_after_commit(
        self, tenant: Tenant, extra_lookups: list[str] | None = None
    ) -> None:
        """Make cached resolutions of this tenant (under its live keys, `extra_lookups`
        and its slug) disappear once the change is committed."""
        tenant_id, slug = tenant.id, tenant.slug
        live = await ApiKeyRepository(self.session, tenant.id).live_keys()
        lookups = [key.lookup for key in live] + list(extra_lookups or [])

        async def _invalidate() -> None:
            await self.resolver.invalidate(tenant_id, lookups=lookups, slugs=[slug])

        after_commit(self.session, _invalidate)

    async def key_summary(self, tenant_id: uuid.UUID) -> KeySummary:
        """The live public key and a hint of the live secret key (never the secret)."""
        summary = KeySummary(public_key=None, secret_key_hint=None)
        for key in await ApiKeyRepository(self.session, tenant_id).live_keys():
            if key.kind == ApiKeyKind.public:
                summary = replace(summary, public_key=key.hint)
            else:
                summary = replace(summary, secret_key_hint=key.hint)
        return summary

    async def update_settings(
        self, actor: Actor, tenant: Tenant, changes: dict[str, Any], *, development: bool
    ) -> Tenant:
        """Apply the given settings (python names of `SETTINGS_FIELDS`); validated as a
        whole, audited, and visible to key resolution as soon as the change commits."""
        before = settings_state(tenant)
        if "timezone" in changes:
            changes["timezone"] = validate_timezone(changes["timezone"])
        if "allowed_embed_origins" in changes:
            changes["allowed_embed_origins"] = normalize_embed_origins(
                changes["allowed_embed_origins"], allow_local_http=development
            )
        min_notice = changes.get("min_notice_days", tenant.min_notice_days)
        max_ahead = changes.get("max_days_ahead", tenant.max_days_ahead)
        if min_notice >= max_ahead:
            raise ValidationFailed(
                "maxDaysAhead must be greater than minNoticeDays.",
                details=[{"field": "maxDaysAhead", "issue": "must exceed minNoticeDays"}],
            )
        for name, value in changes.items():
            if name not in SETTINGS_FIELDS:
                raise ValueError(f"not a tenant setting: {name}")
            setattr(tenant, name, value)
        after = settings_state(tenant)
        if after != before:
            record(
                self.session,
                actor,
                "tenant.settings_updated",
                "tenant",
                tenant.id,
                tenant_id=tenant.id,
                before=before,
                after=after,
            )
            await self.invalidate_after_commit(tenant)
        await self.session.flush()
        return tenant

    async def update_tenant(
        self,
        actor: Actor,
        tenant: Tenant,
        *,
        name: str | None = None,
        commission_percent: float | str | Decimal | None = None,
        status: TenantStatus | None = None,
    ) -> Tenant:
        """Platform-admin changes. A suspension stops the widget and keys at once; a new
        commission applies to bookings made from now on (bookings keep their snapshot)."""
        before = tenant_state(tenant)
        if name is not None:
            if not name.strip():
                raise ValidationFailed("name is required", details=[{"field": "name"}])
            tenant.name = name.strip()
        if commission_percent is not None:
            tenant.commission_bps = percent_to_bps(commission_percent)
        if status is not None:
            tenant.status = status
        after = tenant_state(tenant)
        if after != before:
            action = "tenant.updated"
            if before["status"] != after["status"]:
                suspended = after["status"] == TenantStatus.suspended
                action = "tenant.suspended" if suspended else "tenant.reactivated"
            record(
                self.session,
                actor,
                action,
                "tenant",
                tenant.id,
                tenant_id=tenant.id,
                before=before,
                after=after,
            )
            await self.invalidate_after_commit(tenant)
        await self.session.flush()
        return tenant

    async def _issue_keys(self, tenant: Tenant) -> IssuedKeys:
        keys_repo = ApiKeyRepository(self.session, tenant.id)
        now = utcnow()
        await keys_repo.revoke_live(ApiKeyKind.public, now)
        await keys_repo.revoke_live(ApiKeyKind.secret, now)
        public_key, secret_key = new_public_key(tenant.slug), new_secret_key(tenant.slug)
        keys_repo.add(
            TenantApiKey(
                kind=ApiKeyKind.public,
                lookup=public_key,
                hint=public_key,
                created_at=now,
            )
        )
        keys_repo.add(
            TenantApiKey(
                kind=ApiKeyKind.secret,
                lookup=lookup_of(secret_key, self.resolver.hmac_key),
                hint=secret_hint(secret_key),
                created_at=now,
            )
        )
        await self.session.flush()
        return IssuedKeys(public_key=public_key, secret_key=secret_key)
