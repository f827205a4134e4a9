"""A process dies in the middle of handling Stripe's webhook (after the booking was
confirmed in its transaction, before the commit): nothing of the half-done work remains,
the stored event is processed when Stripe re-delivers it, and the booking is confirmed
exactly once however often the event comes again."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

from sqlalchemy import select

from mais.adapters.payments.mock import stripe_signature_header
from mais.models import AuditEntry, Booking, Job, Payment, WebhookEvent
from tests.factories.services import process_env
from tests.factories.world import add_catalog, days_ahead, hold_booking, make_tenant

# Runs in its own process: the real webhook service, whose completed-session handler does
# its work and then kills the process before anything commits.
CRASHING_RECEIVER = """
import asyncio, os, signal, sys
from mais.container import build_container
from mais.payments import service
from mais.settings import load_settings

real = service.EVENT_HANDLERS["checkout.session.completed"]

async def confirm_then_die(webhooks, session, obj):
    await real(webhooks, session, obj)
    await session.flush()  # the confirmation is written, inside the open transaction
    os.kill(os.getpid(), signal.SIGKILL)

service.EVENT_HANDLERS["checkout.session.completed"] = confirm_then_die

async def main():
    container = build_container(load_settings())
    await service.StripeWebhookService(container).receive(sys.stdin.buffer.read(),
                                                          os.environ["SIGNATURE"])

asyncio.run(main())
"""


async def _rows(container, model, *where):
    async with container.db.sessionmaker() as session:
        return (await session.execute(select(model).where(*where))).scalars().all()


async def test_a_crash_mid_webhook_leaves_nothing_and_the_redelivery_confirms_once(
    container, client, settings
):
    tenant = await add_catalog(container, await make_tenant(container))
    held = await hold_booking(container, tenant, days_ahead(container, 30))
    _outcome, events = await container.payments.pay(held.session_id, "4242 4242 4242 4242")
    completed = next(e for e in events if e["type"] == "checkout.session.completed")
    payload = json.dumps(completed).encode()
    signature = stripe_signature_header(payload, container.settings.effective_webhook_secret)

    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CRASHING_RECEIVER],
        input=payload,
        env=process_env(settings, SIGNATURE=signature),
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
    (event,) = await _rows(container, WebhookEvent)
    assert event.status == "received"  # stored before processing, never marked processed
    (booking,) = await _rows(container, Booking)
    assert booking.status == "held"
    assert await _rows(container, Payment) == []
    assert await _rows(container, AuditEntry, AuditEntry.action == "booking.confirmed") == []

    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    redelivered = await client.post("/v1/webhooks/stripe", content=payload, headers=headers)
    again = await client.post("/v1/webhooks/stripe", content=payload, headers=headers)

    assert redelivered.status_code == 200
    assert redelivered.json()["outcome"] == "processed"
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    (booking,) = await _rows(container, Booking)
    assert booking.status == "confirmed"
    assert len(await _rows(container, Payment)) == 1
    assert len(await _rows(container, AuditEntry, AuditEntry.action == "booking.confirmed")) == 1
    jobs = await _rows(container, Job, Job.kind.in_(["email.booking", "calendar.sync"]))
    assert len(jobs) == 3  # two e-mails and one calendar event, queued once
