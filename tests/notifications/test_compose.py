"""What each booking e-mail says, for every event and audience, and that user text is inert."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

import pytest

from mais.notifications.compose import (
    booking_reference,
    compose_booking_email,
    format_money,
)
from mais.notifications.events import BookingEvent
from mais.tenants.branding import BrandingOut
from tests.notifications.facts import sample_facts

HOSTILE_NAME = '<script>alert("couple")</script>'
HOSTILE_TITLE = '<img src=x onerror=alert(1)> Garden "Ceremony"'


class _Elements(HTMLParser):
    """Collects the tags and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("event", "audience"), list(itertools.product(BookingEvent, ["customer", "tenant"]))
)
def test_every_event_and_audience_has_html_and_text_with_the_essentials(event, audience):
    facts = sample_facts(refunded_cents=415_000, status="refunded")
    if event is BookingEvent.confirmed:
        facts = sample_facts()

    message = compose_booking_email(facts, event, audience)

    assert "(ref 7F3A-09C2)" in message.subject
    assert message.tag == f"booking-{event.value}-{audience}"
    assert message.metadata["event"] == event.value
    assert message.from_name == "Kiwi Events"
    for body in (message.html, message.text):
        assert "7F3A-09C2" in body
        assert "Saturday, June 14, 2025" in body
        assert "Garden Ceremony" in body
        assert "Violinist" in body
        assert "$250.00" in body
        assert "support@maconaisolutions.com" in body
    if audience == "customer":
        assert (message.to, message.reply_to) == ("couple@example.com", "hello@kiwi.example")
    else:
        assert (message.to, message.reply_to) == ("hello@kiwi.example", "couple@example.com")


def test_customer_confirmation_shows_lines_total_link_and_invite_but_no_commission():
    message = compose_booking_email(sample_facts(), BookingEvent.confirmed, "customer")

    assert message.subject.startswith("Booking confirmed: Garden Ceremony on Saturday")
    for body in (message.html, message.text):
        assert "$3,500.00" in body
        assert "$400.00" in body
        assert "Total paid" in body
        assert "$4,150.00" in body
        assert "commission" not in body.lower()
        assert "Your net" not in body
    assert 'href="http://testserver/success?session_id=cs_test_1"' in message.html
    assert "View your booking: http://testserver/success?session_id=cs_test_1" in message.text
    [invite] = message.attachments
    assert invite.filename == "booking-7F3A-09C2.ics"
    assert invite.content_type == "text/calendar; charset=utf-8; method=REQUEST"


def test_tenant_notice_shows_commission_net_and_the_couples_details():
    message = compose_booking_email(sample_facts(), BookingEvent.confirmed, "tenant")

    assert message.subject.startswith("New booking: Alex & Sam on Saturday, June 14, 2025")
    for body in (message.text, message.html):
        assert "Platform commission (10%)" in body
        assert "-$415.00" in body
        assert "Your net" in body
        assert "$3,735.00" in body
        assert "+64 21 555 0100" in body
        assert "Ceremony at 3 pm" in body
    assert "/tenant/bookings/7f3a09c2-1111-4222-8333-444455556666" in message.html


def test_hostile_couple_names_and_titles_arrive_inert_in_html():
    facts = sample_facts(
        couple_name=HOSTILE_NAME,
        package_title=HOSTILE_TITLE,
        notes="</td><script>steal()</script>",
        cancel_reason="<iframe src=//evil>",
        status="canceled",
    )

    for event, audience in itertools.product(BookingEvent, ["customer", "tenant"]):
        html = compose_booking_email(facts, event, audience).html
        elements = _elements(html)
        assert "script" not in elements.tags
        assert "iframe" not in elements.tags
        assert elements.tags.count("img") <= 1  # only the tenant's logo
        assert not any(name.startswith("on") for name, _ in elements.attributes)
        assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, as text
        if audience == "tenant":
            assert "&lt;script&gt;alert(&#34;couple&#34;)&lt;/script&gt;" in html


