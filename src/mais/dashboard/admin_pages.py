"""The platform dashboard `/admin/...`: overview (platform stats), tenants (list with
counts, create with the secret key shown once, edit, suspend/reactivate, commission,
Stripe onboarding link, read-only bookings), the audit log, failed jobs and webhook
events with a retry. Every action is `PlatformAdminService`'s, as in `/v1/admin/...`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from mais.admin.schemas import TenantCreate, TenantUpdate
from mais.admin.service import JOB_STATUS_FILTERS, PlatformAdminService
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep
from mais.core.errors import AppError
from mais.dashboard.web import (
    DashboardUser,
    dashboard_router,
    platform_user,
    problems_of,
    refused,
    render,
    see_other,
    text,
    validate_form,
)
from mais.models import BookingStatus, TenantStatus, WebhookEventStatus
from mais.tenant_admin import service as bookings_admin
from mais.tenant_admin.endpoints import booking_filters

router = dashboard_router()

PlatformUser = Annotated[DashboardUser, Depends(platform_user)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
Search = Annotated[str | None, Query(max_length=200)]
PAGE_SIZE = 25
NOTICES = {
    "saved": "Saved.",
    "suspended": "Suspended: the tenant's widget, keys and logins stopped working.",
    "reactivated": "Reactivated: the tenant's widget and keys work again.",
    "retried": "Queued to run again.",
    "processed": "Processed again.",
}


def _service(
    user: DashboardUser, container: Container, session: AsyncSession
) -> PlatformAdminService:
    return PlatformAdminService(session, container, user.actor)


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def _query(**values: str | None) -> str:
    kept = {k: v for k, v in values.items() if v}
    return urlencode(kept) + "&" if kept else ""


@router.get("/admin")
async def overview(
    request: Request, user: PlatformUser, container: ContainerDep, session: SessionDep
) -> Response:
    stats = await _service(user, container, session).platform_stats()
    return render(request, container, "admin/overview.html", user=user, stats=stats)


# --- tenants ----------------------------------------------------------------------------


@router.get("/admin/tenants")
async def tenants_page(
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
    q: Search = None,
    page: PageNumber = 1,
) -> Response:
    listing = await _service(user, container, session).list_tenants(q, page, PAGE_SIZE)
    return render(
        request,
        container,
        "admin/tenants.html",
        user=user,
        listing=listing,
        q=q or "",
        base_query=_query(q=q),
        notice=_notice(request),
    )


_NEW_TENANT = {
    "slug": "",
    "name": "",
    "email": "",
    "commission_percent": "10",
    "timezone": "America/New_York",
}


@router.get("/admin/tenants/new")
async def new_tenant_page(
    request: Request, user: PlatformUser, container: ContainerDep
) -> Response:
    return render(
        request, container, "admin/tenant_new.html", user=user, values=_NEW_TENANT, problems={}
    )


@router.post("/admin/tenants/new")
async def create_tenant(
    request: Request, user: PlatformUser, container: ContainerDep, session: SessionDep
) -> Response:
    form = await request.form()
    values = {name: text(form, name).strip() for name in _NEW_TENANT}
    password = text(form, "password")  # exactly as typed
    fields: dict[str, Any] = {
        "slug": values["slug"],
        "name": values["name"],
        "email": values["email"],
        "password": password or None,
        "commission_percent": values["commission_percent"] or None,
        "timezone": values["timezone"] or None,
    }
    body, problems = validate_form(TenantCreate, fields)
    if body is not None:
        try:
            created = await _service(user, container, session).create_tenant(body)
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
        else:
            return render(
                request,
                container,
                "admin/tenant_created.html",
                user=user,
                created=created,
                invited=password == "",  # nosec B105
                login_url=f"{container.settings.public_url}/tenant/login",
                widget_url=f"{container.settings.public_url}/widget?tenant={created.tenant.slug}",
            )
    return render(
        request,
        container,
        "admin/tenant_new.html",
        user=user,
        values=values,
        problems=problems,
        status_code=422,
    )


async def _tenant_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    tenant_id: str,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
    onboarding_url: str | None = None,
) -> Response:
    detail = await _service(user, container, session).tenant_detail(tenant_id)
    return render(
        request,
        container,
        "admin/tenant.html",
        user=user,
        tenant=detail,
        values=values
        or {"name": detail.name, "commission_percent": f"{detail.commission_percent:g}"},
        problems=problems or {},
        status_code=status_code,
        notice=_notice(request),
        onboarding_url=onboarding_url,
    )


@router.get("/admin/tenants/{tenant_id}")
async def tenant_page(
    tenant_id: str,
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    return await _tenant_page(request, user, container, session, tenant_id)


@router.post("/admin/tenants/{tenant_id}")
async def update_tenant(
    tenant_id: str,
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    form = await request.form()
    values = {name: text(form, name).strip() for name in ("name", "commission_percent")}
    body, problems = validate_form(TenantUpdate, values)
    if body is not None:
        service = _service(user, container, session)
        try:
            updated = await service.update_tenant(tenant_id, body.changes())
            return see_other(f"/admin/tenants/{updated.id}?notice=saved")
        except AppError as exc:
            if exc.status_code == 404:
                raise
            await refused(session)
            problems = problems_of(exc)
    return await _tenant_page(
        request,
        user,
        container,
        session,
        tenant_id,
        values=values,
        problems=problems,
        status_code=422,
    )


@router.post("/admin/tenants/{tenant_id}/suspend")
async def suspend_tenant(
    tenant_id: str, user: PlatformUser, container: ContainerDep, session: SessionDep
) -> Response:
    updated = await _service(user, container, session).update_tenant(
        tenant_id, {"status": TenantStatus.suspended}
    )
    return see_other(f"/admin/tenants/{updated.id}?notice=suspended")


@router.post("/admin/tenants/{tenant_id}/reactivate")
async def reactivate_tenant(
    tenant_id: str, user: PlatformUser, container: ContainerDep, session: SessionDep
) -> Response:
    updated = await _service(user, container, session).update_tenant(
        tenant_id, {"status": TenantStatus.active}
    )
    return see_other(f"/admin/tenants/{updated.id}?notice=reactivated")


@router.post("/admin/tenants/{tenant_id}/stripe/connect")
async def start_onboarding(
    tenant_id: str,
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    """The onboarding link is for the tenant's owner: shown here to hand over, not
    followed by the platform admin's browser."""
    tenant = await _service(user, container, session).tenant(tenant_id)
    try:
        url = await bookings_admin.stripe_onboarding_link(container, session, user.actor, tenant.id)
    except AppError as exc:
        await refused(session)
        return await _tenant_page(
            request,
            user,
            container,
            session,
            tenant_id,
            problems={"_form": exc.message},
            status_code=exc.status_code,
        )
    return await _tenant_page(request, user, container, session, tenant_id, onboarding_url=url)


