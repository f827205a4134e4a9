"""The job worker: several workers at once run each job once (SKIP LOCKED claims on
PostgreSQL, the single writer on SQLite), failures back off exponentially and end `dead`
after the last attempt, and in development the web process runs jobs itself."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mais.app import create_app
from mais.jobs import worker as worker_module
from mais.jobs.queue import enqueue
from mais.jobs.registry import job_handler
from mais.jobs.worker import JobWorker
from mais.models import Job, JobStatus, utcnow
from mais.settings import Environment

RECORD_JOB = "test.record"
FAILING_JOB = "test.always_fails"
ran: list[int] = []


@job_handler(RECORD_JOB)
async def record_run(container: Any, payload: dict[str, Any]) -> None:
    await asyncio.sleep(0)  # let the other workers interleave
    ran.append(int(payload["n"]))


@job_handler(FAILING_JOB)
async def always_fail(container: Any, payload: dict[str, Any]) -> None:
    raise RuntimeError("the partner API is down")


@pytest.fixture(autouse=True)
def _forget_runs() -> None:
    ran.clear()


async def _enqueue(container: Any, kind: str, count: int, **options: Any) -> None:
    async with container.db.transaction() as session:
        for n in range(count):
            await enqueue(session, kind, {"n": n}, **options)


async def _jobs(container: Any) -> list[Job]:
    async with container.db.sessionmaker() as session:
        return list((await session.execute(select(Job).order_by(Job.created_at))).scalars())


async def test_four_workers_at_once_run_each_of_forty_jobs_exactly_once(container):
    await _enqueue(container, RECORD_JOB, 40)
    workers = [JobWorker(container, name=f"worker-{n}") for n in range(4)]

    counts = await asyncio.gather(*(worker.drain() for worker in workers))

    assert sorted(ran) == list(range(40))
    assert sum(counts) == 40
    jobs = await _jobs(container)
    assert {(job.status, job.attempts) for job in jobs} == {(JobStatus.done, 1)}
    assert len({job.locked_by for job in jobs}) > 1  # the work really was shared


async def test_a_failing_job_backs_off_exponentially_and_is_dead_after_its_last_attempt(
    container, monkeypatch
):
    await _enqueue(container, FAILING_JOB, 1, max_attempts=3)
    waits = []
    offset = timedelta(0)
    for attempt in (1, 2, 3):
        monkeypatch.setattr(worker_module, "utcnow", lambda offset=offset: utcnow() + offset)
        started = utcnow() + offset
        assert await JobWorker(container).drain() == 1  # due once, then waiting again
        [job] = await _jobs(container)
        assert job.attempts == attempt
        assert "partner API is down" in (job.last_error or "")
        if attempt < 3:
            assert job.status == JobStatus.pending
            waits.append((job.run_at - started).total_seconds())
            offset = job.run_at - utcnow() + timedelta(seconds=1)

    assert job.status == JobStatus.dead
    assert job.finished_at is not None
    # 5 s then 10 s, each ± 20 % jitter.
    assert 4 <= waits[0] <= 6.1
    assert 8 <= waits[1] <= 12.1


async def test_in_development_the_web_process_runs_jobs_itself(container, settings):
    app = create_app(settings.model_copy(update={"app_env": Environment.development}), container)

    async with app.router.lifespan_context(app):
        await _enqueue(container, RECORD_JOB, 1)  # the commit wakes the in-process worker
        for _ in range(100):
            [job] = await _jobs(container)
            if job.status == JobStatus.done:
                break
            await asyncio.sleep(0.05)

    assert ran == [0]
    assert job.status == JobStatus.done
