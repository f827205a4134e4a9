"""`/health`, `/health/cache`, `/health/live`, `/health/ready` (SPEC §9, checklist §6)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import Response

from mais.core.deps import ContainerDep
from mais.core.errors import request_id_of
from mais.migrations.runner import head_revision

router = APIRouter(tags=["health"])

DB_CHECK_TIMEOUT = 3.0


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def _database_problem(container: ContainerDep) -> str | None:
    async def probe() -> None:
        async with container.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), DB_CHECK_TIMEOUT)
    except TimeoutError:
        return "timed out"
    except Exception as exc:
        return exc.__class__.__name__
    return None


async def _migration_problem(container: ContainerDep) -> str | None:
    async def current() -> str | None:
        async with container.db.engine.connect() as connection:
            row = await connection.execute(text("SELECT version_num FROM alembic_version"))
            value = row.scalar_one_or_none()
            return None if value is None else str(value)

    try:
        revision = await asyncio.wait_for(current(), DB_CHECK_TIMEOUT)
    except Exception as exc:
        return exc.__class__.__name__
    head = head_revision()
    return None if revision == head else f"at {revision}, expected {head}"


def _unhealthy(request: Request, checks: dict[str, str], base: dict[str, Any]) -> Response:
    failing = ", ".join(f"{name}: {problem}" for name, problem in checks.items())
    return _json(
        base
        | {
            "status": "unhealthy",
            "checks": checks,
            "error": "UNHEALTHY",
            "message": f"Failing checks: {failing}",
            "requestId": request_id_of(request.scope),
        },
        503,
    )


@router.get("/health", summary="Liveness and database connectivity")
async def health(request: Request, container: ContainerDep) -> Response:
    base = {
        "status": "healthy",
        "timestamp": _timestamp(),
        "uptime": int(time.monotonic() - request.app.state.started_at),
    }
    problem = await _database_problem(container)
    if problem:
        return _unhealthy(request, {"database": problem}, base)
    return _json(base)


@router.get("/health/cache", summary="Cache statistics")
async def health_cache(container: ContainerDep) -> Response:
    return _json(await container.cache.stats())


@router.get("/health/live", summary="The process is running")
async def health_live() -> Response:
    return _json({"status": "alive", "timestamp": _timestamp()})


@router.get("/health/ready", summary="Database reachable, migrations current, cache state")
async def health_ready(request: Request, container: ContainerDep) -> Response:
    checks: dict[str, str] = {}
    if problem := await _database_problem(container):
        checks["database"] = problem
    elif problem := await _migration_problem(container):
        checks["migrations"] = problem
    # A down cache does not make the instance unready: requests fall back to the database.
    cache = "connected" if await container.cache.ping() else "disconnected (serving from database)"
    base = {"status": "ready", "timestamp": _timestamp(), "cache": cache}
    if checks:
        return _unhealthy(request, checks, base)
    return _json(base | {"checks": {"database": "ok", "migrations": "ok"}})
