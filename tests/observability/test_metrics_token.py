"""With METRICS_TOKEN set, /metrics answers only to that bearer token."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings_overrides():
    return {"metrics_token": "scrape-me-please"}


async def test_metrics_require_the_configured_bearer_token(client):
    missing = await client.get("/metrics")
    assert missing.status_code == 401
    assert missing.json()["error"] == "METRICS_TOKEN_REQUIRED"
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain")
    assert "mais_job_queue" in ok.text or "mais_jobs_oldest_pending_age_seconds" in ok.text
