"""The booking form of the package page: what the customer typed, turned into a checkout
request, and every problem with it said in plain words next to its field."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from mais.bookings.schemas import MAX_NAME, MAX_NOTES, CheckoutIn
from mais.widget.calendar import parse_day

# Form field names (the HTML `name`s), and where the error summary links to.
EVENT_DATE = "event_date"
ADD_ON = "add_on"
COUPLE_NAME = "couple_name"
EMAIL = "email"
PHONE = "phone"
NOTES = "notes"
GENERAL = "general"
FIELD_ANCHORS = {
    EVENT_DATE: "calendar",
    ADD_ON: "add-ons",
    COUPLE_NAME: "couple_name",
    EMAIL: "email",
    PHONE: "phone",
    NOTES: "notes",
}

MESSAGES = {
    "date_missing": "Please choose a date on the calendar.",
    "date_past": "That date is in the past. Please choose another date.",
    "name_missing": "Please tell us your names, for example “Alex & Sam”.",
    "name_long": f"Please keep your names under {MAX_NAME} characters.",
    "name_bad": "Your names contain characters we cannot use. Please retype them.",
    "email_missing": "Please enter the e-mail address your confirmation should go to.",
    "email_bad": "That e-mail address does not look right. Please check it "
    "(it should look like name@example.com).",
    "phone_bad": "That phone number does not look right. Use digits, spaces and + ( ) . - "
    "only, or leave it empty.",
    "notes_long": f"Please keep your notes under {MAX_NOTES:,} characters.",
    "notes_bad": "Your notes contain characters we cannot use. Please retype them.",
    "add_on_gone": "One of the extras you chose is no longer offered. Please look at your "
    "extras again.",
    "package_gone": "This package is no longer offered. Please choose another one.",
    "return_refused": "We could not start the payment from this page. Please open the "
    "booking page again from the business's website.",
}

# Checkout's field names (camelCase on the wire) → ours.
_API_FIELDS = {
    "eventDate": EVENT_DATE,
    "event_date": EVENT_DATE,
    "coupleName": COUPLE_NAME,
    "couple_name": COUPLE_NAME,
    "email": EMAIL,
    "phone": PHONE,
    "notes": NOTES,
    "addOnIds": ADD_ON,
    "add_on_ids": ADD_ON,
    "packageId": GENERAL,
    "package_id": GENERAL,
}


@dataclass
class BookingForm:
    """The package page's form as posted (or prefilled), always re-renderable."""

    event_date: str = ""
    add_on_ids: list[str] = field(default_factory=list)
    couple_name: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""
    # A fresh key per rendered form: a double-click (or a resent POST) replays one
    # checkout instead of making two; a corrected form gets a new key.
    idempotency_key: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    @classmethod
    def from_form(cls, data: Any) -> BookingForm:
        """From Starlette's FormData (multi-valued `add_on`)."""

        def text(name: str, limit: int) -> str:
            value = data.get(name)
            return value[: limit + 1] if isinstance(value, str) else ""

        add_ons = [v for v in data.getlist(ADD_ON) if isinstance(v, str)][:50]
        return cls(
            event_date=text(EVENT_DATE, 10),
            add_on_ids=list(dict.fromkeys(v.strip().lower() for v in add_ons if v.strip())),
            couple_name=text(COUPLE_NAME, MAX_NAME),
            email=text(EMAIL, 320),
            phone=text(PHONE, 40),
            notes=text(NOTES, MAX_NOTES),
            idempotency_key=text("idempotency_key", 64) or secrets.token_urlsafe(18),
        )

    @property
    def chosen_date(self) -> date | None:
        return parse_day(self.event_date)

    def refreshed(self) -> BookingForm:
        """The same answers under a new idempotency key (the form is shown again)."""
        return BookingForm(
            self.event_date,
            list(self.add_on_ids),
            self.couple_name,
            self.email,
            self.phone,
            self.notes,
        )

    def checkout_request(
        self, package_id: str, return_url: str | None
    ) -> tuple[CheckoutIn | None, dict[str, str]]:
        """The checkout request, or the problems (field → plain message) that stop it."""
        problems: dict[str, str] = {}
        if self.chosen_date is None:
            problems[EVENT_DATE] = MESSAGES["date_missing"]
        if not self.couple_name.strip():
            problems[COUPLE_NAME] = MESSAGES["name_missing"]
        if not self.email.strip():
            problems[EMAIL] = MESSAGES["email_missing"]
        try:
            request = CheckoutIn(
                package_id=package_id,
                event_date=self.chosen_date or date.min,
                couple_name=self.couple_name,
                email=self.email.strip(),
                phone=self.phone or None,
                notes=self.notes or None,
                add_on_ids=self.add_on_ids,
                return_url=return_url,
            )
        except ValidationError as exc:
            for error in exc.errors():
                name = _API_FIELDS.get(str(error["loc"][0]) if error["loc"] else "", GENERAL)
                problems.setdefault(name, _plain(name, error["type"]))
            return None, problems
        return (None, problems) if problems else (request, {})


def _plain(name: str, error_type: str) -> str:
    long = error_type in ("string_too_long", "too_long")
    if name == COUPLE_NAME:
        return MESSAGES["name_long" if long else "name_bad"]
    if name == EMAIL:
        return MESSAGES["email_bad"]
    if name == PHONE:
        return MESSAGES["phone_bad"]
    if name == NOTES:
        return MESSAGES["notes_long" if long else "notes_bad"]
    if name == ADD_ON:
        return MESSAGES["add_on_gone"]
    if name == EVENT_DATE:
        return MESSAGES["date_missing"]
    return MESSAGES["package_gone"]


def problems_from_details(details: Iterable[Any] | None) -> dict[str, str]:
    """The checkout service's 422 details (`[{field, issue}]`) in plain words."""
    problems: dict[str, str] = {}
    for item in details or ():
        if not isinstance(item, dict):
            continue
        field_name = str(item.get("field", ""))
        name = _API_FIELDS.get(field_name, GENERAL)
        issue = str(item.get("issue", ""))
        if field_name == "returnUrl":
            problems.setdefault(GENERAL, MESSAGES["return_refused"])
        elif name == EVENT_DATE and "past" in issue:
            problems.setdefault(name, MESSAGES["date_past"])
        else:
            problems.setdefault(name, _plain(name, issue))
    return problems or {GENERAL: MESSAGES["package_gone"]}
