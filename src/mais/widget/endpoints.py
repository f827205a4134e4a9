"""Booking pages: `/widget?tenant=<slug>` (framable), `/t/<slug>` (storefront), `/success`,
`/cancel`, the calendar fragment, the .ics download, `/embed.js` and the static files.

Thin: each handler resolves where it is shown (the surface), asks `WidgetService`, and
renders through `pages`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from mais.availability.service import UnavailableReason
from mais.core.deps import ContainerDep, SessionDep, request_client_ip
from mais.core.errors import AppError, NotFound
from mais.web.static import IMMUTABLE
from mais.widget.assets import widget_assets
from mais.widget.calendar import REASON_SENTENCES, parse_day, parse_month
from mais.widget.forms import EVENT_DATE, BookingForm
from mais.widget.pages import NO_STORE, Look, error_page, look_for, render_page
from mais.widget.service import HeldDate, HoldRefused, PackageView, WidgetService
from mais.widget.surface import Surface

router = APIRouter(include_in_schema=False)

EMBED_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
# Sent by the page script when it posts the form itself (it opens the payment page).
SCRIPT_HEADER = "x-mais-widget"

Slug = Annotated[str, Query(max_length=80)]
OptionalText = Annotated[str | None, Query(max_length=300)]


async def _surface(
    container: ContainerDep, request: Request, slug: str | None, *, widget: bool
) -> Surface:
    tenant = await WidgetService(container).tenant(slug)
    request.state.tenant = tenant  # the request log names the tenant
    if widget:
        return Surface.widget(tenant, request.query_params, container.settings)
    return Surface.storefront(tenant)


def _tenant_error(request: Request, container: ContainerDep, exc: AppError) -> Response:
    title = "Booking page not found" if exc.status_code == 404 else "Bookings are paused"
    return error_page(request, exc, container=container, title=title)


# --- catalog ---------------------------------------------------------------------------


@router.get("/widget")
async def widget_page(
    request: Request,
    container: ContainerDep,
    tenant: Slug | None = None,
    package: OptionalText = None,
    session_id: OptionalText = None,
    booking: OptionalText = None,
    canceled: OptionalText = None,
) -> Response:
    """The widget's entry: the catalog; or, as the embed asks, one package, a booking
    being paid (`session_id`), or the package again after a canceled payment."""
    try:
        surface = await _surface(container, request, tenant, widget=True)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    look = await look_for(container, surface.tenant)
    if session_id:
        return await _booking_page(request, container, surface, look, session_id)
    if canceled and booking:
        return await _back_to_package(container, surface, booking)
    if package:
        async with container.db.sessionmaker() as session:
            return await _package_page(request, container, session, surface, look, package)
    return await _catalog_page(request, container, surface, look)


@router.get("/t/{slug}")
async def storefront_page(slug: str, request: Request, container: ContainerDep) -> Response:
    try:
        surface = await _surface(container, request, slug, widget=False)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    return await _catalog_page(
        request, container, surface, await look_for(container, surface.tenant)
    )


async def _catalog_page(
    request: Request, container: ContainerDep, surface: Surface, look: Look
) -> Response:
    packages = await WidgetService(container).catalog(surface.tenant)
    return render_page(
        request, "catalog.html", container=container, surface=surface, look=look, packages=packages
    )


# --- package: calendar, add-ons, details, pay -------------------------------------------


@router.get("/widget/packages/{package_slug}")
async def widget_package_page(
    package_slug: str,
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    tenant: Slug | None = None,
) -> Response:
    try:
        surface = await _surface(container, request, tenant, widget=True)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    look = await look_for(container, surface.tenant)
    return await _package_page(request, container, session, surface, look, package_slug)


@router.get("/t/{slug}/packages/{package_slug}")
async def storefront_package_page(
    slug: str, package_slug: str, request: Request, container: ContainerDep, session: SessionDep
) -> Response:
    try:
        surface = await _surface(container, request, slug, widget=False)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    look = await look_for(container, surface.tenant)
    return await _package_page(request, container, session, surface, look, package_slug)


@router.post("/widget/packages/{package_slug}")
async def widget_package_post(
    package_slug: str,
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    tenant: Slug | None = None,
) -> Response:
    try:
        surface = await _surface(container, request, tenant, widget=True)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    return await _package_post(request, container, session, surface, package_slug)


@router.post("/t/{slug}/packages/{package_slug}")
async def storefront_package_post(
    slug: str, package_slug: str, request: Request, container: ContainerDep, session: SessionDep
) -> Response:
    try:
        surface = await _surface(container, request, slug, widget=False)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    return await _package_post(request, container, session, surface, package_slug)


async def _find_package(
    request: Request, container: ContainerDep, surface: Surface, look: Look, slug: str
) -> PackageView | Response:
    package = await WidgetService(container).package(surface.tenant, slug)
    if package is None:
        return error_page(
            request,
            NotFound("This package is not offered any more. Please choose another one."),
            container=container,
            title="Package not found",
            surface=surface,
            look=look,
        )
    return package


async def _package_page(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    surface: Surface,
    look: Look,
    package_slug: str,
) -> Response:
    """The package page as linked: optionally with a date, add-ons and a month chosen
    (coming back from a canceled payment keeps them)."""
    found = await _find_package(request, container, surface, look, package_slug)
    if isinstance(found, Response):
        return found
    query = request.query_params
    form = BookingForm(
        event_date=query.get("date", "")[:10],
        add_on_ids=[a for a in query.getlist("add_on") if found.add_on(a)],
    )
    problems: dict[str, str] = {}
    chosen = form.chosen_date
    if chosen is not None:
        reason = await WidgetService(container).date_problem(session, surface.tenant, chosen)
        if reason is not None:
            form.event_date = ""
            problems[EVENT_DATE] = (
                f"{chosen:%B} {chosen.day} is no longer available "
                f"({REASON_SENTENCES[reason]}). Please choose another date."
            )
        if reason is UnavailableReason.held and query.get("notice") == "canceled":
            # Stripe keeps a left payment page open until it expires, and the hold with it;
            # the cancel link carries no proof of whose hold it is, so it is not released.
            problems[EVENT_DATE] = (
                f"{chosen:%B} {chosen.day} stays reserved for the payment page you left until "
                f"that page expires (within {container.settings.effective_hold_minutes} "
                "minutes). Choose another date, or come back to this one after that."
            )
    return await _render_package(
        request,
        container,
        session,
        surface,
        look,
        found,
        form,
        problems=problems,
        month=query.get("month"),
        notice=query.get("notice"),
    )


async def _package_post(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    surface: Surface,
    package_slug: str,
) -> Response:
    """The package form: without JavaScript every button posts here (choose a day,
    change month, update the total, pay); with it, only paying does."""
    look = await look_for(container, surface.tenant)
    found = await _find_package(request, container, surface, look, package_slug)
    if isinstance(found, Response):
        return found
    data: FormData = await request.form()
    form = BookingForm.from_form(data)
    service = WidgetService(container)
    picked, month = data.get("pick"), data.get("month")
    if isinstance(picked, str):
        return await _pick_date(request, container, session, surface, look, found, form, picked)
    if isinstance(month, str) or data.get("intent") == "update":
        return await _render_package(
            request,
            container,
            session,
            surface,
            look,
            found,
            form.refreshed(),
            month=month if isinstance(month, str) else None,
        )
    outcome = await service.hold_date(
        session,
        surface.tenant,
        found,
        form,
        return_url=surface.return_url,
        client_ip=request_client_ip(request),
    )
    if isinstance(outcome, HoldRefused):
        retry = form.refreshed()
        if outcome.taken:
            retry.event_date = ""
        return await _render_package(
            request,
            container,
            session,
            surface,
            look,
            found,
            retry,
            problems=outcome.problems,
            status_code=outcome.status_code,
            month=f"{form.chosen_date:%Y-%m}" if form.chosen_date else None,
        )
    by_script = request.headers.get(SCRIPT_HEADER) == "1"
    if not by_script and (not surface.is_widget or surface.target_top):
        # Payment takes the whole window: the storefront, or an embed that asked for it.
        return RedirectResponse(outcome.checkout_url, status_code=303, headers=NO_STORE)
    return _held_page(request, container, surface, look, found, form, outcome)


async def _pick_date(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    surface: Surface,
    look: Look,
    package: PackageView,
    form: BookingForm,
    picked: str,
) -> Response:
    day = parse_day(picked)
    problems: dict[str, str] = {}
    reason = (
        await WidgetService(container).date_problem(session, surface.tenant, day) if day else None
    )
    if day is None:
        problems[EVENT_DATE] = "Please choose a date on the calendar."
    elif reason is not None:
        problems[EVENT_DATE] = (
            f"{day:%B} {day.day} is not available ({REASON_SENTENCES[reason]}). "
            "Please choose another date."
        )
    else:
        form.event_date = day.isoformat()
    return await _render_package(
        request,
        container,
        session,
        surface,
        look,
        package,
        form.refreshed(),
        problems=problems,
        status_code=422 if problems else 200,
        month=f"{day:%Y-%m}" if day else None,
    )


async def _render_package(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    surface: Surface,
    look: Look,
    package: PackageView,
    form: BookingForm,
    *,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
    month: str | None = None,
    notice: str | None = None,
) -> Response:
    calendar, window = await WidgetService(container).calendar(
        session, surface.tenant, asked_month=parse_month(month), selected=form.chosen_date
    )
    return render_page(
        request,
        "package.html",
        container=container,
        surface=surface,
        look=look,
        status_code=status_code,
        headers=NO_STORE,
        package=package,
        form=form,
        problems=problems or {},
        calendar=calendar,
        window=window,
        notice=notice if notice in ("canceled", "expired") else None,
        hold_minutes=container.settings.effective_hold_minutes,
    )


def _held_page(
    request: Request,
    container: ContainerDep,
    surface: Surface,
    look: Look,
    package: PackageView,
    form: BookingForm,
    held: HeldDate,
) -> Response:
    return render_page(
        request,
        "held.html",
        container=container,
        surface=surface,
        look=look,
        headers=NO_STORE,
        package=package,
        form=form,
        held=held,
        booking_url=surface.booking_url(held.session_id),
        hold_minutes=container.settings.effective_hold_minutes,
    )


@router.get("/widget/calendar")
async def calendar_fragment(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    tenant: Slug | None = None,
    package: OptionalText = None,
    month: OptionalText = None,
    date: OptionalText = None,
) -> Response:
    """One month of the calendar, for the page script's month navigation."""
    service = WidgetService(container)
    found = await service.tenant(tenant)
    await container.rate_limiter.check_api(str(found.id), request_client_ip(request))
    calendar, window = await service.calendar(
        session, found, asked_month=parse_month(month), selected=parse_day(date)
    )
    surface = Surface.storefront(found)
    return render_page(
        request,
        "calendar_fragment.html",
        container=container,
        surface=surface,
        look=await look_for(container, found),
        headers=NO_STORE,
        calendar=calendar,
        window=window,
        package_slug=package or "",
    )


