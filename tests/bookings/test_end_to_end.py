"""Issue 3 end to end, through HTTP as a customer and Stripe see it: checkout → the mock
checkout page → pay with 4242 → the signed webhook → a confirmed booking → both e-mails in
the outbox as `.eml` with a valid all-day `.ics` → the event on the tenant's calendar
(in-memory, or Google through its local fake); then cancel and refund → their e-mails and
the event gone. Also: a payment that arrives after its date was taken is refunded and both
parties are told; a worker killed between the commit and the send still sends once."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from icalendar import Calendar

from mais.adapters.calendar import event_id_for
from mais.jobs import worker as worker_module
from mais.jobs.worker import LEASE, JobWorker
from mais.models import utcnow
from tests.factories.world import (
    add_catalog,
    cancel_booking,
    checkout_body,
    days_ahead,
    make_tenant,
    refund_booking,
)

TIMEZONE = "Pacific/Auckland"
TENANT_INBOX = "hello@kiwi-weddings.example"
COUPLE = "ada.grace@example.com"
PLATFORM_CALENDAR = "platform@group.calendar.google.com"


@pytest.fixture(params=["memory", "google"])
def calendar_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_overrides(
    calendar_backend: str, fake_google: Any, service_account_key: Any
) -> dict[str, Any]:
    if calendar_backend == "memory":
        return {}
    fake_google.add_calendar(PLATFORM_CALENDAR)
    return {
        "google_service_account_json_base64": service_account_key.info_base64(
            fake_google.token_uri
        ),
        "google_api_base": fake_google.base_url,
        "google_calendar_id": PLATFORM_CALENDAR,
    }


@pytest.fixture
async def tenant(container: Any) -> Any:
    world = await make_tenant(container, timezone=TIMEZONE, notification_email=TENANT_INBOX)
    return await add_catalog(container, world)


# --- what left the system ------------------------------------------------------------------


def outbox(container: Any) -> list[EmailMessage]:
    """Every `.eml` the outbox adapter wrote, oldest first, parsed as a mail client would."""
    files = sorted(Path(container.settings.outbox_dir).glob("*.eml"))
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files
    ]


def by_subject(messages: list[EmailMessage], start: str) -> list[EmailMessage]:
    return [m for m in messages if str(m["Subject"]).startswith(start)]


def invite(message: EmailMessage) -> Calendar:
    """The message's single `.ics` attachment, parsed."""
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().endswith(".ics")
    assert attachment.get_content_type() == "text/calendar"
    return Calendar.from_ical(attachment.get_content())


def assert_readable_multipart(message: EmailMessage) -> None:
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None


def calendar_events(container: Any, tenant: Any, fake_google: Any) -> dict[str, date]:
    """Event id → all-day date on the tenant's calendar (either backend)."""
    if container.calendar.backend == "google":
        return {
            event_id: date.fromisoformat(event["start"]["date"])
            for event_id, event in fake_google.events[PLATFORM_CALENDAR].items()
        }
    return {
        event_id: event.date
        for event_id, event in container.calendar.events[f"memory:{tenant.id}"].items()
    }


