"""The job worker: claims due jobs safely when several workers run at once, runs them,
retries with exponential backoff, and parks a job as `dead` after its last attempt.

On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`; SQLite has a single writer, so a
conditional UPDATE is enough. A job left `running` by a crashed worker is reclaimed
after its lease expires and runs again (handlers are idempotent)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from mais.jobs.queue import wake_signal
from mais.jobs.registry import HANDLERS, PERIODIC, PermanentJobError, load_handlers
from mais.models import Job, JobStatus, utcnow
from mais.observability.metrics import JOBS_FINISHED

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.jobs")

LEASE = timedelta(minutes=5)
BATCH = 10
POLL_SECONDS = 1.0


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at one hour, with jitter so retries do not stampede."""
    base = min(3600.0, 5.0 * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # nosec B311 # noqa: S311 - jitter


class JobWorker:
    def __init__(self, container: Container, name: str | None = None) -> None:
        self.container = container
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._last_periodic: dict[str, float] = {}
        self.failures = 0
        load_handlers()

    async def claim(self, limit: int = BATCH) -> list[Job]:
        now = utcnow()
        due = or_(
            (Job.status == JobStatus.pending) & (Job.run_at <= now),
            (Job.status == JobStatus.running) & (Job.locked_at < now - LEASE),
        )
        async with self.container.db.transaction() as session:
            query = select(Job).where(due).order_by(Job.run_at).limit(limit)
            if not self.container.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            candidates = (await session.execute(query)).scalars().all()
            claimed: list[Job] = []
            for job in candidates:
                result = await session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == job.status, Job.attempts == job.attempts)
                    .values(
                        status=JobStatus.running,
                        locked_at=now,
                        locked_by=self.name,
                        attempts=Job.attempts + 1,
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(job)
            ids = [job.id for job in claimed]
        if not ids:
            return []
        async with self.container.db.sessionmaker() as session:
            rows = await session.execute(select(Job).where(Job.id.in_(ids)).order_by(Job.run_at))
            return list(rows.scalars().all())

    async def run_job(self, job: Job) -> None:
        handler = HANDLERS.get(job.kind)
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {job.kind!r}")
            await handler(self.container, dict(job.payload))
        except Exception as exc:
            await self._failed(job, exc)
        else:
            await self._finish(job)
            JOBS_FINISHED.labels(job.kind, "done").inc()

    async def _finish(self, job: Job) -> None:
        async with self.container.db.transaction() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job.id, Job.locked_by == self.name)
                .values(status=JobStatus.done, finished_at=utcnow(), last_error=None)
            )

    async def _failed(self, job: Job, exc: Exception) -> None:
        self.failures += 1
        permanent = isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts
        status = JobStatus.dead if permanent else JobStatus.pending
        JOBS_FINISHED.labels(job.kind, "dead" if permanent else "retry").inc()
        log.warning(
            "job failed",
            extra={
                "job_id": str(job.id),
                "kind": job.kind,
                "attempt": job.attempts,
                "dead": permanent,
            },
            exc_info=exc,
        )
        async with self.container.db.transaction() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job.id, Job.locked_by == self.name)
                .values(
                    status=status,
                    run_at=utcnow() + backoff(job.attempts),
                    last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
                    locked_at=None,
                    locked_by=None,
                    finished_at=utcnow() if permanent else None,
                )
            )

    async def run_periodic(self, *, force: bool = False) -> None:
        now = time.monotonic()
        for task in PERIODIC:
            last = self._last_periodic.get(task.name)
            if force or last is None or now - last >= task.every_seconds:
                self._last_periodic[task.name] = now
                try:
                    await task.task(self.container)
                except Exception:
                    log.exception("periodic task %s failed", task.name)

    async def run_once(self) -> int:
        """Claim and run one batch of due jobs; returns how many ran."""
        jobs = await self.claim()
        for job in jobs:
            await self.run_job(job)
        return len(jobs)

    async def drain(self, max_rounds: int = 100) -> int:
        """Run until nothing is due (tests and the CLI)."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            total += ran
            if not ran:
                break
        return total

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        log.info("job worker %s started", self.name)
        while stop is None or not stop.is_set():
            try:
                await self.run_periodic()
                ran = await self.run_once()
            except Exception:
                log.exception("job worker loop error")
                ran = 0
            if ran:
                continue
            wake_signal.event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake_signal.event.wait(), POLL_SECONDS)
