"""The published description of the API (`/openapi.json`, shown at `/docs`): what FastAPI
generates from the routes, plus what it cannot know by itself.

- Security schemes: `X-Tenant-Key` (public API), Bearer JWT (admins, from
  `POST /v1/auth/login`) and Bearer secret key (tenant admin API, server to server),
  attached to each operation by the area it belongs to. A test calls every operation
  without credentials and checks that exactly the secured ones answer 401.
- The one error body on every error response (FastAPI's own 422 shape is never sent),
  415 on every operation that takes JSON, 429 wherever a rate limit applies.
- Request and response examples of the operations a developer starts with (validated
  against their schemas by a test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

TENANT_KEY = "TenantKey"
ADMIN_JWT = "AdminJWT"
SECRET_KEY = "SecretKey"  # noqa: S105 - the name of a security scheme

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    TENANT_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Tenant-Key",
        "description": "The tenant's public key, `pk_live_<slug>_<16 hex>` (not a secret: the "
        "widget uses it). Missing → 401 TENANT_KEY_REQUIRED; malformed → 401 "
        "INVALID_TENANT_KEY; unknown → 401 TENANT_NOT_FOUND; suspended → 403 TENANT_INACTIVE.",
    },
    ADMIN_JWT: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "`Authorization: Bearer <token>` with the token of `POST /v1/auth/login` "
        "(valid one hour; a password change revokes it).",
    },
    SECRET_KEY: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sk_live_<slug>_<hex>",
        "description": "`Authorization: Bearer sk_live_...`: the tenant's secret key, for "
        "server-to-server use of the tenant-admin API. Shown once at creation or rotation.",
    },
}

Requirement = list[dict[str, list[str]]]
_PUBLIC: Requirement = [{TENANT_KEY: []}]
_TENANT_ADMIN: Requirement = [{ADMIN_JWT: []}, {SECRET_KEY: []}]
_ADMIN: Requirement = [{ADMIN_JWT: []}]

# Unauthenticated operations under /v1 (everything else there needs one of the schemes).
OPEN_OPERATIONS = {
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/password-reset/request"),
    ("post", "/v1/auth/password-reset/confirm"),
    ("post", "/v1/webhooks/stripe"),  # Stripe-Signature only
    ("post", "/v1/csp-violations"),
}

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

ERROR_EXAMPLE = {
    "error": "DATE_UNAVAILABLE",
    "message": "This date cannot be booked.",
    "requestId": "01JD3Z7M6Q2W8E4R5T6Y7U8I9O",
    "details": {"reason": "booked"},
}

_PACKAGE_ID = "8b7e0a52-6f0c-4a57-9d6e-2f4a1c3b5d71"
_ADD_ON_ID = "3f9a2c4e-1b7d-4e8a-9c6f-5d2b8e1a7c90"
_BOOKING_ID = "5c1d9e7a-3b2f-4c8d-a1e6-9f0b7d3c2a18"
_TENANT_ID = "0e6f4a2b-9c1d-4b7e-8a3f-6d5c2b1e9a04"
_SESSION_ID = "cs_test_a1B2c3D4e5F6g7H8i9J0"
_TOTALS = {
    "subtotalCents": 375000,
    "commissionCents": 37500,
    "tenantNetCents": 337500,
    "currency": "usd",
}
_PUBLIC_PACKAGE = {
    "id": _PACKAGE_ID,
    "slug": "garden-ceremony",
    "title": "Garden Ceremony",
    "description": "Ceremony in the walled rose garden, up to 80 guests.",
    "priceCents": 350000,
    "photoUrl": "https://app.maconaisolutions.com/uploads/photos/garden-1.jpg",
    "photos": [
        {
            "url": "https://app.maconaisolutions.com/uploads/photos/garden-1.jpg",
            "width": 1600,
            "height": 1067,
        }
    ],
    "addOns": [
        {
            "id": _ADD_ON_ID,
            "title": "Violinist",
            "description": "Ceremony and cocktail hour.",
            "priceCents": 25000,
        }
    ],
}
_SUMMARY = {
    "id": _BOOKING_ID,
    "status": "confirmed",
    "eventDate": "2027-06-12",
    "coupleName": "Alex & Sam",
    "email": "alex.sam@example.com",
    "package": {"id": _PACKAGE_ID, "title": "Garden Ceremony"},
    "addOns": [{"id": _ADD_ON_ID, "title": "Violinist", "priceCents": 25000}],
    "totals": _TOTALS,
    "expiresAt": None,
}

# (method, path) → {"request": example body, "responses": {status: example body}}
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/v1/packages"): {"responses": {"200": [_PUBLIC_PACKAGE]}},
    ("get", "/v1/packages/{slug}"): {"responses": {"200": _PUBLIC_PACKAGE}},
    ("get", "/v1/availability"): {
        "responses": {"200": {"date": "2027-06-12", "available": False, "reason": "held"}}
    },
    ("get", "/v1/availability/unavailable"): {
        "responses": {
            "200": {
                "dates": [
                    {"date": "2027-06-05", "reason": "blackout"},
                    {"date": "2027-06-12", "reason": "booked"},
                ]
            }
        }
    },
    ("post", "/v1/bookings/checkout"): {
        "request": {
            "packageId": "garden-ceremony",
            "eventDate": "2027-06-12",
            "coupleName": "Alex & Sam",
            "email": "alex.sam@example.com",
            "phone": "+1 555 0100",
            "addOnIds": [_ADD_ON_ID],
        },
        "responses": {
            "201": {
                "bookingId": _BOOKING_ID,
                "sessionId": _SESSION_ID,
                "checkoutUrl": f"https://checkout.stripe.com/c/pay/{_SESSION_ID}",
                "expiresAt": "2027-05-01T15:30:00+00:00",
                "accessToken": "Vt3kQ9xW2mYpL7sR4nB8cD1fG6hJ0aZe",
                "totals": _TOTALS,
            },
            "409": ERROR_EXAMPLE,
        },
    },
    ("get", "/v1/bookings/by-session/{session_id}"): {"responses": {"200": _SUMMARY}},
    ("get", "/v1/bookings/{booking_id}"): {"responses": {"200": _SUMMARY}},
    ("post", "/v1/auth/login"): {
        "request": {"email": "owner@willowcreek.example", "password": "a long passphrase"},
        "responses": {
            "200": {
                "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
                "role": "tenant_admin",
                "tenantSlug": "willow-creek",
                "expiresAt": "2027-05-01T16:00:00+00:00",
            }
        },
    },
    ("post", "/v1/tenant-admin/packages"): {
        "request": {
            "title": "Garden Ceremony",
            "description": "Ceremony in the walled rose garden, up to 80 guests.",
            "priceCents": 350000,
            "active": True,
            "addOnIds": [_ADD_ON_ID],
        }
    },
    ("patch", "/v1/tenant-admin/packages/{package_id}"): {
        "request": {"priceCents": 375000, "active": True}
    },
    ("post", "/v1/tenant-admin/add-ons"): {
        "request": {
            "title": "Violinist",
            "description": "Ceremony and cocktail hour.",
            "priceCents": 25000,
            "active": True,
        }
    },
    ("put", "/v1/tenant-admin/settings"): {
        "request": {
            "timezone": "America/New_York",
            "minNoticeDays": 14,
            "maxDaysAhead": 540,
            "allowedEmbedOrigins": [
                "https://willowcreek.example",
                "https://www.willowcreek.example",
            ],
            "notificationEmail": "bookings@willowcreek.example",
        }
    },
    ("put", "/v1/tenant-admin/branding"): {
        "request": {
            "primaryColor": "#2F5D50",
            "secondaryColor": "#F4ECE6",
            "accentColor": "#8F7350",
            "backgroundColor": "#FFFFFF",
            "fontFamily": "Palatino",
        }
    },
    ("post", "/v1/tenant-admin/blackouts"): {
        "request": {"startDate": "2027-12-24", "endDate": "2027-12-26", "reason": "Holidays"}
    },
    ("post", "/v1/tenant-admin/bookings/{booking_id}/refund"): {"request": {"amountCents": 25000}},
    ("post", "/v1/tenant-admin/bookings/{booking_id}/cancel"): {
        "request": {"reason": "The couple moved the wedding abroad."}
    },
    ("post", "/v1/admin/tenants"): {
        "request": {
            "slug": "willow-creek",
            "name": "Willow Creek Farm",
            "email": "owner@willowcreek.example",
            "commissionPercent": 10,
            "timezone": "America/Chicago",
        },
        "responses": {
            "201": {
                "tenant": {
                    "id": _TENANT_ID,
                    "slug": "willow-creek",
                    "name": "Willow Creek Farm",
                    "email": "owner@willowcreek.example",
                    "status": "active",
                    "commissionPercent": 10.0,
                    "currency": "usd",
                    "timezone": "America/Chicago",
                    "stripeAccountId": None,
                    "stripeChargesEnabled": False,
                    "createdAt": "2027-05-01T15:00:00+00:00",
                },
                "publicKey": "pk_live_willow-creek_0123456789abcdef",
                "secretKey": "sk_live_<slug>_<32+ hex: shown only in this answer>",
            }
        },
    },
}


def security_for(method: str, path: str) -> Requirement | None:
    """The security requirement of an operation, by the area its path belongs to."""
    if not path.startswith("/v1/") or (method, path) in OPEN_OPERATIONS:
        return None
    if path.startswith("/v1/tenant-admin/"):
        return _TENANT_ADMIN
    if path.startswith("/v1/admin/") or path.startswith("/v1/auth/"):
        return _ADMIN
    return _PUBLIC


def install_api_description(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed description (built once)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app.state, "api_description_done", False):
            return app.openapi_schema or generate()
        schema = complete(generate())
        app.openapi_schema = schema
        app.state.api_description_done = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


DESCRIPTION = """\
The JSON API of MAIS. Three kinds of caller:

