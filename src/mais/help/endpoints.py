"""`/help` (the guide index), `/help/<slug>` (one guide), the guides' screenshots and CSS,
and `/docs` (Swagger UI on `/openapi.json`, assets from an installed package).

Every page is built with the site's CSP builder: the guides run no script at all; the
API reference runs only its own files and fetches only from this origin."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from mais.core.deps import ContainerDep
from mais.core.errors import NotFound
from mais.help.assets import help_assets, swagger_ui_assets
from mais.help.guides import GUIDES, rendered_guide, screenshot
from mais.web.csp import page_policy
from mais.web.static import IMMUTABLE, StaticAssets
from mais.web.templates import html_page

router = APIRouter(include_in_schema=False)

PAGE_CACHE = {"Cache-Control": "public, max-age=300"}
SCREENSHOT_CACHE = "public, max-age=86400"
OUTDATED_ASSET_CACHE = "public, max-age=300"


@router.get("/help")
async def help_index(request: Request, container: ContainerDep) -> Response:
    return html_page(
        "help/index.html",
        policy=page_policy(),
        headers=PAGE_CACHE,
        accept_encoding=request.headers.get("accept-encoding"),
        assets=help_assets(),
        guides=GUIDES,
        current=None,
        support_email=container.settings.support_email,
    )


@router.get("/help/screenshots/{name}")
async def help_screenshot(name: str) -> Response:
    found = screenshot(name)
    if found is None:
        raise NotFound()
    body, content_type = found
    return Response(body, media_type=content_type, headers={"Cache-Control": SCREENSHOT_CACHE})


@router.get("/help/static/{filename}")
async def help_static(filename: str, request: Request) -> Response:
    return _asset(help_assets(), filename, request)


@router.get("/help/{slug}")
async def help_guide(slug: str, request: Request, container: ContainerDep) -> Response:
    guide = rendered_guide(slug)
    if guide is None:
        raise NotFound()
    return html_page(
        "help/guide.html",
        policy=page_policy(),
        headers=PAGE_CACHE,
        accept_encoding=request.headers.get("accept-encoding"),
        assets=help_assets(),
        guides=GUIDES,
        current=slug,
        guide=guide,
        support_email=container.settings.support_email,
    )


@router.get("/docs")
async def api_reference(request: Request) -> Response:
    return html_page(
        "help/api_docs.html",
        policy=page_policy(scripts=True, connect=True),
        headers=PAGE_CACHE,
        accept_encoding=request.headers.get("accept-encoding"),
        assets=help_assets(),
        swagger=await _swagger_ui(),
        openapi_url=request.app.openapi_url or "/openapi.json",
    )


@router.get("/docs/static/{filename}")
async def api_reference_static(filename: str, request: Request) -> Response:
    return _asset(await _swagger_ui(), filename, request)


async def _swagger_ui() -> StaticAssets:
    # The first call reads and gzips 1.5 MB (about 2 s): not on the event loop.
    return await asyncio.to_thread(swagger_ui_assets)


def _asset(assets: StaticAssets, filename: str, request: Request) -> Response:
    found = assets.find(filename)
    if found is None:
        raise NotFound()
    asset, current = found
    return asset.response(
        if_none_match=request.headers.get("if-none-match"),
        accept_encoding=request.headers.get("accept-encoding"),
        cache_control=IMMUTABLE if current else OUTDATED_ASSET_CACHE,
    )
