"""Queries on users and their sessions."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.repository import parse_uuid
from mais.models import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str | uuid.UUID) -> User | None:
        parsed = parse_uuid(user_id)
        return None if parsed is None else await self.session.get(User, parsed)

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email_key == email.lower()))
        return result.scalar_one_or_none()

    def add(self, user: User) -> User:
        self.session.add(user)
        return user
