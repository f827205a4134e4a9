"""The tenant dashboard `/tenant/...`: home, branding, settings, embed and keys, Stripe
Connect, and what every tenant page shares (the logged-in tenant admin, notices, the
tenant's row, form fields). Catalog pages are in `catalog_pages`, bookings in
`booking_pages`.

Thin, like the JSON API: each handler reads its form into the API's own input model,
calls the same domain service the `/v1/tenant-admin/...` endpoint calls, and renders the
page again with the problems next to their fields when the service refuses (after
rolling the request's transaction back)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import Depends, Request
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from mais.admin.service import PlatformAdminService, month_start
from mais.catalog.admin_service import CatalogAdminService
from mais.catalog.images import MAX_UPLOAD_BYTES
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep
from mais.core.errors import AppError, NotFound
from mais.dashboard.web import (
    DashboardUser,
    dashboard_router,
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
from mais.models import Tenant
from mais.settings import Environment
from mais.tenant_admin import service as bookings_admin
from mais.tenant_admin.schemas import (
    BrandingIn,
    SettingsIn,
    StripeStatusOut,
)
from mais.tenants.blackouts import tenant_today
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


def notice_of(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def catalog_of(
    user: DashboardUser, container: Container, session: AsyncSession
) -> CatalogAdminService:
    return CatalogAdminService(
        session, tenant_of(user).id, user.actor, container.cache, container.storage
    )


async def tenant_row(user: DashboardUser, session: AsyncSession) -> Tenant:
    tenant = await TenantRepository(session).get(tenant_of(user).id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    return tenant


def int_field(form: FormData, name: str, problems: dict[str, str]) -> int | None:
    raw = text(form, name).strip()
    try:
        return int(raw)
    except ValueError:
        problems[name] = "Please enter a whole number."
        return None


def date_field(raw: str, name: str, problems: dict[str, str]) -> dt.date | None:
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
    tenant = await tenant_row(user, session)
    today = tenant_today(tenant_of(user))
    upcoming = await bookings_admin.BookingAdminService(session, tenant.id).upcoming(today, 8)
    stats = await PlatformAdminService(session, container, user.actor).tenant_stats(tenant.id)
    packages = await catalog_of(user, container, session).list_packages()
    month = stats.this_month
    branding_set = bool(tenant.logo_key or tenant.logo_url) or any(
        getattr(tenant, name) != default for name, default in _DEFAULT_COLOURS.items()
    )
    checklist = [
        ("Connect Stripe to take payments", tenant.stripe_charges_enabled, "/tenant/stripe"),
        ("Set your branding (logo and colours)", branding_set, "/tenant/branding"),
        ("Publish at least one package", any(p.active for p in packages), "/tenant/packages"),
        (
            "Add your website to the allowed embed origins",
            bool(tenant.allowed_embed_origins),
            "/tenant/settings",
        ),
    ]
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
    tenant = await tenant_row(user, session)
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
        notice=notice_of(request),
        logo_url=branding.logo_url,
        image_urls=(branding.logo_url,),
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
        tenant = await tenant_row(user, session)
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
        tenant = await tenant_row(user, session)
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
    tenant = await tenant_row(user, session)
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
    tenant = await tenant_row(user, session)
    return render(
        request,
        container,
        "tenant/settings.html",
        user=user,
        values=_settings_values(tenant),
        problems={},
        notice=notice_of(request),
    )


@router.post("/tenant/settings")
async def update_settings(
    request: Request, user: TenantUser, container: ContainerDep, session: SessionDep
) -> Response:
    form = await request.form()
    names = (
        "timezone",
        "min_notice_days",
        "max_days_ahead",
        "allowed_embed_origins",
        "notification_email",
        "calendar_id",
    )
    values = {name: text(form, name).strip() for name in names}
    problems: dict[str, str] = {}
    origins = [line.strip() for line in values["allowed_embed_origins"].splitlines()]
    fields: dict[str, Any] = {
        "timezone": values["timezone"],
        "min_notice_days": int_field(form, "min_notice_days", problems),
        "max_days_ahead": int_field(form, "max_days_ahead", problems),
        "allowed_embed_origins": [o for o in origins if o],
        "notification_email": values["notification_email"] or None,
        "calendar_id": values["calendar_id"] or None,
    }
    fields = {k: v for k, v in fields.items() if k not in problems}
    body, invalid = validate_form(SettingsIn, fields)
    problems = {**invalid, **problems}
    if body is not None and not problems:
        tenant = await tenant_row(user, session)
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
        request,
        container,
        "tenant/settings.html",
        user=user,
        values=values,
        problems=problems,
        notice=None,
        status_code=422,
    )


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
    tenant = await tenant_row(user, session)
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
    status = StripeStatusOut.of(await tenant_row(user, session))
    return render(
        request,
        container,
        "tenant/stripe.html",
        user=user,
        status=status,
        heading=heading,
        problem=problem,
        status_code=status_code,
        notice=notice_of(request),
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
