"""Tenant dashboard: packages (create, edit, publish, order, delete or archive), their
photos (upload, order, delete) and add-on links, add-ons, and blackout dates, through
`CatalogAdminService` and `BlackoutService` as in `/v1/tenant-admin/...`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from mais.catalog.admin_service import PackageDraft
from mais.catalog.images import MAX_UPLOAD_BYTES
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep
from mais.core.errors import AppError, NotFound
from mais.dashboard.tenant_pages import (
    TenantUser,
    catalog_of,
    date_field,
    notice_of,
)
from mais.dashboard.web import (
    DashboardUser,
    dashboard_router,
    parse_cents,
    problems_of,
    refused,
    render,
    see_other,
    tenant_of,
    text,
    upload,
    validate_form,
)
from mais.models import Package
from mais.tenant_admin.schemas import (
    AddOnCreate,
    AddOnUpdate,
    BlackoutCreate,
    PackageCreate,
    PackageUpdate,
)
from mais.tenants.blackouts import BlackoutService, dates_in_range, tenant_today

router = dashboard_router()


# --- packages ---------------------------------------------------------------------------


@router.get("/tenant/packages")
async def packages_page(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    packages = await catalog_of(user, container, session).list_packages()
    return render(
        request,
        container,
        "tenant/packages.html",
        user=user,
        packages=packages,
        notice=notice_of(request),
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
    catalog = catalog_of(user, container, session)
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
        notice=notice_of(request),
        storage=container.storage,
        max_photos=5,
    )


def _package_values(package: Package | None) -> dict[str, Any]:
    if package is None:
        return {
            "title": "",
            "slug": "",
            "description": "",
            "price": "",
            "active": False,
            "add_on_ids": [],
        }
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
            created = await catalog_of(user, container, session).create_package(
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
        request,
        user,
        container,
        session,
        package_id=None,
        values=values,
        problems=problems,
        status_code=422,
    )


@router.get("/tenant/packages/{package_id}")
async def edit_package_page(
    package_id: str,
    request: Request,
    user: TenantUser,
    container: ContainerDep,
    session: SessionDep,
) -> Response:
    package = await catalog_of(user, container, session).get_package(package_id)
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
    catalog = catalog_of(user, container, session)
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
        request,
        user,
        container,
        session,
        package_id=pid,
        values=values,
        problems=problems,
        status_code=422,
    )


@router.post("/tenant/packages/{package_id}/publish")
async def publish_package(
    package_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = catalog_of(user, container, session)
    await catalog.update_package(await catalog.get_package(package_id), {"active": True})
    return see_other("/tenant/packages?notice=published")


@router.post("/tenant/packages/{package_id}/unpublish")
async def unpublish_package(
    package_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = catalog_of(user, container, session)
    await catalog.update_package(await catalog.get_package(package_id), {"active": False})
    return see_other("/tenant/packages?notice=unpublished")


@router.post("/tenant/packages/{package_id}/delete")
async def delete_package(
    package_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = catalog_of(user, container, session)
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
    catalog = catalog_of(user, container, session)
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
    catalog = catalog_of(user, container, session)
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
        request,
        user,
        container,
        session,
        package_id=pid,
        values=None,
        problems=problems,
        status_code=status,
    )


@router.post("/tenant/packages/{package_id}/photos/{photo_id}/delete")
async def delete_photo(
    package_id: str, photo_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = catalog_of(user, container, session)
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
    catalog = catalog_of(user, container, session)
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
        add_ons=await catalog_of(user, container, session).list_add_ons(),
        values=values or {"title": "", "description": "", "price": "", "active": True},
        problems=problems or {},
        status_code=status_code,
        notice=notice_of(request),
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
            await catalog_of(user, container, session).create_add_on(
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
    add_on = await catalog_of(user, container, session).get_add_on(add_on_id)
    values = {
        "title": add_on.title,
        "description": add_on.description,
        "price": f"{add_on.price_cents / 100:.2f}",
        "active": add_on.active,
    }
    return render(
        request,
        container,
        "tenant/add_on_form.html",
        user=user,
        add_on=add_on,
        values=values,
        problems={},
    )


@router.post("/tenant/add-ons/{add_on_id}")
async def update_add_on(
    add_on_id: str, request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = catalog_of(user, container, session)
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
        request,
        container,
        "tenant/add_on_form.html",
        user=user,
        add_on=add_on,
        values=values,
        problems=problems,
        status_code=422,
    )


@router.post("/tenant/add-ons/{add_on_id}/delete")
async def delete_add_on(
    add_on_id: str, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    catalog = catalog_of(user, container, session)
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
        notice=notice_of(request),
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
    start = date_field(values["date"], "date", problems)
    end = date_field(values["end_date"], "end_date", problems)
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
