"""The dev mailbox in a real browser: the message's HTML renders in its frame, and its
scripts do not run (sandboxed frame, sandbox CSP)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from playwright.async_api import async_playwright

from mais.adapters.email import EmailMessage

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The app on a real port. The mailbox reads files only, so the server's own event
    loop never touches the test's database connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


async def test_the_html_part_renders_in_its_frame_and_its_scripts_stay_dead(container, live_url):
    message_id = await container.email.send(
        EmailMessage(
            to="couple@example.com",
            subject="Booking confirmed",
            html=(
                "<p id='greeting'>Hello from Kiwi Events</p>"
                "<script>document.getElementById('greeting').textContent = 'EXECUTED';"
                "try { parent.document.title = 'OWNED'; } catch (e) {}</script>"
                "<img src='data:,' onerror=\"document.body.append('ONERROR')\">"
            ),
            text="Hello",
        )
    )

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{live_url}/dev/mailbox/{message_id}")
            frame_element = await page.wait_for_selector("iframe.preview")
            frame = await frame_element.content_frame()
            assert frame is not None
            await frame.wait_for_selector("#greeting")
            await asyncio.sleep(0.3)  # give any script a chance to run

            body = await frame.locator("body").inner_text()
            assert "Hello from Kiwi Events" in body
            assert "EXECUTED" not in body
            assert "ONERROR" not in body
            assert await page.title() == "Booking confirmed · MAIS"
            # The page's own stylesheet loaded under its CSP.
            background = await page.evaluate(
                "getComputedStyle(document.querySelector('.bar')).backgroundColor"
            )
            assert background == "rgb(36, 59, 83)"
        finally:
            await browser.close()
