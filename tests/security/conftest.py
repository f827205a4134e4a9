"""Fixtures of the security suite: the live server and Chromium for browser checks."""

from __future__ import annotations

import pytest

from mais.settings import Settings
from tests.factories.live_server import browser, live_server, settings_following_the_server

__all__ = ["browser", "live_server"]


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings_following_the_server(request, settings)
