"""`email.booking` jobs end to end: enqueued with the booking change (made through the
booking service and the signed Stripe webhook), run by the worker, delivered through the
outbox (mock) or Postmark (real adapters; local fakes of Postmark and Stripe) exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from mais.bookings.repository import BookingRepository
from mais.jobs import worker as worker_module
from mais.jobs.queue import enqueue
from mais.jobs.registry import HANDLERS
from mais.jobs.worker import LEASE, JobWorker
from mais.models import Job, JobStatus, utcnow
from mais.notifications.events import EMAIL_JOB, BookingEvent, enqueue_booking_notifications
from mais.notifications.repository import EmailDeliveryRepository
from tests.factories.world import (
    REAL_ADAPTERS,
    HeldBooking,
    add_catalog,
    cancel_booking,
    confirmed_booking,
    days_ahead,
    make_tenant,
    refund_booking,
)

TENANT_INBOX = "bookings@kiwi-events.example"
COUPLE = "couple@example.com"


@pytest.fixture(params=["outbox", "postmark"])
def email_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_overrides(email_backend: str, fake_postmark: Any, fake_stripe: Any) -> dict[str, Any]:
    if email_backend == "outbox":
        return {}
    return REAL_ADAPTERS | {
        "postmark_server_token": fake_postmark.token,
        "postmark_from_email": "bookings@mais.test",
        "postmark_api_base": fake_postmark.base_url,
        "stripe_api_base": fake_stripe.url,
    }


async def onboarded_tenant(container: Any, **fields: Any) -> Any:
    """A tenant that can take payments under the real adapters too."""
    tenant = await make_tenant(
        container,
        stripe_account_id=f"acct_1{uuid.uuid4().hex[:14]}",
        stripe_charges_enabled=True,
        **fields,
    )
    return await add_catalog(container, tenant)


@pytest.fixture
async def world(container: Any) -> Any:
    return await onboarded_tenant(container, notification_email=TENANT_INBOX)


async def booked(container: Any, world: Any, email: str = COUPLE) -> HeldBooking:
    """A booking confirmed by its signed webhook: its e-mail jobs are queued."""
    return await confirmed_booking(
        container, world, days_ahead(container, 60), email=email, add_ons=("Violinist",)
    )


async def sent_messages(container: Any, fake_postmark: Any) -> list[dict[str, Any]]:
    """What left the system, the same shape for both backends: to, subject, attachments."""
    if container.email.backend == "postmark":
        import base64

        return [
            {
                "to": body["To"],
                "subject": body["Subject"],
                "attachments": [
                    (a["Name"], a["ContentType"], base64.b64decode(a["Content"]))
                    for a in body.get("Attachments", [])
                ],
            }
            for body in fake_postmark.accepted
        ]
    messages = []
    for entry in reversed(await container.email.list_messages()):
        stored = await container.email.read(entry.id)
        messages.append(
            {
                "to": stored.to,
                "subject": stored.subject,
                "attachments": [(a.filename, a.content_type, a.data) for a in stored.attachments],
            }
        )
    return messages


async def email_jobs(container: Any) -> list[Job]:
    async with container.db.sessionmaker() as session:
        rows = await session.execute(select(Job).where(Job.kind == EMAIL_JOB))
        return list(rows.scalars().all())


def travel(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    """Move the worker's clock (lease expiry, backoff) forward."""
    monkeypatch.setattr(worker_module, "utcnow", lambda: utcnow() + delta)


async def test_confirmation_emails_the_couple_and_the_tenant_once_each_with_the_invite(
    container, world, fake_postmark
):
    booking = await booked(container, world)

    await JobWorker(container).drain()

    messages = await sent_messages(container, fake_postmark)
    assert sorted(m["to"] for m in messages) == sorted([COUPLE, TENANT_INBOX])
    for message in messages:
        [(name, content_type, data)] = message["attachments"]
        assert name.endswith(".ics")
        assert "method=REQUEST" in content_type.replace('"', "")
        event = Calendar.from_ical(data).walk("VEVENT")[0]
        assert event.decoded("DTSTART") == booking.event_date
        assert event["UID"] == f"booking-{booking.id}@mais"
    assert all(job.status == JobStatus.done for job in await email_jobs(container))
    async with container.db.sessionmaker() as session:
        deliveries = await EmailDeliveryRepository(session, world.id).for_booking(booking.id)
    assert sorted(d.audience for d in deliveries) == ["customer", "tenant"]
    assert {d.backend for d in deliveries} == {container.email.backend}


async def test_replaying_the_cause_or_rerunning_the_handler_sends_nothing_more(
    container, world, fake_postmark
):
    booking = await booked(container, world)
    await JobWorker(container).drain()

    # The same confirmation recorded again (a replayed webhook) enqueues nothing new...
    async with container.db.transaction() as session:
        row = await BookingRepository(session, world.id).get(booking.id)
        assert row is not None
        await enqueue_booking_notifications(session, row, BookingEvent.confirmed)
    # ...and a handler run again after its success (a reclaimed job) finds the delivery.
    payload = (await email_jobs(container))[0].payload
    await HANDLERS[EMAIL_JOB](container, dict(payload))
    await JobWorker(container).drain()

    assert len(await sent_messages(container, fake_postmark)) == 2
    assert len(await email_jobs(container)) == 2


