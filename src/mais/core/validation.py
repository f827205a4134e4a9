"""Field types for API input: text as typed (control characters refused, never escaped or
rewritten), e-mail addresses, colours, https URLs and integer cents."""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

# C0 controls (except tab, LF, CR), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]")
_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")

MAX_CENTS = 100_000_000  # $1,000,000: far above any event package, below any overflow


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _single_line(value: str) -> str:
    _no_control(value)
    if _LINE_BREAK.search(value):
        raise PydanticCustomError("line_break", "must be a single line")
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value


def _email(value: str) -> str:
    """Validate, but keep the address exactly as typed (no normalisation)."""
    _single_line(value)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email", "is not a valid e-mail address: {reason}", {"reason": str(exc)}
        ) from exc
    return value


def _hex_color(value: str) -> str:
    if not _HEX_COLOR.match(value):
        raise PydanticCustomError("hex_color", "must be a colour written as #RRGGBB")
    return value.upper()


_HTTPS_URL = re.compile(r"^https://[^\s/?#@]+(?:[/?#]\S*)?$")


def is_https_url(value: str) -> bool:
    return bool(_HTTPS_URL.match(value)) and not _CONTROL.search(value)


# One line of text stored exactly as typed (titles, names, reasons).
TitleText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_single_line)
]
ReasonText = Annotated[
    str, StringConstraints(min_length=1, max_length=500), AfterValidator(_single_line)
]
# Free text with line breaks (descriptions).
DescriptionText = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_control)]
EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
HexColor = Annotated[str, AfterValidator(_hex_color)]
# JSON numbers only: "100", 100.0 and true are refused rather than coerced.
PriceCents = Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS)]
PositiveCents = Annotated[int, Field(strict=True, gt=0, le=MAX_CENTS)]
