"""Public catalog endpoints (`X-Tenant-Key`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from mais.catalog.schemas import PackageOut
from mais.catalog.service import CatalogService
from mais.core.deps import PublicApiRoute, PublicRequest
from mais.core.errors import NotFound
from mais.core.openapi import PUBLIC_ERRORS

router = APIRouter(prefix="/v1", tags=["public"], route_class=PublicApiRoute)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.get(
    "/packages",
    response_model=list[PackageOut],
    summary="List the tenant's published packages in display order",
    responses=PUBLIC_ERRORS,
)
async def list_packages(api: PublicRequest) -> Response:
    container = api.container
    service = CatalogService(container.db, container.cache, container.storage, api.tenant.id)
    return _json(await service.packages_json())


@router.get(
    "/packages/{slug}",
    response_model=PackageOut,
    summary="One published package by its slug",
    responses=PUBLIC_ERRORS,
)
async def get_package(slug: str, api: PublicRequest) -> Response:
    container = api.container
    service = CatalogService(container.db, container.cache, container.storage, api.tenant.id)
    body = await service.package_json(slug)
    if body is None:
        raise NotFound("Package not found.")
    return _json(body)