@router.get("/admin/tenants/{tenant_id}/bookings")
async def tenant_bookings(
    tenant_id: str,
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
    page: PageNumber = 1,
) -> Response:
    tenant = await _service(user, container, session).tenant(tenant_id)
    query = request.query_params
    status = query.get("status", "")
    q = query.get("q", "")[:200]
    filters = booking_filters(status=status if status in BookingStatus.__members__ else None, q=q)
    listing = await bookings_admin.BookingAdminService(session, tenant.id).list_page(
        filters, page, PAGE_SIZE, cache=container.cache
    )
    return render(
        request,
        container,
        "admin/bookings.html",
        user=user,
        tenant=tenant,
        listing=listing,
        values={"status": status, "q": q},
        statuses=list(BookingStatus),
        base_query=_query(status=status, q=q),
        money=lambda cents: f"{int(cents) / 100:,.2f} {tenant.currency.upper()}",
    )


@router.get("/admin/tenants/{tenant_id}/bookings/{booking_id}")
async def tenant_booking(
    tenant_id: str,
    booking_id: str,
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    tenant = await _service(user, container, session).tenant(tenant_id)
    detail = await bookings_admin.BookingAdminService(session, tenant.id).detail(booking_id)
    return render(
        request,
        container,
        "tenant/booking.html",
        user=user,
        booking=detail,
        refundable=0,
        problems={},
        notice=None,
        base=f"/admin/tenants/{tenant.id}/bookings",
        read_only=True,
        money=lambda cents: f"{int(cents) / 100:,.2f} {tenant.currency.upper()}",
    )


# --- audit log, jobs, webhook events ------------------------------------------------------


@router.get("/admin/audit-log")
async def audit_log(
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
    tenant: Search = None,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    page: PageNumber = 1,
) -> Response:
    problems: dict[str, str] = {}
    try:
        listing = await _service(user, container, session).audit_log(
            tenant=tenant or None,
            actor=actor or None,
            action=action or None,
            page=page,
            page_size=50,
        )
    except AppError as exc:
        problems["tenant"] = exc.message
        listing = await _service(user, container, session).audit_log(
            tenant=None, actor=actor or None, action=action or None, page=page, page_size=50
        )
    return render(
        request,
        container,
        "admin/audit.html",
        user=user,
        listing=listing,
        values={"tenant": tenant or "", "actor": actor or "", "action": action or ""},
        problems=problems,
        base_query=_query(tenant=tenant, actor=actor, action=action),
    )


@router.get("/admin/jobs")
async def jobs_page(
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "failed",
    page: PageNumber = 1,
) -> Response:
    if status not in JOB_STATUS_FILTERS:
        status = "failed"
    listing = await _service(user, container, session).jobs(status, page, 50)
    return render(
        request,
        container,
        "admin/jobs.html",
        user=user,
        listing=listing,
        status=status,
        statuses=JOB_STATUS_FILTERS,
        base_query=_query(status=status),
        notice=_notice(request),
    )


@router.post("/admin/jobs/{job_id}/retry")
async def retry_job(
    job_id: str, user: PlatformUser, container: ContainerDep, session: SessionDep
) -> Response:
    await _service(user, container, session).retry_job(job_id)
    return see_other("/admin/jobs?notice=retried")


@router.get("/admin/webhook-events")
async def webhook_events_page(
    request: Request,
    user: PlatformUser,
    container: ContainerDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "failed",
    page: PageNumber = 1,
) -> Response:
    chosen = status if status in WebhookEventStatus.__members__ else None
    listing = await _service(user, container, session).webhook_events(chosen, page, 50)
    return render(
        request,
        container,
        "admin/webhook_events.html",
        user=user,
        listing=listing,
        status=chosen or "",
        statuses=list(WebhookEventStatus),
        base_query=_query(status=chosen or "all"),
        notice=_notice(request),
    )


@router.post("/admin/webhook-events/{event_id}/retry")
async def retry_webhook_event(
    event_id: str, user: PlatformUser, container: ContainerDep, session: SessionDep
) -> Response:
    await _service(user, container, session).retry_webhook_event(event_id)
    return see_other("/admin/webhook-events?notice=processed")
