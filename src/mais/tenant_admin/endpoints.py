"""`/v1/tenant-admin/...` (SPEC §5.1): a tenant admin's JWT or the tenant's secret key.

Thin: each handler checks the input shape, calls one service, and shapes the answer.
Path ids are taken as text: an id that is not a UUID, or that belongs to another tenant,
is simply not found (404)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from starlette.responses import StreamingResponse

from mais.auth.dependencies import TenantAdminAuth, TenantAdminPrincipal
from mais.bookings.repository import BookingFilters
from mais.catalog.admin_service import CatalogAdminService, PackageDraft
from mais.catalog.images import MAX_UPLOAD_BYTES
from mais.core.deps import ContainerDep, SessionDep
from mais.core.errors import NotFound, ValidationFailed
from mais.core.openapi import ADMIN_ERRORS
from mais.models import BookingStatus, Tenant
from mais.settings import Environment
from mais.tenant_admin import service as bookings_admin
from mais.tenant_admin.schemas import (
    AddOnCreate,
    AddOnOut,
    AddOnUpdate,
    ApiKeysOut,
    BlackoutCreate,
    BlackoutOut,
    BlackoutsCreated,
    BookingDetail,
    BookingPage,
    BrandingIn,
    BrandingSettingsOut,
    CancelIn,
    ConnectLinkOut,
    MeOut,
    PackageCreate,
    PackageOut,
    PackageUpdate,
    PhotoOut,
    RefundIn,
    ReorderIn,
    RotatedKeysOut,
    SettingsIn,
    SettingsOut,
    StripeStatusOut,
    TenantOut,
    UserOut,
)
from mais.tenants.blackouts import BlackoutService, dates_in_range
from mais.tenants.branding import BrandingService
from mais.tenants.repository import TenantRepository
from mais.tenants.service import TenantService

router = APIRouter(prefix="/v1/tenant-admin", tags=["tenant admin"], responses=ADMIN_ERRORS)

NO_STORE = {"Cache-Control": "no-store"}
UploadedFile = Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MB")]


async def _tenant_row(admin: TenantAdminPrincipal, session: SessionDep) -> Tenant:
    tenant = await TenantRepository(session).get(admin.tenant.id)
    if tenant is None:  # deleted between authentication and now
        raise NotFound("Tenant not found.")
    return tenant


def _catalog(
    admin: TenantAdminPrincipal, container: ContainerDep, session: SessionDep
) -> CatalogAdminService:
    return CatalogAdminService(
        session, admin.tenant.id, admin.actor, container.cache, container.storage
    )


async def _read_upload(file: UploadFile) -> bytes:
    # One byte more than allowed is enough to know the file is too large.
    return await file.read(MAX_UPLOAD_BYTES + 1)


# --- me, settings, keys ---------------------------------------------------------------


@router.get("/me", response_model=MeOut, summary="The tenant (and user) behind the credential")
async def me(admin: TenantAdminAuth) -> MeOut:
    user = UserOut(id=admin.user.id, email=admin.user.email) if admin.user else None
    return MeOut(tenant=TenantOut.of(admin.tenant), user=user)


@router.get("/settings", response_model=SettingsOut, summary="Time zone, booking window, ...")
async def get_settings(admin: TenantAdminAuth, session: SessionDep) -> SettingsOut:
    return SettingsOut.of(await _tenant_row(admin, session))


@router.put(
    "/settings",
    response_model=SettingsOut,
    summary="Change settings (any subset of the fields; null clears the optional ones)",
)
async def put_settings(
    body: SettingsIn, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> SettingsOut:
    tenant = await _tenant_row(admin, session)
    await TenantService(session, container.resolver).update_settings(
        admin.actor,
        tenant,
        body.changes(),
        development=container.settings.app_env is Environment.development,
    )
    return SettingsOut.of(tenant)


@router.get("/api-keys", response_model=ApiKeysOut, summary="The public key and a secret-key hint")
async def get_api_keys(
    admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> ApiKeysOut:
    summary = await TenantService(session, container.resolver).key_summary(admin.tenant.id)
    return ApiKeysOut(public_key=summary.public_key, secret_key_hint=summary.secret_key_hint)


@router.post(
    "/api-keys/rotate",
    response_model=RotatedKeysOut,
    summary="New public and secret keys; the old ones stop working at once",
)
async def rotate_api_keys(
    admin: TenantAdminAuth, response: Response, container: ContainerDep, session: SessionDep
) -> RotatedKeysOut:
    tenant = await _tenant_row(admin, session)
    keys = await TenantService(session, container.resolver).rotate_keys(admin.actor, tenant)
    response.headers.update(NO_STORE)
    return RotatedKeysOut(public_key=keys.public_key, secret_key=keys.secret_key)


# --- packages ---------------------------------------------------------------------------


@router.get("/packages", response_model=list[PackageOut], summary="All packages, published or not")
async def list_packages(
    admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> list[PackageOut]:
    packages = await _catalog(admin, container, session).list_packages()
    return [PackageOut.of(p, container.storage) for p in packages]


@router.post("/packages", status_code=201, response_model=PackageOut, summary="Create a package")
async def create_package(
    body: PackageCreate, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> PackageOut:
    catalog = _catalog(admin, container, session)
    created = await catalog.create_package(
        PackageDraft(
            title=body.title,
            price_cents=body.price_cents,
            description=body.description,
            slug=body.slug,
            active=body.active,
            sort_order=body.sort_order,
            add_on_ids=body.add_on_ids,
        )
    )
    return PackageOut.of(await catalog.get_package(created.id), container.storage)


@router.post(
    "/packages/reorder",
    response_model=list[PackageOut],
    summary="Set the display order: `{ids}` lists every package once, first to last",
)
async def reorder_packages(
    body: ReorderIn, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> list[PackageOut]:
    packages = await _catalog(admin, container, session).reorder_packages(body.ids)
    return [PackageOut.of(p, container.storage) for p in packages]


@router.get("/packages/{package_id}", response_model=PackageOut, summary="One package")
async def get_package(
    package_id: str, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> PackageOut:
    package = await _catalog(admin, container, session).get_package(package_id)
    return PackageOut.of(package, container.storage)


@router.patch(
    "/packages/{package_id}",
    response_model=PackageOut,
    summary="Change some fields (publish with `active: true`)",
)
async def update_package(
    package_id: str,
    body: PackageUpdate,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> PackageOut:
    catalog = _catalog(admin, container, session)
    package = await catalog.get_package(package_id)
    updated = await catalog.update_package(package, body.changes())
    return PackageOut.of(updated, container.storage)


@router.delete(
    "/packages/{package_id}",
    status_code=204,
    summary="Delete a package (archived instead when bookings reference it)",
)
async def delete_package(
    package_id: str, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(admin, container, session)
    await catalog.delete_package(await catalog.get_package(package_id))
    return Response(status_code=204)


@router.post(
    "/packages/{package_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    summary="Upload a photo (multipart field `file`; at most 5 per package)",
    responses={413: {"description": "larger than 5 MB"}, 415: {"description": "not an image"}},
)
async def upload_photo(
    package_id: str,
    file: UploadedFile,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> PhotoOut:
    catalog = _catalog(admin, container, session)
    package = await catalog.get_package(package_id, lock=True)
    photo = await catalog.add_photo(package, await _read_upload(file))
    return PhotoOut.of(photo, container.storage)


@router.post(
    "/packages/{package_id}/photos/reorder",
    response_model=list[PhotoOut],
    summary="Set the photo order: `{ids}` lists every photo of the package once",
)
async def reorder_photos(
    package_id: str,
    body: ReorderIn,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> list[PhotoOut]:
    catalog = _catalog(admin, container, session)
    package = await catalog.get_package(package_id)
    photos = await catalog.reorder_photos(package, body.ids)
    return [PhotoOut.of(photo, container.storage) for photo in photos]


@router.delete(
    "/packages/{package_id}/photos/{photo_id}", status_code=204, summary="Delete a photo"
)
async def delete_photo(
    package_id: str,
    photo_id: str,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    catalog = _catalog(admin, container, session)
    await catalog.delete_photo(await catalog.get_package(package_id), photo_id)
    return Response(status_code=204)


# --- add-ons ----------------------------------------------------------------------------


@router.get("/add-ons", response_model=list[AddOnOut], summary="All add-ons")
async def list_add_ons(
    admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> list[AddOnOut]:
    return [AddOnOut.of(a) for a in await _catalog(admin, container, session).list_add_ons()]


@router.post("/add-ons", status_code=201, response_model=AddOnOut, summary="Create an add-on")
async def create_add_on(
    body: AddOnCreate, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> AddOnOut:
    add_on = await _catalog(admin, container, session).create_add_on(
        title=body.title,
        price_cents=body.price_cents,
        description=body.description,
        active=body.active,
    )
    return AddOnOut.of(add_on)


@router.get("/add-ons/{add_on_id}", response_model=AddOnOut, summary="One add-on")
async def get_add_on(
    add_on_id: str, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> AddOnOut:
    return AddOnOut.of(await _catalog(admin, container, session).get_add_on(add_on_id))


@router.patch("/add-ons/{add_on_id}", response_model=AddOnOut, summary="Change some fields")
async def update_add_on(
    add_on_id: str,
    body: AddOnUpdate,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> AddOnOut:
    catalog = _catalog(admin, container, session)
    add_on = await catalog.update_add_on(await catalog.get_add_on(add_on_id), body.changes())
    return AddOnOut.of(add_on)


@router.delete(
    "/add-ons/{add_on_id}",
    status_code=204,
    summary="Delete an add-on (archived instead when bookings reference it)",
)
async def delete_add_on(
    add_on_id: str, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(admin, container, session)
    await catalog.delete_add_on(await catalog.get_add_on(add_on_id))
    return Response(status_code=204)


# --- blackouts --------------------------------------------------------------------------


@router.get("/blackouts", response_model=list[BlackoutOut], summary="Blackout dates by date")
async def list_blackouts(
    admin: TenantAdminAuth,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
) -> list[BlackoutOut]:
    rows = await BlackoutService(session, admin.tenant, admin.actor).list_dates(start, end)
    return [BlackoutOut.of(row) for row in rows]


@router.post(
    "/blackouts",
    status_code=201,
    response_model=BlackoutsCreated,
    summary="Black out one date or a range; dates already blacked out are listed as skipped",
    responses={200: {"description": "nothing new: every date was already blacked out"}},
)
async def create_blackouts(
    body: BlackoutCreate, admin: TenantAdminAuth, response: Response, session: SessionDep
) -> BlackoutsCreated:
    dates = dates_in_range(*body.bounds())
    result = await BlackoutService(session, admin.tenant, admin.actor).add(dates, body.reason)
    if not result.created:
        response.status_code = 200
    return BlackoutsCreated(
        created=[BlackoutOut.of(row) for row in result.created], skipped=result.skipped
    )


@router.delete("/blackouts/{blackout_id}", status_code=204, summary="Remove a blackout date")
async def delete_blackout(
    blackout_id: str, admin: TenantAdminAuth, session: SessionDep
) -> Response:
    await BlackoutService(session, admin.tenant, admin.actor).delete(blackout_id)
    return Response(status_code=204)


# --- branding ---------------------------------------------------------------------------


@router.get("/branding", response_model=BrandingSettingsOut, summary="Colours, font and logo")
async def get_branding(
    admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> BrandingSettingsOut:
    return BrandingSettingsOut.of(await _tenant_row(admin, session), container.storage)


@router.put(
    "/branding",
    response_model=BrandingSettingsOut,
    summary="Change colours (#RRGGBB), font (fixed list) or logo URL (https)",
)
async def put_branding(
    body: BrandingIn, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> BrandingSettingsOut:
    tenant = await _tenant_row(admin, session)
    service = BrandingService(session, container.cache, container.storage, admin.actor)
    await service.update(tenant, body.changes())
    return BrandingSettingsOut.of(tenant, container.storage)


@router.post(
    "/branding/logo",
    response_model=BrandingSettingsOut,
    summary="Upload a logo (multipart field `file`; JPEG, PNG or WebP, at most 5 MB)",
    responses={413: {"description": "larger than 5 MB"}, 415: {"description": "not an image"}},
)
async def upload_logo(
    file: UploadedFile, admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> BrandingSettingsOut:
    tenant = await _tenant_row(admin, session)
    service = BrandingService(session, container.cache, container.storage, admin.actor)
    await service.replace_logo(tenant, await _read_upload(file))
    return BrandingSettingsOut.of(tenant, container.storage)


# --- Stripe Connect ---------------------------------------------------------------------


@router.post(
    "/stripe/connect",
    response_model=ConnectLinkOut,
    summary="Start or resume Stripe onboarding: the Account Link to send the admin to",
)
async def stripe_connect(
    admin: TenantAdminAuth, container: ContainerDep, session: SessionDep
) -> ConnectLinkOut:
    url = await bookings_admin.stripe_onboarding_link(
        container, session, admin.actor, admin.tenant.id
    )
    return ConnectLinkOut(url=url)


@router.get("/stripe/status", response_model=StripeStatusOut, summary="Stripe onboarding state")
async def stripe_status(admin: TenantAdminAuth, session: SessionDep) -> StripeStatusOut:
    return StripeStatusOut.of(await _tenant_row(admin, session))


# --- bookings ---------------------------------------------------------------------------


def booking_filters(
    status: str | None = None,
    event_from: dt.date | None = None,
    event_to: dt.date | None = None,
    q: str | None = None,
) -> BookingFilters:
    """The filters of a booking list, checked (the API's query and the dashboards' form)."""
    statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
    unknown = [s for s in statuses if s not in BookingStatus.__members__]
    if unknown:
        raise ValidationFailed(
            f"Unknown status: {', '.join(unknown)}",
            details=[{"field": "status", "issue": f"one of {', '.join(BookingStatus)}"}],
        )
    if event_from and event_to and event_to < event_from:
        raise ValidationFailed(
            "`to` must be on or after `from`.", details=[{"field": "to", "issue": "before from"}]
        )
    return BookingFilters(
        statuses=statuses,
        event_from=event_from,
        event_to=event_to,
        search=(q or "").strip() or None,
    )


async def _booking_filters_query(
    status: Annotated[
        str | None, Query(description="One status, or several separated by commas")
    ] = None,
    event_from: Annotated[dt.date | None, Query(alias="from")] = None,
    event_to: Annotated[dt.date | None, Query(alias="to")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of the couple's name or e-mail")
    ] = None,
) -> BookingFilters:
    # async: FastAPI runs a plain `def` dependency in its thread pool (measured: a thread
    # hand-off per list request).
    return booking_filters(status, event_from, event_to, q)


BookingFiltersDep = Annotated[BookingFilters, Depends(_booking_filters_query)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=100)]


@router.get("/bookings", response_model=BookingPage, summary="Bookings, filtered and paginated")
async def list_bookings(
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
    filters: BookingFiltersDep,
    page: Page = 1,
    page_size: PageSize = 25,
) -> BookingPage:
    return await bookings_admin.BookingAdminService(session, admin.tenant.id).list_page(
        filters, page, page_size, cache=container.cache
    )


@router.get(
    "/bookings/export.csv",
    summary="The filtered bookings as CSV (RFC 4180; formula-like cells neutralised)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_bookings(
    admin: TenantAdminAuth,
    container: ContainerDep,
    filters: BookingFiltersDep,
) -> StreamingResponse:
    filename = f"bookings-{admin.tenant.slug}-{dt.date.today().isoformat()}.csv"
    return StreamingResponse(
        bookings_admin.export_bookings_csv(container.db, admin.tenant.id, filters),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingDetail,
    summary="One booking with its payments, refunds and audit trail",
)
async def get_booking(
    booking_id: str, admin: TenantAdminAuth, session: SessionDep
) -> BookingDetail:
    return await bookings_admin.BookingAdminService(session, admin.tenant.id).detail(booking_id)


@router.post(
    "/bookings/{booking_id}/cancel",
    response_model=BookingDetail,
    summary="Cancel a booking (frees the date; the couple and the tenant are told)",
)
async def cancel_booking(
    booking_id: str,
    body: CancelIn,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> BookingDetail:
    service = bookings_admin.BookingAdminService(session, admin.tenant.id)
    booking = await service.get(booking_id)
    await bookings_admin.cancel_booking(container, session, admin.actor, booking, body.reason)
    return await service.detail(booking.id)


@router.post(
    "/bookings/{booking_id}/refund",
    response_model=BookingDetail,
    summary="Refund a booking in full (no amount) or in part (`amountCents`)",
)
async def refund_booking(
    booking_id: str,
    body: RefundIn,
    admin: TenantAdminAuth,
    container: ContainerDep,
    session: SessionDep,
) -> BookingDetail:
    service = bookings_admin.BookingAdminService(session, admin.tenant.id)
    booking = await service.get(booking_id)
    await bookings_admin.refund_booking(container, session, admin.actor, booking, body.amount_cents)
    return await service.detail(booking.id)
