"""Browser-test fixtures of the help pages and the API reference: the widget's live server
and Chromium (one per test module)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from mais.settings import Settings
from tests.factories.live_server import (  # fixtures
    browser,
    live_server,
    settings_following_the_server,
)

__all__ = ["browser", "live_server"]

# The suite runs in parallel on small machines; give pages time before calling them broken.
expect.set_options(timeout=15_000)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings_following_the_server(request, settings)
