"""How the booking pages are answered: the tenant's look around every page, the page's
CSP (built by `mais.web.csp`), HTML for browsers and the JSON error shape for API
clients."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from mais.core.errors import AppError, render_app_error
from mais.notifications.compose import format_money
from mais.tenants.branding import BrandingOut, branding_json
from mais.tenants.context import TenantContext
from mais.tenants.palette import Theme, theme_of
from mais.web.csp import PagePolicy, origin_of, page_policy
from mais.web.templates import html_page
from mais.widget.assets import widget_assets
from mais.widget.calendar import long_date
from mais.widget.surface import Surface

if TYPE_CHECKING:
    from mais.container import Container

DEFAULT_BRANDING = BrandingOut(
    name="MAIS",
    primary_color="#4A4E69",
    secondary_color="#F2E9E4",
    accent_color="#9A8C98",
    background_color="#FFFFFF",
    font_family="System",
    logo_url=None,
)
NO_STORE = {"Cache-Control": "no-store"}
REVALIDATE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True, slots=True)
class Look:
    """The tenant's name, logo and readable colours, as every page shows them."""

    name: str
    logo_url: str | None
    theme: Theme
    css: Markup  # `:root{...}`: validated colours and a fixed font stack only

    @classmethod
    def of(cls, branding: BrandingOut) -> Look:
        theme = theme_of(branding)
        logo = branding.logo_url if origin_of(branding.logo_url) else None
        return cls(branding.name, logo, theme, Markup(f":root{{{theme.css_variables()}}}"))  # nosec B704 # noqa: S704 - validated values only


@lru_cache(maxsize=2048)
def _look_of(raw_branding: bytes) -> Look:
    return Look.of(BrandingOut.model_validate_json(raw_branding))


async def look_for(container: Container, tenant: TenantContext) -> Look:
    return _look_of(await branding_json(container, tenant.id))


def policy_for(
    container: Container, surface: Surface | None, look: Look, *, framable_by_anyone: bool = False
) -> PagePolicy:
    """Every booking page: our scripts, fetches to our API, images from our storage
    (and the logo's host), forms that continue to Stripe Checkout; framable by the
    tenant's embed origins on the widget surface only."""
    if framable_by_anyone:
        ancestors = ["*"]
    else:
        ancestors = surface.frame_ancestors(container.settings) if surface else []
    return page_policy(
        scripts=True,
        connect=True,
        # Stored photos: the storage host, or our own public URL (which may differ from
        # the host a visitor typed); plus an external logo's host.
        images=[
            container.storage.public_host() or origin_of(container.settings.public_url),
            origin_of(look.logo_url),
        ],
        form_action=["'self'"],
        stripe_checkout=True,
        frame_ancestors=ancestors,
    )


def wants_json(request: Request) -> bool:
    """API clients (Accept: application/json without text/html) get the JSON error shape."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render_page(
    request: Request,
    template: str,
    *,
    container: Container,
    surface: Surface | None,
    look: Look,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    framable_by_anyone: bool = False,
    **context: Any,
) -> Response:
    currency = surface.tenant.currency if surface else "usd"
    return html_page(
        f"widget/{template}",
        policy=policy_for(container, surface, look, framable_by_anyone=framable_by_anyone),
        status_code=status_code,
        headers=headers or REVALIDATE,
        accept_encoding=request.headers.get("accept-encoding"),
        surface=surface,
        look=look,
        assets=widget_assets(),
        support_email=container.settings.support_email,
        money=lambda cents: format_money(int(cents), currency),
        long_date=long_date,
        **context,
    )


def error_page(
    request: Request,
    error: AppError,
    *,
    container: Container,
    title: str,
    surface: Surface | None = None,
    look: Look | None = None,
) -> Response:
    """A clear page for people, the one JSON error body for programs."""
    if wants_json(request):
        return render_app_error(request.scope, error)
    return render_page(
        request,
        "error.html",
        container=container,
        surface=surface,
        look=look or _look_of_default(),
        status_code=error.status_code,
        headers=NO_STORE,
        # A page that names no tenant offers nothing to click-jack; it may show inside
        # any embed, so a mistyped snippet explains itself instead of a blank frame.
        framable_by_anyone=surface is None and request.url.path.startswith("/widget"),
        title=title,
        message=error.message,
    )


@lru_cache(maxsize=1)
def _look_of_default() -> Look:
    return Look.of(DEFAULT_BRANDING)