def test_hostile_text_stays_literal_in_the_plain_text_part_and_subject_is_one_line():
    facts = sample_facts(couple_name="Alex\r\nBcc: spy@evil.test <b>")

    message = compose_booking_email(facts, BookingEvent.confirmed, "tenant")

    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert "<b>" in message.text  # plain text is not HTML; nothing to escape


def test_branding_colours_and_logo_are_used_and_unsafe_values_are_dropped():
    good = compose_booking_email(sample_facts(), BookingEvent.confirmed, "customer").html
    assert "background:#1D4E89" in good
    assert 'src="https://cdn.example.com/kiwi/logo.png"' in good
    assert "Helvetica" in good

    hostile = BrandingOut(
        name="Kiwi Events",
        primary_color="red;background:url(//evil)",
        secondary_color="#FFFFFF",
        accent_color="#C8A97E",
        background_color="#FFFFFF",
        font_family="Comic Sans'; } body{display:none}",
        logo_url="javascript:alert(1)",
    )
    html = compose_booking_email(
        sample_facts(branding=hostile), BookingEvent.confirmed, "customer"
    ).html
    assert "evil" not in html
    assert "javascript:" not in html
    assert "display:none" not in html
    assert "<img" not in html


def test_light_brand_colour_gets_dark_header_text():
    light = sample_facts(
        branding=BrandingOut(
            name="Kiwi Events",
            primary_color="#F4ECE6",
            secondary_color="#FFFFFF",
            accent_color="#FFE8A3",
            background_color="#FFFFFF",
            font_family="Georgia",
            logo_url=None,
        )
    )
    html = compose_booking_email(light, BookingEvent.confirmed, "customer").html
    assert "background:#F4ECE6;color:#111111" in html


def test_cancellation_names_the_reason_and_cancels_the_invite():
    facts = sample_facts(status="canceled", cancel_reason="Venue flooded")

    message = compose_booking_email(facts, BookingEvent.canceled, "customer")

    assert message.subject.startswith("Booking canceled")
    assert "Venue flooded" in message.text
    [invite] = message.attachments
    assert "method=CANCEL" in invite.content_type


def test_partial_refund_says_the_amount_and_that_the_booking_stands():
    facts = sample_facts(refunded_cents=25_000)

    customer = compose_booking_email(facts, BookingEvent.refunded, "customer")
    tenant = compose_booking_email(facts, BookingEvent.refunded, "tenant")

    assert "refunded $250.00 of the $4,150.00" in customer.text
    assert "remains confirmed" in customer.text
    assert "Refunded: -$250.00" in customer.text
    assert "has been refunded $250.00 of $4,150.00" in tenant.text


def test_automatic_refund_explains_the_lost_date_and_the_full_amount():
    facts = sample_facts(status="refunded", refunded_cents=415_000)

    customer = compose_booking_email(facts, BookingEvent.auto_refunded, "customer")
    tenant = compose_booking_email(facts, BookingEvent.auto_refunded, "tenant")

    assert "booked by someone else" in customer.text
    assert "$4,150.00 has been refunded in full" in customer.text
    assert customer.attachments == ()  # there never was an invitation
    assert "refunded in full automatically" in tenant.text


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (415_000, "usd", "$4,150.00"),
        (5, "usd", "$0.05"),
        (-41_500, "usd", "-$415.00"),
        (123_456, "nzd", "NZ$1,234.56"),
        (5_000, "jpy", "5,000 JPY"),
        (99, "chf", "0.99 CHF"),
    ],
)
def test_money_is_formatted_from_integer_cents(cents, currency, expected):
    assert format_money(cents, currency) == expected


def test_booking_reference_is_short_and_derived_from_the_id():
    facts = sample_facts()
    assert booking_reference(facts.booking_id) == "7F3A-09C2"
