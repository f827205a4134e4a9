"""Business rules for tenants: creation with their first admin and keys, key rotation,
suspension. Every change that alters how a key resolves invalidates the resolver's
cached entries once it has committed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
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
class NewTenant:
    tenant: Tenant
    keys: IssuedKeys
    admin: User | None


@dataclass(frozen=True)
class TenantDraft:
    """What creating a tenant needs; `password` None means no admin login yet (invite)."""

    slug: str
    name: str
    email: str
    password: str | None = None
    commission_percent: float | str | Decimal | None = None
    timezone: str | None = None


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


def email_problem(email: str) -> str | None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"email is not valid: {exc}"
    return None


def field_problem(field: str, value: str) -> str | None:
    """Why `value` cannot be a new tenant's `field` (draft field names), or None."""
    if field == "slug":
        problem = slug_problem(value)
        return f"slug {problem}" if problem else None
    if field == "name":
        if not value.strip():
            return "name is required"
        return "name must be at most 200 characters" if len(value.strip()) > 200 else None
    if field == "email":
        return email_problem(value)
    if field == "password":
        problem = password_problem(value)
        return f"password {problem}" if problem else None
    try:
        if field in ("commission", "commission_percent"):
            percent_to_bps(value)
        elif field == "timezone":
            validate_timezone(value)
    except ValidationFailed as exc:
        return exc.message
    return None


_WIRE_NAMES = {"commission_percent": "commissionPercent"}


def draft_problems(draft: TenantDraft) -> list[str]:
    """Every reason the draft cannot become a tenant (uniqueness aside), one line each."""
    return [problem for _field, problem in _draft_issues(draft)]


def _draft_issues(draft: TenantDraft) -> list[tuple[str, str]]:
    issues = []
    for field in ("slug", "name", "email", "password", "commission_percent", "timezone"):
        value = getattr(draft, field)
        if value is None and field in ("password", "commission_percent", "timezone"):
            continue
        if problem := field_problem(field, str(value)):
            issues.append((_WIRE_NAMES.get(field, field), problem))
    return issues


def bps_to_percent(bps: int) -> float:
    return bps / 100


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone: {name}") from exc
    return name


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
        draft = TenantDraft(slug, name, email, password, commission_percent, timezone)
        if issues := _draft_issues(draft):
            raise ValidationFailed(
                "; ".join(problem for _field, problem in issues),
                details=[{"field": field, "issue": problem} for field, problem in issues],
            )
        if await self.tenants.slug_exists(slug):
            raise SlugTaken()
        if await self.tenants.email_taken(email) or await self.users.get_by_email(email):
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
        admin = None
        if password is not None:
            admin = User(
                email=email,
                email_key=email.lower(),
                password_hash=hash_password(password),
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
        # A request for this slug before it existed may be cached as "no such tenant".
        self.invalidate_after_commit(tenant)
        return NewTenant(tenant=tenant, keys=keys, admin=admin)

    async def set_status(self, actor: Actor, tenant: Tenant, status: str) -> Tenant:
        """Suspend or reactivate. A suspended tenant's keys and widget answer 403
        TENANT_INACTIVE as soon as this commits (within seconds in other processes)."""
        try:
            new_status = TenantStatus(status)
        except ValueError as exc:
            allowed = ", ".join(TenantStatus)
            raise ValidationFailed(
                f"status must be one of: {allowed}", details=[{"field": "status"}]
            ) from exc
        if tenant.status == new_status:
            return tenant
        before = tenant.status
        tenant.status = new_status.value
        record(
            self.session,
            actor,
            "tenant.suspended" if new_status is TenantStatus.suspended else "tenant.reactivated",
            "tenant",
            tenant.id,
            tenant_id=tenant.id,
            before={"status": before},
            after={"status": new_status.value},
        )
        await self.session.flush()
        lookups = [
            key.lookup for key in await ApiKeyRepository(self.session, tenant.id).live_keys()
        ]
        self.invalidate_after_commit(tenant, extra_lookups=lookups)
        return tenant

    async def rotate_keys(self, actor: Actor, tenant: Tenant) -> IssuedKeys:
        """New public and secret keys; the old ones stop working when this commits."""
        keys_repo = ApiKeyRepository(self.session, tenant.id)
        old_lookups = [key.lookup for key in await keys_repo.live_keys()]
        keys = await self._issue_keys(tenant)
        record(self.session, actor, "tenant.keys_rotated", "tenant", tenant.id, tenant_id=tenant.id)
        self.invalidate_after_commit(tenant, extra_lookups=old_lookups)
        return keys

    def invalidate_after_commit(
        self, tenant: Tenant, extra_lookups: list[str] | None = None
    ) -> None:
        """Make cached resolutions of this tenant disappear once the change is committed."""
        tenant_id, slug = tenant.id, tenant.slug
        lookups = list(extra_lookups or [])

        async def _invalidate() -> None:
            await self.resolver.invalidate(tenant_id, lookups=lookups, slugs=[slug])

        after_commit(self.session, _invalidate)

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
