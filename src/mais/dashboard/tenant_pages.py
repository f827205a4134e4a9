"""The tenant dashboard `/tenant/...`: home, packages (with photos and add-on links),
add-ons, blackout dates, bookings (list, detail, CSV, cancel, refund), branding,
settings, embed and keys, Stripe Connect.

Thin, like the JSON API: each handler reads its form into the API's own input model,
calls the same domain service the `/v1/tenant-admin/...` endpoint calls, and renders the
page again with the problems next to their fields when the service refuses (after
rolling the request's transaction back)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response, StreamingResponse

from mais.admin.service import PlatformAdminService, month_start
from mais.bookings.repository import BookingFilters
from mais.catalog.admin_service import CatalogAdminService, PackageDraft
from mais.catalog.images import MAX_UPLOAD_BYTES
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep
from mais.core.errors import AppError, NotFound, ValidationFailed
from mais.dashboard.web import (
    FORM_ERROR,
    DashboardUser,
    dashboard_router,
    parse_cents,
    problems_of,
    refused,
    render,
    see_other,
    tenant_of,
    tenant_user,
    text,
    upload,
    validate_form,
)
from mais.models import BookingStatus, Package, Tenant
from mais.settings import Environment
from mais.tenant_admin import service as bookings_admin
from mais.tenant_admin.endpoints import booking_filters
from mais.tenant_admin.schemas import (
    AddOnCreate,
    AddOnUpdate,
    BlackoutCreate,
    BrandingIn,
    CancelIn,
    PackageCreate,
    PackageUpdate,
    SettingsIn,
    StripeStatusOut,
)
from mais.tenants.blackouts import BlackoutService, dates_in_range, tenant_today
from mais.tenants.branding import FONT_CHOICES, BrandingService, branding_of
from mais.tenants.palette import DEFAULT_FONT, palette_problems, safe_color
from mais.tenants.repository import TenantRepository
from mais.tenants.service import TenantService

router = dashboard_router()

TenantUser = Annotated[DashboardUser, Depends(tenant_user)]
PAGE_SIZE = 25
NOTICES = {
    "created": "Saved. The package is created.",
    "saved": "Saved. The widget shows the change now.",
    "published": "Published: the package is in the widget now.",
    "unpublished": "Unpublished: the package is hidden from the widget.",
    "deleted": "Deleted.",
    "archived": "Archived: bookings still refer to it, so it is hidden instead of deleted.",
    "photo": "Photo added.",
    "photo-deleted": "Photo deleted.",
    "canceled": "The booking is canceled; the couple has been told by e-mail.",
    "refunded": "The refund is made; the couple has been told by e-mail.",
    "blackout": "Blackout dates saved.",
    "connected": "Stripe onboarding finished.",
}
_COLOURS = ("primary_color", "secondary_color", "accent_color", "background_color")
_DEFAULT_COLOURS = {name: getattr(Tenant.__table__.c, name).default.arg for name in _COLOURS}


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def _catalog(
    user: DashboardUser, container: Container, session: AsyncSession
) -> CatalogAdminService:
    return CatalogAdminService(
        session, tenant_of(user).id, user.actor, container.cache, container.storage
    )


async def _tenant_row(user: DashboardUser, session: AsyncSession) -> Tenant:
    tenant = await TenantRepository(session).get(tenant_of(user).id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    return tenant


def _int(form: FormData, name: str, problems: dict[str, str]) -> int | None:
    raw = text(form, name).strip()
    try:
        return int(raw)
    except ValueError:
        problems[name] = "Please enter a whole number."
        return None


def _date(raw: str, name: str, problems: dict[str, str]) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        problems[name] = "Please enter a date as YYYY-MM-DD."
        return None


# --- home -------------------------------------------------------------------------------


@router.get("/tenant")
async def home(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    tenant = await _tenant_row(user, session)
    today = tenant_today(tenant_of(user))
    upcoming = await bookings_admin.BookingAdminService(session, tenant.id).upcoming(today, 8)
    stats = await PlatformAdminService(session, container, user.actor).tenant_stats(tenant.id)
    packages = await _catalog(user, container, session).list_packages()
    month = stats.this_month
    branding_set = bool(tenant.logo_key or tenant.logo_url) or any(
        getattr(tenant, name) != default for name, default in _DEFAULT_COLOURS.items()
    )
    checklist = [
        ("Connect Stripe to take payments", tenant.stripe_charges_enabled, "/tenant/stripe"),
        ("Set your branding (logo and colours)", branding_set, "/tenant/branding"),
        ("Publish at least one package", any(p.active for p in packages), "/tenant/packages"),
        ("Add your website to the allowed embed origins", bool(tenant.allowed_embed_origins),
         "/tenant/settings"),
    ]  # fmt: skip
    return render(
        request,
        container,
        "tenant/home.html",
        user=user,
        upcoming=upcoming,
        month_name=f"{month_start():%B %Y}",
        month_bookings=month.bookings,
        gross=month.gross_volume_cents,
        commission=month.platform_commission_cents,
        net=month.gross_volume_cents - month.platform_commission_cents,
        checklist=checklist,
        widget_url=f"{container.settings.public_url}/widget?tenant={tenant.slug}",
    )


# --- packages ---------------------------------------------------------------------------


@router.get("/tenant/packages")
async def packages_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    packages = await _catalog(user, container, session).list_packages()
    return render(
        request,
        container,
        "tenant/packages.html",
        user=user,
        packages=packages,
        notice=_notice(request),
        thumb=lambda key: container.storage.url(key),
    )


async def _package_form_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    *,
    package_id: uuid.UUID | None,
    values: dict[str, Any] | None,
    problems: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The package form; the package is read here (again after a rolled-back write, whose
    objects are expired), and `values` None shows what is stored."""
    catalog = _catalog(user, container, session)
    package = await catalog.get_package(package_id) if package_id is not None else None
    return render(
        request,
        container,
        "tenant/package_form.html",
        user=user,
        package=package,
        add_ons=await catalog.list_add_ons(),
        values=values if values is not None else _package_values(package),
        problems=problems,
        status_code=status_code,
        notice=_notice(request),
        storage=container.storage,
        max_photos=5,
    )


