"""Routes whose body is a JSON model accept only JSON bodies: anything else is 415.

Applied to every route as an application-wide dependency, so no endpoint can forget it.
It acts only where FastAPI would parse a JSON body: routes with form/multipart bodies
(uploads) and routes that read the raw request (the Stripe webhook, CSP reports) have no
JSON body field and are untouched."""

from __future__ import annotations

from email.message import Message

from fastapi import Request
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute

from mais.core.errors import UnsupportedMediaType


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or any `application/*+json`, with or without parameters."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def takes_json_body(route: object) -> bool:
    if not isinstance(route, APIRoute) or route.body_field is None:
        return False
    return not isinstance(route.body_field.field_info, fastapi_params.Form)


async def require_json_body(request: Request) -> None:
    """Refuse a non-empty body that is not declared as JSON on a JSON-body route."""
    if not takes_json_body(request.scope.get("route")):
        return
    if not await request.body():  # an optional body may be left out entirely
        return
    if not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType(
            "Send the request body as JSON (Content-Type: application/json)."
        )
