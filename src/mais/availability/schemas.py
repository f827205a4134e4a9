"""Public availability shapes (SPEC §4)."""

from __future__ import annotations

from datetime import date

from mais.availability.service import UnavailableReason
from mais.core.schemas import ApiModel


class DayAvailabilityOut(ApiModel):
    date: date
    available: bool
    reason: UnavailableReason | None


class UnavailableDateOut(ApiModel):
    date: date
    reason: UnavailableReason


class UnavailableDatesOut(ApiModel):
    dates: list[UnavailableDateOut]
