"""The one source of "now" for booking rules (holds, availability, expiry sweeps).

Everything that decides by the time of day asks `container.clock`, so a test can freeze
or advance time in one place instead of patching `datetime` in every module."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date at `instant` in an IANA time zone (a tenant's "today")."""
    return instant.astimezone(ZoneInfo(timezone)).date()


class Clock:
    """Real UTC time, unless frozen (tests): then `now()` returns the frozen instant."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("freeze needs an aware datetime")
        self._frozen = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.freeze(self.now() + delta)

    def unfreeze(self) -> None:
        self._frozen = None
