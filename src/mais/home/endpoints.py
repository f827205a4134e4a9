"""`GET /`: a small landing page for the platform (what MAIS is, where to log in, where the
API documentation is). An HTML page like any other: its own CSP from `page_policy`, no
script, framed by nobody — the page the production checklist's `curl -I` looks at."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mais.core.deps import ContainerDep
from mais.web.csp import page_policy
from mais.web.templates import html_page

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, container: ContainerDep) -> Response:
    return html_page(
        "home/home.html",
        policy=page_policy(),
        headers={"Cache-Control": "no-cache"},
        accept_encoding=request.headers.get("accept-encoding"),
        support_email=container.settings.support_email,
    )