# --- after payment ------------------------------------------------------------------------


async def _booking_page(
    request: Request, container: ContainerDep, surface: Surface, look: Look, session_id: str
) -> Response:
    async with container.db.sessionmaker() as session:
        view = await WidgetService(container).booking_view(
            session, session_id, tenant_slug=surface.tenant.slug
        )
    if view is None:
        return error_page(
            request,
            NotFound("We could not find this booking. The link may be incomplete."),
            container=container,
            title="Booking not found",
            surface=surface,
            look=look,
        )
    return render_page(
        request,
        "booking.html",
        container=container,
        surface=surface,
        look=look,
        headers=NO_STORE,
        view=view,
        poll_url=surface.booking_url(session_id),
    )


@router.get("/success")
async def success_page(
    request: Request,
    container: ContainerDep,
    session_id: OptionalText = None,
    tenant: Slug | None = None,
) -> Response:
    """Where Stripe Checkout returns (`STRIPE_SUCCESS_URL`): "confirming your payment"
    until the webhook has confirmed, then the confirmation. E-mails link here too."""
    view = None
    if session_id:
        async with container.db.sessionmaker() as session:
            view = await WidgetService(container).booking_view(
                session, session_id, tenant_slug=tenant
            )
    if view is None:
        return error_page(
            request,
            NotFound("We could not find this booking. The link may be incomplete."),
            container=container,
            title="Booking not found",
        )
    surface = Surface.storefront(view.tenant)
    return render_page(
        request,
        "booking.html",
        container=container,
        surface=surface,
        look=await look_for(container, view.tenant),
        headers=NO_STORE,
        view=view,
        poll_url=surface.booking_url(view.session_id),
    )


