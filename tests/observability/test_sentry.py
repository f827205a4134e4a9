"""With SENTRY_DSN set, an unexpected error reaches Sentry as a real envelope carrying the
request id and tenant, without credentials or personal data."""

from __future__ import annotations

import json

import pytest
import sentry_sdk

from mais.observability.sentry import init_sentry
from mais.settings import Settings
from tests.factories.world import make_tenant
from tests.fakes.recorder import RecordingServer

# Kept away from the code that fails, so Sentry's source context cannot contain them.
CREDENTIAL_HEADERS = {"Authorization": "Bearer secret-token", "Cookie": "s=abc"}


@pytest.fixture
def sentry_server():
    with RecordingServer() as server:
        yield server
    sentry_sdk.init(dsn=None)  # disable the client again for the rest of the suite


def _events(server: RecordingServer) -> list[dict]:
    events = []
    for request in server.requests:
        lines = request.body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


async def test_unexpected_error_is_sent_with_request_id_and_tenant_but_no_secrets(
    container, app, client, sentry_server
):
    tenant = await make_tenant(container)
    assert init_sentry(
        Settings(_env_file=None, sentry_dsn=f"http://publickey@{sentry_server.url[7:]}/42")
    )

    async def explode() -> None:
        raise RuntimeError("database exploded while holding sk_live_shouldnotleak1234")

    app.add_api_route("/v1/test-explode", explode)
    response = await client.get(
        "/v1/test-explode",
        headers=tenant.headers | CREDENTIAL_HEADERS,
    )
    assert response.status_code == 500
    assert "exploded" not in response.text
    sentry_sdk.flush(timeout=5)

    assert any(r.path == "/api/42/envelope/" for r in sentry_server.requests)
    events = _events(sentry_server)
    assert events, "no event envelope arrived"
    event = events[-1]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == response.headers["x-request-id"]
    raw = b"".join(r.body for r in sentry_server.requests).decode("utf-8", "replace")
    for leaked in ("sk_live_shouldnotleak", "secret-token", "s=abc", tenant.public_key):
        assert leaked not in raw


def test_doctor_send_test_error_delivers_one_event(sentry_server, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from mais.cli import app as cli

    monkeypatch.setenv("SENTRY_DSN", f"http://publickey@{sentry_server.url[7:]}/7")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'doctor.db'}")
    result = CliRunner().invoke(cli, ["doctor", "--send-test-error"])

    assert "sentry: test event" in result.output
    events = _events(sentry_server)
    assert [e.get("logentry", {}).get("message") or e.get("message") for e in events] == [
        "MAIS test error sent by `mais doctor`"
    ]