- **Public** (`/v1/packages`, `/v1/availability`, `/v1/bookings/...`): the tenant's public key
  in `X-Tenant-Key`. Rate limited per tenant and client (429 with `Retry-After`).
- **Tenant admin** (`/v1/tenant-admin/...`): `Authorization: Bearer <token>` from
  `POST /v1/auth/login`, or the tenant's secret key `Authorization: Bearer sk_live_...`.
- **Platform admin** (`/v1/admin/...`): the token of a platform admin.

Every error has the same body: `{"error": "<CODE>", "message": "...", "requestId": "..."}`
(plus `details` when there is more to say); every response carries `X-Request-ID`.
Money is integer cents; dates are `YYYY-MM-DD` in the tenant's time zone.

Guides for businesses: [/help](/help).
"""


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("info", {})["description"] = DESCRIPTION
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    if "ErrorBody" in schemas:
        schemas["ErrorBody"]["example"] = ERROR_EXAMPLE
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _complete_operation(method, path, operation)
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return schema


def _complete_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    security = security_for(method, path)
    if security is not None:
        operation["security"] = security
        responses.setdefault("401", {"description": "Missing or invalid credentials"})
        if security is not _ADMIN:
            responses.setdefault("429", {"description": "RATE_LIMITED (with Retry-After)"})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        responses.setdefault("415", {"description": "UNSUPPORTED_MEDIA_TYPE: send JSON"})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = {"application/json": {"schema": _ERROR_REF}}
            if response.get("description") == "Validation Error":  # FastAPI's default
                response["description"] = "VALIDATION_ERROR with field details"
    examples = EXAMPLES.get((method, path), {})
    if "request" in examples and "application/json" in content:
        content["application/json"]["example"] = examples["request"]
    for status, example in examples.get("responses", {}).items():
        target = responses.get(status)
        if target is not None:
            target.setdefault("content", {}).setdefault("application/json", {})["example"] = example
