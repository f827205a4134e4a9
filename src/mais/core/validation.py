"""Field types for API input: text as typed (control characters refused, never escaped or
rewritten), e-mail addresses, colours, https URLs and integer cents; and the rules every
string of every request obeys whatever its field says (`refuse_unsafe_text`, applied to
each request body by `mais.core.schemas.InputModel`, and `url_problem`, applied to every
URL by the request middleware)."""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

# C0 controls (except tab, LF, CR), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Lone surrogates (JSON's "\\ud800") are not text: no encoder, PostgreSQL included, takes them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# In a URL nothing below a space is text: line breaks and tabs included.
_URL_CONTROL_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same controls percent-encoded in a URL (%00-%1F, %7F, and C1 as UTF-8 %C2%80-%C2%9F),
# or sent raw by a client that does not encode them.
_URL_CONTROL = re.compile(rb"%(?:[01][0-9A-Fa-f]|7[Ff]|[Cc]2%[89][0-9A-Fa-f])|[\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]")
_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")

# The longest string any request field may hold unless its type says less (descriptions
# are the longest text we take).
MAX_TEXT_LENGTH = 5000
MAX_CENTS = 100_000_000  # $1,000,000: far above any event package, below any overflow


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def refuse_unsafe_text(value: object) -> object:
    """`value` unchanged, or a 422 error if any string in it (lists and objects walked)
    holds a control character other than tab and line breaks, or a lone surrogate. It is
    the floor under every request field: a field's own type may refuse more."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise PydanticCustomError("control_characters", "must not contain control characters")
        if _SURROGATE.search(value):
            raise PydanticCustomError("invalid_unicode", "must be valid Unicode text")
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_unsafe_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_unsafe_text(key)
            refuse_unsafe_text(item)
    return value


def url_problem(path: str, query_string: bytes) -> str | None:
    """Why a request's URL cannot be taken (control characters in its path or query), or
    None. Checked once for every request, so no route has to remember it."""
    if _URL_CONTROL_TEXT.search(path):
        return "path"
    if query_string and _URL_CONTROL.search(query_string):
        return "query"
    return None


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
