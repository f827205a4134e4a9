"""Public tenant endpoints (`X-Tenant-Key`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from mais.core.deps import PublicApiRoute, PublicRequest
from mais.core.openapi import PUBLIC_ERRORS
from mais.tenants.branding import BrandingOut, branding_json

router = APIRouter(prefix="/v1", tags=["public"], route_class=PublicApiRoute)


@router.get(
    "/tenant/branding",
    response_model=BrandingOut,
    summary="The tenant's name, colours, font and logo",
    responses=PUBLIC_ERRORS,
)
async def get_branding(api: PublicRequest) -> Response:
    body = await branding_json(api.container, api.tenant.id)
    return Response(body, media_type="application/json")
