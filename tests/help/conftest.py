"""Browser-test fixtures of the help pages and the API reference: the widget's live server
and Chromium (one per test module)."""

from __future__ import annotations

import pytest

from mais.settings import Settings
from tests.factories.live_server import (  # fixtures
    browser,
    live_server,
    settings_following_the_server,
)

__all__ = ["browser", "live_server"]


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings_following_the_server(request, settings)