@router.get("/cancel")
async def cancel_page(
    request: Request,
    container: ContainerDep,
    tenant: Slug | None = None,
    booking: OptionalText = None,
) -> Response:
    """Where Checkout returns when the customer cancels (`STRIPE_CANCEL_URL`): back to the
    package with the date and add-ons they had chosen."""
    try:
        surface = await _surface(container, request, tenant, widget=False)
    except AppError as exc:
        return _tenant_error(request, container, exc)
    return await _back_to_package(container, surface, booking or "")


async def _back_to_package(container: ContainerDep, surface: Surface, booking_id: str) -> Response:
    async with container.db.sessionmaker() as session:
        choices = await WidgetService(container).booking_choices(
            session, surface.tenant, booking_id
        )
    if choices is None:
        return RedirectResponse(surface.catalog_url(), status_code=303)
    url = surface.package_url(
        choices.package_slug,
        date=choices.event_date.isoformat(),
        add_on=choices.add_on_ids,
        notice="canceled",
    )
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


@router.get("/bookings/{booking_id}/calendar.ics")
async def booking_calendar_file(
    booking_id: str,
    container: ContainerDep,
    session: SessionDep,
    token: OptionalText = None,
    session_id: OptionalText = None,
) -> Response:
    """The confirmed booking as a calendar event ("Add to calendar"), for the holder of
    its access token or its Checkout session id."""
    invite = await WidgetService(container).calendar_invite(
        session, booking_id, token=token, session_id=session_id
    )
    if invite is None:
        raise NotFound("Booking not found.")
    return Response(
        invite.data,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{invite.filename}"',
            **NO_STORE,
        },
    )


# --- static files ---------------------------------------------------------------------------


@router.get("/embed.js")
async def embed_script(request: Request) -> Response:
    """The loader tenants paste into their site. Its URL never changes, so it is cached a
    day (and revalidated by ETag) rather than a year."""
    return widget_assets()["embed.js"].response(
        if_none_match=request.headers.get("if-none-match"),
        accept_encoding=request.headers.get("accept-encoding"),
        cache_control=EMBED_CACHE,
    )


@router.get("/widget/static/{filename}")
async def widget_static(filename: str, request: Request) -> Response:
    found = widget_assets().find(filename)
    if found is None:
        raise NotFound()
    asset, current = found
    return asset.response(
        if_none_match=request.headers.get("if-none-match"),
        accept_encoding=request.headers.get("accept-encoding"),
        cache_control=IMMUTABLE if current else "public, max-age=300",
    )
