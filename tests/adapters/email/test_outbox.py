"""The mock e-mail adapter writes real, parseable `.eml` files and an index."""

from __future__ import annotations

import email
import email.policy
import json

from icalendar import Calendar

from mais.adapters.email import Attachment, EmailMessage
from mais.adapters.email.outbox import OutboxEmail
from tests.adapters.email.test_postmark import ICS


def _message(subject: str = "Booking confirmed", to: str = "couple@example.com") -> EmailMessage:
    return EmailMessage(
        to=to,
        subject=subject,
        html="<p>Hello <strong>Alex</strong></p>",
        text="Hello Alex",
        from_name="Kiwi Events",
        reply_to="owner@kiwi.example",
        attachments=(
            Attachment("booking.ics", "text/calendar; charset=utf-8; method=REQUEST", ICS),
        ),
        tag="booking-confirmed-customer",
        metadata={"booking_id": "b-1"},
    )


async def test_each_message_is_a_multipart_eml_with_text_html_and_the_ics(tmp_path):
    outbox = OutboxEmail(tmp_path / "outbox", "bookings@mais.test")

    message_id = await outbox.send(_message())

    raw = (tmp_path / "outbox" / f"{message_id}.eml").read_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert parsed.get_body(("plain",)).get_content().strip() == "Hello Alex"
    assert "<strong>Alex</strong>" in parsed.get_body(("html",)).get_content()
    assert str(parsed["From"]) == "Kiwi Events <bookings@mais.test>"
    assert str(parsed["To"]) == "couple@example.com"
    assert str(parsed["Reply-To"]) == "owner@kiwi.example"
    assert parsed["Message-ID"]
    assert parsed["Date"]
    assert json.loads(str(parsed["X-MAIS-Metadata"])) == {"booking_id": "b-1"}
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "booking.ics"
    event = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    assert event["UID"] == "booking-1@mais"


async def test_index_lists_messages_newest_first_and_read_returns_the_parts(tmp_path):
    outbox = OutboxEmail(tmp_path, "bookings@mais.test")
    first = await outbox.send(_message("First"))
    second = await outbox.send(_message("Second", to="other@example.com"))

    entries = await outbox.list_messages()

    assert [e.id for e in entries] == [second, first]
    assert (entries[0].to, entries[0].subject) == ("other@example.com", "Second")
    assert entries[0].attachments == ("booking.ics",)
    stored = await outbox.read(first)
    assert stored is not None
    assert stored.subject == "First"
    assert stored.text.strip() == "Hello Alex"
    assert "<strong>" in stored.html
    assert stored.attachments[0].data == ICS
    assert stored.attachments[0].content_type.startswith("text/calendar")


async def test_read_refuses_ids_that_are_not_outbox_ids(tmp_path):
    outbox = OutboxEmail(tmp_path / "outbox", "bookings@mais.test")
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nno")

    assert await outbox.read("../secret") is None
    assert await outbox.read("20250101T000000000000-deadbeef") is None


async def test_a_torn_index_line_is_skipped(tmp_path):
    outbox = OutboxEmail(tmp_path, "bookings@mais.test")
    await outbox.send(_message())
    with outbox.index_path.open("a") as index:
        index.write('{"id": "20250101T00')

    assert len(await outbox.list_messages()) == 1
