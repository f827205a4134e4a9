"""Shared OpenAPI fragments: the error responses each kind of endpoint can give."""

from __future__ import annotations

from typing import Any

from mais.core.schemas import ErrorBody

_ERR = {"model": ErrorBody}

PUBLIC_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _ERR | {"description": "TENANT_KEY_REQUIRED, INVALID_TENANT_KEY or TENANT_NOT_FOUND"},
    403: _ERR | {"description": "TENANT_INACTIVE"},
    404: _ERR | {"description": "NOT_FOUND"},
    429: _ERR | {"description": "RATE_LIMITED"},
}

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _ERR
    | {"description": "INVALID_CREDENTIALS, INVALID_TOKEN, TOKEN_EXPIRED or TOKEN_REVOKED"},
    403: _ERR | {"description": "FORBIDDEN or TENANT_INACTIVE"},
    422: _ERR | {"description": "VALIDATION_ERROR"},
    429: _ERR | {"description": "RATE_LIMITED (with Retry-After)"},
}

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _ERR | {"description": "AUTHENTICATION_REQUIRED, INVALID_TOKEN, TOKEN_EXPIRED, ..."},
    403: _ERR | {"description": "FORBIDDEN or TENANT_INACTIVE"},
    404: _ERR | {"description": "NOT_FOUND (also for another tenant's ids)"},
    422: _ERR | {"description": "VALIDATION_ERROR with field details"},
    429: _ERR | {"description": "RATE_LIMITED (with Retry-After)"},
}
