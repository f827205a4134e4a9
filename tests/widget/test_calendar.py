"""The month grid: weeks from Sunday, reasons in words, how far the customer may move."""

from __future__ import annotations

from datetime import date

from mais.availability.service import BookingWindow, UnavailableReason
from mais.widget.calendar import initial_month, month_grid, parse_day, parse_month

WINDOW = BookingWindow(
    today=date(2025, 6, 10), first_bookable=date(2025, 6, 12), last_bookable=date(2025, 9, 5)
)


def test_a_month_starts_on_its_weekday_column_and_pads_the_last_week():
    grid = month_grid(date(2025, 6, 1), WINDOW, {}, None)  # June 1st 2025 is a Sunday

    assert grid.weeks[0][0] is not None
    assert grid.weeks[0][0].date == date(2025, 6, 1)
    july = month_grid(date(2025, 7, 1), WINDOW, {}, None)  # a Tuesday
    assert july.weeks[0][:2] == [None, None]
    assert july.weeks[0][2] is not None
    assert all(len(week) == 7 for week in july.weeks)
    assert july.weeks[-1][-1] is None  # July 31st is a Thursday


def test_days_say_why_they_cannot_be_chosen():
    unavailable = {
        date(2025, 6, 9): UnavailableReason.past,
        date(2025, 6, 11): UnavailableReason.too_soon,
        date(2025, 6, 14): UnavailableReason.booked,
        date(2025, 6, 21): UnavailableReason.blackout,
    }

    grid = month_grid(date(2025, 6, 1), WINDOW, unavailable, date(2025, 6, 28))
    days = {d.date: d for week in grid.weeks for d in week if d is not None}

    assert days[date(2025, 6, 14)].label == "Saturday, June 14, 2025, already booked"
    assert days[date(2025, 6, 14)].short_reason == "Booked"
    assert days[date(2025, 6, 10)].label == "Tuesday, June 10, 2025, today, available"
    assert days[date(2025, 6, 28)].label.endswith("available, your chosen date")
    assert days[date(2025, 6, 9)].short_reason == ""  # past days are just faded
    assert [label for label, _ in grid.reasons] == ["Booked", "Closed", "Too soon"]
    assert grid.focus == date(2025, 6, 28)


def test_the_first_open_day_takes_the_focus_when_nothing_is_chosen():
    unavailable = {date(2025, 6, d): UnavailableReason.past for d in range(1, 10)}

    grid = month_grid(date(2025, 6, 1), WINDOW, unavailable, None)

    assert grid.focus == date(2025, 6, 10)


def test_the_customer_moves_between_this_month_and_the_last_bookable_one():
    june = month_grid(date(2025, 6, 1), WINDOW, {}, None)
    september = month_grid(date(2025, 9, 1), WINDOW, {}, None)

    assert june.previous is None
    assert june.next_key == "2025-07"
    assert september.previous_key == "2025-08"
    assert september.next is None


def test_the_month_shown_is_the_one_asked_for_else_the_chosen_dates_else_the_first_open():
    assert initial_month(WINDOW, None, date(2025, 8, 1)) == date(2025, 8, 1)
    assert initial_month(WINDOW, date(2025, 7, 19), None) == date(2025, 7, 1)
    assert initial_month(WINDOW, None, None) == date(2025, 6, 1)
    assert initial_month(WINDOW, None, date(2031, 1, 1)) == date(2025, 6, 1)  # out of reach
    late = BookingWindow(date(2025, 6, 28), date(2025, 7, 2), date(2025, 9, 5))
    assert initial_month(late, None, None) == date(2025, 7, 1)


def test_month_and_day_parameters_are_parsed_strictly():
    assert parse_month("2025-07") == date(2025, 7, 1)
    assert parse_month("2025-13") is None
    assert parse_month("2025-7") is None
    assert parse_month(None) is None
    assert parse_day("2025-07-04") == date(2025, 7, 4)
    assert parse_day("04/07/2025") is None