def _package_values(package: Package | None) -> dict[str, Any]:
    if package is None:
        return {"title": "", "slug": "", "description": "", "price": "", "active": False,
                "add_on_ids": []}  # fmt: skip
    return {
        "title": package.title,
        "slug": package.slug,
        "description": package.description,
        "price": f"{package.price_cents / 100:.2f}",
        "active": package.active,
        "add_on_ids": [str(link.add_on.id) for link in package.add_on_links],
    }


def _package_input(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(what to show again, the model's fields, problems found before validation)."""
    values: dict[str, Any] = {
        "title": text(form, "title"),
        "slug": text(form, "slug").strip(),
        "description": text(form, "description").replace("\r\n", "\n"),
        "price": text(form, "price"),
        "active": text(form, "active") == "1",
        "add_on_ids": [v for v in form.getlist("add_on_ids") if isinstance(v, str)],
    }
    problems: dict[str, str] = {}
    cents = parse_cents(values["price"])
    if cents is None:
        problems["price_cents"] = "Please enter the price, for example 3500 or 3500.00."
    fields: dict[str, Any] = {
        "title": values["title"],
        "description": values["description"],
        "price_cents": cents if cents is not None else 1,
        "active": values["active"],
        "add_on_ids": values["add_on_ids"],
    }
    if values["slug"]:
        fields["slug"] = values["slug"]
    return values, fields, problems


@router.get("/tenant/packages/new")
async def new_package_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    return await _package_form_page(
        request,
        user,
        container,
        session,
        package_id=None,
        values=_package_values(None),
        problems={},
    )


@router.post("/tenant/packages/new")
async def create_package(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    values, fields, problems = _package_input(await request.form())
    body, invalid = validate_form(PackageCreate, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        try:
            created = await _catalog(user, container, session).create_package(
                PackageDraft(
                    title=body.title,
                    price_cents=body.price_cents,
                    description=body.description,
                    slug=body.slug,
                    active=body.active,
                    add_on_ids=body.add_on_ids,
                )
            )
            return see_other(f"/tenant/packages/{created.id}?notice=created")
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
    return await _package_form_page(
        request, user, container, session, package_id=None, values=values, problems=problems,
        status_code=422,
    )  # fmt: skip


@router.get("/tenant/packages/{package_id}")
async def edit_package_page(
    package_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    package = await _catalog(user, container, session).get_package(package_id)
    return await _package_form_page(
        request, user, container, session, package_id=package.id, values=None, problems={}
    )


@router.post("/tenant/packages/{package_id}")
async def update_package(
    package_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    catalog = _catalog(user, container, session)
    package = await catalog.get_package(package_id)
    pid = package.id
    values, fields, problems = _package_input(await request.form())
    body, invalid = validate_form(PackageUpdate, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        try:
            await catalog.update_package(package, body.changes())
            return see_other(f"/tenant/packages/{pid}?notice=saved")
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
    return await _package_form_page(
        request, user, container, session, package_id=pid, values=values, problems=problems,
        status_code=422,
    )  # fmt: skip


@router.post("/tenant/packages/{package_id}/publish")
async def publish_package(
    package_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(user, container, session)
    await catalog.update_package(await catalog.get_package(package_id), {"active": True})
    return see_other("/tenant/packages?notice=published")


@router.post("/tenant/packages/{package_id}/unpublish")
async def unpublish_package(
    package_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(user, container, session)
    await catalog.update_package(await catalog.get_package(package_id), {"active": False})
    return see_other("/tenant/packages?notice=unpublished")


@router.post("/tenant/packages/{package_id}/delete")
async def delete_package(
    package_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(user, container, session)
    outcome = await catalog.delete_package(await catalog.get_package(package_id))
    return see_other(f"/tenant/packages?notice={outcome}")


def _moved(ids: list[uuid.UUID], target: uuid.UUID, direction: str) -> list[uuid.UUID]:
    index = ids.index(target)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return ids


@router.post("/tenant/packages/{package_id}/move")
async def move_package(
    package_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    catalog = _catalog(user, container, session)
    package = await catalog.get_package(package_id)
    ids = [p.id for p in await catalog.list_packages()]
    await catalog.reorder_packages(_moved(ids, package.id, text(await request.form(), "direction")))
    return see_other("/tenant/packages?notice=saved")


# --- photos -----------------------------------------------------------------------------


@router.post("/tenant/packages/{package_id}/photos")
async def upload_photo(
    package_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    catalog = _catalog(user, container, session)
    package = await catalog.get_package(package_id, lock=True)
    pid = package.id
    file = upload(await request.form())
    problems: dict[str, str] = {}
    status = 422
    if file is None or not file.filename:
        problems["file"] = "Please choose a photo (JPEG, PNG or WebP, at most 5 MB)."
    else:
        try:
            await catalog.add_photo(package, await file.read(MAX_UPLOAD_BYTES + 1))
            return see_other(f"/tenant/packages/{pid}?notice=photo#photos")
        except AppError as exc:
            await refused(session)
            problems = {"file": exc.message}
            status = exc.status_code
    return await _package_form_page(
        request, user, container, session, package_id=pid, values=None, problems=problems,
        status_code=status,
    )  # fmt: skip


@router.post("/tenant/packages/{package_id}/photos/{photo_id}/delete")
async def delete_photo(
    package_id: str, photo_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(user, container, session)
    package = await catalog.get_package(package_id)
    await catalog.delete_photo(package, photo_id)
    return see_other(f"/tenant/packages/{package.id}?notice=photo-deleted#photos")


@router.post("/tenant/packages/{package_id}/photos/{photo_id}/move")
async def move_photo(
    package_id: str,
    photo_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    catalog = _catalog(user, container, session)
    package = await catalog.get_package(package_id)
    ids = [photo.id for photo in package.photos]
    target = next((i for i in ids if str(i) == photo_id), None)
    if target is None:
        raise NotFound("Photo not found.")
    direction = text(await request.form(), "direction")
    await catalog.reorder_photos(package, _moved(ids, target, direction))
    return see_other(f"/tenant/packages/{package.id}?notice=saved#photos")


# --- add-ons ----------------------------------------------------------------------------


async def _add_ons_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        container,
        "tenant/add_ons.html",
        user=user,
        add_ons=await _catalog(user, container, session).list_add_ons(),
        values=values or {"title": "", "description": "", "price": "", "active": True},
        problems=problems or {},
        status_code=status_code,
        notice=_notice(request),
    )


def _add_on_input(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {
        "title": text(form, "title"),
        "description": text(form, "description").replace("\r\n", "\n"),
        "price": text(form, "price"),
        "active": text(form, "active") == "1",
    }
    problems: dict[str, str] = {}
    cents = parse_cents(values["price"]) if values["price"].strip() else 0
    if cents is None:
        problems["price_cents"] = "Please enter the price, for example 250 or 250.00."
    fields = {
        "title": values["title"],
        "description": values["description"],
        "price_cents": cents or 0,
        "active": values["active"],
    }
    return values, fields, problems


@router.get("/tenant/add-ons")
async def add_ons_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    return await _add_ons_page(request, user, container, session)


@router.post("/tenant/add-ons")
async def create_add_on(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    values, fields, problems = _add_on_input(await request.form())
    body, invalid = validate_form(AddOnCreate, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        try:
            await _catalog(user, container, session).create_add_on(
                title=body.title,
                price_cents=body.price_cents,
                description=body.description,
                active=body.active,
            )
            return see_other("/tenant/add-ons?notice=saved")
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
    return await _add_ons_page(
        request, user, container, session, values=values, problems=problems, status_code=422
    )


@router.get("/tenant/add-ons/{add_on_id}")
async def edit_add_on_page(
    add_on_id: str, request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    add_on = await _catalog(user, container, session).get_add_on(add_on_id)
    values = {
        "title": add_on.title,
        "description": add_on.description,
        "price": f"{add_on.price_cents / 100:.2f}",
        "active": add_on.active,
    }
    return render(
        request, container, "tenant/add_on_form.html", user=user, add_on=add_on, values=values,
        problems={},
    )  # fmt: skip


@router.post("/tenant/add-ons/{add_on_id}")
async def update_add_on(
    add_on_id: str, request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(user, container, session)
    add_on = await catalog.get_add_on(add_on_id)
    values, fields, problems = _add_on_input(await request.form())
    body, invalid = validate_form(AddOnUpdate, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        try:
            await catalog.update_add_on(add_on, body.changes())
            return see_other("/tenant/add-ons?notice=saved")
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
    add_on = await catalog.get_add_on(add_on_id)
    return render(
        request, container, "tenant/add_on_form.html", user=user, add_on=add_on, values=values,
        problems=problems, status_code=422,
    )  # fmt: skip


@router.post("/tenant/add-ons/{add_on_id}/delete")
async def delete_add_on(
    add_on_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = _catalog(user, container, session)
    outcome = await catalog.delete_add_on(await catalog.get_add_on(add_on_id))
    return see_other(f"/tenant/add-ons?notice={outcome}")


# --- blackouts --------------------------------------------------------------------------


async def _blackouts_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
    skipped: list[dt.date] | None = None,
) -> Response:
    tenant = tenant_of(user)
    rows = await BlackoutService(session, tenant, user.actor).list_dates(tenant_today(tenant))
    return render(
        request,
        container,
        "tenant/blackouts.html",
        user=user,
        blackouts=rows,
        values=values or {"date": "", "end_date": "", "reason": ""},
        problems=problems or {},
        status_code=status_code,
        notice=_notice(request),
        skipped=skipped or [],
    )


@router.get("/tenant/blackouts")
async def blackouts_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    return await _blackouts_page(request, user, container, session)


@router.post("/tenant/blackouts")
async def create_blackouts(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    form = await request.form()
    values = {name: text(form, name).strip() for name in ("date", "end_date", "reason")}
    problems: dict[str, str] = {}
    start = _date(values["date"], "date", problems)
    end = _date(values["end_date"], "end_date", problems)
    if start is None and "date" not in problems:
        problems["date"] = "Please enter the date (the first date of a range)."
    fields: dict[str, Any] = {"reason": values["reason"] or None}
    if end is not None and end != start:
        fields.update(start_date=start, end_date=end)
    else:
        fields["date"] = start
    body, invalid = (None, {}) if problems else validate_form(BlackoutCreate, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        try:
            dates = dates_in_range(*body.bounds())
            result = await BlackoutService(session, tenant_of(user), user.actor).add(
                dates, body.reason
            )
            if not result.skipped:
                return see_other("/tenant/blackouts?notice=blackout")
            return await _blackouts_page(
                request, user, container, session, skipped=list(result.skipped)
            )
        except AppError as exc:
            await refused(session)
            problems = {
                ("end_date" if k in ("end_date", "start_date") else k): v
                for k, v in problems_of(exc).items()
            }
    return await _blackouts_page(
        request, user, container, session, values=values, problems=problems, status_code=422
    )


@router.post("/tenant/blackouts/{blackout_id}/delete")
async def delete_blackout(blackout_id: str, user: TenantUser, session: SessionDep) -> Response:
    await BlackoutService(session, tenant_of(user), user.actor).delete(blackout_id)
    return see_other("/tenant/blackouts?notice=deleted")


# --- bookings ---------------------------------------------------------------------------


def _filters_from_query(request: Request) -> tuple[BookingFilters, dict[str, str], dict[str, str]]:
    query = request.query_params
    values = {name: query.get(name, "")[:200] for name in ("status", "from", "to", "q")}
    problems: dict[str, str] = {}
    start = _date(values["from"], "from", problems)
    end = _date(values["to"], "to", problems)
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
        filters, page, PAGE_SIZE
    )
    kept = "&".join(f"{k}={v}" for k, v in values.items() if v)
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
    from urllib.parse import urlencode

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
        notice=_notice(request),
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


# --- branding ---------------------------------------------------------------------------


async def _branding_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    tenant = await _tenant_row(user, session)
    branding = branding_of(tenant, container.storage)
    shown = values or {
        "primary_color": branding.primary_color,
        "secondary_color": branding.secondary_color,
        "accent_color": branding.accent_color,
        "background_color": branding.background_color,
        "font_family": branding.font_family,
    }
    return render(
        request,
        container,
        "tenant/branding.html",
        user=user,
        values=shown,
        problems=problems or {},
        status_code=status_code,
        notice=_notice(request),
        logo_url=branding.logo_url,
        fonts=list(FONT_CHOICES),
        fonts_json=json.dumps(FONT_CHOICES),
        contrast_problems=[p.message for p in palette_problems(branding)],
        safe={name: safe_color(shown.get(name), getattr(branding, name)) for name in _COLOURS},
        # A value of the fixed font list, never the tenant's text: safe inside <style>.
        font_stack=Markup(  # noqa: S704
            FONT_CHOICES.get(shown.get("font_family", ""), FONT_CHOICES[DEFAULT_FONT])
        ),
        widget_path=f"/widget?tenant={tenant.slug}",
        frames=True,
    )


@router.get("/tenant/branding")
async def branding_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    return await _branding_page(request, user, container, session)


@router.post("/tenant/branding")
async def update_branding(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    form = await request.form()
    names = ("primary_color", "secondary_color", "accent_color", "background_color", "font_family")
    values = {name: text(form, name).strip() for name in names}
    body, problems = validate_form(BrandingIn, values)
    if body is not None:
        tenant = await _tenant_row(user, session)
        service = BrandingService(session, container.cache, container.storage, user.actor)
        try:
            await service.update(tenant, body.changes())
            return see_other("/tenant/branding?notice=saved")
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
    return await _branding_page(
        request, user, container, session, values=values, problems=problems, status_code=422
    )


@router.post("/tenant/branding/logo")
async def upload_logo(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    file = upload(await request.form())
    problems: dict[str, str] = {}
    status = 422
    if file is None or not file.filename:
        problems["file"] = "Please choose a logo (JPEG, PNG or WebP, at most 5 MB)."
    else:
        tenant = await _tenant_row(user, session)
        service = BrandingService(session, container.cache, container.storage, user.actor)
        try:
            await service.replace_logo(tenant, await file.read(MAX_UPLOAD_BYTES + 1))
            return see_other("/tenant/branding?notice=saved")
        except AppError as exc:
            await refused(session)
            problems = {"file": exc.message}
            status = exc.status_code
    return await _branding_page(
        request, user, container, session, problems=problems, status_code=status
    )


@router.post("/tenant/branding/logo/delete")
async def remove_logo(user: TenantUser, container: ContainerDep, session: SessionDep) -> Response:
    tenant = await _tenant_row(user, session)
    service = BrandingService(session, container.cache, container.storage, user.actor)
    await service.update(tenant, {"logo_url": None})
    return see_other("/tenant/branding?notice=saved")


# --- settings ---------------------------------------------------------------------------


def _settings_values(tenant: Tenant) -> dict[str, str]:
    return {
        "timezone": tenant.timezone,
        "min_notice_days": str(tenant.min_notice_days),
        "max_days_ahead": str(tenant.max_days_ahead),
        "allowed_embed_origins": "\n".join(tenant.allowed_embed_origins or []),
        "notification_email": tenant.notification_email or "",
        "calendar_id": tenant.calendar_id or "",
    }


@router.get("/tenant/settings")
async def settings_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    tenant = await _tenant_row(user, session)
    return render(
        request, container, "tenant/settings.html", user=user, values=_settings_values(tenant),
        problems={}, notice=_notice(request),
    )  # fmt: skip


@router.post("/tenant/settings")
async def update_settings(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    form = await request.form()
    names = ("timezone", "min_notice_days", "max_days_ahead", "allowed_embed_origins",
             "notification_email", "calendar_id")  # fmt: skip
    values = {name: text(form, name).strip() for name in names}
    problems: dict[str, str] = {}
    origins = [line.strip() for line in values["allowed_embed_origins"].splitlines()]
    fields: dict[str, Any] = {
        "timezone": values["timezone"],
        "min_notice_days": _int(form, "min_notice_days", problems),
        "max_days_ahead": _int(form, "max_days_ahead", problems),
        "allowed_embed_origins": [o for o in origins if o],
        "notification_email": values["notification_email"] or None,
        "calendar_id": values["calendar_id"] or None,
    }
    fields = {k: v for k, v in fields.items() if k not in problems}
    body, invalid = validate_form(SettingsIn, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        tenant = await _tenant_row(user, session)
        try:
            await TenantService(session, container.resolver).update_settings(
                user.actor,
                tenant,
                body.changes(),
                development=container.settings.app_env is Environment.development,
            )
            return see_other("/tenant/settings?notice=saved")
        except AppError as exc:
            await refused(session)
            problems = problems_of(exc)
    return render(
        request, container, "tenant/settings.html", user=user, values=values, problems=problems,
        notice=None, status_code=422,
    )  # fmt: skip


# --- embed & keys -----------------------------------------------------------------------


async def _embed_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    *,
    new_secret: str | None = None,
) -> Response:
    tenant = tenant_of(user)
    keys = await TenantService(session, container.resolver).key_summary(tenant.id)
    base = container.settings.public_url
    iframe = (
        f'<iframe src="{base}/widget?tenant={tenant.slug}" width="100%" height="800px" '
        f'frameborder="0" title="Book with {tenant.name}"></iframe>'
    )
    script = f'<script src="{base}/embed.js" data-tenant="{tenant.slug}" async></script>'
    return render(
        request,
        container,
        "tenant/embed.html",
        user=user,
        public_key=keys.public_key,
        secret_key_hint=keys.secret_key_hint,
        new_secret=new_secret,
        iframe_snippet=iframe,
        script_snippet=script,
        storefront_url=f"{base}/t/{tenant.slug}",
    )


@router.get("/tenant/embed")
async def embed_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    return await _embed_page(request, user, container, session)


@router.post("/tenant/embed/rotate")
async def rotate_keys(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    tenant = await _tenant_row(user, session)
    keys = await TenantService(session, container.resolver).rotate_keys(user.actor, tenant)
    await session.flush()
    return await _embed_page(request, user, container, session, new_secret=keys.secret_key)


# --- Stripe Connect ---------------------------------------------------------------------


async def _stripe_page(
    request: Request,
    user: DashboardUser,
    container: Container,
    session: AsyncSession,
    *,
    heading: str = "Payments with Stripe",
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    status = StripeStatusOut.of(await _tenant_row(user, session))
    return render(
        request,
        container,
        "tenant/stripe.html",
        user=user,
        status=status,
        heading=heading,
        problem=problem,
        status_code=status_code,
        notice=_notice(request),
        mock=container.settings.mock_adapters,
        stripe_redirect=True,
    )


@router.get("/tenant/stripe")
async def stripe_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    return await _stripe_page(request, user, container, session)


@router.post("/tenant/stripe/connect")
async def stripe_connect(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    try:
        url = await bookings_admin.stripe_onboarding_link(
            container, session, user.actor, tenant_of(user).id
        )
    except AppError as exc:
        await refused(session)
        return await _stripe_page(
            request, user, container, session, problem=exc.message, status_code=exc.status_code
        )
    return see_other(url)


@router.get(bookings_admin.STRIPE_RETURN_PATH)
async def stripe_return(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    """Stripe sends the owner back here after onboarding: read the account's state now
    (the `account.updated` webhook keeps it current afterwards)."""
    from mais.payments.connect_service import ConnectService

    problem = None
    try:
        await ConnectService(session, container).refresh_status(user.actor, tenant_of(user).id)
    except AppError as exc:
        await refused(session)
        problem = f"Stripe's answer could not be read just now ({exc.message}); the status "
        problem += "below updates by itself when Stripe reports it."
    return await _stripe_page(
        request, user, container, session, heading="Back from Stripe", problem=problem
    )


@router.get(bookings_admin.STRIPE_REFRESH_PATH)
async def stripe_refresh(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    """Stripe sends the owner here when the onboarding link expired or was used."""
    return await _stripe_page(
        request,
        user,
        container,
        session,
        heading="Continue your Stripe onboarding",
        problem="That onboarding link has expired. Press the button to get a new one.",
    )


__all__ = ["FORM_ERROR", "router"]
