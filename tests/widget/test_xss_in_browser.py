"""Hostile text from tenants and customers stays text in every page of the flow."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.factories.world import add_catalog, days_ahead, make_tenant
from tests.widget.test_booking_in_browser import PASSING_CARD, choose_date, pay

pytestmark = pytest.mark.browser

TITLE = "<script>alert('title')</script><img src=x onerror=\"alert('title-img')\"> Garden"
COUPLE = "<img src=x onerror=\"alert('couple')\"><script>alert('couple')</script> & Sam"


async def injected(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = await page.evaluate(
        """() => ({
            scripts: [...document.scripts].filter((s) => s.textContent.includes('alert')).length,
            images: document.querySelectorAll('img[src="x"], img[onerror]').length,
            handlers: [...document.querySelectorAll('*')].filter(
                (e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
        })"""
    )
    return found


async def test_script_and_onerror_payloads_in_a_title_and_a_name_render_as_text(
    container, live_server, browser: Browser
):
    world = await add_catalog(
        container,
        await make_tenant(container),
        packages=[
            {"slug": "garden", "title": TITLE, "price_cents": 350_000, "active": True,
             "description": "<b>bold?</b> <a href=javascript:alert(1)>link</a>",
             "add_ons": ["Violinist"]},
        ],
        photos=1,
    )  # fmt: skip
    day = days_ahead(container, 12)
    context = await browser.new_context()
    dialogs: list[str] = []
    context.on("page", lambda page: page.on("dialog", lambda d: dialogs.append(d.message)))
    page = await context.new_page()
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(f"{live_server.url}/t/{world.slug}")

    await expect(page.get_by_role("heading", name=re.compile("Garden"))).to_contain_text(
        "<script>alert('title')</script>"
    )
    assert await injected(page) == {"scripts": 0, "images": 0, "handlers": 0}
    await page.get_by_role("link", name=re.compile("Garden")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("onerror=")
    await expect(page.locator(".description")).to_contain_text("<b>bold?</b>")
    assert await injected(page) == {"scripts": 0, "images": 0, "handlers": 0}
    await choose_date(page, day)
    await page.get_by_label("Your names").fill(COUPLE)
    await page.get_by_label("E-mail").fill("sam@example.com")
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page).to_have_url(re.compile(r"/mock/checkout/"))
    assert await injected(page) == {"scripts": 0, "images": 0, "handlers": 0}
    await pay(page, PASSING_CARD)

    await expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    await expect(page.get_by_text(re.compile(r"Thank you, <img src=x"))).to_be_visible()
    assert await injected(page) == {"scripts": 0, "images": 0, "handlers": 0}
    await page.wait_for_timeout(300)  # a payload that ran would have opened its dialog by now
    assert dialogs == []
    await context.close()
