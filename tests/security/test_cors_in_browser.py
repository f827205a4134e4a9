"""CORS in a real browser: a tenant's own site (another origin) calls the public API with
its key — Chromium sends the preflight the X-Tenant-Key header needs, and reads the answer;
another tenant's key from that site, and the admin API, stay unreadable."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.factories.live_server import host_pages
from tests.factories.world import add_catalog, make_tenant

pytestmark = pytest.mark.browser
__all__ = ["host_pages"]

CALL = """async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    return {ok: true, status: response.status, body: await response.text()};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}"""


async def test_a_tenants_site_reads_the_public_api_and_nothing_else(
    container, live_server, host_pages, browser: Browser
):
    venue = await add_catalog(
        container,
        await make_tenant(container, "cors-venue", allowed_embed_origins=[host_pages.origin]),
    )
    other = await make_tenant(
        container, "cors-other", allowed_embed_origins=["https://elsewhere.example"]
    )
    page = await browser.new_page()
    await page.goto(host_pages.add("/book", "<p>Book with us</p>"))
    api = live_server.url

    packages = await page.evaluate(
        CALL, [f"{api}/v1/packages", {"headers": {"X-Tenant-Key": venue.public_key}}]
    )
    assert packages["ok"], packages
    assert packages["status"] == 200
    assert "Garden Ceremony" in packages["body"]

    # A JSON POST (preflighted): it reaches the API and its answer is readable.
    checkout = await page.evaluate(
        CALL,
        [
            f"{api}/v1/bookings/checkout",
            {
                "method": "POST",
                "headers": {"X-Tenant-Key": venue.public_key, "Content-Type": "application/json"},
                "body": "{}",
            },
        ],
    )
    assert checkout["ok"], checkout
    assert checkout["status"] == 422

    # Another tenant's key: served, but this site is not one of that tenant's origins.
    foreign = await page.evaluate(
        CALL, [f"{api}/v1/packages", {"headers": {"X-Tenant-Key": other.public_key}}]
    )
    assert not foreign["ok"], foreign

    # The admin API answers only FRONTEND_URL's origin: the preflight is refused.
    admin = await page.evaluate(
        CALL,
        [f"{api}/v1/tenant-admin/me", {"headers": {"Authorization": "Bearer x.y.z"}}],
    )
    assert not admin["ok"], admin
    await page.close()
