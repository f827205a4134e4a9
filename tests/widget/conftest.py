"""Browser-test fixtures of the widget: one live server, one host site on another origin
and one Chromium per test module; each test gets its own browser context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from mais.settings import Settings
from tests.factories.live_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HostPages,
    LiveServer,
    start_live_server,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def live_server(
    database_url: str, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = start_live_server(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path_factory.mktemp("live"),
    )
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Tests that run the live server build their world with the server's settings (same
    database, data directory and public URL); the others keep the usual test settings."""
    if "live_server" in request.fixturenames:
        server: LiveServer = request.getfixturevalue("live_server")
        return server.settings
    return settings


@pytest.fixture(scope="module")
def host_pages() -> Iterator[HostPages]:
    with HostPages() as pages:
        assert isinstance(pages, HostPages)
        yield pages


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
