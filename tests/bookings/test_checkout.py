"""POST /v1/bookings/checkout and the customer's booking views (SPEC §4), mock payments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from mais.adapters.payments import MockPayments
from mais.bookings.service import CHECKOUT_EXPIRY_MARGIN, hash_token
from mais.models import AuditEntry, Booking, BookingAddOn, Customer, IdempotencyRecord, Package
from tests.factories.world import (
    add_catalog,
    checkout_body,
    confirmed_booking,
    days_ahead,
    hold_booking,
    make_tenant,
)


async def _count(container, model, *where) -> int:
    async with container.db.sessionmaker() as session:
        return int(
            (
                await session.execute(select(func.count()).select_from(model).where(*where))
            ).scalar_one()
        )


async def test_checkout_holds_the_date_prices_from_the_database_and_opens_a_session(
    container, client
):
    tenant = await add_catalog(container, await make_tenant(container, commission_percent="12.5"))
    container.clock.freeze(datetime.now(UTC).replace(microsecond=0))
    day = days_ahead(container, 30)
    body = checkout_body(tenant, day, add_ons=("Violinist",), email="Ada@Example.com") | {
        "phone": "+1 555 0100",
        "notes": "Outdoor if sunny",
    }

    response = await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)

    assert response.status_code == 201, response.text
    out = response.json()
    assert set(out) == {
        "bookingId",
        "sessionId",
        "checkoutUrl",
        "expiresAt",
        "accessToken",
        "totals",
    }
    # 3,500.00 + 250.00 = 3,750.00; 12.5 % = 468.75 → 46,875 cents exactly.
    assert out["totals"] == {
        "subtotalCents": 375_000,
        "commissionCents": 46_875,
        "tenantNetCents": 328_125,
        "currency": "usd",
    }
    assert out["checkoutUrl"] == f"http://testserver/mock/checkout/{out['sessionId']}"
    expected_expiry = container.clock.now() + timedelta(minutes=30) + CHECKOUT_EXPIRY_MARGIN
    assert datetime.fromisoformat(out["expiresAt"]) == expected_expiry
    assert len(out["accessToken"]) >= 40

    async with container.db.sessionmaker() as session:
        booking = await session.get(Booking, uuid.UUID(out["bookingId"]))
        assert booking is not None
        assert booking.status == "held"
        assert booking.event_date == day
        assert booking.hold_expires_at == expected_expiry
        assert booking.checkout_session_id == out["sessionId"]
        assert booking.access_token_hash == hash_token(out["accessToken"])  # never the token itself
        assert (booking.commission_bps, booking.package_price_cents) == (1250, 350_000)
        assert (booking.phone, booking.notes) == ("+1 555 0100", "Outdoor if sunny")
        snapshot = (
            (
                await session.execute(
                    select(BookingAddOn).where(BookingAddOn.booking_id == booking.id)
                )
            )
            .scalars()
            .all()
        )
        assert [(a.title, a.price_cents) for a in snapshot] == [("Violinist", 25_000)]

    session_data = container.payments.get_session(out["sessionId"])
    assert session_data["amount_total"] == 375_000
    assert session_data["payment_intent_data"]["application_fee_amount"] == 46_875
    assert session_data["metadata"] == {"booking_id": out["bookingId"], "tenant_id": str(tenant.id)}
    assert session_data["expires_at"] == int(expected_expiry.timestamp())
    assert "session_id={CHECKOUT_SESSION_ID}" in session_data["success_url"]
    assert f"tenant={tenant.slug}" in session_data["success_url"]
    assert await _count(container, AuditEntry, AuditEntry.action == "booking.held") == 1


async def test_prices_changed_after_the_hold_do_not_change_the_booking(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    held = await hold_booking(container, tenant, days_ahead(container, 31), add_ons=("Champagne",))
    async with container.db.transaction() as session:  # no catalog edit service yet
        await session.execute(update(Package).values(price_cents=1))

    response = await client.get(
        f"/v1/bookings/{held.id}", params={"token": held.access_token}, headers=tenant.headers
    )

    assert response.status_code == 200
    assert response.json()["totals"]["subtotalCents"] == 390_000
    assert response.json()["addOns"][0]["priceCents"] == 40_000


async def test_summary_by_token_and_by_session_have_the_spec_shape(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 32)
    held = await hold_booking(
        container, tenant, day, add_ons=("Violinist", "Champagne"), couple_name="Sam & Alex"
    )

    by_token = await client.get(
        f"/v1/bookings/{held.id}", params={"token": held.access_token}, headers=tenant.headers
    )
    by_session = await client.get(
        f"/v1/bookings/by-session/{held.session_id}", headers=tenant.headers
    )

    assert by_token.status_code == by_session.status_code == 200
    summary = by_token.json()
    assert summary == by_session.json()
    assert set(summary) == {
        "id",
        "status",
        "eventDate",
        "coupleName",
        "email",
        "package",
        "addOns",
        "totals",
        "expiresAt",
    }
    assert summary["status"] == "held"
    assert summary["eventDate"] == day.isoformat()
    assert summary["coupleName"] == "Sam & Alex"
    assert summary["package"] == {
        "id": str(tenant.packages["garden"].id),
        "title": "Garden Ceremony",
    }
    assert [a["title"] for a in summary["addOns"]] == ["Violinist", "Champagne"]
    assert set(summary["addOns"][0]) == {"id", "title", "priceCents"}
    assert datetime.fromisoformat(summary["expiresAt"]) == held.expires_at


async def test_booking_without_a_valid_token_is_not_found(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    held = await hold_booking(container, tenant, days_ahead(container, 33))
    for params in ({}, {"token": "nope"}, {"token": held.access_token[:-1]}):
        response = await client.get(
            f"/v1/bookings/{held.id}", params=params, headers=tenant.headers
        )
        assert response.status_code == 404
        assert response.json()["error"] == "NOT_FOUND"
    assert (
        await client.get("/v1/bookings/not-a-uuid", params={"token": "x"}, headers=tenant.headers)
    ).status_code == 404
    assert (
        await client.get("/v1/bookings/by-session/cs_unknown", headers=tenant.headers)
    ).status_code == 404


async def test_another_tenants_booking_and_session_are_not_found(container, client):
    alpha = await add_catalog(container, await make_tenant(container))
    beta = await add_catalog(container, await make_tenant(container))
    held = await hold_booking(container, alpha, days_ahead(container, 34))

    by_token = await client.get(
        f"/v1/bookings/{held.id}", params={"token": held.access_token}, headers=beta.headers
    )
    by_session = await client.get(
        f"/v1/bookings/by-session/{held.session_id}", headers=beta.headers
    )
    checkout = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(beta, days_ahead(container, 35))
        | {"packageId": str(alpha.packages["garden"].id)},
        headers=beta.headers,
    )

    assert by_token.status_code == by_session.status_code == 404
    assert checkout.status_code == 422  # alpha's package is unknown to beta


async def test_invalid_input_is_422_with_the_field_named(container, client):
    tenant = await add_catalog(
        container,
        await make_tenant(container),
        add_ons=[
            {"title": "Violinist", "price_cents": 25_000},
            {"title": "Retired", "price_cents": 1_000, "active": False},
            {"title": "Elsewhere", "price_cents": 5_000},
        ],
        packages=[
            {
                "slug": "garden",
                "title": "Garden",
                "price_cents": 350_000,
                "active": True,
                "add_ons": ["Violinist", "Retired"],
            },
            {"slug": "draft", "title": "Draft", "price_cents": 1_000, "active": False},
        ],
    )
    day = days_ahead(container, 40)
    good = checkout_body(tenant, day)
    cases = {
        "packageId": good | {"packageId": "nope"},
        "packageId ": good | {"packageId": "draft"},
        "addOnIds": good | {"addOnIds": [str(tenant.add_ons["Elsewhere"].id)]},
        "addOnIds ": good | {"addOnIds": [str(tenant.add_ons["Retired"].id)]},
        "addOnIds  ": good | {"addOnIds": ["not-an-id"]},
        "email": good | {"email": "not an email"},
        "coupleName": good | {"coupleName": "   "},
        "coupleName ": good | {"coupleName": "x" * 201},
        "notes": good | {"notes": "x" * 2001},
        "phone": good | {"phone": "call me maybe"},
        "eventDate": good | {"eventDate": "15/06/2030"},
        "eventDate ": good | {"eventDate": days_ahead(container, -1).isoformat()},
        "surprise": good | {"surprise": True},
        "returnUrl": good | {"returnUrl": "https://evil.example.com/thanks"},
    }
    for field, body in cases.items():
        response = await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)
        assert response.status_code == 422, (field, response.text)
        error = response.json()
        assert error["error"] == "VALIDATION_ERROR"
        assert any(d["field"].strip() == field.strip() for d in error["details"]), (field, error)
    assert await _count(container, Booking) == 0


async def test_a_taken_or_closed_date_is_409_with_the_reason(container, client):
    tenant = await add_catalog(
        container, await make_tenant(container, min_notice_days=3, max_days_ahead=200)
    )
    held_day, booked_day = days_ahead(container, 50), days_ahead(container, 51)
    await hold_booking(container, tenant, held_day)
    await confirmed_booking(container, tenant, booked_day)
    for day, reason in (
        (held_day, "held"),
        (booked_day, "booked"),
        (days_ahead(container, 1), "too_soon"),
        (days_ahead(container, 201), "too_far"),
    ):
        response = await client.post(
            "/v1/bookings/checkout", json=checkout_body(tenant, day), headers=tenant.headers
        )
        assert response.status_code == 409
        assert response.json()["error"] == "DATE_UNAVAILABLE"
        assert response.json()["details"] == {"date": day.isoformat(), "reason": reason}


async def test_a_stale_hold_gives_way_to_a_new_checkout_in_the_same_transaction(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 60)
    stale = await hold_booking(container, tenant, day)
    container.clock.advance(timedelta(minutes=31, seconds=1))

    response = await client.post(
        "/v1/bookings/checkout", json=checkout_body(tenant, day), headers=tenant.headers
    )

    assert response.status_code == 201
    async with container.db.sessionmaker() as session:
        old = await session.get(Booking, stale.id)
        assert old is not None
        assert old.status == "expired"
    expired = (AuditEntry.action == "booking.expired", AuditEntry.entity_id == str(stale.id))
    assert await _count(container, AuditEntry, *expired, AuditEntry.actor_label == "hold expiry")


async def test_a_checkout_without_a_phone_keeps_the_customers_phone(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    for offset, phone in ((72, "+1 555 0199"), (73, None)):
        body = checkout_body(
            tenant, days_ahead(container, offset), email="lee@example.com", phone=phone
        )
        assert (
            await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)
        ).status_code == 201
    async with container.db.sessionmaker() as session:
        (customer,) = (
            (await session.execute(select(Customer).where(Customer.tenant_id == tenant.id)))
            .scalars()
            .all()
        )
    assert customer.phone == "+1 555 0199"


async def test_customers_are_upserted_per_tenant_and_email(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    for offset, email in ((70, "pat@example.com"), (71, "PAT@example.com")):
        body = checkout_body(
            tenant, days_ahead(container, offset), email=email, couple_name=f"Pat {offset}"
        )
        assert (
            await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)
        ).status_code == 201
    async with container.db.sessionmaker() as session:
        customers = (
            (await session.execute(select(Customer).where(Customer.tenant_id == tenant.id)))
            .scalars()
            .all()
        )
    assert len(customers) == 1
    assert customers[0].name == "Pat 71"


async def test_same_idempotency_key_and_body_replays_the_same_response(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    body = checkout_body(tenant, days_ahead(container, 80))
    headers = tenant.headers | {"Idempotency-Key": "order-123"}

    first = await client.post("/v1/bookings/checkout", json=body, headers=headers)
    second = await client.post(
        "/v1/bookings/checkout", json=dict(reversed(list(body.items()))), headers=headers
    )

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()  # the access token too
    assert await _count(container, Booking) == 1
    async with container.db.sessionmaker() as session:
        record = (await session.execute(select(IdempotencyRecord))).scalar_one()
    assert first.json()["accessToken"] not in str(record.response_body)  # stored sealed


async def test_same_idempotency_key_with_another_body_is_refused(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    headers = tenant.headers | {"Idempotency-Key": "order-124"}
    first = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 81)),
        headers=headers,
    )
    other = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 82)),
        headers=headers,
    )

    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(container, Booking) == 1


async def test_idempotency_keys_are_per_tenant_and_errors_are_not_stored(container, client):
    alpha = await add_catalog(container, await make_tenant(container))
    beta = await add_catalog(container, await make_tenant(container))
    key = {"Idempotency-Key": "shared-key"}
    a = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(alpha, days_ahead(container, 83)),
        headers=alpha.headers | key,
    )
    b = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(beta, days_ahead(container, 83)),
        headers=beta.headers | key,
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["bookingId"] != b.json()["bookingId"]

    bad = checkout_body(alpha, days_ahead(container, -5))
    retry_key = {"Idempotency-Key": "after-error"}
    assert (
        await client.post("/v1/bookings/checkout", json=bad, headers=alpha.headers | retry_key)
    ).status_code == 422
    assert await _count(container, IdempotencyRecord, IdempotencyRecord.key == "after-error") == 0
    too_long = await client.post(
        "/v1/bookings/checkout", json=bad, headers=alpha.headers | {"Idempotency-Key": "k" * 300}
    )
    assert too_long.status_code == 422


async def test_mock_mode_lets_a_tenant_without_stripe_onboarding_take_bookings(container, client):
    tenant = await add_catalog(container, await make_tenant(container))
    assert isinstance(container.payments, MockPayments)
    response = await client.post(
        "/v1/bookings/checkout",
        json=checkout_body(tenant, days_ahead(container, 90)),
        headers=tenant.headers,
    )
    assert response.status_code == 201


async def test_a_return_url_on_an_allowed_origin_is_where_checkout_comes_back(container, client):
    tenant = await add_catalog(
        container,
        await make_tenant(container, allowed_embed_origins=["https://weddings.example.com"]),
    )
    body = checkout_body(tenant, days_ahead(container, 91)) | {
        "returnUrl": "https://weddings.example.com/book?step=done"
    }
    response = await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)
    assert response.status_code == 201
    session_data = container.payments.get_session(response.json()["sessionId"])
    assert session_data["success_url"].startswith(
        "https://weddings.example.com/book?step=done&session_id={CHECKOUT_SESSION_ID}"
    )
