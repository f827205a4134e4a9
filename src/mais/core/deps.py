"""FastAPI dependencies shared by every domain: the container, the request's database
session (the request owns the transaction) and the public API's tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.context import tenant_slug_var
from mais.core.db import commit, rollback
from mais.core.http import client_ip
from mais.tenants.keys import KeyShape, shape_of
from mais.tenants.resolver import InvalidTenantKey

if TYPE_CHECKING:
    from mais.container import Container
    from mais.tenants.context import TenantContext


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _container(request: Request) -> Container:
    # An async dependency: FastAPI runs plain `def` dependencies in a thread pool, which
    # costs more than everything else on the catalog's hot path.
    return get_container(request)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit when the handler returns (before the response is sent), roll back on error."""
    container = get_container(request)
    async with container.db.write_sessionmaker() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            await rollback(session)
            raise


def request_client_ip(request: Request) -> str:
    return client_ip(request.scope, get_container(request).trusted_proxies)


@dataclass(frozen=True, slots=True)
class PublicCall:
    """What a public API endpoint works with: the tenant named by `X-Tenant-Key` and the
    container. One dependency for both, because the public API is the hot path and every
    dependency costs FastAPI about a hundred function calls per request (measured)."""

    tenant: TenantContext
    container: Container


async def _public_call(request: Request) -> PublicCall:
    """Resolve the tenant of `X-Tenant-Key`, after the per-tenant, per-client rate limit."""
    container = get_container(request)
    raw = request.headers.get("x-tenant-key")
    if raw and shape_of(raw) is KeyShape.secret:
        # Public calls come from browsers: a secret key sent here is already exposed.
        raise InvalidTenantKey(
            "X-Tenant-Key takes the tenant's public key (pk_live_...); "
            "never send the secret key from a browser."
        )
    tenant = await container.resolver.resolve_key(raw)
    request.state.tenant = tenant
    tenant_slug_var.set(tenant.slug)
    await container.rate_limiter.check_api(str(tenant.id), request_client_ip(request))
    return PublicCall(tenant, container)


ContainerDep = Annotated["Container", Depends(_container)]
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
PublicApi = Annotated[PublicCall, Depends(_public_call)]
