"""Login, password change and password reset (also used for invitations).

Rules: passwords are used exactly as typed; a login with an unknown e-mail costs the same
Argon2 verification as one with a known e-mail; failed attempts count against the IP
(`RateLimiter.ensure_auth_allowed` / `auth_failed`); a password change or reset revokes
every token and dashboard session issued before it. Reset tokens are random, stored only
as SHA-256, single use and expiring; the raw token exists only in the e-mail, because the
e-mail job creates it (`issue_reset_token`) rather than carrying it in its payload."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from limits import RateLimitItemPerHour
from sqlalchemy.ext.asyncio import AsyncSession

from mais.audit.service import Actor, record
from mais.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from mais.auth.repository import ResetTokenRepository, UserRepository
from mais.auth.sessions import SessionService
from mais.auth.tokens import IssuedToken, TokenSigner
from mais.core.errors import BadRequest, Unauthorized, ValidationFailed
from mais.core.ratelimit import RateLimiter
from mais.jobs.queue import enqueue
from mais.models import PasswordResetToken, Role, Tenant, User, utcnow
from mais.settings import Settings
from mais.tenants.repository import TenantRepository
from mais.tenants.resolver import TenantInactive

PASSWORD_EMAIL_JOB = "email.password_reset"  # nosec B105 # noqa: S105 - a job kind, not a password
RESET_TOKEN_TTL = timedelta(hours=1)
INVITE_TOKEN_TTL = timedelta(days=7)
# Reset e-mails a single IP may trigger; stops the form being used to flood inboxes.
RESET_REQUESTS = RateLimitItemPerHour(5)
# One reset e-mail per address per window however often the form is submitted.
RESET_DEDUPE_WINDOW_SECONDS = 120


class PasswordPurpose(StrEnum):
    reset = "reset"
    invite = "invite"


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"
    message = "The e-mail or password is incorrect."


class InvalidResetToken(BadRequest):
    code = "INVALID_RESET_TOKEN"
    message = "This password link is invalid, already used or expired; request a new one."


@dataclass(frozen=True)
class LoginResult:
    token: IssuedToken
    role: Role
    tenant_slug: str | None


@dataclass(frozen=True)
class IssuedResetToken:
    """A freshly created token and whom it is for; the raw token goes only into an e-mail."""

    raw_token: str
    user: User
    tenant: Tenant | None
    purpose: PasswordPurpose
    expires_at: datetime


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_new_password(password: str, field: str = "newPassword") -> None:
    if problem := password_problem(password):
        raise ValidationFailed(f"{field} {problem}", details=[{"field": field, "issue": problem}])


class AuthService:
    def __init__(
        self, session: AsyncSession, settings: Settings, rate_limiter: RateLimiter
    ) -> None:
        self.session = session
        self.settings = settings
        self.rate_limiter = rate_limiter
        self.users = UserRepository(session)
        self.resets = ResetTokenRepository(session)
        self.signer = TokenSigner.from_settings(settings)

    # --- login ------------------------------------------------------------------------

    async def authenticate(self, email: str, password: str, ip: str) -> User:
        """The active user with these credentials (rate limited per IP), for the API login
        and the dashboard login alike."""
        await self.rate_limiter.ensure_auth_allowed(ip)
        user = await self.users.get_by_email(email)
        # Unknown e-mails are verified against a dummy hash: same cost, same answer.
        valid = verify_password(user.password_hash if user else None, password)
        if user is None or not valid or not user.is_active:
            await self.rate_limiter.auth_failed(ip)
            raise InvalidCredentials()
        if user.role == Role.tenant_admin:
            tenant = await TenantRepository(self.session).get(user.tenant_id or "")
            if tenant is None or not tenant.is_active:
                raise TenantInactive()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        return user

    async def login(self, email: str, password: str, ip: str) -> LoginResult:
        user = await self.authenticate(email, password, ip)
        tenant_slug = None
        if user.tenant_id is not None:
            tenant = await TenantRepository(self.session).get(user.tenant_id)
            tenant_slug = tenant.slug if tenant else None
        return LoginResult(
            token=self.signer.issue(user), role=Role(user.role), tenant_slug=tenant_slug
        )

    # --- password change ----------------------------------------------------------------

    async def change_password(
        self, user: User, current_password: str, new_password: str, ip: str, actor: Actor
    ) -> IssuedToken:
        """Set a new password; every other token and session stops working. Returns a
        fresh token so the caller stays logged in."""
        await self.rate_limiter.ensure_auth_allowed(ip)
        if not verify_password(user.password_hash, current_password):
            await self.rate_limiter.auth_failed(ip)
            raise InvalidCredentials("The current password is incorrect.")
        check_new_password(new_password)
        now = await self._set_password(user, new_password)
        record(
            self.session, actor, "user.password_changed", "user", user.id, tenant_id=user.tenant_id
        )
        return self.signer.issue(user, now=now + timedelta(microseconds=1))

    async def _set_password(self, user: User, new_password: str) -> datetime:
        now = utcnow()
        user.password_hash = hash_password(new_password)
        user.tokens_valid_after = now
        await SessionService(self.session).revoke_all(user.id, now)
        await self.resets.consume_all(user.id, now)
        await self.session.flush()
        return now

    # --- reset and invitations ------------------------------------------------------------

    async def request_password_reset(self, email: str, ip: str) -> None:
        """Queue a reset e-mail for this address. The answer never says whether the
        address has an account: the job looks the user up, not this request."""
        await self.rate_limiter.check(RESET_REQUESTS, "password-reset", ip)
        window = int(utcnow().timestamp()) // RESET_DEDUPE_WINDOW_SECONDS
        await enqueue(
            self.session,
            PASSWORD_EMAIL_JOB,
            {"purpose": PasswordPurpose.reset.value, "email": email},
            dedupe_key=f"password-reset:{_hash(email.lower())[:32]}:{window}",
            max_attempts=5,
        )

    async def enqueue_invite(self, user: User) -> None:
        """Queue the invitation e-mail of an admin created without a password."""
        await enqueue(
            self.session,
            PASSWORD_EMAIL_JOB,
            {"purpose": PasswordPurpose.invite.value, "user_id": str(user.id)},
            tenant_id=user.tenant_id,
            dedupe_key=f"invite:{user.id}:{uuid.uuid4().hex}",
        )

    async def issue_reset_token(
        self, *, purpose: PasswordPurpose, user_id: str | None = None, email: str | None = None
    ) -> IssuedResetToken | None:
        """Create a reset token for the user named by id or e-mail (None: nobody to tell)."""
        user = None
        if user_id is not None:
            user = await self.users.get(user_id)
        elif email is not None:
            user = await self.users.get_by_email(email)
        if user is None or not user.is_active:
            return None
        tenant = None
        if user.tenant_id is not None:
            tenant = await TenantRepository(self.session).get(user.tenant_id)
            if tenant is None or not tenant.is_active:
                return None
        now = utcnow()
        ttl = INVITE_TOKEN_TTL if purpose is PasswordPurpose.invite else RESET_TOKEN_TTL
        raw = secrets.token_urlsafe(32)
        self.resets.add(
            PasswordResetToken(
                user_id=user.id, token_hash=_hash(raw), created_at=now, expires_at=now + ttl
            )
        )
        await self.session.flush()
        return IssuedResetToken(
            raw_token=raw, user=user, tenant=tenant, purpose=purpose, expires_at=now + ttl
        )

    async def confirm_password_reset(self, raw_token: str, new_password: str) -> User:
        """Set the password named by a reset (or invitation) token; the token is used up."""
        check_new_password(new_password, field="password")
        now = utcnow()
        row = await self.resets.get_by_hash(_hash(raw_token))
        if row is None or not await self.resets.consume(row.id, now):
            raise InvalidResetToken()
        user = await self.users.get(row.user_id)
        if user is None or not user.is_active:
            raise InvalidResetToken()
        await self._set_password(user, new_password)
        actor = Actor(role=user.role, label=user.email, user_id=user.id, tenant_id=user.tenant_id)
        record(
            self.session, actor, "user.password_reset", "user", user.id, tenant_id=user.tenant_id
        )
        return user


def password_link(settings: Settings, issued: IssuedResetToken) -> str:
    """The dashboard page that accepts the token (built by the dashboards)."""
    area = "admin" if issued.user.role == Role.platform_admin else "tenant"
    return f"{settings.public_url}/{area}/reset-password?token={issued.raw_token}"
