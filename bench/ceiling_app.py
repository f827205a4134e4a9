"""The ceiling: a minimal FastAPI app on the same server that returns fixed bytes.

`bench/catalog.py` serves it with the same uvicorn options and worker count as MAIS, so
MAIS's throughput can be read as a fraction of what the stack itself can do."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

BODY = Path(os.environ["CEILING_BODY_FILE"]).read_bytes()

# Configured as MAIS configures FastAPI where that changes per-request work: FastAPI's own
# telemetry off (MAIS traces with OpenTelemetry's instrumentation instead). With FastAPI's
# defaults the ceiling would pay for a lookup MAIS skips, and MAIS would look closer to it.
app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})


@app.get("/v1/packages")
async def packages() -> Response:
    return Response(BODY, media_type="application/json")


@app.get("/health/live")
async def live() -> Response:
    return Response(b'{"status":"alive"}', media_type="application/json")
