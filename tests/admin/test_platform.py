"""Platform admin: stats, audit log with filters, failed jobs and webhook events (retry)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mais.jobs.queue import enqueue
from mais.jobs.registry import PermanentJobError, job_handler
from mais.jobs.worker import JobWorker
from mais.models import (
    AuditEntry,
    Booking,
    BookingStatus,
    Job,
    JobStatus,
    Payment,
    WebhookEvent,
    utcnow,
)
from mais.payments import service as webhook_service
from tests.factories.admin import add_booking, login, platform_headers
from tests.factories.world import (
    add_catalog,
    days_ahead,
    deliver_stripe_event,
    hold_booking,
    make_tenant,
)

FLAKY_JOB = "test.flaky"
_flaky_state = {"fail": True}


@job_handler(FLAKY_JOB)
async def _flaky(container, payload):
    if _flaky_state["fail"]:
        raise PermanentJobError("upstream said no")


@pytest.fixture
async def admin(container, client) -> dict[str, str]:
    return await platform_headers(container, client)


async def test_stats_count_tenants_bookings_and_money(container, client, admin):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    beta = await add_catalog(container, await make_tenant(container, "beta-events"))
    await client.patch(f"/v1/admin/tenants/{beta.id}", headers=admin, json={"status": "suspended"})
    await add_booking(container, alpha)  # 350_000, fee 35_000
    await add_booking(container, alpha, refunded_cents=100_000)  # fee refunded 10_000
    await add_booking(container, beta, status=BookingStatus.held)
    old = await add_booking(container, beta)
    # A booking paid and confirmed last month counts in the totals, not in "this month".
    last_month = utcnow().replace(day=1) - timedelta(days=3)
    async with container.db.transaction() as session:
        await session.execute(
            update(Booking).where(Booking.id == old).values(confirmed_at=last_month)
        )
        await session.execute(
            update(Payment).where(Payment.booking_id == old).values(created_at=last_month)
        )

    response = await client.get("/v1/admin/stats", headers=admin)

    assert response.status_code == 200
    assert response.json() == {
        "tenants": {"total": 2, "active": 1},
        "bookings": {"byStatus": {"confirmed": 3, "held": 1}},
        "grossVolumeCents": 3 * 350_000 - 100_000,
        "platformCommissionCents": 3 * 35_000 - 10_000,
        "thisMonth": {
            "bookings": 2,
            "grossVolumeCents": 2 * 350_000 - 100_000,
            "platformCommissionCents": 2 * 35_000 - 10_000,
        },
    }


async def test_stats_of_an_empty_platform_are_zero(client, admin):
    body = (await client.get("/v1/admin/stats", headers=admin)).json()

    assert body["tenants"] == {"total": 0, "active": 0}
    assert body["grossVolumeCents"] == body["thisMonth"]["bookings"] == 0


async def test_audit_log_filters_by_tenant_actor_and_action(container, client, admin):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    beta = await make_tenant(container, "beta-events")
    alpha_admin = await login(client, alpha.email)
    await client.patch(
        f"/v1/tenant-admin/packages/{alpha.packages['garden'].id}",
        headers=alpha_admin,
        json={"priceCents": 1},
    )
    await client.patch(f"/v1/admin/tenants/{beta.id}", headers=admin, json={"name": "B2"})

    def items(response):
        assert response.status_code == 200, response.text
        return [(e["action"], e["actorLabel"]) for e in response.json()["items"]]

    log = "/v1/admin/audit-log"
    by_tenant = items(await client.get(log, headers=admin, params={"tenant": "alpha-events"}))
    assert ("package.updated", alpha.email) in by_tenant
    assert all(action != "tenant.updated" for action, _ in by_tenant)
    by_actor = items(await client.get(log, headers=admin, params={"actor": alpha.email.upper()}))
    assert by_actor == [("package.updated", alpha.email)]
    by_prefix = items(await client.get(log, headers=admin, params={"action": "package"}))
    assert {a for a, _ in by_prefix} == {"package.created", "package.updated"}
    exact = items(await client.get(log, headers=admin, params={"action": "tenant.updated"}))
    assert exact == [("tenant.updated", "admin@mais.local")]
    wildcard = items(await client.get(log, headers=admin, params={"action": "%"}))
    assert wildcard == []
    paged = await client.get(log, headers=admin, params={"pageSize": 2, "page": 1})
    assert len(paged.json()["items"]) == 2
    assert paged.json()["total"] > 2
    unknown = await client.get(log, headers=admin, params={"tenant": "no-such"})
    assert unknown.status_code == 404


async def test_dead_job_is_listed_and_retried_until_it_succeeds(container, client, admin):
    async with container.db.transaction() as session:
        await enqueue(session, FLAKY_JOB, {"n": 1})
    _flaky_state["fail"] = True
    await JobWorker(container).drain()

    failed = await client.get("/v1/admin/jobs", headers=admin)
    dead = await client.get("/v1/admin/jobs", headers=admin, params={"status": "dead"})

    [job] = failed.json()["items"]
    assert dead.json()["items"] == [job]
    assert (job["kind"], job["status"]) == (FLAKY_JOB, "dead")
    assert "upstream said no" in job["lastError"]

    _flaky_state["fail"] = False
    retried = await client.post(f"/v1/admin/jobs/{job['id']}/retry", headers=admin)
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    await JobWorker(container).drain()
    async with container.db.sessionmaker() as session:
        assert (await session.get(Job, uuid.UUID(job["id"]))).status == JobStatus.done
    again = await client.post(f"/v1/admin/jobs/{job['id']}/retry", headers=admin)
    assert (again.status_code, again.json()["error"]) == (409, "NOT_RETRYABLE")
    assert (await client.get("/v1/admin/jobs", headers=admin)).json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/admin/jobs", {"status": "exploded"}, 422),
        ("/v1/admin/jobs/not-a-job/retry", None, 404),
        ("/v1/admin/jobs/7b0e7a4e-0000-4000-8000-000000000000/retry", None, 404),
        ("/v1/admin/webhook-events", {"status": "lost"}, 422),
        ("/v1/admin/webhook-events/7b0e7a4e-0000-4000-8000-000000000000/retry", None, 404),
        ("/v1/admin/audit-log", {"page": 0}, 422),
    ],
)
async def test_invalid_platform_requests(client, admin, path, params, status):
    method = client.post if path.endswith("/retry") else client.get

    response = await method(path, headers=admin, **({"params": params} if params else {}))

    assert response.status_code == status


async def test_webhook_events_listed_by_status_and_a_retry_that_fails_again_stays_failed(
    container, client, admin
):
    async with container.db.transaction() as session:
        for n, status in enumerate(("failed", "processed", "failed")):
            session.add(
                WebhookEvent(
                    source="stripe",
                    event_id=f"evt_{n}",
                    type="checkout.session.completed",
                    payload="{}",
                    status=status,
                    attempts=1,
                    last_error="boom" if status == "failed" else None,
                    received_at=utcnow() + timedelta(seconds=n),
                )
            )

    failed = await client.get(
        "/v1/admin/webhook-events", headers=admin, params={"status": "failed"}
    )
    everything = await client.get("/v1/admin/webhook-events", headers=admin)

    assert [e["eventId"] for e in failed.json()["items"]] == ["evt_2", "evt_0"]
    assert everything.json()["total"] == 3
    processed_id = next(e["id"] for e in everything.json()["items"] if e["status"] == "processed")
    not_failed = await client.post(f"/v1/admin/webhook-events/{processed_id}/retry", headers=admin)
    assert not_failed.status_code == 409
    # "{}" is no Stripe event: processing it again fails again, recorded in the request.
    retried = await client.post(
        f"/v1/admin/webhook-events/{failed.json()['items'][0]['id']}/retry", headers=admin
    )
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("failed", 2)
    assert "KeyError" in retried.json()["lastError"]
    async with container.db.sessionmaker() as session:
        statuses = (await session.execute(select(WebhookEvent.status))).scalars().all()
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert sorted(statuses) == ["failed", "failed", "processed"]
    assert "webhook_event.retried" in actions


async def test_retrying_a_failed_webhook_event_processes_it_and_confirms_the_booking(
    container, client, admin, monkeypatch
):
    tenant = await add_catalog(container, await make_tenant(container))
    held = await hold_booking(container, tenant, days_ahead(container, 30))
    _outcome, events = await container.payments.pay(held.session_id, "4242424242424242")
    completed = events[0]

    async def partner_down(service, session, obj):
        raise RuntimeError("partner database is down")

    with monkeypatch.context() as patch:
        patch.setitem(webhook_service.EVENT_HANDLERS, completed["type"], partner_down)
        with pytest.raises(webhook_service.WebhookProcessingFailed):
            await deliver_stripe_event(container, completed)
    [failed] = (
        await client.get("/v1/admin/webhook-events", headers=admin, params={"status": "failed"})
    ).json()["items"]

    retried = await client.post(f"/v1/admin/webhook-events/{failed['id']}/retry", headers=admin)

    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("processed", 2)
    assert retried.json()["tenantId"] == str(tenant.id)
    async with container.db.sessionmaker() as session:
        booking = await session.get(Booking, held.id)
        actions = (
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.entity_id == failed["id"])
                )
            )
            .scalars()
            .all()
        )
    assert booking is not None
    assert booking.status == "confirmed"
    assert actions == ["webhook_event.retried"]
    again = await client.post(f"/v1/admin/webhook-events/{failed['id']}/retry", headers=admin)
    assert again.status_code == 409  # processed events are not retried
