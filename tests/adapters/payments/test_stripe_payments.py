"""The real Stripe adapter (official SDK) against a local fake of Stripe's API: the exact
form-encoded requests, headers and idempotency keys, and what checkout does when Stripe
fails (the hold is released and the client gets 503/502)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from mais.adapters.payments import STRIPE_API_VERSION
from mais.adapters.payments.mock import stripe_event
from mais.adapters.payments.stripe import StripePayments
from mais.audit.service import Actor
from mais.bookings.service import BookingService
from mais.jobs.worker import JobWorker
from mais.models import Booking, Refund, Tenant
from mais.payments.connect_service import ConnectService
from tests.factories.services import free_port
from tests.factories.world import (
    add_catalog,
    checkout_body,
    days_ahead,
    deliver_stripe_event,
    make_tenant,
)
from tests.fakes.stripe import FakeStripe

SECRET_KEY = "sk_test_51FakeKeyForLocalTests"
ADMIN = Actor(role="tenant_admin", label="owner@example.com")


@pytest.fixture
def settings_overrides(fake_stripe: FakeStripe) -> dict[str, Any]:
    return {
        "adapters_preset": "real",
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": "whsec_local_test_secret",
        "stripe_success_url": "https://app.example.com/success",
        "stripe_cancel_url": "https://app.example.com/",
        "stripe_api_base": fake_stripe.url,
    }


async def _onboarded(container):
    tenant = await make_tenant(
        container, stripe_account_id="acct_1Dest", stripe_charges_enabled=True
    )
    return await add_catalog(container, tenant)


async def _bookings(container) -> int:
    async with container.db.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Booking))).scalar_one())


async def test_checkout_sends_stripe_a_destination_charge_with_the_commission(
    container, client, fake_stripe
):
    assert isinstance(container.payments, StripePayments)
    tenant = await _onboarded(container)
    day = days_ahead(container, 30)
    body = checkout_body(tenant, day, add_ons=("Violinist",), email="ada@example.com")

    response = await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)

    assert response.status_code == 201, response.text
    out = response.json()
    assert out["sessionId"] == "cs_test_fake_1"
    assert out["checkoutUrl"] == "https://checkout.stripe.test/c/pay/cs_test_fake_1"
    sent = fake_stripe.last("/v1/checkout/sessions")
    assert sent.method == "POST"
    assert sent.headers["idempotency-key"] == f"mais-checkout-{out['bookingId']}"
    assert sent.headers["stripe-version"] == STRIPE_API_VERSION
    assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent.headers["content-type"].startswith("application/x-www-form-urlencoded")
    expires = int(datetime.fromisoformat(out["expiresAt"]).timestamp())
    form = sent.form
    assert form["mode"] == "payment"
    assert form["customer_email"] == "ada@example.com"
    assert form["client_reference_id"] == out["bookingId"]
    assert form["expires_at"] == str(expires)
    assert form["metadata[booking_id]"] == out["bookingId"]
    assert form["metadata[tenant_id]"] == str(tenant.id)
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][unit_amount]"] == "350000"
    assert form["line_items[0][price_data][product_data][name]"] == "Garden Ceremony"
    assert form["line_items[1][price_data][unit_amount]"] == "25000"
    assert form["line_items[1][price_data][product_data][name]"] == "Violinist"
    assert "line_items[2][quantity]" not in form
    assert form["payment_intent_data[application_fee_amount]"] == "37500"
    assert form["payment_intent_data[transfer_data][destination]"] == "acct_1Dest"
    assert form["payment_intent_data[metadata][booking_id]"] == out["bookingId"]
    assert form["success_url"] == (
        f"https://app.example.com/success?session_id={{CHECKOUT_SESSION_ID}}&tenant={tenant.slug}"
        f"&booking={out['bookingId']}"
    )
    assert form["cancel_url"].startswith("https://app.example.com/?canceled=1&tenant=")


async def test_a_tenant_without_finished_onboarding_cannot_take_paid_bookings(
    container, client, fake_stripe
):
    tenant = await add_catalog(
        container, await make_tenant(container, stripe_account_id="acct_half")
    )
    response = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 30)),
        headers=tenant.headers,
    )
    assert response.status_code == 409
    assert response.json()["error"] == "TENANT_NOT_ONBOARDED"
    assert fake_stripe.requests == []


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("server_error", 503, "PAYMENT_PROVIDER_UNAVAILABLE"),
        ("bad_request", 502, "PAYMENT_PROVIDER_ERROR"),
    ],
)
async def test_a_stripe_failure_releases_the_hold(
    container, client, fake_stripe, mode, status, code
):
    tenant = await _onboarded(container)
    day = days_ahead(container, 31)
    fake_stripe.mode = mode

    failed = await client.post(
        "/v1/bookings/checkout", json=checkout_body(tenant, day), headers=tenant.headers
    )

    assert failed.status_code == status
    assert failed.json()["error"] == code
    assert await _bookings(container) == 0
    free = await client.get(
        "/v1/availability", params={"date": day.isoformat()}, headers=tenant.headers
    )
    assert free.json()["available"] is True
    fake_stripe.mode = "ok"
    retried = await client.post(
        "/v1/bookings/checkout", json=checkout_body(tenant, day), headers=tenant.headers
    )
    assert retried.status_code == 201


async def test_a_stripe_timeout_is_503_and_leaves_no_hold(container, client, fake_stripe):
    await container.payments.close()
    container.payments = StripePayments(
        SECRET_KEY, api_base=fake_stripe.url, timeout_seconds=0.3, max_network_retries=0
    )
    tenant = await _onboarded(container)
    day = days_ahead(container, 32)
    fake_stripe.mode, fake_stripe.delay = "slow", 1.5

    response = await client.post(
        "/v1/bookings/checkout", json=checkout_body(tenant, day), headers=tenant.headers
    )

    assert response.status_code == 503
    assert response.json()["error"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert response.headers["retry-after"] == "30"
    assert await _bookings(container) == 0


@pytest.mark.parametrize("outage", ["timeout", "server_error", "unreachable"])
async def test_after_a_stripe_outage_the_same_idempotency_key_books_the_date(
    container, client, fake_stripe, outage
):
    """The customer's retry (same Idempotency-Key, as the widget sends) is not answered
    with the stored failure nor refused as a reused key: the failed attempt left nothing."""
    await container.payments.close()
    api_base = f"http://127.0.0.1:{free_port()}" if outage == "unreachable" else fake_stripe.url
    container.payments = StripePayments(
        SECRET_KEY, api_base=api_base, timeout_seconds=0.3, max_network_retries=0
    )
    tenant = await _onboarded(container)
    day = days_ahead(container, 34)
    body = checkout_body(tenant, day)
    headers = tenant.headers | {"Idempotency-Key": "retry-after-outage-1"}
    fake_stripe.mode, fake_stripe.delay = ("slow", 1.5) if outage == "timeout" else (outage, 0)

    failed = await client.post("/v1/bookings/checkout", json=body, headers=headers)

    assert failed.status_code == 503
    assert failed.json()["error"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert "Traceback" not in failed.text
    assert await _bookings(container) == 0
    free = await client.get("/v1/availability", params={"date": day.isoformat()}, headers=headers)
    assert free.json()["available"] is True

    await container.payments.close()
    container.payments = StripePayments(SECRET_KEY, api_base=fake_stripe.url)
    fake_stripe.mode = "ok"
    retried = await client.post("/v1/bookings/checkout", json=body, headers=headers)

    assert retried.status_code == 201, retried.text
    assert await _bookings(container) == 1
    taken = await client.get("/v1/availability", params={"date": day.isoformat()}, headers=headers)
    assert taken.json()["reason"] == "held"


async def _confirmed_through_stripe(container, client, tenant) -> str:
    response = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 33), add_ons=("Violinist",)),
        headers=tenant.headers,
    )
    assert response.status_code == 201
    session = {
        "id": "cs_test_fake_1",
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_fake_1",
        "amount_total": 375_000,
        "currency": "usd",
        "metadata": {"booking_id": response.json()["bookingId"]},
    }
    assert (
        await deliver_stripe_event(container, stripe_event("checkout.session.completed", session))
        == "processed"
    )
    return str(response.json()["bookingId"])


async def test_refunds_reverse_the_transfer_and_give_back_the_fee_in_proportion(
    container, client, fake_stripe
):
    tenant = await _onboarded(container)
    booking_id = await _confirmed_through_stripe(container, client, tenant)

    async with container.db.transaction() as session:
        booking = await BookingService(session, container, tenant.id).refund(
            ADMIN, booking_id, 100_000
        )
        assert booking.status == "confirmed"

    sent = fake_stripe.last("/v1/refunds")
    assert sent.form == {
        "payment_intent": "pi_fake_1",
        "amount": "100000",
        "reverse_transfer": "true",
        "refund_application_fee": "true",
        "metadata[booking_id]": booking_id,
        "metadata[tenant_id]": str(tenant.id),
    }
    assert sent.headers["idempotency-key"].startswith("mais-refund-")
    assert sent.headers["idempotency-key"].endswith("-0-100000")

    async with container.db.transaction() as session:
        booking = await BookingService(session, container, tenant.id).refund(ADMIN, booking_id)
        assert booking.status == "refunded"
    assert fake_stripe.last("/v1/refunds").form["amount"] == "275000"
    async with container.db.sessionmaker() as session:
        refunds = (
            (await session.execute(select(Refund).order_by(Refund.amount_cents))).scalars().all()
        )
    # 37,500 fee: 100,000 of 375,000 → ceil(10,000) back; the rest on the full refund.
    assert [(r.amount_cents, r.application_fee_refunded_cents) for r in refunds] == [
        (100_000, 10_000),
        (275_000, 27_500),
    ]


async def test_canceling_a_hold_closes_its_stripe_session(container, client, fake_stripe):
    tenant = await _onboarded(container)
    response = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 34)),
        headers=tenant.headers,
    )
    async with container.db.transaction() as session:
        await BookingService(session, container, tenant.id).cancel(
            ADMIN, response.json()["bookingId"], "changed plans"
        )

    await JobWorker(container).drain()

    assert fake_stripe.last("/v1/checkout/sessions/cs_test_fake_1/expire").method == "POST"


async def test_connect_onboarding_creates_an_express_account_a_link_and_reads_its_status(
    container, fake_stripe
):
    tenant = await make_tenant(container)

    async with container.db.transaction() as session:
        url = await ConnectService(session, container).start_onboarding(
            ADMIN,
            tenant.id,
            return_url="https://app.example.com/tenant/stripe/done",
            refresh_url="https://app.example.com/tenant/stripe/retry",
        )
    assert url == "https://connect.stripe.test/setup/e/acct_fake_1"
    account = fake_stripe.last("/v1/accounts")
    assert account.form["type"] == "express"
    assert account.form["email"] == tenant.email
    assert account.form["capabilities[card_payments][requested]"] == "true"
    assert account.form["capabilities[transfers][requested]"] == "true"
    assert account.form["metadata[tenant_id]"] == str(tenant.id)
    assert account.headers["idempotency-key"] == f"mais-connect-account-{tenant.id}"
    link = fake_stripe.last("/v1/account_links")
    assert link.form == {
        "account": "acct_fake_1",
        "return_url": "https://app.example.com/tenant/stripe/done",
        "refresh_url": "https://app.example.com/tenant/stripe/retry",
        "type": "account_onboarding",
    }

    async with container.db.transaction() as session:
        status = await ConnectService(session, container).refresh_status(ADMIN, tenant.id)
    assert status is not None
    assert status.charges_enabled is True
    assert fake_stripe.last("/v1/accounts/acct_fake_1").method == "GET"
    async with container.db.sessionmaker() as session:
        row = await session.get(Tenant, tenant.id)
        assert row is not None
        assert (row.stripe_account_id, row.stripe_charges_enabled) == ("acct_fake_1", True)
