"""Tenant dashboard: bookings (filters, search, pages, CSV export, detail, cancel, full or
partial refund) through `tenant_admin.service`, as in `/v1/tenant-admin/bookings`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from mais.bookings.repository import BookingFilters
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep
from mais.core.errors import AppError, ValidationFailed
from mais.dashboard.tenant_pages import (
    PAGE_SIZE,
    TenantUser,
    date_field,
    notice_of,
)
from mais.dashboard.web import (
    DashboardUser,
    dashboard_router,
    parse_cents,
    refused,
    render,
    see_other,
    tenant_of,
    text,
    validate_form,
)
from mais.models import BookingStatus
from mais.tenant_admin import service as bookings_admin
from mais.tenant_admin.endpoints import booking_filters
from mais.tenant_admin.schemas import (
    CancelIn,
)

router = dashboard_router()


# --- bookings ---------------------------------------------------------------------------


def _filters_from_query(request: Request) -> tuple[BookingFilters, dict[str, str], dict[str, str]]:
    query = request.query_params
    values = {name: query.get(name, "")[:200] for name in ("status", "from", "to", "q")}
    problems: dict[str, str] = {}
    start = date_field(values["from"], "from", problems)
    end = date_field(values["to"], "to", problems)
    status = values["status"] if values["status"] in BookingStatus.__members__ else None
    try:
        filters = booking_filters(status=status, event_from=start, event_to=end, q=values["q"])
    except ValidationFailed as exc:
        problems.update({"to": exc.message})
        filters = booking_filters(status=status, q=values["q"])
    return filters, values, problems


@router.get("/tenant/bookings")
async def bookings_page(
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    filters, values, problems = _filters_from_query(request)
    listing = await bookings_admin.BookingAdminService(session, tenant_of(user).id).list_page(
        filters, page, PAGE_SIZE, cache=container.cache
    )
    kept = urlencode({k: v for k, v in values.items() if v})
    return render(
        request,
        container,
        "tenant/bookings.html",
        user=user,
        listing=listing,
        values=values,
        problems=problems,
        statuses=list(BookingStatus),
        base="/tenant/bookings",
        base_query=_query_prefix(values),
        kept=kept,
    )


def _query_prefix(values: dict[str, str]) -> str:
    kept = {k: v for k, v in values.items() if v}
    return urlencode(kept) + "&" if kept else ""


@router.get("/tenant/bookings/export.csv")
async def export_bookings(request: Request, user: TenantUser, container: ContainerDep) -> Response:
    filters, _values, _problems = _filters_from_query(request)
    tenant = tenant_of(user)
    filename = f"bookings-{tenant.slug}-{dt.date.today().isoformat()}.csv"
    return StreamingResponse(
        bookings_admin.export_bookings_csv(container.db, tenant.id, filters),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def _booking_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    booking_id: str,
    *,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    detail = await bookings_admin.BookingAdminService(session, tenant_of(user).id).detail(
        booking_id
    )
    refundable = detail.totals.subtotal_cents - detail.totals.refunded_cents
    return render(
        request,
        container,
        "tenant/booking.html",
        user=user,
        booking=detail,
        refundable=refundable,
        problems=problems or {},
        status_code=status_code,
        notice=notice_of(request),
        base="/tenant/bookings",
        read_only=False,
    )


@router.get("/tenant/bookings/{booking_id}")
async def booking_page(
    booking_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    return await _booking_page(request, user, container, session, booking_id)


@router.post("/tenant/bookings/{booking_id}/cancel")
async def cancel_booking(
    booking_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    service = bookings_admin.BookingAdminService(session, tenant_of(user).id)
    booking = await service.get(booking_id)
    reason = text(await request.form(), "reason").strip()
    body, problems = validate_form(CancelIn, {"reason": reason or None})
    if body is not None:
        try:
            await bookings_admin.cancel_booking(
                container, session, user.actor, booking, body.reason
            )
            return see_other(f"/tenant/bookings/{booking.id}?notice=canceled")
        except AppError as exc:
            await refused(session)
            problems = {"cancel": exc.message}
    problems = {"cancel": next(iter(problems.values()), "")}
    return await _booking_page(
        request, user, container, session, booking_id, problems=problems, status_code=422
    )


@router.post("/tenant/bookings/{booking_id}/refund")
async def refund_booking(
    booking_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    service = bookings_admin.BookingAdminService(session, tenant_of(user).id)
    booking = await service.get(booking_id)
    form = await request.form()
    problems: dict[str, str] = {}
    amount: int | None = None
    if text(form, "kind") == "partial":
        amount = parse_cents(text(form, "amount"))
        if amount is None or amount <= 0:
            problems["refund"] = "Please enter the amount to refund, for example 500.00."
    status = 422
    if not problems:
        try:
            await bookings_admin.refund_booking(container, session, user.actor, booking, amount)
            return see_other(f"/tenant/bookings/{booking.id}?notice=refunded")
        except AppError as exc:
            await refused(session)
            problems = {"refund": exc.message}
            status = exc.status_code
    return await _booking_page(
        request, user, container, session, booking_id, problems=problems, status_code=status
    )
