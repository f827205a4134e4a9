"""What every dashboard page shares: who is logged in (the session cookie of
`mais.auth.sessions`), the CSRF check every POST passes, HTML answers for errors, and
turning form fields into the same input models the JSON API validates.

Every dashboard router is built by `dashboard_router`, which installs the CSRF check as a
router dependency (so a POST route added later cannot forget it) and `DashboardRoute`,
which answers errors as pages: a missing session redirects to the area's login page,
any other `AppError` becomes a page with its status and message (never a 500)."""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from mais.audit.service import Actor
from mais.auth.dependencies import (
    PlatformAdminPrincipal,
    TenantAdminPrincipal,
    dashboard_principal,
    dashboard_session,
)
from mais.auth.sessions import CSRF_FORM_FIELD, CSRF_HEADER, ActiveSession, CsrfFailed, csrf_matches
from mais.container import Container
from mais.core.db import rollback
from mais.core.deps import ContainerDep, SessionDep, get_container
from mais.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from mais.notifications.compose import format_money
from mais.settings import Environment
from mais.tenants.context import TenantContext
from mais.web.csp import origin_of, page_policy
from mais.web.static import IMMUTABLE, StaticAssets
from mais.web.templates import html_page

Area = Literal["tenant", "admin"]
M = TypeVar("M", bound=BaseModel)
NO_STORE = {"Cache-Control": "no-store"}
STATIC_PREFIX = "/dashboard/static"
# Forms shown before anyone is logged in (login, forgot and reset password) are protected
# by a double-submit token: a random cookie and the same value in the form.
LOGIN_CSRF_COOKIE = "mais_form_token"
FORM_ERROR = "_form"  # key of a problem that belongs to no single field
STRIPE_CONNECT_ORIGIN = "https://connect.stripe.com"


@cache
def dashboard_assets() -> StaticAssets:
    return StaticAssets(
        "mais.dashboard", "static", ("dashboard.css", "dashboard.js"), STATIC_PREFIX
    )


# --- who is logged in ---------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardUser:
    """The logged-in user as plain values (they outlive a rolled-back transaction)."""

    user_id: uuid.UUID
    email: str
    role: str
    csrf_token: str
    actor: Actor
    tenant: TenantContext | None

    @property
    def area(self) -> Area:
        return "tenant" if self.tenant is not None else "admin"


class LoginRequired(Exception):
    def __init__(self, area: Area) -> None:
        super().__init__(area)
        self.area = area


async def _active_session(
    request: Request, container: Container, session: AsyncSession
) -> ActiveSession | None:
    if not hasattr(request.state, "dashboard_session"):
        request.state.dashboard_session = await dashboard_session(request, container, session)
    active: ActiveSession | None = request.state.dashboard_session
    return active


async def _dashboard_user(
    request: Request, container: Container, session: AsyncSession, area: Area
) -> DashboardUser:
    active = await _active_session(request, container, session)
    if active is None:
        raise LoginRequired(area)
    principal = await dashboard_principal(active, session)
    if area == "tenant" and not isinstance(principal, TenantAdminPrincipal):
        raise Forbidden("This is the tenant dashboard; platform admins use /admin.")
    if area == "admin" and not isinstance(principal, PlatformAdminPrincipal):
        raise Forbidden("This is the platform dashboard; tenant admins use /tenant.")
    tenant = principal.tenant if isinstance(principal, TenantAdminPrincipal) else None
    if tenant is not None:
        request.state.tenant = tenant
    return DashboardUser(
        user_id=active.user.id,
        email=active.user.email,
        role=active.user.role,
        csrf_token=active.csrf_token,
        actor=principal.actor,
        tenant=tenant,
    )


async def tenant_user(
    request: Request, container: ContainerDep, session: SessionDep
) -> DashboardUser:
    return await _dashboard_user(request, container, session, "tenant")


async def platform_user(
    request: Request, container: ContainerDep, session: SessionDep
) -> DashboardUser:
    return await _dashboard_user(request, container, session, "admin")


