"""POST /v1/webhooks/stripe: signatures, insert-first storage, guarded transitions,
duplicates (also concurrent), failures that are processed again, and every handled type."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mais.adapters.payments.mock import stripe_event, stripe_signature_header
from mais.jobs.worker import JobWorker
from mais.models import (
    AuditEntry,
    Booking,
    Job,
    Payment,
    Refund,
    Tenant,
    WebhookEvent,
    utcnow,
)
from mais.payments import service as webhook_service
from mais.payments.service import StripeWebhookService
from tests.factories.metrics import scrape
from tests.factories.world import (
    add_catalog,
    confirmed_booking,
    days_ahead,
    hold_booking,
    make_tenant,
)


async def _post(
    client, container, event: dict, *, timestamp: int | None = None, secret: str | None = None
):
    payload = json.dumps(event).encode()
    signature = stripe_signature_header(
        payload, secret or container.settings.effective_webhook_secret, timestamp
    )
    return await client.post(
        "/v1/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


async def _rows(container, model, *where):
    async with container.db.sessionmaker() as session:
        return (await session.execute(select(model).where(*where))).scalars().all()


async def _booking(container, booking_id) -> Booking:
    async with container.db.sessionmaker() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        return booking


async def _paid_events(container, session_id: str) -> list[dict]:
    outcome, events = await container.payments.pay(session_id, "4242 4242 4242 4242")
    assert outcome == "paid"
    return events


async def _notification_jobs(container, booking_id) -> list[tuple[str, str]]:
    jobs = await _rows(container, Job, Job.kind.in_(["email.booking", "calendar.sync"]))
    mine = [j for j in jobs if j.payload.get("booking_id") == str(booking_id)]
    return sorted((j.kind, j.payload.get("audience", "")) for j in mine)


@pytest.fixture
async def held(container):
    tenant = await add_catalog(container, await make_tenant(container))
    booking = await hold_booking(
        container, tenant, days_ahead(container, 30), add_ons=("Violinist",)
    )
    return tenant, booking


async def test_bad_missing_or_old_signatures_are_400_and_store_nothing(container, client, held):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]
    payload = json.dumps(completed).encode()

    missing = await client.post("/v1/webhooks/stripe", content=payload)
    wrong = await _post(client, container, completed, secret="whsec_someone_else")
    old = await _post(client, container, completed, timestamp=int(time.time()) - 3600)
    tampered = await client.post(
        "/v1/webhooks/stripe",
        content=payload.replace(b"paid", b"PAID"),
        headers={
            "Stripe-Signature": stripe_signature_header(
                payload, container.settings.effective_webhook_secret
            )
        },
    )

    for response in (missing, wrong, old, tampered):
        assert response.status_code == 400
        assert response.json()["error"] == "INVALID_SIGNATURE"
    assert await _rows(container, WebhookEvent) == []
    assert (await _booking(container, booking.id)).status == "held"


async def test_a_signed_body_that_is_not_an_event_is_400(container, client):
    response = await _post(client, container, {"hello": "world"})
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_PAYLOAD"


async def test_completed_session_confirms_records_payment_and_queues_notifications(
    container, client, held
):
    tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]

    response = await _post(client, container, completed)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "processed"}
    confirmed = await _booking(container, booking.id)
    assert confirmed.status == "confirmed"
    assert confirmed.payment_intent_id == completed["data"]["object"]["payment_intent"]
    assert confirmed.confirmed_at is not None
    (payment,) = await _rows(container, Payment, Payment.booking_id == booking.id)
    assert (payment.amount_cents, payment.status, payment.processor_id) == (
        375_000,
        "succeeded",
        confirmed.payment_intent_id,
    )
    assert payment.application_fee_cents == confirmed.commission_cents == 37_500
    assert await _notification_jobs(container, booking.id) == [
        ("calendar.sync", ""),
        ("email.booking", "customer"),
        ("email.booking", "tenant"),
    ]
    (event,) = await _rows(container, WebhookEvent)
    assert (event.status, event.attempts, event.tenant_id, event.type) == (
        "processed",
        1,
        tenant.id,
        "checkout.session.completed",
    )
    actions = {
        a.action
        for a in await _rows(container, AuditEntry, AuditEntry.entity_id == str(booking.id))
    }
    assert {"booking.held", "booking.confirmed"} <= actions


async def test_a_replayed_event_changes_nothing_and_answers_2xx(container, client, held):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]
    first = await _post(client, container, completed)
    again = await _post(client, container, completed)

    assert first.status_code == again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert len(await _rows(container, Payment)) == 1
    assert len(await _notification_jobs(container, booking.id)) == 3
    (event,) = await _rows(container, WebhookEvent)
    assert event.attempts == 1


async def test_the_same_completed_event_ten_times_at_once_confirms_once(container, client, held):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]

    responses = await asyncio.gather(*(_post(client, container, completed) for _ in range(10)))

    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.json()["outcome"] for r in responses) == ["duplicate"] * 9 + ["processed"]
    assert (await _booking(container, booking.id)).status == "confirmed"
    assert len(await _rows(container, Payment)) == 1
    assert await _notification_jobs(container, booking.id) == [
        ("calendar.sync", ""),
        ("email.booking", "customer"),
        ("email.booking", "tenant"),
    ]
    confirmations = await _rows(container, AuditEntry, AuditEntry.action == "booking.confirmed")
    assert len(confirmations) == 1


async def test_an_event_whose_processing_failed_is_processed_when_redelivered(
    container, client, held, monkeypatch
):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]
    real = webhook_service.EVENT_HANDLERS["checkout.session.completed"]
    calls = {"n": 0}

    async def fails_once(service, session, obj):
        calls["n"] += 1
        if calls["n"] == 1:
            await real(service, session, obj)  # do the work, then fail: all of it must roll back
            raise RuntimeError("injected fault after confirming")
        return await real(service, session, obj)

    monkeypatch.setitem(webhook_service.EVENT_HANDLERS, "checkout.session.completed", fails_once)

    failed = await _post(client, container, completed)

    assert failed.status_code == 503  # not a bug of the request: Stripe re-delivers
    assert failed.json()["error"] == "WEBHOOK_PROCESSING_FAILED"
    assert failed.headers["retry-after"] == "30"
    (event,) = await _rows(container, WebhookEvent)
    assert (event.status, event.attempts) == ("failed", 1)
    assert "injected fault" in (event.last_error or "")
    assert (await _booking(container, booking.id)).status == "held"
    assert await _rows(container, Payment) == []
    assert await _notification_jobs(container, booking.id) == []
    assert await _rows(container, AuditEntry, AuditEntry.action == "booking.confirmed") == []
    assert len(await _rows(container, Job, Job.kind == "payments.webhook_retry")) == 1

    redelivered = await _post(client, container, completed)

    assert redelivered.status_code == 200
    assert redelivered.json()["outcome"] == "processed"
    (event,) = await _rows(container, WebhookEvent)
    assert (event.status, event.attempts) == ("processed", 2)
    assert (await _booking(container, booking.id)).status == "confirmed"
    assert len(await _rows(container, Payment)) == 1
    assert len(await _notification_jobs(container, booking.id)) == 3


async def test_a_failed_event_is_retried_by_the_worker_and_a_processed_one_is_left_alone(
    container, client, held, monkeypatch
):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]

    async def always_fails(service, session, obj):
        raise RuntimeError("database of a partner is down")

    monkeypatch.setitem(webhook_service.EVENT_HANDLERS, "checkout.session.completed", always_fails)
    assert (await _post(client, container, completed)).status_code == 503
    (event,) = await _rows(container, WebhookEvent)
    assert await StripeWebhookService(container).process_stored(event.id) == "failed"
    assert (await _rows(container, WebhookEvent))[0].attempts == 2

    monkeypatch.undo()
    async with container.db.transaction() as session:  # make the queued retry due now
        await session.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))
    await JobWorker(container).drain()

    assert (await _rows(container, WebhookEvent))[0].status == "processed"
    assert (await _booking(container, booking.id)).status == "confirmed"
    assert await StripeWebhookService(container).process_stored(event.id) == "duplicate"


async def test_expired_session_releases_the_hold(container, client, held):
    tenant, booking = held
    events = await container.payments.cancel(booking.session_id)

    response = await _post(client, container, events[0])

    assert response.status_code == 200
    assert (await _booking(container, booking.id)).status == "expired"
    free = await client.get(
        "/v1/availability", params={"date": booking.event_date.isoformat()}, headers=tenant.headers
    )
    assert free.json()["available"] is True


async def test_a_failed_payment_is_recorded_and_the_hold_stays(container, client, held):
    _tenant, booking = held
    outcome, events = await container.payments.pay(booking.session_id, "4000 0000 0000 0002")
    assert outcome == "declined"

    response = await _post(client, container, events[0])

    assert response.status_code == 200
    assert (await _booking(container, booking.id)).status == "held"
    (failure,) = await _rows(container, AuditEntry, AuditEntry.action == "payment.failed")
    assert failure.after["code"] == "card_declined"


async def test_unknown_types_and_unknown_objects_are_recorded_and_acknowledged(container, client):
    unknown_type = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    unknown_session = stripe_event(
        "checkout.session.completed", {"id": "cs_not_ours", "payment_status": "paid"}
    )
    unknown_refund = stripe_event(
        "charge.refunded", {"id": "ch_1", "payment_intent": "pi_not_ours", "amount_refunded": 500}
    )
    unknown_account = stripe_event(
        "account.updated", {"id": "acct_nobody", "charges_enabled": True}
    )

    for event in (unknown_type, unknown_session, unknown_refund, unknown_account):
        response = await _post(client, container, event)
        assert response.status_code == 200, event["type"]
        expected = "ignored" if event is unknown_type else "processed"
        assert response.json()["outcome"] == expected, event["type"]

    stored = {e.type: e for e in await _rows(container, WebhookEvent)}
    assert {e.status for e in stored.values()} == {"processed"}
    assert "not handled" in (stored["customer.created"].last_error or "")
    assert "unknown payment" in (stored["charge.refunded"].last_error or "")


async def test_a_refund_made_in_stripe_is_recorded_and_a_full_one_refunds_the_booking(
    container, client
):
    tenant = await add_catalog(container, await make_tenant(container))
    booking = await confirmed_booking(container, tenant, days_ahead(container, 40))
    (payment,) = await _rows(container, Payment)
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": payment.processor_id,
        "amount": 350_000,
    }

    partial = stripe_event(
        "charge.refunded",
        charge | {"amount_refunded": 100_000, "refunds": {"data": [{"id": "re_1"}]}},
    )
    assert (await _post(client, container, partial)).status_code == 200
    assert (await _booking(container, booking.id)).status == "confirmed"
    full = stripe_event("charge.refunded", charge | {"amount_refunded": 350_000, "refunded": True})
    assert (await _post(client, container, full)).status_code == 200

    refreshed = await _booking(container, booking.id)
    assert (refreshed.status, refreshed.refunded_cents) == ("refunded", 350_000)
    (payment,) = await _rows(container, Payment)
    assert (payment.status, payment.refunded_cents, payment.application_fee_refunded_cents) == (
        "refunded",
        350_000,
        35_000,
    )
    refunds = await _rows(container, Refund)
    assert sorted(r.amount_cents for r in refunds) == [100_000, 250_000]
    assert [r.processor_refund_id for r in refunds if r.amount_cents == 100_000] == ["re_1"]


async def test_account_updated_stores_the_tenants_onboarding_state(container, client):
    tenant = await make_tenant(container, stripe_account_id="acct_1Tenant")
    account = {
        "id": "acct_1Tenant",
        "object": "account",
        "charges_enabled": True,
        "payouts_enabled": False,
        "details_submitted": True,
        "requirements": {"currently_due": ["external_account"]},
    }

    response = await _post(client, container, stripe_event("account.updated", account))

    assert response.status_code == 200
    async with container.db.sessionmaker() as session:
        row = await session.get(Tenant, tenant.id)
        assert row is not None
    assert (
        row.stripe_charges_enabled,
        row.stripe_payouts_enabled,
        row.stripe_details_submitted,
    ) == (True, False, True)
    assert row.stripe_requirements_due == ["external_account"]
    (audit,) = await _rows(
        container, AuditEntry, AuditEntry.action == "tenant.stripe_account_updated"
    )
    assert audit.after["chargesEnabled"] is True
    resolved = await container.resolver.resolve_key(tenant.public_key)
    assert resolved.stripe_charges_enabled is True  # cached resolution was dropped


async def test_a_session_paid_after_its_hold_expired_confirms_when_the_date_is_still_free(
    container, client, held
):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]
    container.clock.advance(timedelta(minutes=40))
    await JobWorker(container).run_periodic(force=True)  # the sweeper releases the hold
    assert (await _booking(container, booking.id)).status == "expired"

    assert (await _post(client, container, completed)).status_code == 200

    assert (await _booking(container, booking.id)).status == "confirmed"
    assert len(await _notification_jobs(container, booking.id)) == 3


async def test_a_session_paid_after_its_date_was_taken_is_refunded_automatically(
    container, client, held
):
    tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]
    container.clock.advance(timedelta(minutes=40))
    rival = await hold_booking(container, tenant, booking.event_date)  # takes the freed date

    assert (await _post(client, container, completed)).status_code == 200
    assert (await _booking(container, booking.id)).status == "expired"
    assert len(await _rows(container, Job, Job.kind == "payments.auto_refund")) == 1

    await JobWorker(container).drain()

    refunded = await _booking(container, booking.id)
    assert (refunded.status, refunded.refunded_cents) == ("refunded", 375_000)
    (payment,) = await _rows(container, Payment)
    assert (payment.status, payment.application_fee_refunded_cents) == ("refunded", 37_500)
    (refund,) = await _rows(container, Refund)
    assert refund.amount_cents == 375_000
    (stripe_refund,) = container.payments.refunds()
    assert stripe_refund["reverse_transfer"] is True
    assert stripe_refund["refund_application_fee"] is True
    jobs = await _rows(container, Job, Job.kind == "email.booking")
    told = sorted(j.payload["audience"] for j in jobs if j.payload["event"] == "auto_refunded")
    assert told == ["customer", "tenant"]
    assert (await _booking(container, rival.id)).status == "held"  # the rival keeps the date
    # Running the refund job again moves no more money.
    async with container.db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.kind == "payments.auto_refund")
            .values(status="pending", run_at=utcnow())
        )
    await JobWorker(container).drain()
    assert len(container.payments.refunds()) == 1
    assert len(await _rows(container, Refund)) == 1


def _counted(event_type: str, outcome: str) -> str:
    return f'mais_webhook_events_total{{outcome="{outcome}",type="{event_type}"}}'


async def test_every_webhook_event_is_counted_by_type_and_outcome(
    container, client, held, monkeypatch
):
    _tenant, booking = held
    completed = (await _paid_events(container, booking.session_id))[0]
    unknown = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    completed_type = "checkout.session.completed"
    watched = [
        (completed_type, "processed"),
        (completed_type, "duplicate"),
        (completed_type, "failed"),
        ("customer.created", "ignored"),
    ]
    before = {key: await scrape(client, _counted(*key)) for key in watched}

    async def fails(service, session, obj):
        raise RuntimeError("injected fault")

    with monkeypatch.context() as patch:
        patch.setitem(webhook_service.EVENT_HANDLERS, completed_type, fails)
        assert (await _post(client, container, completed)).status_code == 503
    assert (await _post(client, container, completed)).json()["outcome"] == "processed"
    assert (await _post(client, container, completed)).json()["outcome"] == "duplicate"
    assert (await _post(client, container, unknown)).json()["outcome"] == "ignored"

    for key in watched:
        assert await scrape(client, _counted(*key)) == before[key] + 1, key


def _delayed_session(booking, payment_status: str, status: str = "complete") -> dict:
    """A Checkout session paid with a delayed method (e.g. a bank debit)."""
    return {
        "id": booking.session_id,
        "object": "checkout.session",
        "status": status,
        "payment_status": payment_status,
        "payment_intent": "pi_delayed_1",
        "amount_total": booking.subtotal_cents,
        "currency": booking.currency,
        "metadata": {"booking_id": str(booking.id)},
    }


async def test_a_delayed_payment_confirms_only_when_it_succeeds(container, client, held):
    _tenant, booking = held
    completed = stripe_event("checkout.session.completed", _delayed_session(booking, "unpaid"))

    assert (await _post(client, container, completed)).json()["outcome"] == "processed"
    assert (await _booking(container, booking.id)).status == "held"
    assert await _rows(container, Payment) == []

    succeeded = stripe_event(
        "checkout.session.async_payment_succeeded", _delayed_session(booking, "paid")
    )
    assert (await _post(client, container, succeeded)).status_code == 200

    confirmed = await _booking(container, booking.id)
    assert (confirmed.status, confirmed.payment_intent_id) == ("confirmed", "pi_delayed_1")
    assert len(await _rows(container, Payment)) == 1
    assert len(await _notification_jobs(container, booking.id)) == 3


async def test_a_failed_delayed_payment_releases_the_hold(container, client, held):
    tenant, booking = held
    failed = stripe_event(
        "checkout.session.async_payment_failed", _delayed_session(booking, "unpaid")
    )

    assert (await _post(client, container, failed)).status_code == 200

    assert (await _booking(container, booking.id)).status == "expired"
    (audit,) = await _rows(
        container,
        AuditEntry,
        AuditEntry.action == "booking.expired",
        AuditEntry.entity_id == str(booking.id),
    )
    assert audit.after["cause"] == "async payment failed"
    free = await client.get(
        "/v1/availability", params={"date": booking.event_date.isoformat()}, headers=tenant.headers
    )
    assert free.json()["available"] is True
    assert await _notification_jobs(container, booking.id) == []
