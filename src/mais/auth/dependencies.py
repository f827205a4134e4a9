"""Who may call what: the FastAPI dependencies of the admin APIs and the dashboards.

- `TenantAdminAuth`: a tenant admin's JWT, or `Authorization: Bearer sk_live_...`
  (server to server). Answers the tenant, the user (None for a key) and the audit actor.
- `PlatformAdminAuth`: a platform admin's JWT. Any other credential is 403.
- `UserAuth`: any logged-in user (JWT), for `/v1/auth/password`.
- `dashboard_principal(...)`: the same principals from a dashboard session cookie, for
  the HTML dashboards (which also check CSRF with `mais.auth.sessions.require_csrf`).

Every JWT is checked against the user's current row: still active, same role and tenant,
issued after `tokens_valid_after`. A suspended tenant's admins and keys get 403
TENANT_INACTIVE at once (the tenant row is read on every admin request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from mais.audit.service import Actor
from mais.auth.repository import UserRepository
from mais.auth.sessions import ActiveSession, CookiePolicy, SessionService
from mais.auth.tokens import (
    AuthenticationRequired,
    InvalidToken,
    TokenRevoked,
    TokenSigner,
    issued_before,
)
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep, request_client_ip
from mais.core.errors import Forbidden
from mais.models import Role, User
from mais.tenants.context import TenantContext
from mais.tenants.keys import KeyShape, secret_hint, shape_of
from mais.tenants.repository import TenantRepository
from mais.tenants.resolver import InvalidTenantKey, TenantInactive


class TenantAdminOnly(Forbidden):
    message = "This API is for tenant admins."


class PlatformAdminOnly(Forbidden):
    message = "This API is for platform admins."


@dataclass(frozen=True)
class TenantAdminPrincipal:
    tenant: TenantContext
    user: User | None  # None when authenticated by the tenant's secret key
    actor: Actor


@dataclass(frozen=True)
class PlatformAdminPrincipal:
    user: User
    actor: Actor


def actor_of(user: User) -> Actor:
    return Actor(role=user.role, label=user.email, user_id=user.id, tenant_id=user.tenant_id)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise AuthenticationRequired()
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationRequired("Use `Authorization: Bearer <token>`.")
    return token


def _is_api_key(token: str) -> bool:
    return token.startswith(("sk_live_", "pk_live_"))


async def user_from_jwt(container: Container, session: AsyncSession, token: str) -> User:
    claims = TokenSigner.from_settings(container.settings).verify(token)
    user = await UserRepository(session).get(claims.user_id)
    # The claims must still describe the user: a token minted for another role or tenant
    # (or for a deactivated user) is refused even when its signature is good.
    if (
        user is None
        or not user.is_active
        or user.role != claims.role
        or user.tenant_id != claims.tenant_id
    ):
        raise InvalidToken()
    if issued_before(claims, user.tokens_valid_after):
        raise TokenRevoked()
    return user


async def tenant_admin_of_user(session: AsyncSession, user: User) -> TenantAdminPrincipal:
    if user.role != Role.tenant_admin or user.tenant_id is None:
        raise TenantAdminOnly()
    tenant = await TenantRepository(session).get(user.tenant_id)
    if tenant is None:
        raise InvalidToken()
    if not tenant.is_active:
        raise TenantInactive()
    return TenantAdminPrincipal(tenant=TenantContext.of(tenant), user=user, actor=actor_of(user))


def platform_admin_of_user(user: User) -> PlatformAdminPrincipal:
    if user.role != Role.platform_admin:
        raise PlatformAdminOnly()
    return PlatformAdminPrincipal(user=user, actor=actor_of(user))


async def _tenant_admin(
    request: Request, container: ContainerDep, session: SessionDep
) -> TenantAdminPrincipal:
    token = bearer_token(request)
    if _is_api_key(token):
        if shape_of(token) is not KeyShape.secret:
            # A public key is public: it must never unlock the admin API.
            raise InvalidTenantKey("Only the secret key (sk_live_...) grants the admin API.")
        tenant = await container.resolver.resolve_key(token)
        actor = Actor(role="api_key", label=f"secret key {secret_hint(token)}", tenant_id=tenant.id)
        principal = TenantAdminPrincipal(tenant=tenant, user=None, actor=actor)
    else:
        user = await user_from_jwt(container, session, token)
        principal = await tenant_admin_of_user(session, user)
    request.state.tenant = principal.tenant
    await container.rate_limiter.check_api(str(principal.tenant.id), request_client_ip(request))
    return principal


async def _platform_admin(
    request: Request, container: ContainerDep, session: SessionDep
) -> PlatformAdminPrincipal:
    token = bearer_token(request)
    if _is_api_key(token):
        raise PlatformAdminOnly("API keys grant only the tenant-admin API.")
    return platform_admin_of_user(await user_from_jwt(container, session, token))


async def _any_user(request: Request, container: ContainerDep, session: SessionDep) -> User:
    token = bearer_token(request)
    if _is_api_key(token):
        raise Forbidden("A secret key is not a user; log in with e-mail and password.")
    user = await user_from_jwt(container, session, token)
    if user.role == Role.tenant_admin:
        await tenant_admin_of_user(session, user)  # a suspended tenant's admin is refused
    return user


TenantAdminAuth = Annotated[TenantAdminPrincipal, Depends(_tenant_admin)]
PlatformAdminAuth = Annotated[PlatformAdminPrincipal, Depends(_platform_admin)]
UserAuth = Annotated[User, Depends(_any_user)]


# --- dashboards (session cookie) ----------------------------------------------------------


async def dashboard_session(
    request: Request, container: Container, session: AsyncSession
) -> ActiveSession | None:
    """The live dashboard session of this request's cookie, or None."""
    policy = CookiePolicy.for_settings(container.settings)
    return await SessionService(session).validate(request.cookies.get(policy.name))


async def dashboard_principal(
    active: ActiveSession, session: AsyncSession
) -> TenantAdminPrincipal | PlatformAdminPrincipal:
    """The same principal the API would give this session's user (tenant checks included)."""
    if active.user.role == Role.platform_admin:
        return platform_admin_of_user(active.user)
    return await tenant_admin_of_user(session, active.user)
