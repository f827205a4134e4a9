"""The booking flow without a mouse and without JavaScript."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from tests.factories.world import add_catalog, days_ahead, make_tenant
from tests.widget.test_booking_in_browser import PASSING_CARD, pay, show_month

pytestmark = pytest.mark.browser


async def focused(page: Page) -> str:
    """What has the keyboard focus: the element's tag, name/class and text."""
    described: str = await page.evaluate(
        """() => { const e = document.activeElement;
                   return [e.tagName, e.getAttribute('name') || '', e.className || '',
                           e.dataset.date || '', (e.textContent || '').trim()].join('|'); }"""
    )
    return described


async def tab_until(page: Page, pattern: str, limit: int = 60) -> str:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if re.search(pattern, now):
            return now
    raise AssertionError(f"Tab never reached {pattern!r}; focus is on {await focused(page)}")


async def test_a_keyboard_alone_reaches_the_payment_step(container, live_server, browser: Browser):
    world = await add_catalog(container, await make_tenant(container))
    soon = days_ahead(container, 2)
    day = (soon.replace(day=1) + timedelta(days=32)).replace(day=5)  # the arrows cross a month
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{live_server.url}/t/{world.slug}")

    await tab_until(page, r"^A\|.*Garden Ceremony")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/packages/garden"))
    first = await tab_until(page, r"^BUTTON\|pick\|")
    start = first.split("|")[3]
    # Arrow keys move day by day (and into the next month); Enter chooses.
    steps = (day - date.fromisoformat(start)).days
    for _ in range(steps):
        await page.keyboard.press("ArrowRight")
    # Crossing into the next month loads it; the presses made meanwhile still count.
    await page.wait_for_function(
        "(day) => document.activeElement.dataset.date === day", arg=day.isoformat(), timeout=10_000
    )
    await page.keyboard.press("Enter")
    await expect(page.locator("[data-chosen-date]")).to_contain_text(f"{day:%B} {day.day}")
    await tab_until(page, r"^INPUT\|add_on\|")
    await page.keyboard.press("Space")
    await expect(page.locator("[data-total]")).to_have_text("$3,750.00")
    await tab_until(page, r"^INPUT\|couple_name\|")
    await page.keyboard.type("Kim & Lee")
    await page.keyboard.press("Tab")
    assert (await focused(page)).startswith("INPUT|email|")
    await page.keyboard.type("kim.lee@example.com")
    await tab_until(page, r"^BUTTON\|intent\|.*Continue to payment")
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(re.compile(r"/mock/checkout/"))
    await expect(page.get_by_text("Violinist")).to_be_visible()
    await context.close()


@pytest.mark.parametrize("surface", ["storefront", "widget"])
async def test_without_javascript_the_forms_reach_the_mock_checkout(
    container, live_server, browser: Browser, surface: str
):
    world = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 45)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    start = f"/t/{world.slug}" if surface == "storefront" else f"/widget?tenant={world.slug}"
    await page.goto(f"{live_server.url}{start}")
    await page.get_by_role("link", name="Garden Ceremony").click()

    await show_month(page, day)  # "Next month" posts the form and the page comes back
    await page.locator(f'button.day[data-date="{day.isoformat()}"]').click()
    await expect(page.locator("[data-chosen-date]")).to_contain_text(f"{day:%B} {day.day}")
    await page.get_by_label("Champagne").check()
    await page.get_by_role("button", name="Update total").click()
    await expect(page.locator("[data-total]")).to_have_text("$3,900.00")
    await page.get_by_label("Your names").fill("Noor & Sam")
    await page.get_by_label("E-mail").fill("not-an-email")
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page.locator("#email-error")).to_contain_text("does not look right")
    await expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("E-mail").fill("noor.sam@example.com")
    await page.get_by_role("button", name="Continue to payment").click()

    if surface == "widget":
        # In an embed the payment page cannot open inside the frame: a link opens it.
        await expect(page.get_by_role("heading", name="Your date is held")).to_be_visible()
        async with context.expect_page() as opened:
            await page.get_by_role("link", name=re.compile("securely")).click()
        checkout = await opened.value
    else:
        checkout = page
    await expect(checkout).to_have_url(re.compile(r"/mock/checkout/"))
    await pay(checkout, PASSING_CARD)
    await expect(checkout.get_by_role("heading", name="You're booked!")).to_be_visible()
    await context.close()
