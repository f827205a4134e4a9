"""Screenshots of the tenant dashboard's main pages (demo tenant, logged in as its admin) and
of the platform admin's tenant list, at a desktop's 1280 px, for the tenant guides.

Each page must answer 200 and show its heading before it is photographed. The JPEGs go to
test-artifacts/screenshots/ on every run; `make screenshots` sets
MAIS_SCREENSHOTS_DIR=docs/screenshots to refresh the copies the guides show."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from mais.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, seed
from mais.models import AddOn, BookingStatus
from tests.dashboard.test_dashboards_in_browser import chromium, log_in
from tests.factories.admin import PLATFORM_EMAIL, PLATFORM_PASSWORD, add_booking
from tests.factories.live_server import LiveServer, live_server
from tests.factories.world import days_ahead, make_tenant
from tests.widget.test_screenshots import demo_tenant

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTH = 1280
# A JPEG of a real dashboard page is tens of kilobytes; less means a blank or error page.
SMALLEST_BYTES = 15_000


def screenshot_folder() -> Path:
    folder = Path(os.environ.get("MAIS_SCREENSHOTS_DIR") or ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def desktop(
    chromium: Browser, live_server: LiveServer
) -> AsyncIterator[Callable[[], Awaitable[BrowserContext]]]:
    """A browser window (its own cookies) at 1280 px; call it once per person logging in."""
    contexts: list[BrowserContext] = []

    async def open_window() -> BrowserContext:
        context = await chromium.new_context(
            base_url=live_server.url, viewport={"width": WIDTH, "height": 900}
        )
        contexts.append(context)
        return context

    yield open_window
    for context in contexts:
        await context.close()


async def shoot(page: Page, path: str, heading: str, name: str) -> Path:
    """Open `path`, check it answers 200 and shows `heading`, fits 1280 px, then save
    `dashboard-<name>.jpg` (same JPEG quality as the widget's copies)."""
    response = await page.goto(path)
    assert response is not None, path
    assert response.status == 200, path
    await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    await page.wait_for_load_state("networkidle")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} is {overflow} px too wide at {WIDTH} px"
    target = screenshot_folder() / f"dashboard-{name}.jpg"
    target.unlink(missing_ok=True)
    await page.screenshot(path=str(target), full_page=True, type="jpeg", quality=80)
    assert target.stat().st_size > SMALLEST_BYTES, f"{target.name} looks empty"
    return target


async def demo_bookings(container: Any) -> None:
    """A few bookings in the demo tenant, so the lists and the month's figures are not empty
    (dates clear of the demo's blackouts at +45, +46 and +90 days)."""
    world = await demo_tenant(container)
    async with container.db.sessionmaker() as session:
        query = select(AddOn).where(AddOn.tenant_id == world.id)
        world.add_ons = {add_on.title: add_on for add_on in (await session.scalars(query))}
    bookings = [
        (12, "garden-ceremony", "Alex & Sam", BookingStatus.confirmed, ("Violinist",)),
        (26, "vineyard-celebration", "Priya & Daniel", BookingStatus.confirmed, ()),
        (33, "intimate-elopement", "Maya & Jonas", BookingStatus.held, ()),
        (58, "grand-ballroom", "Chloe & Marcus", BookingStatus.confirmed, ()),
        (74, "garden-ceremony", "Emma & Lucas", BookingStatus.canceled, ()),
    ]
    for days, package, couple, status, add_ons in bookings:
        await add_booking(
            container,
            world,
            package_slug=package,
            event_date=days_ahead(container, days),
            status=status,
            couple_name=couple,
            email=f"{couple.split()[0].lower()}@example.com",
            add_on_titles=add_ons,
        )


async def test_screenshots_of_the_tenant_dashboard_and_the_platform_tenant_list(
    container: Any, desktop: Callable[[], Awaitable[BrowserContext]]
):
    await seed(container, demo=True)  # the platform admin and the demo tenant
    await demo_bookings(container)
    for slug, name in (
        ("willow-creek-farm", "Willow Creek Farm"),
        ("harbor-lights", "Harbor Lights Hall"),
    ):
        await make_tenant(container, slug, name=name)

    page = await (await desktop()).new_page()
    await log_in(page, "tenant", DEMO_EMAIL, DEMO_PASSWORD)
    home = await shoot(page, "/tenant", "Maple Grove Weddings", "home")
    await expect(page.get_by_role("heading", name="Getting ready")).to_be_visible()
    await shoot(page, "/tenant/packages", "Packages", "packages")
    edit_href = await page.get_by_role("link", name="Garden Ceremony").get_attribute("href")
    assert edit_href
    await shoot(page, edit_href, "Garden Ceremony", "package-edit")
    await expect(page.get_by_role("heading", name="Photos (2 of", exact=False)).to_be_visible()
    await expect(page.get_by_label("Violinist", exact=False)).to_be_checked()
    await shoot(page, "/tenant/branding", "Branding", "branding")
    await expect(page.locator("#branding-preview")).to_be_visible()
    await shoot(page, "/tenant/embed", "Embed & keys", "embed")
    await shoot(page, "/tenant/bookings", "Bookings", "bookings")
    await expect(page.get_by_text("Priya & Daniel")).to_be_visible()
    await shoot(page, "/tenant/settings", "Settings", "settings")

    admin = await (await desktop()).new_page()
    await log_in(admin, "admin", PLATFORM_EMAIL, PLATFORM_PASSWORD)
    await shoot(admin, "/admin/tenants", "Tenants", "admin-tenants")
    await expect(admin.get_by_text("Harbor Lights Hall")).to_be_visible()
    await expect(admin.get_by_text(DEMO_SLUG)).to_be_visible()
    assert home.parent == screenshot_folder()
