"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from mais.container import Container, build_container
from mais.core.content_type import is_undeclared_json_body
from mais.core.errors import AppError, UnsupportedMediaType, render_app_error, render_error
from mais.core.middleware import RequestContextMiddleware
from mais.help.openapi import install_api_description
from mais.observability.logging import request_log
from mais.observability.requests import record_request
from mais.observability.sentry import report_exception
from mais.security.cors import CorsMiddleware
from mais.settings import ConfigurationError, Environment, Settings, load_settings
from mais.web.csp import origin_of

log = logging.getLogger("mais.app")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
}


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or (container.settings if container else load_settings())
    problems = settings.problems()
    if problems:
        raise ConfigurationError(problems)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = app.state.container is None
        if owned:
            app.state.container = build_container(settings)
        if settings.otel_exporter_otlp_endpoint:
            from mais.observability.tracing import instrument_engine

            instrument_engine(settings, app.state.container.db.engine.sync_engine)
        background = [asyncio.create_task(app.state.container.cache.maintain())]
        if settings.app_env is Environment.development:
            # Development runs jobs in the web process; production runs `mais worker`.
            from mais.jobs.worker import JobWorker

            background.append(asyncio.create_task(JobWorker(app.state.container).run_forever()))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if owned:
                await app.state.container.close()
            request_log.flush()

    app = FastAPI(
        title="MAIS API",
        version="1.0",
        summary="Multi-tenant booking platform for event businesses.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Tracing is `observability/tracing.py`'s (OpenTelemetry's FastAPI instrumentation,
        # when OTEL_EXPORTER_OTLP_ENDPOINT is set). FastAPI's own telemetry stays off: it
        # would otherwise ask OpenTelemetry's global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container
    app.state.started_at = time.monotonic()
    _install_error_handlers(app)
    _include_routers(app)
    install_api_description(app)
    if settings.otel_exporter_otlp_endpoint:
        from mais.observability.tracing import instrument_app

        instrument_app(settings, app)
    # Inside the request middleware, so preflight answers and refusals get its headers.
    app.add_middleware(
        CorsMiddleware,
        production=settings.is_production,
        frontend_origin=origin_of(settings.frontend_url),
    )
    app.add_middleware(
        RequestContextMiddleware,
        force_hsts=settings.is_production,
        on_response=record_request,
        on_error=report_exception,
    )
    return app


def _include_routers(app: FastAPI) -> None:
    from mais.admin.endpoints import router as admin_router
    from mais.auth.endpoints import router as auth_router
    from mais.availability.endpoints import router as availability_router
    from mais.bookings.endpoints import router as bookings_router
    from mais.catalog.endpoints import router as catalog_router
    from mais.dashboard.admin_pages import router as admin_pages_router
    from mais.dashboard.auth_pages import router as dashboard_auth_router
    from mais.dashboard.booking_pages import router as booking_pages_router
    from mais.dashboard.catalog_pages import router as catalog_pages_router
    from mais.dashboard.tenant_pages import router as tenant_pages_router
    from mais.dashboard.web import static_router as dashboard_static_router
    from mais.health.endpoints import router as health_router
    from mais.help.endpoints import router as help_router
    from mais.home.endpoints import router as home_router
    from mais.notifications.endpoints import router as mailbox_router
    from mais.observability.endpoints import router as metrics_router
    from mais.payments.endpoints import router as webhooks_router
    from mais.payments.mock_endpoints import router as mock_payments_router
    from mais.security.endpoints import router as security_router
    from mais.tenant_admin.endpoints import router as tenant_admin_router
    from mais.tenants.endpoints import router as tenant_router
    from mais.uploads.endpoints import router as uploads_router
    from mais.widget.endpoints import router as widget_router

    # Routes are matched in order, and each route tried costs FastAPI real time: the public
    # API and the booking pages, hit by every visitor of every tenant's site, come first.
    app.include_router(catalog_router)
    app.include_router(tenant_router)
    app.include_router(availability_router)
    app.include_router(bookings_router)
    app.include_router(widget_router)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(mailbox_router)
    app.include_router(webhooks_router)
    app.include_router(mock_payments_router)  # pages answer 404 unless payments are mocked
    app.include_router(auth_router)
    app.include_router(tenant_admin_router)
    app.include_router(admin_router)
    app.include_router(uploads_router)
    app.include_router(security_router)
    app.include_router(help_router)
    app.include_router(dashboard_static_router)
    app.include_router(dashboard_auth_router)
    app.include_router(tenant_pages_router)
    app.include_router(catalog_pages_router)
    app.include_router(booking_pages_router)
    app.include_router(admin_pages_router)
    app.include_router(home_router)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return render_app_error(request.scope, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if is_undeclared_json_body(errors):
            # Every route taking a JSON body refuses other content types with 415.
            return render_app_error(
                request.scope,
                UnsupportedMediaType(
                    "Send the request body as JSON (Content-Type: application/json)."
                ),
            )
        if any(err.get("type") == "json_invalid" for err in errors):
            return render_error(request.scope, 400, "INVALID_JSON", "The body is not valid JSON.")
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "issue": err.get("msg", "invalid"),
            }
            for err in errors
        ]
        summary = "; ".join(f"{d['field'] or 'body'}: {d['issue']}" for d in details[:3])
        return render_error(
            request.scope, 422, "VALIDATION_ERROR", f"Invalid request: {summary}", details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
        message = "Not found." if exc.status_code == 404 else str(exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        return render_error(request.scope, exc.status_code, code, message, headers=headers)

    async def _database_down(request: Request, exc: Exception) -> Response:
        log.error("database unavailable: %s", exc.__class__.__name__)
        return render_error(
            request.scope,
            503,
            "DATABASE_UNAVAILABLE",
            "The database is temporarily unavailable; please retry shortly.",
            headers={"Retry-After": "5"},
        )

    for exc_class in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(exc_class, _database_down)

    async def _unstorable_value(request: Request, exc: Exception) -> Response:
        # The database refused a value no validator caught (PostgreSQL: NUL in text).
        log.warning("database refused a value: %s", exc.__class__.__name__)
        return render_error(
            request.scope,
            422,
            "VALIDATION_ERROR",
            "The request contains a value that cannot be stored.",
        )

    app.add_exception_handler(DataError, _unstorable_value)


def app_factory() -> Any:
    """Entry point for `uvicorn --factory mais.app:app_factory` (each server process)."""
    from mais.observability.logging import configure_logging
    from mais.observability.sentry import init_sentry

    settings = load_settings()
    configure_logging(settings.log_level, json_output=settings.is_production)
    init_sentry(settings)
    app = create_app(settings)
    # Modules and the app built so far live as long as the process: keep their ~200k objects
    # out of the cyclic collector, whose full passes over them stopped the event loop for
    # ~180 ms at a time (measured; 5 ms after this). Not in create_app: tests build many apps.
    gc.collect()
    gc.freeze()
    return app
