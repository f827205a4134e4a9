"""`/v1/auth/...`: login, password change, password reset."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mais.auth.dependencies import UserAuth, actor_of
from mais.auth.schemas import (
    AcceptedOut,
    LoginIn,
    LoginOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetRequestIn,
    TokenOut,
)
from mais.auth.service import AuthService
from mais.core.deps import ContainerDep, SessionDep, request_client_ip
from mais.core.openapi import AUTH_ERRORS
from mais.core.schemas import ErrorBody

router = APIRouter(prefix="/v1/auth", tags=["auth"])

NO_STORE = {"Cache-Control": "no-store"}


def _service(container: ContainerDep, session: SessionDep) -> AuthService:
    return AuthService(session, container.settings, container.rate_limiter)


@router.post(
    "/login",
    response_model=LoginOut,
    response_model_exclude_none=True,
    summary="Exchange e-mail and password for a one-hour access token",
    responses=AUTH_ERRORS,
)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    container: ContainerDep,
    session: SessionDep,
) -> LoginOut:
    result = await _service(container, session).login(
        body.email, body.password, request_client_ip(request)
    )
    response.headers.update(NO_STORE)
    return LoginOut(
        token=result.token.token,
        role=result.role,
        tenant_slug=result.tenant_slug,
        expires_at=result.token.expires_at,
    )


@router.post(
    "/password",
    response_model=TokenOut,
    summary="Change your password; every other token and session stops working",
    responses=AUTH_ERRORS,
)
async def change_password(
    body: PasswordChangeIn,
    user: UserAuth,
    request: Request,
    response: Response,
    container: ContainerDep,
    session: SessionDep,
) -> TokenOut:
    response.headers.update(NO_STORE)
    issued = await _service(container, session).change_password(
        user, body.current_password, body.new_password, request_client_ip(request), actor_of(user)
    )
    return TokenOut(token=issued.token, expires_at=issued.expires_at)


@router.post(
    "/password-reset/request",
    status_code=202,
    response_model=AcceptedOut,
    summary="E-mail a password-reset link (the answer is the same for unknown addresses)",
    responses=AUTH_ERRORS,
)
async def request_password_reset(
    body: PasswordResetRequestIn, request: Request, container: ContainerDep, session: SessionDep
) -> AcceptedOut:
    await _service(container, session).request_password_reset(
        body.email, request_client_ip(request)
    )
    return AcceptedOut(message="If an account uses this address, a reset link is on its way.")


@router.post(
    "/password-reset/confirm",
    status_code=204,
    summary="Set a new password with the token from a reset or invitation e-mail",
    responses=AUTH_ERRORS | {400: {"model": ErrorBody, "description": "INVALID_RESET_TOKEN"}},
)
async def confirm_password_reset(
    body: PasswordResetConfirmIn, container: ContainerDep, session: SessionDep
) -> Response:
    await _service(container, session).confirm_password_reset(body.token, body.password)
    return Response(status_code=204)
