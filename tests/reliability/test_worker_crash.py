"""A `mais worker` process is killed (SIGKILL) in the middle of a job — here while Google
Calendar is inserting the booking's event, which it then completes: the job is claimed
again once its lease has expired, runs again, and the booking has one calendar event."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from mais.adapters.calendar import event_id_for
from mais.jobs.worker import LEASE
from mais.models import Booking, Job, JobStatus
from mais.notifications.events import CALENDAR_JOB
from tests.factories.services import process_env
from tests.factories.world import add_catalog, confirmed_booking, days_ahead, make_tenant

CALENDAR = "venue@group.calendar.google.com"


@pytest.fixture
def settings_overrides(fake_google: Any, service_account_key: Any) -> dict[str, Any]:
    fake_google.add_calendar(CALENDAR)
    return {
        "google_service_account_json_base64": service_account_key.info_base64(
            fake_google.token_uri
        ),
        "google_api_base": fake_google.base_url,
        "google_calendar_id": CALENDAR,
    }


def worker_env(settings: Any) -> dict[str, str]:
    return process_env(
        settings,
        GOOGLE_SERVICE_ACCOUNT_JSON_BASE64=settings.google_service_account_json_base64,
        GOOGLE_API_BASE=settings.google_api_base,
        GOOGLE_CALENDAR_ID=settings.google_calendar_id,
    )


def start_worker(settings: Any, log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mais.cli", "worker"],
        env=worker_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def run_worker_once(settings: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mais.cli", "worker", "--once"],
        env=worker_env(settings),
        capture_output=True,
        timeout=120,
        check=False,
    )


async def calendar_job(container: Any) -> Job:
    async with container.db.sessionmaker() as session:
        return (await session.execute(select(Job).where(Job.kind == CALENDAR_JOB))).scalar_one()


async def test_a_worker_killed_mid_job_is_replaced_and_the_effect_happens_once(
    container, settings, fake_google, tmp_path
):
    world = await add_catalog(container, await make_tenant(container))
    booking = await confirmed_booking(container, world, days_ahead(container, 60))
    inserting, release = threading.Event(), threading.Event()

    def hold_the_insert(_calendar: str, _event: dict[str, Any]) -> None:
        inserting.set()
        release.wait(30)  # Google is slow; then it does store the event

    fake_google.on_insert = hold_the_insert
    log = (tmp_path / "worker.log").open("wb")
    worker = start_worker(settings, log)
    try:
        assert await asyncio.to_thread(inserting.wait, 60), (tmp_path / "worker.log").read_text()
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
    fake_google.on_insert = None
    release.set()  # the insert the dead worker asked for completes at Google

    job = await calendar_job(container)
    assert (job.status, job.attempts) == (JobStatus.running, 1)  # left behind by the dead worker

    # The lease runs out (5 minutes, moved back instead of waited for).
    async with container.db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(locked_at=job.locked_at - LEASE - timedelta(seconds=1))
        )
    for _ in range(2):  # a new worker, and one more pass that must find nothing to do
        again = await asyncio.to_thread(run_worker_once, settings)
        assert again.returncode == 0, again.stdout.decode()[-3000:]

    job = await calendar_job(container)
    assert (job.status, job.attempts) == (JobStatus.done, 2)
    assert list(fake_google.events[CALENDAR]) == [event_id_for(booking.id)]  # one event
    inserts = [r for r in fake_google.api_requests() if r.path.endswith("/events")]
    assert len(inserts) == 2  # the second answered 409 "already exists": a success
    async with container.db.sessionmaker() as session:
        stored = await session.get(Booking, booking.id)
        assert stored is not None
        assert stored.calendar_event_id == event_id_for(booking.id)
