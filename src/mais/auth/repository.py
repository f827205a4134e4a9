"""Queries on users, their dashboard sessions and their password-reset tokens.

Users are not tenant-owned rows in the repository sense (platform admins have no tenant),
so these repositories are keyed by user; callers reach users only through an identity
they already proved (login, a verified token, a session cookie, a reset token)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.repository import parse_uuid
from mais.models import PasswordResetToken, Role, User, UserSession


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str | uuid.UUID) -> User | None:
        parsed = parse_uuid(user_id)
        return None if parsed is None else await self.session.get(User, parsed)

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email_key == email.lower()))
        return result.scalar_one_or_none()

    async def tenant_admins(self, tenant_id: uuid.UUID) -> Sequence[User]:
        result = await self.session.execute(
            select(User)
            .where(User.tenant_id == tenant_id, User.role == Role.tenant_admin)
            .order_by(User.created_at, User.id)
        )
        return result.scalars().all()

    def add(self, user: User) -> User:
        self.session.add(user)
        return user


class UserSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: UserSession) -> UserSession:
        self.session.add(row)
        return row

    async def get_by_hash(self, token_hash: str) -> UserSession | None:
        result = await self.session.execute(
            select(UserSession).where(UserSession.token_hash == token_hash)
        )
        return result.scalar_one_or_none()

    async def revoke(self, session_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class ResetTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: PasswordResetToken) -> PasswordResetToken:
        self.session.add(row)
        return row

    async def get_by_hash(self, token_hash: str) -> PasswordResetToken | None:
        result = await self.session.execute(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
        )
        return result.scalar_one_or_none()

    async def consume(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark the token used; False when another request used it first (single use)."""
        result = await self.session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.id == token_id,
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def consume_all(self, user_id: uuid.UUID, now: datetime) -> None:
        """Every outstanding token of the user stops working (after a successful reset)."""
        await self.session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
        )
