"""Static files of the help pages and the API reference, loaded once.

Swagger UI's files come from the installed `fastapi-offline` package (nothing is fetched
from a CDN, nothing third-party is copied into this repository); `docs-init.js` is ours
and starts it without an inline script."""

from __future__ import annotations

from functools import cache

from mais.web.static import StaticAssets

HELP_STATIC_PREFIX = "/help/static"
DOCS_STATIC_PREFIX = "/docs/static"
SWAGGER_UI_PACKAGE = "fastapi_offline"


@cache
def help_assets() -> StaticAssets:
    return StaticAssets("mais.help", "static", ("help.css", "docs-init.js"), HELP_STATIC_PREFIX)


@cache
def swagger_ui_assets() -> StaticAssets:
    # Loaded on the first visit to /docs only: 1.5 MB of JavaScript to gzip.
    return StaticAssets(
        SWAGGER_UI_PACKAGE, "static", ("swagger-ui-bundle.js", "swagger-ui.css"), DOCS_STATIC_PREFIX
    )
