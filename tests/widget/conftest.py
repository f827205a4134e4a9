"""Browser-test fixtures of the widget: one live server, one host site on another origin
and one Chromium per test module; each test gets its own browser context."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from mais.settings import Settings
from tests.factories.live_server import (  # fixtures
    browser,
    host_pages,
    live_server,
    settings_following_the_server,
)

__all__ = ["browser", "host_pages", "live_server"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The suite runs in parallel on small machines; give pages time before calling them broken.
expect.set_options(timeout=15_000)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings_following_the_server(request, settings)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
