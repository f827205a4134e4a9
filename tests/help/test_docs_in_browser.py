"""The interactive API reference works with no internet access and under the site's CSP:
Chromium, with every request to anything but this machine refused, opens /docs and finds
the checkout operation with its example; the help pages render their screenshots."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Route, expect

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


async def offline_context(browser: Browser) -> tuple[BrowserContext, list[str], list[str]]:
    """A browser context in which only this machine answers; what was refused and every
    CSP complaint of the console are recorded."""
    context = await browser.new_context()
    refused: list[str] = []
    complaints: list[str] = []

    async def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            refused.append(url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_local)
    context.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    return context, refused, complaints


async def test_the_api_reference_works_offline_and_shows_the_checkout_operation(
    live_server, browser: Browser
):
    context, refused, complaints = await offline_context(browser)
    page = await context.new_page()
    await page.goto(f"{live_server.url}/docs")

    checkout = page.locator("#operations-public-checkout_v1_bookings_checkout_post")
    # 1.5 MB of Swagger UI to load and run on a busy test machine.
    await expect(checkout).to_be_visible(timeout=30_000)
    await expect(checkout).to_contain_text("/v1/bookings/checkout")
    await expect(checkout).to_contain_text("Hold a date and open a Stripe Checkout session")
    await checkout.locator(".opblock-summary").first.click()
    await expect(checkout).to_contain_text("garden-ceremony")  # the request example
    await expect(checkout).to_contain_text("DATE_UNAVAILABLE")  # the error example
    # The security schemes are offered in the Authorize dialog.
    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    await expect(dialog).to_contain_text("X-Tenant-Key")
    await expect(dialog).to_contain_text("AdminJWT")
    await expect(dialog).to_contain_text("SecretKey")

    assert refused == [], f"the page tried to reach the internet: {refused}"
    assert complaints == [], complaints
    await context.close()


async def test_the_help_pages_show_their_screenshots_offline(live_server, browser: Browser):
    context, refused, complaints = await offline_context(browser)
    page = await context.new_page()
    await page.goto(f"{live_server.url}/help/onboarding")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Getting started")
    images = page.locator("article img")
    assert await images.count() >= 2
    for index in range(await images.count()):
        image = images.nth(index)
        await image.scroll_into_view_if_needed()
        await expect(image).to_have_js_property("complete", True)
        assert await image.evaluate("(img) => img.naturalWidth") > 300
    await page.get_by_role("link", name="Putting the widget on your website").first.click()
    await expect(page).to_have_url(f"{live_server.url}/help/embed")
    assert refused == []
    assert complaints == []
    await context.close()