def travel(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    """Move the job worker's clock (lease expiry) forward."""
    monkeypatch.setattr(worker_module, "utcnow", lambda: utcnow() + delta)


# --- the customer's side, over HTTP -----------------------------------------------------------


async def availability(client: Any, tenant: Any, day: date) -> dict[str, Any]:
    response = await client.get(
        "/v1/availability", params={"date": day.isoformat()}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def checkout(client: Any, tenant: Any, day: date, email_address: str) -> dict[str, Any]:
    body = checkout_body(
        tenant, day, add_ons=("Violinist",), email=email_address, couple_name="Ada & Grace"
    )
    response = await client.post("/v1/bookings/checkout", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def pay_on_the_checkout_page(client: Any, out: dict[str, Any]) -> httpx.Response:
    parts = urlsplit(out["checkoutUrl"])
    page = await client.get(parts.path)
    assert page.status_code == 200
    assert "Pay for your booking" in page.text
    return await client.post(f"{parts.path}/pay", data={"card": "4242 4242 4242 4242"})


async def booking_status(client: Any, tenant: Any, out: dict[str, Any]) -> str:
    response = await client.get(
        f"/v1/bookings/{out['bookingId']}",
        params={"token": out["accessToken"]},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


# --- the proofs ------------------------------------------------------------------------------


async def test_checkout_pay_confirm_mail_and_calendar_then_cancel_and_refund(
    container, client, webhooks_to_app, tenant, fake_google
):
    day = days_ahead(container, 45, TIMEZONE)
    assert (await availability(client, tenant, day))["available"] is True

    out = await checkout(client, tenant, day, COUPLE)
    assert (await availability(client, tenant, day))["reason"] == "held"
    paid = await pay_on_the_checkout_page(client, out)

    # The mock page sent a signed checkout.session.completed to /v1/webhooks/stripe.
    assert paid.status_code == 303
    assert f"session_id={out['sessionId']}" in paid.headers["location"]
    by_session = await client.get(
        f"/v1/bookings/by-session/{out['sessionId']}", headers=tenant.headers
    )
    assert by_session.json()["status"] == "confirmed"
    assert await booking_status(client, tenant, out) == "confirmed"
    assert outbox(container) == []  # nothing is sent inside the request

    await JobWorker(container).drain()  # `mais worker`

    messages = outbox(container)
    assert sorted(str(m["To"]) for m in messages) == sorted([COUPLE, TENANT_INBOX])
    booking_uid = f"booking-{out['bookingId']}@mais"
    for message in messages:
        assert_readable_multipart(message)
        ics = invite(message)
        assert str(ics["METHOD"]) == "REQUEST"
        assert str(ics["X-WR-TIMEZONE"]) == TIMEZONE
        [event] = ics.walk("VEVENT")
        assert str(event["UID"]) == booking_uid
        # All day on the tenant's date: DATE values, never shifted by a zone.
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert event.decoded("DTSTART") == day
        assert event.decoded("DTEND") == day + timedelta(days=1)
    [to_couple] = by_subject(messages, "Booking confirmed")
    assert str(to_couple["To"]) == COUPLE
    assert "Garden Ceremony" in to_couple.get_body(preferencelist=("plain",)).get_content()
    mailbox = await client.get("/dev/mailbox")
    assert mailbox.status_code == 200
    assert mailbox.text.count("Booking confirmed") == 1

    assert calendar_events(container, tenant, fake_google) == {event_id_for(out["bookingId"]): day}
    assert (await availability(client, tenant, day))["reason"] == "booked"

    # The tenant cancels, then refunds (the admin API calls the same service).
    await cancel_booking(container, tenant, out["bookingId"], "Venue flooded")
    await refund_booking(container, tenant, out["bookingId"])
    await JobWorker(container).drain()

    assert await booking_status(client, tenant, out) == "refunded"
    messages = outbox(container)
    canceled = by_subject(messages, "Booking canceled")
    assert sorted(str(m["To"]) for m in canceled) == sorted([COUPLE, TENANT_INBOX])
    for message in canceled:
        ics = invite(message)
        assert str(ics["METHOD"]) == "CANCEL"
        [event] = ics.walk("VEVENT")
        assert (str(event["UID"]), str(event["STATUS"])) == (booking_uid, "CANCELLED")
    refunded = by_subject(messages, "Refund issued")
    assert sorted(str(m["To"]) for m in refunded) == sorted([COUPLE, TENANT_INBOX])
    assert len(messages) == 6
    assert calendar_events(container, tenant, fake_google) == {}
    assert (await availability(client, tenant, day))["available"] is True
    [refund] = container.payments.refunds()
    assert (refund["amount"], refund["reverse_transfer"], refund["refund_application_fee"]) == (
        375_000,
        True,
        True,
    )


async def test_a_payment_that_arrives_after_its_date_was_taken_is_refunded_and_both_are_told(
    container, client, app, tenant, fake_google
):
    day = days_ahead(container, 60, TIMEZONE)
    late = await checkout(client, tenant, day, COUPLE)
    # Stripe cannot reach us while the couple pays: the page says the notification failed.
    container.payments.webhook_transport = httpx.MockTransport(lambda _: httpx.Response(503))
    paid = await pay_on_the_checkout_page(client, late)
    assert paid.status_code == 502
    assert "did not accept the notification" in paid.text

    container.clock.advance(timedelta(minutes=40))  # the hold has expired...
    rival = await checkout(client, tenant, day, "someone.else@example.com")  # ...and is taken

    # Stripe delivers again once we are reachable.
    container.payments.webhook_transport = httpx.ASGITransport(app=app)
    redelivered = await client.post(f"/mock/checkout/{late['sessionId']}/redeliver")
    assert redelivered.status_code == 303

    await JobWorker(container).drain()  # the refund job, then the e-mails it queues

    assert await booking_status(client, tenant, late) == "refunded"
    assert await booking_status(client, tenant, rival) == "held"  # the rival keeps the date
    [refund] = container.payments.refunds()
    assert (refund["amount"], refund["reverse_transfer"], refund["refund_application_fee"]) == (
        375_000,
        True,
        True,
    )
    messages = outbox(container)
    [to_couple] = by_subject(messages, "We could not confirm")
    [to_tenant] = by_subject(messages, "Automatic refund")
    assert (str(to_couple["To"]), str(to_tenant["To"])) == (COUPLE, TENANT_INBOX)
    assert "refunded in full" in to_couple.get_body(preferencelist=("plain",)).get_content()
    assert len(messages) == 2  # no confirmation was ever sent for the late payment
    assert calendar_events(container, tenant, fake_google) == {}


async def test_a_worker_killed_between_the_commit_and_the_send_still_sends_each_email_once(
    container, client, webhooks_to_app, tenant, fake_google, monkeypatch
):
    out = await checkout(client, tenant, days_ahead(container, 70, TIMEZONE), COUPLE)
    assert (await pay_on_the_checkout_page(client, out)).status_code == 303

    doomed = JobWorker(container, name="doomed-worker")
    claimed = await doomed.claim()  # committed as running ... and then the process dies
    assert {job.kind for job in claimed} == {"email.booking", "calendar.sync"}
    survivor = JobWorker(container, name="survivor")
    assert await survivor.drain() == 0  # the dead worker's lease still holds
    assert outbox(container) == []

    travel(monkeypatch, LEASE + timedelta(seconds=1))
    await survivor.drain()
    await survivor.drain()  # and once more: nothing is left to send

    assert sorted(str(m["To"]) for m in outbox(container)) == sorted([COUPLE, TENANT_INBOX])
    assert list(calendar_events(container, tenant, fake_google)) == [event_id_for(out["bookingId"])]
