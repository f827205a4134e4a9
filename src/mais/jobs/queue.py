"""Enqueueing jobs inside the caller's transaction (the transactional outbox).

A job row commits with the state change that causes it, or not at all; the worker is
woken once the commit has happened."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.db import after_commit
from mais.models import Job, JobStatus, new_id, utcnow

DEFAULT_MAX_ATTEMPTS = 8


class WakeSignal:
    """Lets a committed enqueue wake the in-process worker without waiting for its poll."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def wake(self) -> None:
        self.event.set()


wake_signal = WakeSignal()


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    tenant_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> None:
    """Record a job; with `dedupe_key`, a second enqueue of the same job is a no-op."""
    now = utcnow()
    values = {
        "id": new_id(),
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "tenant_id": tenant_id,
        "status": JobStatus.pending,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "created_at": now,
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dedupe_key is None:
        statement = insert(Job).values(**values)
    elif dialect == "postgresql":
        statement = (
            pg_insert(Job).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    else:
        statement = (
            sqlite_insert(Job)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    await session.execute(statement)
    after_commit(session, wake_signal.wake)