def tenant_of(user: DashboardUser) -> TenantContext:
    assert user.tenant is not None  # tenant_user() made it
    return user.tenant


# --- CSRF -------------------------------------------------------------------------------


async def csrf_guard(request: Request, container: ContainerDep, session: SessionDep) -> None:
    """Every dashboard POST carries the CSRF token of its session (or, before login, the
    token of the login-form cookie); anything else is 403 CSRF_FAILED."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    refuse_control_characters(form.values())
    field = form.get(CSRF_FORM_FIELD)
    submitted = field if isinstance(field, str) else request.headers.get(CSRF_HEADER)
    active = await _active_session(request, container, session)
    if active is not None and csrf_matches(active, submitted):
        return
    if active is not None:
        # A logged-in browser posting with a stale token: its session is not trusted.
        request.state.dashboard_session = None
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if cookie and submitted and hmac.compare_digest(cookie.encode(), submitted.encode()):
        return
    raise CsrfFailed()


def login_form_token(request: Request) -> str:
    """The token of the pre-login forms: the cookie's if the browser has one."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    return secrets.token_urlsafe(32)


def attach_login_form_token(response: Response, token: str, container: Container) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=12 * 3600,
        path="/",
        secure=container.settings.app_env is not Environment.development,
        httponly=True,
        samesite="strict",
    )


# --- errors as pages ----------------------------------------------------------------------


def _area_of(path: str) -> Area:
    return "admin" if path.startswith("/admin") else "tenant"


# NUL cannot be stored in PostgreSQL text and no other C0 control belongs in a form field
# (tab and line breaks excepted); refused before any handler sees them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class UnreadableInput(ValidationFailed):
    message = "Some of what was sent contains control characters; please type it again."


def refuse_control_characters(values: Iterable[object]) -> None:
    if any(isinstance(v, str) and _CONTROL.search(v) for v in values):
        raise UnreadableInput()


