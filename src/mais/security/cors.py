"""CORS for the JSON APIs: who may call them from a browser on another origin.

- Public API (`/v1/packages`, `/v1/availability`, `/v1/tenant/branding`, `/v1/bookings/`):
  the tenant's allowed embed origins, resolved from the request's `X-Tenant-Key`. Never
  with credentials: the public API reads no cookie, and an origin reflected with
  credentials is exactly what CORS must never do. Outside production a tenant that has
  configured no origins may be called from anywhere (`*`, as its widget may be framed
  anywhere); in production such a tenant is not callable cross-origin.
- Admin APIs (`/v1/tenant-admin`, `/v1/admin`, `/v1/auth`): only `FRONTEND_URL`'s origin,
  with credentials (the one exact origin the dashboards run on; never a pattern).
- Everything else (webhooks, health, pages, CSP reports): no CORS headers at all.

Preflights carry no `X-Tenant-Key`, so a public preflight cannot know its tenant. It is
answered for an origin that is the allowed origin of *some* active tenant (outside
production, any origin while some active tenant has none), and the actual request is then
held to its own tenant's origins. Refusing unknown origins at the preflight, rather than
answering every preflight, keeps a hostile page from making its visitors' browsers send
JSON writes (a checkout holds a date) that only the response check would stop.

Pure ASGI, and a request without an `Origin` header (servers, curl, the benchmark) costs
one header scan: the tenant of the actual request is the one the endpoint's dependency
already resolved (`scope["state"]["tenant"]`), so no extra lookup or query is made."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mais.core.errors import render_error
from mais.core.http import header

if TYPE_CHECKING:
    from mais.core.db import Database
    from mais.tenants.context import TenantContext

PUBLIC_PREFIXES = ("/v1/packages", "/v1/availability", "/v1/tenant/branding", "/v1/bookings")
ADMIN_PREFIXES = ("/v1/tenant-admin", "/v1/admin", "/v1/auth")

PUBLIC_METHODS = b"GET, HEAD, POST"
PUBLIC_HEADERS = b"Content-Type, Idempotency-Key, X-Request-ID, X-Tenant-Key"
ADMIN_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE"
ADMIN_HEADERS = b"Authorization, Content-Type, Idempotency-Key, X-CSRF-Token, X-Request-ID"
EXPOSED_HEADERS = b"Retry-After, X-Request-ID"
PREFLIGHT_MAX_AGE = b"600"
ANY_ORIGIN = b"*"


class Area(Enum):
    public = "public"
    admin = "admin"


def area_of(path: str) -> Area | None:
    """Which CORS rule a path falls under, or None (no CORS)."""
    for prefix in PUBLIC_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return Area.public
    for prefix in ADMIN_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return Area.admin
    return None


class EmbedOriginIndex:
    """Every active tenant's allowed embed origins, for preflights (which name no tenant).
    Read from the database at most once per `ttl` seconds per process: a newly added origin
    passes preflights within that time (actual requests follow the tenant resolver)."""

    def __init__(
        self,
        db: Database,
        *,
        open_when_unset: bool,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.open_when_unset = open_when_unset
        self.ttl = ttl
        self.clock = clock
        self._expires = 0.0
        self._origins: frozenset[str] = frozenset()
        self._any = False
        self._lock = asyncio.Lock()

    async def allows(self, origin: str) -> bool:
        if self.clock() >= self._expires:
            async with self._lock:
                if self.clock() >= self._expires:
                    await self._load()
        return self._any or origin in self._origins

    async def _load(self) -> None:
        from mais.tenants.repository import TenantRepository

        async with self.db.sessionmaker() as session:
            per_tenant = await TenantRepository(session).embed_origins_of_active_tenants()
        self._origins = frozenset(origin for origins in per_tenant for origin in origins)
        self._any = self.open_when_unset and any(not origins for origins in per_tenant)
        self._expires = self.clock() + self.ttl


def public_allow_origin(
    tenant: TenantContext | None, origin: str, production: bool
) -> bytes | None:
    """`Access-Control-Allow-Origin` of an actual public request, or None (refused)."""
    if tenant is None:
        return None
    if origin in tenant.allowed_embed_origins:
        return origin.encode()
    if not tenant.allowed_embed_origins and not production:
        return ANY_ORIGIN
    return None


class CorsMiddleware:
    def __init__(self, app: ASGIApp, *, production: bool, frontend_origin: str | None) -> None:
        self.app = app
        self.production = production
        self.frontend_origin = frontend_origin.lower() if frontend_origin else None
        self._index: EmbedOriginIndex | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        area = area_of(scope["path"]) if origin is not None else None
        if origin is None or area is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method"):
            await self._preflight(scope, receive, send, area, origin)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                allowed, credentials = self._actual_grant(scope, area, origin)
                if allowed is not None:
                    headers.append((b"access-control-allow-origin", allowed))
                    headers.append((b"access-control-expose-headers", EXPOSED_HEADERS))
                    if credentials:
                        headers.append((b"access-control-allow-credentials", b"true"))
                message["headers"] = _vary_origin(headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _actual_grant(self, scope: Scope, area: Area, origin: str) -> tuple[bytes | None, bool]:
        if area is Area.admin:
            if self.frontend_origin is not None and origin == self.frontend_origin:
                return origin.encode(), True
            return None, False
        tenant = scope.get("state", {}).get("tenant")
        return public_allow_origin(tenant, origin, self.production), False

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, area: Area, origin: str
    ) -> None:
        if area is Area.admin:
            allowed = self.frontend_origin is not None and origin == self.frontend_origin
            methods, headers, credentials = ADMIN_METHODS, ADMIN_HEADERS, True
        else:
            allowed = await self._index_for(scope).allows(origin)
            methods, headers, credentials = PUBLIC_METHODS, PUBLIC_HEADERS, False
        if not allowed:
            response = render_error(
                scope,
                403,
                "CORS_ORIGIN_NOT_ALLOWED",
                f"Requests from {origin[:200]} are not allowed here.",
                headers={"Vary": "Origin"},
            )
            await response(scope, receive, send)
            return
        grant = [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-methods", methods),
            (b"access-control-allow-headers", headers),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        if credentials:
            grant.append((b"access-control-allow-credentials", b"true"))
        await send({"type": "http.response.start", "status": 204, "headers": grant})
        await send({"type": "http.response.body", "body": b""})

    def _index_for(self, scope: Scope) -> EmbedOriginIndex:
        if self._index is None:
            container = scope["app"].state.container
            self._index = EmbedOriginIndex(container.db, open_when_unset=not self.production)
        return self._index


def _vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"origin" not in value.lower():
                headers[index] = (name, value + b", Origin")
            return headers
    headers.append((b"vary", b"Origin"))
    return headers