async def test_a_worker_killed_after_claiming_leaves_each_email_to_be_sent_once_after_restart(
    container, world, fake_postmark, monkeypatch
):
    await booked(container, world)
    doomed = JobWorker(container, name="doomed-worker")
    claimed = await doomed.claim()  # committed as running ... and then the process dies
    assert {job.kind for job in claimed} >= {EMAIL_JOB}

    survivor = JobWorker(container, name="survivor")
    assert await survivor.drain() == 0  # the lease still protects the dead worker's jobs
    assert await sent_messages(container, fake_postmark) == []

    travel(monkeypatch, LEASE + timedelta(seconds=1))
    await survivor.drain()
    # The dead worker comes back and finishes what it had claimed: nothing is sent again.
    for job in claimed:
        await doomed.run_job(job)
    await survivor.drain()

    messages = await sent_messages(container, fake_postmark)
    assert sorted(m["to"] for m in messages) == sorted([COUPLE, TENANT_INBOX])
    jobs = await email_jobs(container)
    assert {job.status for job in jobs} == {JobStatus.done}
    assert {job.locked_by for job in jobs} == {"survivor"}


async def test_a_worker_killed_after_sending_but_before_marking_done_does_not_send_twice(
    container, world, fake_postmark, monkeypatch
):
    await booked(container, world)
    doomed = JobWorker(container, name="doomed-worker")
    for job in await doomed.claim():
        await HANDLERS[job.kind](container, dict(job.payload))  # effect done, never marked
    assert len(await sent_messages(container, fake_postmark)) == 2

    travel(monkeypatch, LEASE + timedelta(seconds=1))
    await JobWorker(container, name="survivor").drain()

    assert len(await sent_messages(container, fake_postmark)) == 2
    assert {job.status for job in await email_jobs(container)} == {JobStatus.done}


@pytest.mark.parametrize("email_backend", ["postmark"])
async def test_a_transient_postmark_failure_is_retried_with_backoff_and_then_succeeds(
    container, world, fake_postmark, monkeypatch
):
    await booked(container, world)
    fake_postmark.fail_next(503)
    started = utcnow()

    await JobWorker(container).drain()

    jobs = await email_jobs(container)
    [failed] = [job for job in jobs if job.status == JobStatus.pending]
    assert failed.attempts == 1
    assert "503" in failed.last_error
    assert failed.run_at >= started + timedelta(seconds=4)  # 5 s backoff, minus jitter
    assert len(fake_postmark.accepted) == 1

    travel(monkeypatch, timedelta(minutes=1))
    await JobWorker(container).drain()

    assert len(fake_postmark.accepted) == 2
    assert len(fake_postmark.requests) == 3
    assert {job.status for job in await email_jobs(container)} == {JobStatus.done}


@pytest.mark.parametrize("email_backend", ["postmark"])
async def test_an_undeliverable_address_goes_dead_at_once_and_the_tenant_is_still_told(
    container, world, fake_postmark
):
    fake_postmark.inactive.add("bounced@example.com")
    await booked(container, world, email="bounced@example.com")

    await JobWorker(container).drain()

    by_audience = {job.payload["audience"]: job for job in await email_jobs(container)}
    dead = by_audience["customer"]
    assert dead.status == JobStatus.dead
    assert dead.attempts == 1
    assert "inactive" in dead.last_error
    assert by_audience["tenant"].status == JobStatus.done
    assert [m["To"] for m in fake_postmark.accepted] == [TENANT_INBOX]


async def test_cancellation_sends_cancel_invites_and_a_stale_confirmation_is_skipped(
    container, world, fake_postmark
):
    booking = await booked(container, world)
    # Canceled by the tenant before the worker got to the confirmation e-mails.
    await cancel_booking(container, world, booking.id, "Venue closed")

    await JobWorker(container).drain()

    messages = await sent_messages(container, fake_postmark)
    assert len(messages) == 2
    assert all(m["subject"].startswith("Booking canceled") for m in messages)
    for message in messages:
        [(_, content_type, data)] = message["attachments"]
        assert "method=CANCEL" in content_type.replace('"', "")
        event = Calendar.from_ical(data).walk("VEVENT")[0]
        assert str(event["STATUS"]) == "CANCELLED"
    assert {job.status for job in await email_jobs(container)} == {JobStatus.done}


async def test_each_partial_refund_gets_its_own_emails(container, world, fake_postmark):
    booking = await booked(container, world)
    await JobWorker(container).drain()

    for amount in (10_000, 15_000):
        await refund_booking(container, world, booking.id, amount)
        await JobWorker(container).drain()

    refund_mails = [
        m for m in await sent_messages(container, fake_postmark) if "Refund" in m["subject"]
    ]
    assert len(refund_mails) == 4
    assert all(m["attachments"] == [] for m in refund_mails)  # the booking still stands


async def test_a_job_for_an_unknown_booking_goes_dead_without_retrying(container, world):
    async with container.db.transaction() as session:
        await enqueue(
            session,
            EMAIL_JOB,
            {
                "booking_id": str(uuid.uuid4()),
                "tenant_id": str(world.id),
                "event": "confirmed",
                "audience": "customer",
            },
            tenant_id=world.id,
        )

    await JobWorker(container).drain()

    [job] = await email_jobs(container)
    assert job.status == JobStatus.dead
    assert job.attempts == 1
    assert "not found" in job.last_error


async def test_another_tenants_booking_id_is_not_found_through_this_tenant(container, world):
    other = await onboarded_tenant(container)
    foreign_booking = await booked(container, other)
    await JobWorker(container).drain()  # the other tenant's own e-mails
    async with container.db.transaction() as session:
        await enqueue(
            session,
            EMAIL_JOB,
            {
                "booking_id": str(foreign_booking.id),
                "tenant_id": str(world.id),
                "event": "confirmed",
                "audience": "customer",
            },
            tenant_id=world.id,
        )

    await JobWorker(container).drain()

    [job] = [j for j in await email_jobs(container) if j.payload["tenant_id"] == str(world.id)]
    assert job.status == JobStatus.dead
    assert "not found" in job.last_error
