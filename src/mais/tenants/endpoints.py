"""Public tenant endpoints (`X-Tenant-Key`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from mais.core.deps import ContainerDep, PublicTenant
from mais.core.openapi import PUBLIC_ERRORS
from mais.tenants.branding import BrandingOut, branding_json

router = APIRouter(prefix="/v1", tags=["public"])


@router.get(
    "/tenant/branding",
    response_model=BrandingOut,
    summary="The tenant's name, colours, font and logo",
    responses=PUBLIC_ERRORS,
)
async def get_branding(tenant: PublicTenant, container: ContainerDep) -> Response:
    return Response(await branding_json(container, tenant.id), media_type="application/json")
