"""The month calendar of the booking page: which days can be chosen, and in plain words
why the others cannot. Pure: it is handed the availability of the month and the
tenant's booking window, and the dates are the tenant's calendar dates throughout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from mais.availability.months import month_end, month_start
from mais.availability.service import BookingWindow, UnavailableReason

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

# Short words shown in the day cell, and the sentence for the legend and screen readers.
REASON_LABELS: dict[UnavailableReason, str] = {
    UnavailableReason.booked: "Booked",
    UnavailableReason.held: "On hold",
    UnavailableReason.blackout: "Closed",
    UnavailableReason.calendar: "Unavailable",
    UnavailableReason.past: "",
    UnavailableReason.too_soon: "Too soon",
    UnavailableReason.too_far: "Not open",
}
REASON_SENTENCES: dict[UnavailableReason, str] = {
    UnavailableReason.booked: "already booked",
    UnavailableReason.held: "someone is booking it right now",
    UnavailableReason.blackout: "the business is closed that day",
    UnavailableReason.calendar: "the business is not available that day",
    UnavailableReason.past: "in the past",
    UnavailableReason.too_soon: "too soon to book online",
    UnavailableReason.too_far: "too far ahead to book yet",
}


def parse_month(value: str | None) -> date | None:
    """`YYYY-MM` → the first of that month, or None."""
    match = _MONTH.match(value or "")
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return date(year, month, 1)


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def long_date(day: date) -> str:
    """ "Saturday, June 14, 2025" (the same words the e-mails use)."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    date: date
    reason: UnavailableReason | None
    is_today: bool
    is_selected: bool

    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def available(self) -> bool:
        return self.reason is None

    @property
    def short_reason(self) -> str:
        return REASON_LABELS[self.reason] if self.reason else ""

    @property
    def label(self) -> str:
        """What a screen reader announces for the day."""
        state = "available" if self.reason is None else REASON_SENTENCES[self.reason]
        today = ", today" if self.is_today else ""
        chosen = ", your chosen date" if self.is_selected else ""
        return f"{long_date(self.date)}{today}, {state}{chosen}"


@dataclass(frozen=True, slots=True)
class CalendarMonth:
    first: date
    weeks: list[list[CalendarDay | None]]  # Sunday first; None pads the first/last week
    previous: date | None  # first of the previous month, when there is anything to see
    next: date | None
    focus: date  # the one day reachable with Tab (roving focus moves with the arrows)
    reasons: list[tuple[str, str]]  # the legend: (label, sentence) of reasons shown

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def title(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def previous_key(self) -> str | None:
        return f"{self.previous:%Y-%m}" if self.previous else None

    @property
    def next_key(self) -> str | None:
        return f"{self.next:%Y-%m}" if self.next else None


def initial_month(window: BookingWindow, selected: date | None, asked: date | None) -> date:
    """The month to show: the one asked for (within reach), else the chosen date's, else
    the first month with a bookable day."""
    first_reachable = month_start(window.today)
    last_reachable = month_start(window.last_bookable)
    for candidate in (
        asked,
        selected and month_start(selected),
        month_start(window.first_bookable),
    ):
        if candidate is not None and first_reachable <= candidate <= last_reachable:
            return candidate
    return min(max(month_start(window.first_bookable), first_reachable), last_reachable)


def month_grid(
    first: date,
    window: BookingWindow,
    unavailable: dict[date, UnavailableReason],
    selected: date | None,
) -> CalendarMonth:
    last = month_end(first)
    days = [
        CalendarDay(
            date=day,
            reason=unavailable.get(day),
            is_today=day == window.today,
            is_selected=day == selected,
        )
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]
    lead = (first.weekday() + 1) % 7  # Monday=0 → Sunday-first column
    cells: list[CalendarDay | None] = [None] * lead + list(days)
    cells += [None] * (-len(cells) % 7)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]

    previous = _shift_month(first, -1)
    following = _shift_month(first, 1)
    focus = next(
        (d.date for d in days if d.is_selected),
        next((d.date for d in days if d.available), first),
    )
    shown = {d.reason for d in days if d.reason is not None and REASON_LABELS[d.reason]}
    legend = [
        (REASON_LABELS[reason], REASON_SENTENCES[reason])
        for reason in UnavailableReason
        if reason in shown
    ]
    return CalendarMonth(
        first=first,
        weeks=weeks,
        previous=previous if previous >= month_start(window.today) else None,
        next=following if following <= month_start(window.last_bookable) else None,
        focus=focus,
        reasons=legend,
    )
