"""/health, /health/live, /health/ready (SPEC §9, checklist §6)."""

from __future__ import annotations

from datetime import datetime

from mais.app import create_app
from mais.container import build_container
from mais.migrations.runner import head_revision
from mais.settings import Settings
from tests.factories.services import client_for


def _is_utc_iso_timestamp(value: str) -> bool:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.endswith("Z") and parsed.utcoffset() is not None


async def test_health_is_the_checklist_body(client):
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "timestamp", "uptime"}
    assert body["status"] == "healthy"
    assert _is_utc_iso_timestamp(body["timestamp"])
    assert isinstance(body["uptime"], int)
    assert body["uptime"] >= 0
    assert response.headers["cache-control"] == "no-store"


async def test_health_is_503_naming_the_database_when_it_is_unreachable(db_down_app):
    async with client_for(db_down_app) as http:
        response = await http.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert set(body["checks"]) == {"database"}
    assert body["error"] == "UNHEALTHY"
    assert "database" in body["message"]
    assert body["requestId"] == response.headers["x-request-id"]
    assert _is_utc_iso_timestamp(body["timestamp"])
    assert "127.0.0.1" not in response.text  # says which check failed, not where the DB is


async def test_live_answers_even_when_the_database_is_down(db_down_app):
    async with client_for(db_down_app) as http:
        response = await http.get("/health/live")
    assert response.status_code == 200
    assert response.json()["status"] == "alive"


async def test_ready_when_database_reachable_and_migrations_current(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok"}
    assert body["cache"] == "connected"


async def test_not_ready_when_the_database_is_down(db_down_app):
    async with client_for(db_down_app) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 503
    assert set(response.json()["checks"]) == {"database"}


async def test_not_ready_when_migrations_are_not_applied(tmp_path):
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        app_env="test",
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        data_dir=tmp_path,
    )
    container = build_container(settings)
    try:
        async with client_for(create_app(settings, container)) as http:
            response = await http.get("/health/ready")
            health = await http.get("/health")
    finally:
        await container.close()
    assert response.status_code == 503
    body = response.json()
    assert set(body["checks"]) == {"migrations"}
    assert body["error"] == "UNHEALTHY"
    assert head_revision() is not None
    assert health.status_code == 200  # the database itself is reachable
