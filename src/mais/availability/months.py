"""Calendar-month arithmetic shared by availability, its caches and the widget's calendar:
a month is named by its first day."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_covering(start: date, end: date) -> list[date]:
    """The first day of every month that [start, end] touches."""
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = month_end(current) + timedelta(days=1)
    return months
