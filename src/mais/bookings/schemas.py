"""Checkout request and booking summary shapes (SPEC §4)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

from pydantic import EmailStr, Field, field_validator

from mais.core.schemas import ApiModel, InputModel

MAX_NAME = 200
MAX_NOTES = 2000
MAX_PHONE = 40
MAX_ADD_ONS = 20
_PHONE = re.compile(r"^\+?[0-9 ().\-]{5,40}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CheckoutIn(InputModel):
    package_id: str = Field(min_length=1, max_length=100, description="Package id or slug")
    event_date: date = Field(description="YYYY-MM-DD in the tenant's time zone")
    couple_name: str = Field(max_length=MAX_NAME)
    email: EmailStr = Field(max_length=320)
    phone: str | None = Field(default=None, max_length=MAX_PHONE)
    notes: str | None = Field(default=None, max_length=MAX_NOTES)
    add_on_ids: list[str] = Field(default_factory=list, max_length=MAX_ADD_ONS)
    return_url: str | None = Field(
        default=None,
        max_length=2000,
        description="Optional page to return to after payment; its origin must be one of the "
        "tenant's allowed embed origins (or this site's).",
    )

    @field_validator("couple_name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not _PHONE.match(value):
            raise ValueError("must be a phone number (digits, spaces, + ( ) . -)")
        return value

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value.strip()


class TotalsOut(ApiModel):
    subtotal_cents: int
    commission_cents: int
    tenant_net_cents: int
    currency: str


class CheckoutOut(ApiModel):
    booking_id: uuid.UUID
    session_id: str
    checkout_url: str
    expires_at: datetime
    access_token: str
    totals: TotalsOut


class PackageRefOut(ApiModel):
    id: uuid.UUID
    title: str


class BookedAddOnOut(ApiModel):
    id: uuid.UUID
    title: str
    price_cents: int


class BookingSummaryOut(ApiModel):
    id: uuid.UUID
    status: str
    event_date: date
    couple_name: str
    email: str
    package: PackageRefOut
    add_ons: list[BookedAddOnOut]
    totals: TotalsOut
    expires_at: datetime | None
