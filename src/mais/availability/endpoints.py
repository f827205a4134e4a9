"""Public availability endpoints (`X-Tenant-Key`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from mais.availability.schemas import DayAvailabilityOut, UnavailableDateOut, UnavailableDatesOut
from mais.availability.service import AvailabilityService
from mais.core.deps import ContainerDep, PublicTenant, SessionDep
from mais.core.openapi import PUBLIC_ERRORS

router = APIRouter(prefix="/v1", tags=["public"])


@router.get(
    "/availability",
    response_model=DayAvailabilityOut,
    summary="Whether one date can be booked, and why not",
    responses=PUBLIC_ERRORS,
)
async def get_availability(
    tenant: PublicTenant,
    session: SessionDep,
    container: ContainerDep,
    day: Annotated[date, Query(alias="date", description="YYYY-MM-DD, the tenant's calendar date")],
) -> DayAvailabilityOut:
    reason = await AvailabilityService.of(container, session, tenant).reason_for(day)
    return DayAvailabilityOut(date=day, available=reason is None, reason=reason)


@router.get(
    "/availability/unavailable",
    response_model=UnavailableDatesOut,
    summary="Every unavailable date of a range (at most 366 days) with its reason",
    responses=PUBLIC_ERRORS,
)
async def list_unavailable_dates(
    tenant: PublicTenant,
    session: SessionDep,
    container: ContainerDep,
    start: Annotated[date, Query(alias="startDate")],
    end: Annotated[date, Query(alias="endDate")],
) -> UnavailableDatesOut:
    found = await AvailabilityService.of(container, session, tenant).unavailable_between(start, end)
    return UnavailableDatesOut(
        dates=[UnavailableDateOut(date=d, reason=r) for d, r in sorted(found.items())]
    )
