"""Dashboard sessions: the cookie, the stored session it names, and its CSRF token.

The cookie holds a random token; only its SHA-256 is stored (`user_sessions.token_hash`),
so a database leak yields no usable session. Each session has its own CSRF token
(synchronizer pattern): dashboard pages embed it in every form, and every state-changing
dashboard request must send it back (form field `csrf_token` or header `X-CSRF-Token`).
A password change or reset revokes every session of the user."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from mais.auth.repository import UserRepository, UserSessionRepository
from mais.core.errors import Forbidden
from mais.models import User, UserSession, utcnow
from mais.settings import Environment, Settings

SESSION_TTL = timedelta(hours=12)
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class CsrfFailed(Forbidden):
    code = "CSRF_FAILED"
    message = "The form's security token is missing or stale; reload the page and try again."


@dataclass(frozen=True)
class CookiePolicy:
    """How the session cookie is set: HttpOnly, SameSite=Strict, Secure outside development.

    With Secure the `__Host-` prefix is used too, so the cookie cannot be set by a
    subdomain or for another path."""

    name: str
    secure: bool
    max_age: int = int(SESSION_TTL.total_seconds())
    samesite: Literal["strict"] = "strict"

    @classmethod
    def for_settings(cls, settings: Settings) -> CookiePolicy:
        secure = settings.app_env is not Environment.development
        return cls(name="__Host-mais_session" if secure else "mais_session", secure=secure)

    def attach(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.name,
            token,
            max_age=self.max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite=self.samesite,
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            self.name, path="/", secure=self.secure, httponly=True, samesite=self.samesite
        )


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    csrf_token: str
    expires_at: datetime
    session_id: uuid.UUID


@dataclass(frozen=True)
class ActiveSession:
    row: UserSession
    user: User

    @property
    def csrf_token(self) -> str:
        return self.row.csrf_token


class SessionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.sessions = UserSessionRepository(session)
        self.users = UserRepository(session)

    async def create(self, user: User, now: datetime | None = None) -> NewSession:
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        row = self.sessions.add(
            UserSession(
                user_id=user.id,
                token_hash=hash_token(token),
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + SESSION_TTL,
            )
        )
        await self.session.flush()
        return NewSession(
            token=token, csrf_token=row.csrf_token, expires_at=row.expires_at, session_id=row.id
        )

    async def validate(
        self, token: str | None, now: datetime | None = None
    ) -> ActiveSession | None:
        """The live session named by a cookie value, or None (unknown, expired, revoked,
        or older than the user's last password change)."""
        if not token or len(token) > 200:
            return None
        now = now or utcnow()
        row = await self.sessions.get_by_hash(hash_token(token))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        user = await self.users.get(row.user_id)
        if user is None or not user.is_active:
            return None
        if user.tokens_valid_after is not None and row.created_at < user.tokens_valid_after:
            return None
        return ActiveSession(row=row, user=user)

    async def revoke(self, token: str | None) -> None:
        """Log out: the session named by this cookie value stops working."""
        if not token:
            return
        row = await self.sessions.get_by_hash(hash_token(token))
        if row is not None:
            await self.sessions.revoke(row.id, utcnow())

    async def revoke_all(self, user_id: uuid.UUID, now: datetime | None = None) -> None:
        await self.sessions.revoke_all(user_id, now or utcnow())


def csrf_matches(active: ActiveSession, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(
        active.csrf_token.encode(), (submitted or "").encode()
    )


def require_csrf(active: ActiveSession, submitted: str | None) -> None:
    """Raise 403 CSRF_FAILED unless `submitted` is this session's CSRF token."""
    if not csrf_matches(active, submitted):
        raise CsrfFailed()
