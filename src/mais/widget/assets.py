"""The widget's own static files (no framework, nothing third-party), loaded once."""

from __future__ import annotations

from functools import cache

from mais.web.static import StaticAssets

STATIC_PREFIX = "/widget/static"


@cache
def widget_assets() -> StaticAssets:
    return StaticAssets(
        "mais.widget", "static", ("widget.css", "widget.js", "embed.js"), STATIC_PREFIX
    )
