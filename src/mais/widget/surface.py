"""Where the booking pages are shown: framed on a tenant's site (`/widget?tenant=...`) or
as the tenant's own full-page storefront (`/t/<slug>`). The surface builds every link
of the flow (so the embed's parameters travel with the customer) and decides who may
frame the page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlencode

from mais.settings import Settings
from mais.tenants.context import TenantContext
from mais.web.csp import ANY_ORIGIN, origin_of


class SurfaceKind(StrEnum):
    widget = "widget"
    storefront = "storefront"


def embed_origins(tenant: TenantContext, settings: Settings) -> list[str]:
    """Origins that may frame the tenant's widget: its allowed embed origins; outside
    production, a tenant that configured none may be framed from anywhere (so a
    developer can try the snippet on any local page)."""
    configured = [origin.rstrip("/") for origin in tenant.allowed_embed_origins]
    if not configured and not settings.is_production:
        return [ANY_ORIGIN]
    return configured


def origin_allowed(origin: str | None, tenant: TenantContext, settings: Settings) -> bool:
    if not origin:
        return False
    allowed = embed_origins(tenant, settings)
    return ANY_ORIGIN in allowed or origin in allowed


def _return_allowed(url: str, tenant: TenantContext) -> bool:
    """Checkout sends the customer back only to a page on a configured embed origin
    (`BookingService` enforces the same rule); anything else falls back to our pages."""
    configured = {origin.rstrip("/") for origin in tenant.allowed_embed_origins}
    return len(url) <= 1500 and origin_of(url) in configured


@dataclass(frozen=True, slots=True)
class Surface:
    kind: SurfaceKind
    tenant: TenantContext
    # Set by /embed.js: the host page's origin (for postMessage), whether payment takes
    # the whole window, and the host page to come back to after paying.
    parent_origin: str | None = None
    target_top: bool = False
    return_url: str | None = None

    @classmethod
    def storefront(cls, tenant: TenantContext) -> Surface:
        return cls(SurfaceKind.storefront, tenant)

    @classmethod
    def widget(cls, tenant: TenantContext, query: Mapping[str, str], settings: Settings) -> Surface:
        """The widget as the embed asked for it; an origin or return page that the tenant
        did not allow is ignored, never trusted."""
        origin = origin_of(query.get("origin"))
        return_url = query.get("return") or None
        if return_url is not None and not _return_allowed(return_url, tenant):
            return_url = None
        return cls(
            SurfaceKind.widget,
            tenant,
            parent_origin=origin if origin_allowed(origin, tenant, settings) else None,
            target_top=query.get("target") == "top",
            return_url=return_url,
        )

    @property
    def is_widget(self) -> bool:
        return self.kind is SurfaceKind.widget

    def frame_ancestors(self, settings: Settings) -> list[str]:
        if not self.is_widget:
            return []
        origins = embed_origins(self.tenant, settings)
        return origins if ANY_ORIGIN in origins else ["'self'", *origins]

    # --- links --------------------------------------------------------------------

    def _embed_query(self) -> dict[str, str]:
        query = {"tenant": self.tenant.slug}
        if self.parent_origin:
            query["origin"] = self.parent_origin
        if self.target_top:
            query["target"] = "top"
        if self.return_url:
            query["return"] = self.return_url
        return query

    def _url(self, path: str, extra: Mapping[str, str | list[str]] | None) -> str:
        params: list[tuple[str, str]] = []
        if self.is_widget:
            params += list(self._embed_query().items())
        for name, value in (extra or {}).items():
            if isinstance(value, list):
                params += [(name, item) for item in value]
            elif value:
                params.append((name, value))
        return f"{path}?{urlencode(params)}" if params else path

    def catalog_url(self) -> str:
        if self.is_widget:
            return self._url("/widget", None)
        return f"/t/{self.tenant.slug}"

    def package_url(self, package_slug: str, **extra: str | list[str]) -> str:
        slug = quote(package_slug, safe="")
        if self.is_widget:
            return self._url(f"/widget/packages/{slug}", extra)
        return self._url(f"/t/{self.tenant.slug}/packages/{slug}", extra)

    def booking_url(self, session_id: str) -> str:
        """The booking's status page on this surface (polled until confirmed)."""
        if self.is_widget:
            return self._url("/widget", {"session_id": session_id})
        return self._url("/success", {"session_id": session_id})

    def calendar_url(self, package_slug: str) -> str:
        """The calendar fragment, fetched by the script when the customer changes month."""
        return (
            f"/widget/calendar?{urlencode({'tenant': self.tenant.slug, 'package': package_slug})}"
        )

    def data_attributes(self) -> dict[str, str]:
        """What the page script needs to know about where it runs."""
        return {
            "surface": self.kind.value,
            "tenant": self.tenant.slug,
            "parent-origin": self.parent_origin or "",
            "target": "top" if self.target_top else "tab",
        }
