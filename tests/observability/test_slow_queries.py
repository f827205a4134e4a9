"""Statements slower than SLOW_QUERY_MS are logged with their duration and path, and counted."""

from __future__ import annotations

import logging

import pytest

from mais.observability.metrics import SLOW_QUERIES
from tests.factories.world import make_tenant


@pytest.fixture
def settings_overrides():
    return {"slow_query_ms": 0}  # every statement counts as slow


async def test_slow_statements_are_logged_with_path_and_counted(container, client, caplog):
    tenant = await make_tenant(container)
    before = SLOW_QUERIES._value.get()
    with caplog.at_level(logging.WARNING, logger="mais.db"):
        response = await client.get("/v1/packages", headers=tenant.headers)
    assert response.status_code == 200
    slow = [r for r in caplog.records if r.getMessage() == "slow query"]
    assert slow
    assert any(getattr(r, "path", None) == "/v1/packages" for r in slow)
    assert all(isinstance(getattr(r, "duration_ms", None), float) for r in slow)
    assert SLOW_QUERIES._value.get() > before
