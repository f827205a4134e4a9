"""Routes whose body is a JSON model accept only JSON bodies: anything else is 415.

FastAPI parses a body as JSON only when it is declared as JSON; otherwise it hands the raw
bytes to the body model, which fails validation. The app's validation-error handler asks
`is_undeclared_json_body` and answers 415 instead of 422 — so every route is covered with
nothing on the hot path (an application-wide dependency cost every request, GETs included,
a dependency resolution). Routes with form/multipart bodies (uploads) and routes that read
the raw request (the Stripe webhook, CSP reports) have no JSON body field: untouched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def is_undeclared_json_body(errors: Sequence[Any]) -> bool:
    """True when a validation failure is FastAPI refusing a body not declared as JSON: the
    body-level error then carries the raw bytes it could not parse as its input."""
    return any(
        tuple(error.get("loc", ()))[:1] == ("body",) and isinstance(error.get("input"), bytes)
        for error in errors
    )
