"""Public availability endpoints (`X-Tenant-Key`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from mais.availability.schemas import DayAvailabilityOut, UnavailableDateOut, UnavailableDatesOut
from mais.availability.service import AvailabilityService
from mais.core.deps import PublicApiRoute, PublicRequest, SessionDep
from mais.core.openapi import PUBLIC_ERRORS

router = APIRouter(prefix="/v1", tags=["public"], route_class=PublicApiRoute)


@router.get(
    "/availability",
    response_model=DayAvailabilityOut,
    summary="Whether one date can be booked, and why not",
    responses=PUBLIC_ERRORS,
)
async def get_availability(
    api: PublicRequest,
    session: SessionDep,
    day: Annotated[date, Query(alias="date", description="YYYY-MM-DD, the tenant's calendar date")],
) -> DayAvailabilityOut:
    service = AvailabilityService.of(api.container, session, api.tenant, cached=True)
    reason = await service.reason_for(day)
    return DayAvailabilityOut(date=day, available=reason is None, reason=reason)


@router.get(
    "/availability/unavailable",
    response_model=UnavailableDatesOut,
    summary="Every unavailable date of a range (at most 366 days) with its reason",
    responses=PUBLIC_ERRORS,
)
async def list_unavailable_dates(
    api: PublicRequest,
    session: SessionDep,
    start: Annotated[date, Query(alias="startDate")],
    end: Annotated[date, Query(alias="endDate")],
) -> UnavailableDatesOut:
    service = AvailabilityService.of(api.container, session, api.tenant, cached=True)
    found = await service.unavailable_between(start, end)
    return UnavailableDatesOut(
        dates=[UnavailableDateOut(date=d, reason=r) for d, r in sorted(found.items())]
    )
