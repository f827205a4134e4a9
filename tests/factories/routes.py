"""Every (method, path) the app serves, read from its router (this FastAPI keeps included
routers nested, so `app.routes` is not a flat list): the security suite generates its
matrices from this, so a route added later is attacked without editing the tests."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from mais.app import create_app
from mais.settings import Settings


def app_routes(app: Any | None = None) -> list[tuple[str, str]]:
    app = app or create_app(Settings(_env_file=None, app_env="test"))  # type: ignore[call-arg]
    found: set[tuple[str, str]] = set()
    _walk(app.router.routes, "", found)
    return sorted(found)


def route_objects(routes: Any) -> list[Any]:
    """The route objects of `routes` (`app.router.routes`), included routers unnested: the
    routes of an `APIRouter(prefix=...)` carry their full paths."""
    found: list[Any] = []
    for route in routes:
        original = getattr(route, "original_router", None)
        found.extend(route_objects(original.routes) if original is not None else [route])
    return found


def _walk(routes: Any, prefix: str, found: set[tuple[str, str]]) -> None:
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            _walk(original.routes, prefix + (getattr(context, "prefix", "") or ""), found)
        elif isinstance(route, Route) or hasattr(route, "methods"):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, prefix + route.path))
