"""OpenTelemetry tracing (FastAPI, SQLAlchemy, httpx, Redis) exported over OTLP/HTTP when
OTEL_EXPORTER_OTLP_ENDPOINT is set."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from mais.settings import Settings

_provider: TracerProvider | None = None


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The process's provider, created (with httpx and Redis instrumented) on first use."""
    global _provider
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    if _provider is None:
        resource = Resource.create(
            {"service.name": "mais", "deployment.environment": settings.app_env.value}
        )
        _provider = TracerProvider(resource=resource)
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        _provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(_provider)
        HTTPXClientInstrumentor().instrument()
        RedisInstrumentor().instrument()
    return _provider


def instrument_app(settings: Settings, app: Any) -> None:
    provider = tracer_provider(settings)
    if provider is not None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=provider, excluded_urls="health,metrics"
        )


def instrument_engine(settings: Settings, engine: Any) -> None:
    provider = tracer_provider(settings)
    if provider is not None:
        SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=provider)
