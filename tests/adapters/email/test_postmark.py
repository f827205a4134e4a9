"""The Postmark adapter against a local fake of Postmark's HTTP API."""

from __future__ import annotations

import base64

import httpx
import pytest
from icalendar import Calendar

from mais.adapters.email import (
    Attachment,
    EmailMessage,
    EmailSendFailed,
    EmailUndeliverable,
)
from mais.adapters.email.postmark import PostmarkEmail

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:booking-1@mais\r\nDTSTAMP:20250101T000000Z\r\n"
    b"DTSTART;VALUE=DATE:20250614\r\nDTEND;VALUE=DATE:20250615\r\nSUMMARY:Wedding\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _message(**overrides: object) -> EmailMessage:
    values: dict[str, object] = {
        "to": "couple@example.com",
        "subject": "Booking confirmed",
        "html": "<p>Hello</p>",
        "text": "Hello",
        "from_name": 'Kiwi "Best" Events',
        "reply_to": "owner@kiwi.example",
        "attachments": (
            Attachment("booking.ics", "text/calendar; charset=utf-8; method=REQUEST", ICS),
        ),
        "tag": "booking-confirmed-customer",
        "metadata": {"booking_id": "b-1", "event": "confirmed"},
    }
    values.update(overrides)
    return EmailMessage(**values)  # type: ignore[arg-type]


@pytest.fixture
async def postmark(fake_postmark):
    adapter = PostmarkEmail(
        fake_postmark.token,
        "bookings@mais.test",
        api_base=fake_postmark.base_url,
        timeout=httpx.Timeout(0.5),
    )
    yield adapter
    await adapter.close()


async def test_send_posts_the_message_to_postmark_with_token_sender_and_ics(
    postmark, fake_postmark
):
    message_id = await postmark.send(_message())

    assert message_id
    [request] = fake_postmark.requests
    assert (request.method, request.path) == ("POST", "/email")
    assert request.headers["x-postmark-server-token"] == fake_postmark.token
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["From"] == '"Kiwi \\"Best\\" Events" <bookings@mais.test>'
    assert body["To"] == "couple@example.com"
    assert body["ReplyTo"] == "owner@kiwi.example"
    assert body["Subject"] == "Booking confirmed"
    assert body["HtmlBody"] == "<p>Hello</p>"
    assert body["TextBody"] == "Hello"
    assert body["Tag"] == "booking-confirmed-customer"
    assert body["Metadata"] == {"booking_id": "b-1", "event": "confirmed"}
    assert body["MessageStream"] == "outbound"
    [attachment] = body["Attachments"]
    assert attachment["Name"] == "booking.ics"
    assert attachment["ContentType"] == "text/calendar; charset=utf-8; method=REQUEST"
    calendar = Calendar.from_ical(base64.b64decode(attachment["Content"]))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert calendar.walk("VEVENT")[0]["UID"] == "booking-1@mais"


async def test_inactive_recipient_is_undeliverable(postmark, fake_postmark):
    fake_postmark.inactive.add("bounced@example.com")

    with pytest.raises(EmailUndeliverable, match="inactive"):
        await postmark.send(_message(to="bounced@example.com"))
    assert fake_postmark.accepted == []


async def test_other_422_refusals_are_permanent_too(postmark, fake_postmark):
    fake_postmark.fail_next(422, {"ErrorCode": 300, "Message": "Invalid 'To' address: 'x'."})

    with pytest.raises(EmailUndeliverable, match="ErrorCode 300"):
        await postmark.send(_message())


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_server_errors_and_rate_limits_are_transient(postmark, fake_postmark, status):
    fake_postmark.fail_next(status)

    with pytest.raises(EmailSendFailed, match=str(status)):
        await postmark.send(_message())
    # ...and the next attempt goes through.
    assert await postmark.send(_message())
    assert len(fake_postmark.accepted) == 1


async def test_a_wrong_server_token_is_transient_not_undeliverable(fake_postmark):
    adapter = PostmarkEmail("wrong-token", "bookings@mais.test", api_base=fake_postmark.base_url)
    try:
        with pytest.raises(EmailSendFailed, match="401"):
            await adapter.send(_message())
    finally:
        await adapter.close()


async def test_a_slow_postmark_times_out_as_a_transient_failure(postmark, fake_postmark):
    fake_postmark.delay_next(2.0)

    with pytest.raises(EmailSendFailed, match="timed out"):
        await postmark.send(_message())


async def test_unreachable_postmark_is_transient(fake_postmark):
    base = fake_postmark.base_url
    fake_postmark.stop()
    adapter = PostmarkEmail(fake_postmark.token, "bookings@mais.test", api_base=base)
    try:
        with pytest.raises(EmailSendFailed, match="unreachable"):
            await adapter.send(_message())
    finally:
        await adapter.close()


async def test_line_breaks_in_subject_and_sender_name_are_flattened(postmark, fake_postmark):
    await postmark.send(_message(subject="Hi\r\nBcc: x@evil.test", from_name="Evil\nName"))

    body = fake_postmark.accepted[0]
    assert body["Subject"] == "Hi Bcc: x@evil.test"
    assert body["From"] == '"Evil Name" <bookings@mais.test>'
