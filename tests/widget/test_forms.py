"""The package form's problems in plain words, from our checks and from checkout's."""

from __future__ import annotations

from starlette.datastructures import FormData

from mais.widget.forms import (
    ADD_ON,
    COUPLE_NAME,
    EMAIL,
    EVENT_DATE,
    GENERAL,
    NOTES,
    PHONE,
    BookingForm,
    problems_from_details,
)

PACKAGE = "4a5d6c0e-0000-4000-8000-000000000000"


def test_a_complete_form_becomes_a_checkout_request():
    form = BookingForm.from_form(
        FormData(
            [
                ("event_date", "2025-06-14"),
                ("couple_name", "  Ada   &  Grace "),
                ("email", " ada@example.com "),
                ("phone", ""),
                ("notes", "Outdoor if sunny"),
                ("add_on", "ABC"),
                ("add_on", "abc"),
                ("idempotency_key", "k-1"),
            ]
        )
    )

    request, problems = form.checkout_request(PACKAGE, None)

    assert problems == {}
    assert request is not None
    assert request.couple_name == "Ada & Grace"
    assert str(request.email) == "ada@example.com"
    assert request.phone is None
    assert request.add_on_ids == ["abc"]  # one each, as checkout expects ids
    assert form.idempotency_key == "k-1"


def test_every_missing_or_wrong_answer_gets_its_own_sentence():
    form = BookingForm(
        event_date="14/06/2025",
        couple_name="",
        email="ada.example.com",
        phone="ring me",
        notes="x" * 2001,
    )

    request, problems = form.checkout_request(PACKAGE, None)

    assert request is None
    assert problems[EVENT_DATE] == "Please choose a date on the calendar."
    assert problems[COUPLE_NAME].startswith("Please tell us your names")
    assert "does not look right" in problems[EMAIL]
    assert "phone number does not look right" in problems[PHONE]
    assert problems[NOTES] == "Please keep your notes under 2,000 characters."
    assert all("validation" not in message.lower() for message in problems.values())


def test_checkouts_own_refusals_are_translated_too():
    problems = problems_from_details(
        [
            {"field": "eventDate", "issue": "is in the past"},
            {"field": "addOnIds", "issue": "abc is not offered with this package"},
            {"field": "returnUrl", "issue": "origin not allowed"},
        ]
    )

    assert problems[EVENT_DATE] == "That date is in the past. Please choose another date."
    assert "no longer offered" in problems[ADD_ON]
    assert "could not start the payment" in problems[GENERAL]
    assert problems_from_details(None) == {GENERAL: problems_from_details([])[GENERAL]}


def test_showing_the_form_again_gives_it_a_new_idempotency_key_and_keeps_the_answers():
    form = BookingForm(event_date="2025-06-14", couple_name="Ada", add_on_ids=["a"])

    again = form.refreshed()

    assert again.idempotency_key != form.idempotency_key
    assert (again.event_date, again.couple_name, again.add_on_ids) == ("2025-06-14", "Ada", ["a"])
