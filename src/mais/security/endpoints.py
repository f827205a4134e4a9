"""`POST /v1/csp-violations`: browsers report CSP violations here, in either format —
`application/csp-report` (report-uri) or `application/reports+json` (report-to). Reports
are logged and counted; bodies are size-limited by the request middleware (16 KB) and
rate-limited per client; nothing a browser (or an attacker) sends can cause a 500."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Request
from limits import RateLimitItemPerMinute
from starlette.responses import Response

from mais.core.deps import ContainerDep, request_client_ip
from mais.core.errors import BadRequest, UnsupportedMediaType
from mais.observability.metrics import CSP_VIOLATIONS

router = APIRouter(prefix="/v1", tags=["security"])
log = logging.getLogger("mais.csp")

REPORTS_PER_MINUTE = RateLimitItemPerMinute(60)
ACCEPTED_TYPES = ("application/csp-report", "application/reports+json", "application/json")
MAX_REPORTS = 20
# The fields worth keeping, under both formats' names.
FIELDS = {
    "document-uri": "document",
    "documentURL": "document",
    "violated-directive": "directive",
    "effective-directive": "directive",
    "effectiveDirective": "directive",
    "blocked-uri": "blocked",
    "blockedURL": "blocked",
    "source-file": "source",
    "sourceFile": "source",
    "line-number": "line",
    "lineNumber": "line",
    "disposition": "disposition",
}


def _without_query(value: str) -> str:
    """Reported URLs may carry tokens in their query string: keep origin and path."""
    parts = urlsplit(value)
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}{parts.path}"[:300]
    return value[:300]


def _violations(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        bodies = [payload["csp-report"]]
    elif isinstance(payload, list):
        bodies = [
            item["body"]
            for item in payload[:MAX_REPORTS]
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    else:
        raise BadRequest("Not a CSP violation report.", code="INVALID_REPORT")
    violations = []
    for body in bodies:
        kept: dict[str, Any] = {}
        for name, value in body.items():
            field = FIELDS.get(name)
            if field is None or field in kept:
                continue
            if isinstance(value, str):
                kept[field] = _without_query(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                kept[field] = value
        violations.append(kept)
    return violations


@router.post(
    "/csp-violations",
    status_code=204,
    summary="Receive Content-Security-Policy violation reports from browsers",
    responses={400: {"description": "INVALID_REPORT"}, 415: {}, 413: {}, 429: {}},
)
async def receive_csp_report(request: Request, container: ContainerDep) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        raise UnsupportedMediaType("Send application/csp-report or application/reports+json.")
    await container.rate_limiter.check(REPORTS_PER_MINUTE, "csp", request_client_ip(request))
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest("The report is not valid JSON.", code="INVALID_REPORT") from exc
    for violation in _violations(payload):
        CSP_VIOLATIONS.labels(str(violation.get("directive", "unknown")).split()[0][:40]).inc()
        log.warning("csp violation", extra={"report": violation})
    return Response(status_code=204)
