"""Login, logout, forgotten and reset password, and password change for both dashboards
(`/tenant/...` and `/admin/...`). The rules are `AuthService`'s and `SessionService`'s;
these pages only carry forms to them and set or clear the session cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mais.auth.dependencies import dashboard_session
from mais.auth.passwords import MAX_PASSWORD_LENGTH
from mais.auth.repository import UserRepository
from mais.auth.service import AuthService, InvalidCredentials
from mais.auth.sessions import CookiePolicy, SessionService
from mais.container import Container
from mais.core.deps import ContainerDep, SessionDep, request_client_ip
from mais.core.errors import AppError, NotFound, RateLimited
from mais.dashboard.web import (
    FORM_ERROR,
    Area,
    DashboardUser,
    attach_login_form_token,
    dashboard_router,
    login_form_token,
    platform_user,
    problems_of,
    refused,
    render,
    see_other,
    tenant_user,
    text,
)
from mais.models import Role, utcnow

router = dashboard_router()

HOME = {"tenant": "/tenant", "admin": "/admin"}
LOGIN_NOTICES = {
    "reset": "Your password is set. Log in with it now.",
    "out": "You are logged out.",
}
ROLE_OF_AREA = {"tenant": Role.tenant_admin, "admin": Role.platform_admin}


def _safe_next(area: Area, raw: str) -> str:
    """Where to go after login: a path inside this dashboard, never another site."""
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith(f"/{area}") or "\\" in raw:
        return HOME[area]
    if raw.startswith((f"/{area}/login", f"/{area}/logout")):
        return HOME[area]
    return raw


def _pre_login_page(
    request: Request,
    container: Container,
    template: str,
    area: Area,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    token = login_form_token(request)
    response = render(
        request,
        container,
        template,
        user=None,
        area=area,
        status_code=status_code,
        headers={"Cache-Control": "no-store", **(headers or {})},
        csrf_token=token,
        **context,
    )
    attach_login_form_token(response, token, container)
    return response


def _add_routes(router: APIRouter, area: Area) -> None:
    user_dep = tenant_user if area == "tenant" else platform_user
    title = "Tenant dashboard" if area == "tenant" else "Platform admin"

    @router.get(f"/{area}/login", name=f"{area}_login_page")
    async def login_page(
        request: Request, container: ContainerDep, session: SessionDep
    ) -> Response:
        notice = LOGIN_NOTICES.get(request.query_params.get("notice", ""))
        target = _safe_next(area, request.query_params.get("next", ""))
        active = await dashboard_session(request, container, session)
        if active is not None and active.user.role == ROLE_OF_AREA[area]:
            return see_other(target)  # already logged in here
        return _pre_login_page(
            request,
            container,
            "login.html",
            area,
            heading=title,
            email="",
            next=target,
            problems={},
            notice=notice,
        )

    @router.post(f"/{area}/login", name=f"{area}_login")
    async def login(request: Request, container: ContainerDep, session: SessionDep) -> Response:
        form = await request.form()
        email, password = text(form, "email").strip(), text(form, "password")
        target = _safe_next(area, text(form, "next"))
        problems: dict[str, str] = {}
        if not email:
            problems["email"] = "Please enter your e-mail address."
        if not password:
            problems["password"] = "Please enter your password."  # noqa: S105 - a message
        elif len(password) > MAX_PASSWORD_LENGTH:
            problems["password"] = "This password is too long."  # noqa: S105 - a message
        status, headers = 422, {}
        if not problems:
            auth = AuthService(session, container.settings, container.rate_limiter)
            try:
                user = await auth.authenticate(email, password, request_client_ip(request))
                if user.role != ROLE_OF_AREA[area]:
                    other = "admin" if area == "tenant" else "tenant"
                    raise InvalidCredentials(
                        f"This account does not sign in here; use /{other}/login."
                    )
                created = await SessionService(session).create(user)
            except AppError as exc:
                await refused(session)
                problems = {FORM_ERROR: exc.message}
                status, headers = exc.status_code, exc.headers
            else:
                response = see_other(target)
                CookiePolicy.for_settings(container.settings).attach(response, created.token)
                return response
        return _pre_login_page(
            request,
            container,
            "login.html",
            area,
            status_code=status,
            headers=headers,
            heading=title,
            email=email,
            next=target,
            problems=problems,
            notice=None,
        )

    @router.post(f"/{area}/logout", name=f"{area}_logout")
    async def logout(request: Request, container: ContainerDep, session: SessionDep) -> Response:
        policy = CookiePolicy.for_settings(container.settings)
        await SessionService(session).revoke(request.cookies.get(policy.name))
        response = see_other(f"/{area}/login?notice=out")
        policy.clear(response)
        return response

    @router.get(f"/{area}/forgot-password", name=f"{area}_forgot_page")
    async def forgot_page(request: Request, container: ContainerDep) -> Response:
        return _pre_login_page(
            request, container, "forgot.html", area, sent=False, email="", problems={}
        )

    @router.post(f"/{area}/forgot-password", name=f"{area}_forgot")
    async def forgot(request: Request, container: ContainerDep, session: SessionDep) -> Response:
        form = await request.form()
        email = text(form, "email").strip()
        if not email or len(email) > 320:
            return _pre_login_page(
                request,
                container,
                "forgot.html",
                area,
                status_code=422,
                sent=False,
                email=email[:320],
                problems={"email": "Please enter your e-mail address."},
            )
        auth = AuthService(session, container.settings, container.rate_limiter)
        try:
            await auth.request_password_reset(email, request_client_ip(request))
        except RateLimited as exc:
            await refused(session)
            return _pre_login_page(
                request,
                container,
                "forgot.html",
                area,
                status_code=429,
                headers=exc.headers,
                sent=False,
                email=email,
                problems={FORM_ERROR: exc.message},
            )
        return _pre_login_page(
            request, container, "forgot.html", area, sent=True, email=email, problems={}
        )

    @router.get(f"/{area}/reset-password", name=f"{area}_reset_page")
    async def reset_page(request: Request, container: ContainerDep) -> Response:
        token = request.query_params.get("token", "")[:200]
        return _pre_login_page(request, container, "reset.html", area, token=token, problems={})

    @router.post(f"/{area}/reset-password", name=f"{area}_reset")
    async def reset(request: Request, container: ContainerDep, session: SessionDep) -> Response:
        form = await request.form()
        token, password = text(form, "token")[:200], text(form, "password")
        problems: dict[str, str] = {}
        if password != text(form, "confirm"):
            problems["confirm"] = "The two passwords are not the same."
        if not token:
            problems[FORM_ERROR] = "This page needs the link from your e-mail."
        if not problems:
            auth = AuthService(session, container.settings, container.rate_limiter)
            try:
                await auth.confirm_password_reset(token, password)
            except AppError as exc:
                await refused(session)
                problems = problems_of(exc)
            else:
                return see_other(f"/{area}/login?notice=reset")
        return _pre_login_page(
            request,
            container,
            "reset.html",
            area,
            status_code=422,
            token=token,
            problems=problems,
        )

    @router.get(f"/{area}/password", name=f"{area}_password_page")
    async def password_page(
        request: Request, container: ContainerDep, user: DashboardUser = Depends(user_dep)
    ) -> Response:
        return render(
            request,
            container,
            "password.html",
            user=user,
            problems={},
            saved=request.query_params.get("saved") == "1",
        )

    @router.post(f"/{area}/password", name=f"{area}_password")
    async def change_password(
        request: Request,
        container: ContainerDep,
        session: SessionDep,
        user: DashboardUser = Depends(user_dep),
    ) -> Response:
        form = await request.form()
        current, new = text(form, "current_password"), text(form, "new_password")
        problems: dict[str, str] = {}
        if new != text(form, "confirm"):
            problems["confirm"] = "The two new passwords are not the same."
        if not current:
            problems["current_password"] = "Please enter your current password."  # noqa: S105
        if not problems:
            row = await UserRepository(session).get(user.user_id)
            if row is None:
                raise NotFound("Your account no longer exists.")
            auth = AuthService(session, container.settings, container.rate_limiter)
            try:
                await auth.change_password(
                    row, current, new, request_client_ip(request), user.actor
                )
            except AppError as exc:
                await refused(session)
                problems = problems_of(exc)
                if exc.code == "INVALID_CREDENTIALS":
                    problems = {"current_password": exc.message}
            else:
                # Every session was revoked by the change; this browser gets a new one.
                later = max(
                    utcnow(), (row.tokens_valid_after or utcnow()) + timedelta(microseconds=1)
                )
                created = await SessionService(session).create(row, now=later)
                response = see_other(f"/{area}/password?saved=1")
                CookiePolicy.for_settings(container.settings).attach(response, created.token)
                return response
        return render(
            request,
            container,
            "password.html",
            user=user,
            status_code=422,
            problems=problems,
            saved=False,
        )


_add_routes(router, "tenant")
_add_routes(router, "admin")
