"""Screenshots of the widget's main steps at a phone's 360 px and a desktop's 1280 px,
with the demo tenant. Saved to test-artifacts/screenshots/ on every run; to refresh the
README's copies in docs/screenshots/, run `make screenshots` (it sets
MAIS_SCREENSHOTS_DIR=docs/screenshots for this module)."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from mais.demo.seed import DEMO_SLUG, seed
from mais.models import Tenant
from tests.factories.live_server import LiveServer
from tests.factories.world import TenantWorld, confirmed_booking, days_ahead, hold_booking
from tests.widget.test_booking_in_browser import PASSING_CARD, choose_date, pay

pytestmark = pytest.mark.browser

# The copies the README shows (step, width).
README_SHOTS = {("catalog", 1280), ("package", 360), ("confirmed", 360)}


async def demo_tenant(container: Any) -> TenantWorld:
    await seed(container, demo=True)
    async with container.db.sessionmaker() as session:
        query = select(Tenant.id).where(Tenant.slug == DEMO_SLUG)
        tenant_id = (await session.execute(query)).scalar_one()
    return TenantWorld(id=tenant_id, slug=DEMO_SLUG, public_key="", secret_key="", email="")


async def save(page: Page, step: str, width: int, artifacts: Path) -> None:
    """Screenshot one step, after checking that nothing sticks out sideways."""
    await page.wait_for_load_state("networkidle")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{step} at {width} px is {overflow} px too wide"
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{step}-{width}.png"), full_page=True)
    readme = os.environ.get("MAIS_SCREENSHOTS_DIR")
    if readme and (step, width) in README_SHOTS:
        Path(readme).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - one tiny mkdir
        target = Path(readme) / f"widget-{step}-{width}.jpg"  # small enough to commit
        await page.screenshot(path=str(target), full_page=True, type="jpeg", quality=80)


async def test_screenshots_of_the_main_steps_on_a_phone_and_a_desktop(
    container, live_server, browser: Browser, artifacts: Path
):
    world = await demo_tenant(container)
    # Neighbours that show the calendar's reasons: a booked date and one on hold.
    day = days_ahead(container, 30)
    await confirmed_booking(container, world, day - timedelta(days=3), package="garden-ceremony")
    await hold_booking(container, world, day + timedelta(days=2), package="garden-ceremony")
    for width, booked in ((360, day), (1280, day + timedelta(days=1))):
        await book_and_shoot(live_server, browser, artifacts, width, booked)


async def book_and_shoot(
    live_server: LiveServer, browser: Browser, artifacts: Path, width: int, day: date
) -> None:
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()

    await page.goto(f"{live_server.url}/widget?tenant={DEMO_SLUG}")
    await save(page, "catalog", width, artifacts)
    await page.get_by_role("link", name="Garden Ceremony").click()
    await choose_date(page, day)
    await page.get_by_label(re.compile("Violinist")).check()
    await page.get_by_label(re.compile("Floral arch")).check()
    await page.get_by_label("Your names").fill("Alex & Sam")
    await page.get_by_label("E-mail").fill("alex.sam@example.com")
    await save(page, "package", width, artifacts)
    async with context.expect_page() as opened:
        await page.get_by_role("button", name="Continue to payment").click()
    popup = await opened.value
    await expect(page.get_by_role("heading", name="Your date is held")).to_be_visible()
    await save(page, "payment", width, artifacts)
    await popup.set_viewport_size({"width": width, "height": 900})
    await pay(popup, PASSING_CARD)
    await expect(popup.get_by_role("heading", name="You're booked!")).to_be_visible()
    await save(popup, "confirmed", width, artifacts)
    await context.close()