class DashboardRoute(APIRoute):
    """Answers errors as pages: no session → the login page; an `AppError` or invalid
    query → a page with its status and message."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                refuse_control_characters(request.query_params.values())
                refuse_control_characters(request.path_params.values())
                return await handler(request)
            except LoginRequired as exc:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                location = f"/{exc.area}/login"
                if request.method == "GET":
                    location += "?next=" + quote(target, safe="")
                return RedirectResponse(location, status_code=303, headers=NO_STORE)
            except AppError as exc:
                return error_page(request, exc)
            except RequestValidationError as exc:
                fields = ", ".join(
                    str(err.get("loc", ("", ""))[-1]) for err in exc.errors()[:3] if err.get("loc")
                )
                return error_page(
                    request, ValidationFailed(f"This address has an invalid value ({fields}).")
                )

        return answer


def dashboard_router() -> APIRouter:
    return APIRouter(
        include_in_schema=False,
        route_class=DashboardRoute,
        dependencies=[Depends(csrf_guard)],
    )


def error_page(request: Request, exc: AppError) -> Response:
    container = get_container(request)
    area = _area_of(request.url.path)
    titles = {403: "Not allowed", 404: "Not found", 409: "Not possible now", 429: "Slow down"}
    return render(
        request,
        container,
        "error.html",
        user=None,
        area=area,
        status_code=exc.status_code,
        headers={**NO_STORE, **exc.headers},
        title=titles.get(exc.status_code, "Something is not right"),
        message=exc.message,
    )


# --- rendering ----------------------------------------------------------------------------


def render(
    request: Request,
    container: Container,
    template: str,
    *,
    user: DashboardUser | None,
    area: Area | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    frames: bool = False,
    stripe_redirect: bool = False,
    image_urls: tuple[str | None, ...] = (),
    **context: Any,
) -> Response:
    """A dashboard page under its own CSP: our script and stylesheet, images from our
    storage, forms posting to ourselves (and Stripe's onboarding after a redirect),
    never framed."""
    settings = container.settings
    currency = user.tenant.currency if user and user.tenant else "usd"
    money = context.pop("money", None) or (lambda cents: format_money(int(cents), currency))
    policy = page_policy(
        scripts=True,
        images=[
            container.storage.public_host() or origin_of(settings.public_url),
            *(origin_of(url) for url in image_urls),  # an external logo's host
        ],
        frames=["'self'"] if frames else [],
        form_action=["'self'", *([STRIPE_CONNECT_ORIGIN] if stripe_redirect else [])],
    )
    return html_page(
        f"dashboard/{template}",
        policy=policy,
        status_code=status_code,
        headers=headers or NO_STORE,
        accept_encoding=request.headers.get("accept-encoding"),
        user=user,
        area=area or (user.area if user else _area_of(request.url.path)),
        csrf_token=user.csrf_token if user else context.pop("csrf_token", ""),
        assets=dashboard_assets(),
        support_email=settings.support_email,
        current_path=request.url.path,
        money=money,
        **context,
    )


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


# --- forms ------------------------------------------------------------------------------


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def upload(form: FormData, name: str = "file") -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) else None


def parse_cents(raw: str) -> int | None:
    """ "3,500", "3500.5" or "$3,500.00" as cents; None when it is not an amount."""
    cleaned = raw.strip().replace(",", "").replace("$", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    if abs(amount) > 10_000_000:
        return None
    return int(amount * 100)


_FRIENDLY = {
    "missing": "Please fill this in.",
    "string_too_short": "Please fill this in.",
    "blank": "Please fill this in.",
    "string_too_long": "This is too long.",
    "int_type": "Please enter a whole number.",
    "int_parsing": "Please enter a whole number.",
    "greater_than": "Please enter an amount above zero.",
    "greater_than_equal": "This number is too small.",
    "less_than_equal": "This number is too large.",
    "string_pattern_mismatch": "Use lowercase letters, digits and hyphens only.",
    "date_from_datetime_parsing": "Please enter a date (YYYY-MM-DD).",
    "date_parsing": "Please enter a date (YYYY-MM-DD).",
}


def validate_form(model: type[M], values: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """`values` (by Python field name) validated by the API's own input model; the
    problems by field name, in plain words."""
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        aliases = {(f.alias or name): name for name, f in model.model_fields.items()}
        problems: dict[str, str] = {}
        for err in exc.errors():
            loc = [str(part) for part in err.get("loc", ())]
            field = aliases.get(loc[0], loc[0]) if loc else FORM_ERROR
            message = _FRIENDLY.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
            problems.setdefault(field, message[:1].upper() + message[1:])
        return None, problems


def problems_of(exc: AppError) -> dict[str, str]:
    """A service's refusal as field problems (its `details`) or one message for the form."""
    problems: dict[str, str] = {}
    if isinstance(exc.details, list):
        for detail in exc.details:
            if isinstance(detail, dict) and detail.get("field"):
                name, _, index = str(detail["field"]).partition(".")
                issue = str(detail.get("issue") or exc.message)
                issue = issue[:1].upper() + issue[1:]
                if index.isdigit():  # one line of a list field
                    issue = f"Line {int(index) + 1}: {issue[:1].lower() + issue[1:]}"
                problems.setdefault(to_snake(name), issue)
    if not problems:
        problems[FORM_ERROR] = exc.message
    return problems


async def refused(session: AsyncSession) -> None:
    """Undo everything this request wrote before the form is shown again."""
    await rollback(session)


# --- static files -------------------------------------------------------------------------

static_router = APIRouter(include_in_schema=False)


@static_router.get(STATIC_PREFIX + "/{filename}")
async def dashboard_static(filename: str, request: Request) -> Response:
    found = dashboard_assets().find(filename)
    if found is None:
        raise NotFound()
    asset, current = found
    return asset.response(
        if_none_match=request.headers.get("if-none-match"),
        accept_encoding=request.headers.get("accept-encoding"),
        cache_control=IMMUTABLE if current else "public, max-age=300",
    )
