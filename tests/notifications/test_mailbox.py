"""The dev mailbox pages: list, message, sandboxed HTML, attachments; mock mode only."""

from __future__ import annotations

from typing import Any

import pytest
from icalendar import Calendar

from mais.adapters.email import Attachment, EmailMessage
from tests.adapters.email.test_postmark import ICS
from tests.factories.world import REAL_ADAPTERS

HOSTILE_SUBJECT = '<script>alert("subject")</script> Booking'


async def _send(container: Any, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "to": "couple@example.com",
        "subject": HOSTILE_SUBJECT,
        "html": "<p>Hello</p><script>parent.document.title='owned'</script>",
        "text": "Hello <b>Alex</b>",
        "from_name": "Kiwi Events",
        "attachments": (
            Attachment("booking-7F3A.ics", "text/calendar; charset=utf-8; method=REQUEST", ICS),
        ),
        "tag": "booking-confirmed-customer",
    }
    values.update(overrides)
    return str(await container.email.send(EmailMessage(**values)))


async def test_the_list_shows_recipient_subject_and_time_escaped(container, client):
    message_id = await _send(container)

    response = await client.get("/dev/mailbox")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # no scripts at all on these pages
    assert "frame-ancestors 'none'" in csp
    page = response.text
    assert "couple@example.com" in page
    assert f'href="/dev/mailbox/{message_id}"' in page
    assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt; Booking" in page
    assert "<script>" not in page
    assert "booking-7F3A.ics" in page


async def test_an_empty_outbox_says_so(container, client):
    response = await client.get("/dev/mailbox")

    assert response.status_code == 200
    assert "No messages yet" in response.text


async def test_a_message_page_shows_text_escaped_and_html_in_a_sandboxed_frame(container, client):
    message_id = await _send(container)

    response = await client.get(f"/dev/mailbox/{message_id}")

    assert response.status_code == 200
    page = response.text
    assert "<script>" not in page
    assert "Hello &lt;b&gt;Alex&lt;/b&gt;" in page
    assert f'<iframe class="preview" sandbox src="/dev/mailbox/{message_id}/html"' in page
    assert f'href="/dev/mailbox/{message_id}/attachments/0"' in page
    assert "DTSTART;VALUE=DATE:20250614" in page  # the ICS, shown as text


async def test_the_html_part_is_served_under_a_sandbox_policy(container, client):
    message_id = await _send(container)

    response = await client.get(f"/dev/mailbox/{message_id}/html")

    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert csp.startswith("sandbox;")
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "x-frame-options" not in response.headers  # the mailbox page may frame it
    assert "<p>Hello</p>" in response.text


async def test_attachments_download_as_files(container, client):
    message_id = await _send(container)

    response = await client.get(f"/dev/mailbox/{message_id}/attachments/0")

    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="booking-7F3A.ics"'
    assert response.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(response.content).walk("VEVENT")[0]["UID"] == "booking-1@mais"
    missing = await client.get(f"/dev/mailbox/{message_id}/attachments/5")
    assert missing.status_code == 404


async def test_the_stylesheet_is_served_from_the_app(container, client):
    response = await client.get("/dev/mailbox/mailbox.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path", ["nope", "..%2F..%2Fetc%2Fpasswd", "20250101T000000000000-deadbeef"]
)
async def test_unknown_or_malformed_message_ids_are_404(container, client, path):
    response = await client.get(f"/dev/mailbox/{path}")

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


class TestRealMode:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return REAL_ADAPTERS

    async def test_the_mailbox_does_not_exist_outside_mock_mode(self, container, client):
        message_id = await _send(container)  # outbox fallback: no Postmark token

        for path in ("", "/mailbox.css", f"/{message_id}", f"/{message_id}/html"):
            response = await client.get(f"/dev/mailbox{path}")
            assert response.status_code == 404
            assert response.json()["error"] == "NOT_FOUND"
