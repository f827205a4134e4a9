"""Public booking endpoints (`X-Tenant-Key`): checkout and the customer's booking views."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query
from starlette.responses import Response

from mais.bookings.schemas import BookingSummaryOut, CheckoutIn, CheckoutOut
from mais.bookings.service import BookingService
from mais.core.deps import PublicApiRoute, PublicRequest, SessionDep
from mais.core.openapi import PUBLIC_ERRORS
from mais.core.schemas import ErrorBody

router = APIRouter(prefix="/v1", tags=["public"], route_class=PublicApiRoute)

_ERR: dict[str, Any] = {"model": ErrorBody}
CHECKOUT_ERRORS: dict[int | str, dict[str, Any]] = PUBLIC_ERRORS | {
    409: _ERR | {"description": "DATE_UNAVAILABLE (details.reason) or TENANT_NOT_ONBOARDED"},
    422: _ERR | {"description": "VALIDATION_ERROR or IDEMPOTENCY_KEY_REUSED"},
    502: _ERR | {"description": "PAYMENT_PROVIDER_ERROR"},
    503: _ERR | {"description": "PAYMENT_PROVIDER_UNAVAILABLE (the date was not held)"},
}


@router.post(
    "/bookings/checkout",
    status_code=201,
    response_model=CheckoutOut,
    summary="Hold a date and open a Stripe Checkout session",
    responses=CHECKOUT_ERRORS,
)
async def checkout(
    body: CheckoutIn,
    api: PublicRequest,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    service = BookingService(session, api.container, api.tenant.id)
    result = await service.checkout(api.tenant, body, idempotency_key=idempotency_key)
    return Response(
        orjson.dumps(result.body), status_code=result.status_code, media_type="application/json"
    )


@router.get(
    "/bookings/by-session/{session_id}",
    response_model=BookingSummaryOut,
    summary="The booking of a Checkout session (the success page polls it)",
    responses=PUBLIC_ERRORS,
)
async def booking_by_session(
    session_id: str, api: PublicRequest, session: SessionDep
) -> BookingSummaryOut:
    service = BookingService(session, api.container, api.tenant.id)
    return await service.summary_for_session(session_id)


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingSummaryOut,
    summary="A booking, for the holder of its access token",
    responses=PUBLIC_ERRORS,
)
async def booking_by_token(
    booking_id: str,
    api: PublicRequest,
    session: SessionDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> BookingSummaryOut:
    service = BookingService(session, api.container, api.tenant.id)
    return await service.summary_for_token(booking_id, token)
