"""`/v1/admin/...` (SPEC §5.1): the platform admin's API (platform admin JWT only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from mais.admin.schemas import (
    AdminTenantOut,
    AuditPage,
    JobOut,
    JobPage,
    PlatformStats,
    TenantCreate,
    TenantCreated,
    TenantDetail,
    TenantPage,
    TenantUpdate,
    WebhookEventOut,
    WebhookEventPage,
)
from mais.admin.service import PlatformAdminService
from mais.auth.dependencies import PlatformAdminAuth
from mais.core.deps import ContainerDep, SessionDep
from mais.core.openapi import ADMIN_ERRORS
from mais.tenant_admin import service as bookings_admin
from mais.tenant_admin.endpoints import BookingFiltersDep, Page, PageSize
from mais.tenant_admin.schemas import BookingDetail, BookingPage, ConnectLinkOut

router = APIRouter(prefix="/v1/admin", tags=["platform admin"], responses=ADMIN_ERRORS)

NO_STORE = {"Cache-Control": "no-store"}
Search = Annotated[str | None, Query(max_length=200)]


def _service(
    admin: PlatformAdminAuth, container: ContainerDep, session: SessionDep
) -> PlatformAdminService:
    return PlatformAdminService(session, container, admin.actor)


# --- tenants ----------------------------------------------------------------------------


@router.get("/tenants", response_model=TenantPage, summary="Tenants with their counts")
async def list_tenants(
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
    q: Search = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> TenantPage:
    return await _service(admin, container, session).list_tenants(q, page, page_size)


@router.post(
    "/tenants",
    status_code=201,
    response_model=TenantCreated,
    summary="Create a tenant, its admin (password or invitation) and its keys",
)
async def create_tenant(
    body: TenantCreate,
    admin: PlatformAdminAuth,
    response: Response,
    container: ContainerDep,
    session: SessionDep,
) -> TenantCreated:
    response.headers.update(NO_STORE)
    return await _service(admin, container, session).create_tenant(body)


@router.get(
    "/tenants/{tenant_id}",
    response_model=TenantDetail,
    summary="A tenant (by id or slug) with stats",
)
async def get_tenant(
    tenant_id: str, admin: PlatformAdminAuth, container: ContainerDep, session: SessionDep
) -> TenantDetail:
    return await _service(admin, container, session).tenant_detail(tenant_id)


@router.patch(
    "/tenants/{tenant_id}",
    response_model=AdminTenantOut,
    summary="Rename, change commission (new bookings only), suspend or reactivate",
)
async def update_tenant(
    tenant_id: str,
    body: TenantUpdate,
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> AdminTenantOut:
    return await _service(admin, container, session).update_tenant(tenant_id, body.changes())


@router.get(
    "/tenants/{tenant_id}/bookings",
    response_model=BookingPage,
    summary="A tenant's bookings, read-only (same filters as the tenant's own list)",
)
async def list_tenant_bookings(
    tenant_id: str,
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
    filters: BookingFiltersDep,
    page: Page = 1,
    page_size: PageSize = 25,
) -> BookingPage:
    tenant = await _service(admin, container, session).tenant(tenant_id)
    return await bookings_admin.BookingAdminService(session, tenant.id).list_page(
        filters, page, page_size, cache=container.cache
    )


@router.get(
    "/tenants/{tenant_id}/bookings/{booking_id}",
    response_model=BookingDetail,
    summary="One of a tenant's bookings, read-only",
)
async def get_tenant_booking(
    tenant_id: str,
    booking_id: str,
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> BookingDetail:
    tenant = await _service(admin, container, session).tenant(tenant_id)
    return await bookings_admin.BookingAdminService(session, tenant.id).detail(booking_id)


@router.post(
    "/tenants/{tenant_id}/stripe/connect",
    response_model=ConnectLinkOut,
    summary="Start Stripe onboarding for a tenant: the Account Link to hand to them",
)
async def start_tenant_onboarding(
    tenant_id: str, admin: PlatformAdminAuth, container: ContainerDep, session: SessionDep
) -> ConnectLinkOut:
    tenant = await _service(admin, container, session).tenant(tenant_id)
    url = await bookings_admin.stripe_onboarding_link(container, session, admin.actor, tenant.id)
    return ConnectLinkOut(url=url)


# --- platform ---------------------------------------------------------------------------


@router.get("/stats", response_model=PlatformStats, summary="Tenants, bookings and money")
async def platform_stats(
    admin: PlatformAdminAuth, container: ContainerDep, session: SessionDep
) -> PlatformStats:
    return await _service(admin, container, session).platform_stats()


@router.get(
    "/audit-log",
    response_model=AuditPage,
    summary="Audit entries, newest first; filter by tenant (id or slug), actor, action",
)
async def audit_log(
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
    tenant: Search = None,
    actor: Annotated[
        str | None, Query(max_length=320, description="A user id or an actor label (e-mail)")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=80, description="`package.created`, or a prefix: `package`")
    ] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> AuditPage:
    return await _service(admin, container, session).audit_log(
        tenant=tenant, actor=actor, action=action, page=page, page_size=page_size
    )


@router.get(
    "/jobs",
    response_model=JobPage,
    summary="Background jobs: `failed` (dead or retrying, the default), `dead`, `pending`, ...",
)
async def list_jobs(
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "failed",
    page: Page = 1,
    page_size: PageSize = 50,
) -> JobPage:
    return await _service(admin, container, session).jobs(status, page, page_size)


@router.post("/jobs/{job_id}/retry", response_model=JobOut, summary="Run a failed job again now")
async def retry_job(
    job_id: str, admin: PlatformAdminAuth, container: ContainerDep, session: SessionDep
) -> JobOut:
    return await _service(admin, container, session).retry_job(job_id)


@router.get(
    "/webhook-events",
    response_model=WebhookEventPage,
    summary="Inbound webhook events, newest first (`status=failed` for the ones to look at)",
)
async def list_webhook_events(
    admin: PlatformAdminAuth,
    container: ContainerDep,
    session: SessionDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> WebhookEventPage:
    return await _service(admin, container, session).webhook_events(status, page, page_size)


@router.post(
    "/webhook-events/{event_id}/retry",
    response_model=WebhookEventOut,
    summary="Process a failed webhook event again from its stored payload",
)
async def retry_webhook_event(
    event_id: str, admin: PlatformAdminAuth, container: ContainerDep, session: SessionDep
) -> WebhookEventOut:
    return await _service(admin, container, session).retry_webhook_event(event_id)
