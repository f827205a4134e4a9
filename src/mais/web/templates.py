"""The one Jinja2 environment for server-rendered pages and e-mails.

Templates live next to their domain (`src/mais/<domain>/templates/`) and are named with
the domain as prefix: `notifications/email/booking.html`. Autoescaping is on for every
template except plain text (`.txt`), so user text is inert in HTML by default."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, PrefixLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

# Domains with a `templates/` folder; add yours here.
TEMPLATE_DOMAINS = ("notifications",)


@cache
def environment() -> Environment:
    return Environment(
        loader=PrefixLoader(
            {domain: PackageLoader(f"mais.{domain}", "templates") for domain in TEMPLATE_DOMAINS}
        ),
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def html_page(
    name: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status_code, headers=headers)
