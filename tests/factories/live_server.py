"""MAIS on a real port for browser tests, a host page on another origin, and Chromium.

The server runs uvicorn in its own thread with its own event loop and builds its own
container in its lifespan (exactly as `mais serve` does), so its database engine lives
in the server's loop. A test builds its world through its own container (the
`container` fixture, same database and data directory) and talks to the server only
over HTTP, like a browser.

To use in a test folder, import the fixtures into its conftest.py and let `settings`
follow the server (see tests/widget/conftest.py):

    from tests.factories.live_server import browser, host_pages, live_server  # fixtures
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright

from mais.app import create_app
from mais.settings import Settings
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def clock(self) -> Any:
        """The server's clock (a plain object: safe to freeze or advance from the test)."""
        return self.app.state.container.clock

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_live_server(
    *, database_url: str, redis_url: str | None, data_dir: Path, **overrides: Any
) -> LiveServer:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": database_url,
        "redis_url": redis_url,
        "data_dir": data_dir,
        # Mock payments post their signed webhooks to this server, over HTTP.
        "frontend_url": url,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    app = create_app(settings)  # no container: the lifespan builds the server's own
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, name=f"mais-live-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    return LiveServer(url=url, settings=settings, app=app, server=server, thread=thread)


class HostPages(FakeHTTPServer):
    """A tenant's own website on another origin (`http://localhost:<port>`), whose pages
    are registered by path; every `mais:*` DOM event is recorded in `window.maisEvents`."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return self.base_url.replace("127.0.0.1", "localhost")

    def handle(self, request: RecordedRequest) -> Reply:
        html = self.pages.get(request.path)
        if html is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()

    def add(self, path: str, body: str) -> str:
        """A host page whose body is `body`, recording `mais:*` events."""
        return self.add_document(path, HOST_PAGE.format(body=body))

    def add_document(self, path: str, html: str) -> str:
        self.pages[path] = html
        return f"{self.origin}{path}"


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Willow Creek Farm: book your day</title>
<script>
  window.maisEvents = [];
  ["ready", "resize", "booking-started", "booking-confirmed"].forEach(function (name) {{
    document.addEventListener("mais:" + name, function (event) {{
      window.maisEvents.push({{type: name, detail: event.detail}});
    }});
  }});
</script></head>
<body><h1>Willow Creek Farm</h1><p>Our venue, our story, our dates.</p>
{body}
</body></html>"""


# --- fixtures (one server, one host site and one Chromium per test module) --------------


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


@pytest.fixture(scope="module")
def host_pages() -> Iterator[HostPages]:
    pages = HostPages()
    pages.start()
    yield pages
    pages.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


def settings_following_the_server(request: pytest.FixtureRequest, default: Settings) -> Settings:
    """For a `settings` override: tests that run the live server build their world with
    the server's settings (same database, data directory and public URL)."""
    if "live_server" in request.fixturenames:
        server: LiveServer = request.getfixturevalue("live_server")
        return server.settings
    return default
