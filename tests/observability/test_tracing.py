"""With OTEL_EXPORTER_OTLP_ENDPOINT set, request and database spans are exported over
OTLP/HTTP. Runs in a subprocess because OpenTelemetry instruments a process globally."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.fakes.recorder import RecordingServer

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, httpx
    from mais.app import create_app
    from mais.migrations.runner import upgrade
    from mais.observability.tracing import tracer_provider
    from mais.settings import Settings

    db = sys.argv[2]
    upgrade(db)
    settings = Settings(_env_file=None, app_env="test", database_url=db, data_dir=sys.argv[3],
                        otel_exporter_otlp_endpoint=sys.argv[1])
    app = create_app(settings)

    async def main():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.get("/v1/packages")).status_code == 401
                assert (await client.get("/health/ready")).status_code == 200
        tracer_provider(settings).force_flush()

    asyncio.run(main())
    """
)


def test_request_and_database_spans_are_exported(tmp_path):
    with RecordingServer() as collector:
        db = f"sqlite:///{tmp_path / 'trace.db'}"
        subprocess.run(
            [sys.executable, "-c", SCRIPT, collector.url, db, str(tmp_path)],
            check=True,
            timeout=120,
        )
    exports = [r for r in collector.requests if r.path == "/v1/traces"]
    assert exports
    names = set()
    for request in exports:
        message = ExportTraceServiceRequest()
        message.ParseFromString(request.body)
        for resource_spans in message.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                names.update(span.name for span in scope_spans.spans)
    assert "GET /v1/packages" in names
    assert any(name.split()[0] in {"SELECT", "connect"} for name in names), names
