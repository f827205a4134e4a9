"""FastAPI dependencies shared by every domain (the container, the request's database
session: the request owns the transaction) and the public API's route class, which
resolves the tenant of `X-Tenant-Key`."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from mais.core.context import tenant_slug_var
from mais.core.db import commit, rollback
from mais.core.http import client_ip, header

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


class PublicRequest(Request):
    """The request of a public API endpoint, with the tenant its `X-Tenant-Key` names and
    the container. Endpoints of a router built with `route_class=PublicApiRoute` declare
    it as their request parameter (`api: PublicRequest`)."""

    tenant: TenantContext
    container: Container


class PublicApiRoute(APIRoute):
    """The route class of the public API (`X-Tenant-Key`). Before FastAPI validates a
    parameter or opens a session, the tenant is resolved and the request counted against
    the per-tenant, per-client rate limit, so a bad key is refused (401/403) and a flood
    answered 429 whatever the query or body holds.

    A route class rather than a dependency: the public API is the hot path, and FastAPI's
    solving of one dependency cost about 6 % of a catalog request (measured). This is
    FastAPI's documented way of handing an endpoint its own Request subclass."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        direct = _direct_endpoint(self)
        if direct is not None:
            # Nothing for FastAPI to solve: the endpoint is called with the request alone.
            # (Its parameter solving is the largest single cost of a catalog request.)
            call, name = direct

            async def direct_handler(request: Request) -> Response:
                response: Response = await call(**{name: await _public_request(request)})
                return response

            return direct_handler
        handler = super().get_route_handler()

        async def public_handler(request: Request) -> Response:
            return await handler(await _public_request(request))

        return public_handler


def _direct_endpoint(route: APIRoute) -> tuple[Callable[..., Any], str] | None:
    """The endpoint and the name of its request parameter when FastAPI would do nothing
    but call it: an `async def` whose only parameter is the request, that returns a
    `Response` itself (no response model applies), on a route without dependencies."""
    dependant = route.dependant
    call = dependant.call
    if call is None or dependant.request_param_name is None:
        return None
    if not inspect.iscoroutinefunction(call) or len(inspect.signature(call).parameters) != 1:
        return None
    solved = (
        dependant.path_params,
        dependant.query_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.dependencies,
    )
    if any(solved):
        return None
    try:
        returns = get_type_hints(call).get("return")
    except (NameError, TypeError):
        return None
    if not (isinstance(returns, type) and issubclass(returns, Response)):
        return None
    return call, dependant.request_param_name


async def _public_request(request: Request) -> PublicRequest:
    container = get_container(request)
    tenant = await container.resolver.resolve_key(
        header(request.scope, b"x-tenant-key"), public_only=True
    )
    request.scope.setdefault("state", {})["tenant"] = tenant  # the request log names the tenant
    tenant_slug_var.set(tenant.slug)
    ip = client_ip(request.scope, container.trusted_proxies)
    await container.rate_limiter.check_api(str(tenant.id), ip)
    public = PublicRequest(request.scope, request.receive)
    public.tenant = tenant
    public.container = container
    return public


ContainerDep = Annotated["Container", Depends(_container)]
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
