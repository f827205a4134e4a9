"""One error hierarchy and one JSON shape for every error response (SPEC §4).

Raise an `AppError` subclass anywhere below the HTTP layer; `render_error` turns it,
and every framework error, into `{"error", "message", "requestId", "details"?}`.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Scope


class AppError(Exception):
    """Base of every expected error; carries its HTTP status and machine code."""

    status_code = 400
    code = "BAD_REQUEST"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status_code = 400
    code = "BAD_REQUEST"


class Unauthorized(AppError):
    status_code = 401
    code = "UNAUTHORIZED"
    message = "Authentication is required."


class Forbidden(AppError):
    status_code = 403
    code = "FORBIDDEN"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status_code = 404
    code = "NOT_FOUND"
    message = "Not found."


class MethodNotAllowed(AppError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"
    message = "This method is not allowed on this path."


class Conflict(AppError):
    status_code = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "This content type is not accepted here."


class ValidationFailed(AppError):
    status_code = 422
    code = "VALIDATION_ERROR"
    message = "The request is invalid."


class RateLimited(AppError):
    status_code = 429
    code = "RATE_LIMITED"
    message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class BadGateway(AppError):
    status_code = 502
    code = "UPSTREAM_ERROR"
    message = "An upstream service failed."


class ServiceUnavailable(AppError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    message = "The service is temporarily unavailable."


def request_id_of(scope: Scope) -> str:
    state = scope.get("state") or {}
    return str(state.get("request_id", ""))


def error_body(code: str, message: str, request_id: str, details: Any = None) -> bytes:
    body: dict[str, Any] = {"error": code, "message": message, "requestId": request_id}
    if details is not None:
        body["details"] = details
    return orjson.dumps(body)


def render_error(
    scope: Scope,
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    request_id = request_id_of(scope)
    response = Response(
        error_body(code, message, request_id, details),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
    return response


def render_app_error(scope: Scope, exc: AppError) -> Response:
    return render_error(scope, exc.status_code, exc.code, exc.message, exc.details, exc.headers)
