"""The one builder of Content-Security-Policy headers for HTML pages.

Every server-rendered page states what it needs (our own scripts, fetches to our API,
images from the storage host, a payment form that continues at Stripe, who may frame it)
and gets back a policy and the nonce its inline `<style>` carries. Scripts never run
inline: they are our own files (`'self'`) or carry the nonce. Violations are reported to
`/v1/csp-violations`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

REPORT_URI = "/v1/csp-violations"
# Stripe Checkout is a top-level navigation from our forms (form-action governs the POST
# and the redirect that follows it). We load no Stripe.js, so no script or frame sources.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
ANY_ORIGIN = "*"


@dataclass(frozen=True, slots=True)
class PagePolicy:
    """A page's CSP header value and the nonce of its inline elements."""

    nonce: str
    header: str


def origin_of(url: str | None) -> str | None:
    """`https://host[:port]` of an absolute http(s) URL, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def page_policy(
    *,
    scripts: bool = False,
    connect: bool = False,
    images: Iterable[str | None] = (),
    frames: Iterable[str] = (),
    form_action: Iterable[str] = (),
    stripe_checkout: bool = False,
    frame_ancestors: Iterable[str] = (),
    sandbox: bool = False,
    foreign_inline_styles: bool = False,
) -> PagePolicy:
    """Build the policy of one response.

    - `scripts`: our own script files (and nonce-carrying ones) may run.
    - `connect`: scripts may fetch from our own origin (the public API).
    - `images`: origins besides our own (storage host, an external logo); None is ignored.
    - `frames`: what the page may frame (`'self'`, ...).
    - `form_action`: where forms may post (`'self'`, ...); nothing means `'none'`.
    - `stripe_checkout`: forms may continue to Stripe Checkout.
    - `frame_ancestors`: who may frame the page; nothing means `'none'` (and the request
      middleware adds `X-Frame-Options: DENY`).
    - `sandbox`: someone else's markup (the dev mailbox's e-mail preview).
    - `foreign_inline_styles`: that markup's inline styles (never for our own pages).
    """
    nonce = secrets.token_urlsafe(16)
    nonce_source = f"'nonce-{nonce}'"
    styles = "'unsafe-inline'" if foreign_inline_styles else f"'self' {nonce_source}"
    directives: list[str] = []
    if sandbox:
        directives.append("sandbox")
    directives += [
        "default-src 'none'",
        f"style-src {styles}",
        "img-src " + _sources(["'self'", "data:", *images]),
        "base-uri 'none'",
    ]
    if scripts:
        directives.append(f"script-src 'self' {nonce_source}")
    if connect:
        directives.append("connect-src 'self'")
    frame_sources = list(frames)
    if frame_sources:
        directives.append(f"frame-src {_sources(frame_sources)}")
    actions = list(form_action)
    if stripe_checkout:
        actions.append(STRIPE_CHECKOUT_ORIGIN)
    directives.append("form-action " + (_sources(actions) or "'none'"))
    ancestors = list(frame_ancestors)
    allowed = ANY_ORIGIN if ANY_ORIGIN in ancestors else _sources(ancestors)
    directives.append("frame-ancestors " + (allowed or "'none'"))
    directives.append(f"report-uri {REPORT_URI}")
    return PagePolicy(nonce=nonce, header="; ".join(directives))


def _sources(values: Iterable[str | None]) -> str:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return " ".join(seen)
