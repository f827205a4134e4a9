"""The mock payment flow through HTTP only (SPEC §7): checkout → the mock checkout page →
pay with a test card → a signed webhook to our own endpoint → confirmed booking and
notification jobs. Declined cards and cancel too."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from mais.models import Job, WebhookEvent
from tests.factories.world import add_catalog, checkout_body, days_ahead, make_tenant


async def _checkout(client, container, tenant, offset: int = 30) -> dict:
    body = checkout_body(tenant, days_ahead(container, offset), add_ons=("Champagne",))
    response = await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _status(client, tenant, session_id: str) -> str:
    response = await client.get(f"/v1/bookings/by-session/{session_id}", headers=tenant.headers)
    assert response.status_code == 200
    return str(response.json()["status"])


async def test_paying_with_the_success_card_confirms_through_the_signed_webhook(
    container, client, webhooks_to_app
):
    tenant = await add_catalog(container, await make_tenant(container))
    out = await _checkout(client, container, tenant)

    page = await client.get(_path(out["checkoutUrl"]))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Garden Ceremony" in page.text
    assert "Champagne" in page.text
    assert "3,900.00 USD" in page.text
    assert re.search(r'<form method="post" action="/mock/checkout/[^"]+/pay">', page.text)

    paid = await client.post(
        f"/mock/checkout/{out['sessionId']}/pay", data={"card": "4242 4242 4242 4242"}
    )

    assert paid.status_code == 303
    success = urlsplit(paid.headers["location"])
    assert success.path == "/success"
    assert parse_qs(success.query)["session_id"] == [out["sessionId"]]
    assert await _status(client, tenant, out["sessionId"]) == "confirmed"
    async with container.db.sessionmaker() as session:
        events = (await session.execute(select(WebhookEvent))).scalars().all()
        jobs = (
            (
                await session.execute(
                    select(Job).where(Job.kind.in_(["email.booking", "calendar.sync"]))
                )
            )
            .scalars()
            .all()
        )
    assert {(e.type, e.status) for e in events} == {
        ("checkout.session.completed", "processed"),
        ("payment_intent.succeeded", "processed"),
    }
    assert sorted((j.kind, j.payload.get("audience", "")) for j in jobs) == [
        ("calendar.sync", ""),
        ("email.booking", "customer"),
        ("email.booking", "tenant"),
    ]
    again = await client.get(_path(out["checkoutUrl"]))
    assert "complete" in again.text  # a paid page cannot be paid twice
    assert (
        await client.post(
            f"/mock/checkout/{out['sessionId']}/pay", data={"card": "4242424242424242"}
        )
    ).status_code == 409


async def test_a_declined_card_says_so_and_the_hold_stays(container, client, webhooks_to_app):
    tenant = await add_catalog(container, await make_tenant(container))
    out = await _checkout(client, container, tenant)

    declined = await client.post(
        f"/mock/checkout/{out['sessionId']}/pay", data={"card": "4000 0000 0000 0002"}
    )

    assert declined.status_code == 402
    assert "Your card was declined" in declined.text
    assert await _status(client, tenant, out["sessionId"]) == "held"
    wrong = await client.post(f"/mock/checkout/{out['sessionId']}/pay", data={"card": "1234"})
    assert wrong.status_code == 422
    assert "4242 4242 4242 4242" in wrong.text
    # The customer tries again with a good card.
    paid = await client.post(
        f"/mock/checkout/{out['sessionId']}/pay", data={"card": "4242424242424242"}
    )
    assert paid.status_code == 303
    assert await _status(client, tenant, out["sessionId"]) == "confirmed"


async def test_cancel_returns_to_the_cancel_url_and_frees_the_date(
    container, client, webhooks_to_app
):
    tenant = await add_catalog(container, await make_tenant(container))
    out = await _checkout(client, container, tenant)

    canceled = await client.post(f"/mock/checkout/{out['sessionId']}/cancel")

    assert canceled.status_code == 303
    assert "canceled=1" in canceled.headers["location"]
    assert await _status(client, tenant, out["sessionId"]) == "expired"
    again = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 30)),
        headers=tenant.headers,
    )
    assert again.status_code == 201


async def test_unknown_mock_pages_are_404_html(client):
    assert (await client.get("/mock/checkout/cs_test_mock_nothing")).status_code == 404
    assert (await client.get("/mock/checkout/../../etc")).status_code == 404
    assert (await client.get("/mock/connect/acct_nobody")).status_code == 404


async def test_mock_connect_onboarding_completes_through_account_updated(
    container, client, webhooks_to_app
):
    from mais.audit.service import Actor
    from mais.models import Tenant
    from mais.payments.connect_service import ConnectService

    tenant = await make_tenant(container)
    async with container.db.transaction() as session:
        url = await ConnectService(session, container).start_onboarding(
            Actor(role="tenant_admin", label="owner"),
            tenant.id,
            return_url="http://testserver/tenant/stripe",
            refresh_url="http://testserver/tenant/stripe",
        )
    page = await client.get(_path(url))
    assert page.status_code == 200
    account_id = _path(url).split("/")[3].split("?")[0]

    done = await client.post(
        f"/mock/connect/{account_id}", data={"return_url": "http://testserver/tenant/stripe"}
    )

    assert done.status_code == 303
    assert done.headers["location"] == "http://testserver/tenant/stripe"
    async with container.db.sessionmaker() as session:
        row = await session.get(Tenant, tenant.id)
        assert row is not None
        assert (
            row.stripe_charges_enabled,
            row.stripe_payouts_enabled,
            row.stripe_details_submitted,
        ) == (True, True, True)
