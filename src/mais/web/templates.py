"""The one Jinja2 environment for server-rendered pages and e-mails.

Templates live next to their domain (`src/mais/<domain>/templates/`) and are named with
the domain as prefix: `notifications/email/booking.html`. Autoescaping is on for every
template except plain text (`.txt`), so user text is inert in HTML by default.

`html_page` is how every HTML page is answered: it requires the page's CSP
(`mais.web.csp.page_policy`), hands the policy's nonce to the template as `csp_nonce`,
and compresses the body when the client accepts it."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, PrefixLoader, StrictUndefined, select_autoescape
from starlette.responses import Response

from mais.web.csp import PagePolicy
from mais.web.static import compress_body

# Domains with a `templates/` folder; add yours here.
TEMPLATE_DOMAINS = ("dashboard", "help", "home", "notifications", "payments", "widget")


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
    policy: PagePolicy,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    accept_encoding: str | None = None,
    **context: Any,
) -> Response:
    """Render `name` as an HTML response under `policy` (gzip when `accept_encoding` allows)."""
    html = render(name, csp_nonce=policy.nonce, **context)
    return html_response(
        html,
        policy=policy,
        status_code=status_code,
        headers=headers,
        accept_encoding=accept_encoding,
    )


def html_response(
    html: str,
    *,
    policy: PagePolicy,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    accept_encoding: str | None = None,
) -> Response:
    body, encoding = compress_body(html.encode(), accept_encoding)
    all_headers = {
        "Content-Security-Policy": policy.header,
        "Vary": "Accept-Encoding",
        **(headers or {}),
    }
    if encoding:
        all_headers["Content-Encoding"] = encoding
    return Response(
        body, status_code=status_code, headers=all_headers, media_type="text/html; charset=utf-8"
    )
