"""The platform dashboard: overview, tenants (create with the secret key shown once,
edit, suspend and reactivate, onboarding link), read-only bookings, audit log, failed
jobs and webhook events with retry."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from mais.models import Job, JobStatus, TenantStatus, WebhookEvent
from tests.dashboard.conftest import Browser
from tests.factories.admin import add_booking


async def test_every_platform_page_renders(admin_browser: Browser, container, alpha):
    booking = await add_booking(container, alpha)
    for path in (
        "/admin", "/admin/tenants", "/admin/tenants?q=alpha", "/admin/tenants/new",
        f"/admin/tenants/{alpha.id}", f"/admin/tenants/{alpha.slug}",
        f"/admin/tenants/{alpha.id}/bookings", f"/admin/tenants/{alpha.id}/bookings/{booking}",
        "/admin/audit-log", "/admin/audit-log?tenant=alpha-events&action=package",
        "/admin/jobs", "/admin/jobs?status=bogus", "/admin/webhook-events",
        "/admin/webhook-events?status=all", "/admin/password",
    ):  # fmt: skip
        response = await admin_browser.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.headers["x-frame-options"] == "DENY"
    detail = await admin_browser.get(f"/admin/tenants/{alpha.id}/bookings/{booking}")
    assert "/cancel" not in detail.text
    assert "/refund" not in detail.text
    unknown = await admin_browser.get("/admin/audit-log?tenant=nobody-here")
    assert 'class="problem"' in unknown.text
    assert (await admin_browser.get("/admin/tenants/nobody-here")).status_code == 404


async def test_platform_admin_creates_a_tenant_that_can_log_in(
    admin_browser: Browser, browser: Browser, client
):
    await admin_browser.get("/admin/tenants/new")
    refused = await admin_browser.post(
        "/admin/tenants/new",
        {"name": "", "slug": "admin", "email": "nope", "commission_percent": "70"},
    )
    assert refused.status_code == 422
    assert refused.text.count('class="problem"') >= 2
    created = await admin_browser.post(
        "/admin/tenants/new",
        {"name": "Lakeside Barn", "slug": "lakeside-barn", "email": "owner@lakeside.example",
         "password": "lakeside password 1", "commission_percent": "7.5",
         "timezone": "America/Chicago"},
    )  # fmt: skip
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(sk_live_lakeside-barn_[0-9a-f]+)"', created.text)
    assert secret, created.text
    me = await client.get(
        "/v1/tenant-admin/me", headers={"Authorization": f"Bearer {secret.group(1)}"}
    )
    assert me.json()["tenant"]["commissionPercent"] == 7.5

    await browser.login("tenant", "owner@lakeside.example", "lakeside password 1")
    assert "Lakeside Barn" in (await browser.get("/tenant")).text

    duplicate = await admin_browser.post(
        "/admin/tenants/new",
        {"name": "Again", "slug": "lakeside-barn", "email": "other@lakeside.example"},
    )
    assert duplicate.status_code == 422
    assert "lakeside-barn" not in re.findall(r"sk_live_[\w-]+", duplicate.text)


async def test_invited_tenant_gets_an_invitation_job(admin_browser: Browser, container):
    await admin_browser.get("/admin/tenants/new")
    created = await admin_browser.post(
        "/admin/tenants/new",
        {"name": "Invitee", "slug": "invitee-co", "email": "owner@invitee.example"},
    )
    assert created.status_code == 200
    assert "invitation e-mail" in created.text
    async with container.db.sessionmaker() as session:
        kinds = [j.kind for j in (await session.execute(select(Job))).scalars()]
    assert "email.password_reset" in kinds


async def test_edit_commission_suspend_and_reactivate(
    admin_browser: Browser, alpha_browser: Browser, client, alpha
):
    path = f"/admin/tenants/{alpha.id}"
    await admin_browser.get(path)
    bad = await admin_browser.post(path, {"name": "Alpha", "commission_percent": "abc"})
    assert bad.status_code == 422
    assert 'class="problem"' in bad.text
    ok = await admin_browser.post(path, {"name": "Alpha Renamed", "commission_percent": "12.25"})
    assert ok.status_code == 303
    assert "Alpha Renamed" in (await admin_browser.get(path)).text

    await admin_browser.post(f"{path}/suspend")
    assert (await client.get("/v1/packages", headers=alpha.headers)).status_code == 403
    assert (await alpha_browser.get("/tenant")).status_code == 403
    page = await admin_browser.get(path)
    assert TenantStatus.suspended in page.text
    await admin_browser.post(f"{path}/reactivate")
    assert (await client.get("/v1/packages", headers=alpha.headers)).status_code == 200


async def test_start_stripe_onboarding_shows_the_link_to_hand_over(admin_browser: Browser, alpha):
    await admin_browser.get(f"/admin/tenants/{alpha.id}")
    response = await admin_browser.post(f"/admin/tenants/{alpha.id}/stripe/connect")
    assert response.status_code == 200
    assert re.search(r'id="onboarding-url"[^>]*value="[^"]*/mock/connect/', response.text)


async def test_failed_jobs_and_webhook_events_can_be_retried(admin_browser: Browser, container):
    from mais.jobs.queue import enqueue
    from mais.models import utcnow

    async with container.db.transaction() as session:
        job = await enqueue(session, "email.booking", {"x": 1})
        await session.flush()
        row = await session.get(Job, job.id) if hasattr(job, "id") else None
        if row is None:
            row = (await session.execute(select(Job))).scalars().one()
        row.status = JobStatus.dead
        row.last_error = "boom"
        session.add(
            WebhookEvent(
                source="stripe", event_id="evt_dash_1", type="customer.created",
                payload=json.dumps({"id": "evt_dash_1", "type": "customer.created",
                                    "object": "event", "data": {"object": {}}}),
                status="failed", attempts=1, last_error="kaput", received_at=utcnow(),
            )
        )  # fmt: skip
    jobs = await admin_browser.get("/admin/jobs?status=dead")
    assert "boom" in jobs.text
    job_id = re.search(r"/admin/jobs/([0-9a-f-]{36})/retry", jobs.text).group(1)
    retried = await admin_browser.post(f"/admin/jobs/{job_id}/retry")
    assert retried.headers["location"] == "/admin/jobs?notice=retried"
    async with container.db.sessionmaker() as session:
        requeued = (await session.execute(select(Job))).scalars().one()
    assert (requeued.status, requeued.attempts) == (JobStatus.pending, 0)
    missing = await admin_browser.post("/admin/jobs/00000000-0000-4000-8000-000000000000/retry")
    assert missing.status_code == 404

    events = await admin_browser.get("/admin/webhook-events")
    assert "kaput" in events.text
    event_id = re.search(r"/admin/webhook-events/([0-9a-f-]{36})/retry", events.text).group(1)
    processed = await admin_browser.post(f"/admin/webhook-events/{event_id}/retry")
    assert processed.status_code == 303
    async with container.db.sessionmaker() as session:
        event = (await session.execute(select(WebhookEvent))).scalars().one()
    assert event.status == "processed"
