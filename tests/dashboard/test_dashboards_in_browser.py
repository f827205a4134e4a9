"""The dashboards in a real browser (system Chromium) against a live server: the seed's
Tenant Admin Flow end to end (log in, logo, colours, add-on, package, photo, publish, then
the widget shows it in the new colours), a tenant created by the platform admin logs in,
the CSV export downloads and parses, a refund changes the status and e-mails the couple."""

from __future__ import annotations

import asyncio
import csv
import email
import email.message
import email.policy
import io
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from mais.jobs.worker import JobWorker
from tests.factories.admin import add_booking, make_platform_admin
from tests.factories.live_server import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server
from tests.factories.world import PASSWORD, add_catalog, image_bytes, make_tenant

__all__ = ["live_server"]
pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)

NEW_PRIMARY = "#1D4ED8"


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def context(chromium: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(base_url=live_server.url, accept_downloads=True)
    yield ctx
    await ctx.close()


def accept_confirmations(page: Page) -> None:
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))


async def log_in(page: Page, area: str, email_address: str, password: str = PASSWORD) -> None:
    await page.goto(f"/{area}/login")
    await page.get_by_label("E-mail").fill(email_address)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()


async def open_section(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


async def css_variable(page: Page, selector: str, name: str) -> str:
    value: str = await page.evaluate(
        "([s, n]) => getComputedStyle(document.querySelector(s)).getPropertyValue(n).trim()",
        [selector, name],
    )
    return value


def outbox(directory: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(directory.glob("*.eml"))
    ]


async def fits_360(page: Page) -> bool:
    fits: bool = await page.evaluate("document.documentElement.scrollWidth <= 360")
    return fits


async def test_tenant_admin_flow_from_login_to_the_widget(
    context: BrowserContext, container: Any, live_server: LiveServer, tmp_path: Path
):
    tenant = await make_tenant(container, f"demo-{uuid.uuid4().hex[:6]}")
    page = await context.new_page()
    accept_confirmations(page)
    csp_errors: list[str] = []
    page.on(
        "console", lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None
    )

    # 1. Log in at /tenant/login.
    await log_in(page, "tenant", tenant.email)
    await expect(page.get_by_role("heading", name="Getting ready")).to_be_visible()

    # 2. Branding: upload a logo, set colours (the preview follows as they are typed).
    logo = tmp_path / "logo.png"
    logo.write_bytes(image_bytes("PNG", (300, 120), "navy"))
    await open_section(page, "Branding")
    await page.get_by_label("Upload a logo").set_input_files(str(logo))
    await page.get_by_role("button", name="Upload logo").click()
    await expect(page.get_by_role("img", name="Your current logo")).to_be_visible()
    await page.get_by_label("Primary colour (buttons, headings)", exact=True).fill(NEW_PRIMARY)
    assert await css_variable(page, "#branding-preview", "--p-primary") == NEW_PRIMARY
    await page.get_by_label("Font").select_option("Verdana")
    await page.get_by_role("button", name="Save branding").click()
    await expect(page.locator(".alert.ok")).to_contain_text("Saved")

    # 3. An add-on, then a package offering it.
    await open_section(page, "Add-ons")
    await page.get_by_label("Title").fill("String duo")
    await page.get_by_label("Price (USD)").fill("450")
    await page.get_by_role("button", name="Add add-on").click()
    await expect(page.get_by_role("link", name="String duo")).to_be_visible()

    await open_section(page, "Packages")
    await page.get_by_role("link", name="New package").click()
    await page.get_by_label("Title").fill("Lakeside Elopement")
    await page.get_by_label("Price (USD)").fill("1,850")
    await page.get_by_label("Description").fill("Just the two of you,\nand the lake.")
    await page.get_by_label(re.compile("^String duo")).check()
    await page.get_by_role("button", name="Create package").click()
    await expect(page.locator(".alert.ok")).to_contain_text("The package is created")

    # 4. A photo.
    photo = tmp_path / "lake.jpg"
    photo.write_bytes(image_bytes("JPEG", (1200, 800), "teal"))
    await page.get_by_label("Add a photo").set_input_files(str(photo))
    await page.get_by_role("button", name="Upload photo").click()
    await expect(page.get_by_role("heading", name="Photos (1 of 5)")).to_be_visible()
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await fits_360(page)
    await page.set_viewport_size({"width": 1280, "height": 800})

    # 5. Publish.
    await open_section(page, "Packages")
    await page.get_by_role("button", name="Publish").click()
    await expect(page.locator(".alert.ok")).to_contain_text("Published")

    # 6. The widget shows it, in the new colours, with the logo and the photo.
    widget = await context.new_page()
    await widget.goto(f"/widget?tenant={tenant.slug}")
    card = widget.locator(".card", has_text="Lakeside Elopement")
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("$1,850")
    assert await css_variable(widget, ":root", "--primary") == NEW_PRIMARY
    assert "Verdana" in await css_variable(widget, ":root", "--font")
    await expect(widget.locator("img.logo")).to_be_visible()
    await expect(card.locator("img")).to_be_visible()
    await card.get_by_role("link").click()
    await expect(widget.get_by_text("String duo")).to_be_visible()
    assert csp_errors == []


async def test_platform_admin_creates_a_tenant_that_then_logs_in(
    context: BrowserContext, chromium: Browser, container: Any, live_server: LiveServer
):
    email_address, password = await make_platform_admin(container)
    page = await context.new_page()
    await log_in(page, "admin", email_address, password)
    await open_section(page, "Tenants")
    await page.get_by_role("link", name="New tenant").click()
    slug = f"barn-{uuid.uuid4().hex[:6]}"
    await page.get_by_label("Business name").fill("Red Barn Weddings")
    await page.get_by_label("Slug").fill(slug)
    await page.get_by_label("Admin e-mail (their login)").fill(f"owner@{slug}.example")
    await page.get_by_label("Admin password (optional)").fill("barn door password")
    await page.get_by_label("Commission (%)").fill("8")
    await page.get_by_role("button", name="Create tenant").click()
    secret = page.get_by_label("Secret key")
    await expect(secret).to_have_value(re.compile(rf"^sk_live_{slug}_[0-9a-f]{{32,}}$"))

    owner = await chromium.new_context(base_url=live_server.url)
    try:
        owner_page = await owner.new_page()
        await log_in(owner_page, "tenant", f"owner@{slug}.example", "barn door password")
        await expect(owner_page.get_by_role("heading", name="Red Barn Weddings")).to_be_visible()
    finally:
        await owner.close()


async def test_csv_export_downloads_and_parses(context: BrowserContext, container: Any):
    tenant = await add_catalog(
        container, await make_tenant(container, f"csv-{uuid.uuid4().hex[:6]}")
    )
    await add_booking(container, tenant, couple_name='Ada, "Lovelace" & Grace')
    await add_booking(container, tenant, couple_name="@SUM(A1)")
    page = await context.new_page()
    await log_in(page, "tenant", tenant.email)
    await open_section(page, "Bookings")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download as CSV").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")
    raw = await asyncio.to_thread(Path(await download.path()).read_bytes)
    content = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert sorted(row["couple_name"] for row in rows) == ["'@SUM(A1)", 'Ada, "Lovelace" & Grace']
    assert {row["status"] for row in rows} == {"confirmed"}
    assert all(row["subtotal"] == "3500.00" for row in rows)


async def test_refund_changes_the_status_and_emails_the_couple(
    context: BrowserContext, container: Any
):
    tenant = await add_catalog(
        container, await make_tenant(container, f"ref-{uuid.uuid4().hex[:6]}")
    )
    couple = f"couple-{uuid.uuid4().hex[:6]}@example.com"
    booking = await add_booking(container, tenant, email=couple)
    await JobWorker(container).drain()  # the confirmation e-mails, out of the way
    page = await context.new_page()
    accept_confirmations(page)
    await log_in(page, "tenant", tenant.email)
    await open_section(page, "Bookings")
    await page.get_by_role("link", name=re.compile(r"^\d{4}-\d{2}-\d{2}$")).first.click()
    await expect(page).to_have_url(re.compile(str(booking)))
    await expect(page.locator("#booking-status")).to_have_text("confirmed")
    await page.get_by_label(re.compile("^Everything left")).check()
    await page.get_by_role("button", name="Refund").click()
    await expect(page.locator("#booking-status")).to_have_text("refunded")
    await expect(page.locator("#refunded")).to_have_text("$3,500.00")

    await JobWorker(container).drain()
    messages = await asyncio.to_thread(outbox, Path(container.settings.outbox_dir))
    to_couple = [m for m in messages if couple in str(m["To"])]
    refund_mails = [m for m in to_couple if "refund" in str(m["Subject"]).lower()]
    assert refund_mails, [str(m["Subject"]) for m in to_couple]


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


async def test_every_page_is_readable_at_360_px(
    chromium: Browser, live_server: LiveServer, container: Any
):
    """Nothing sticks out sideways on a 360-px phone (wide tables scroll in their own box);
    screenshots land in test-artifacts/screenshots/dashboard-*.png."""
    tenant = await add_catalog(
        container, await make_tenant(container, f"phone-{uuid.uuid4().hex[:6]}"), photos=2
    )
    booking = await add_booking(container, tenant, couple_name="Ada Lovelace & Grace Hopper")
    package = tenant.packages["garden"].id
    email_address, password = await make_platform_admin(container)
    pages = {
        "tenant": [
            "/tenant", "/tenant/packages", f"/tenant/packages/{package}", "/tenant/add-ons",
            "/tenant/blackouts", "/tenant/bookings", f"/tenant/bookings/{booking}",
            "/tenant/branding", "/tenant/settings", "/tenant/embed", "/tenant/stripe",
        ],
        "admin": [
            "/admin", "/admin/tenants", f"/admin/tenants/{tenant.id}", "/admin/tenants/new",
            f"/admin/tenants/{tenant.id}/bookings", "/admin/audit-log", "/admin/jobs",
            "/admin/webhook-events",
        ],
    }  # fmt: skip
    await asyncio.to_thread(ARTIFACTS.mkdir, parents=True, exist_ok=True)
    for area, paths in pages.items():
        ctx = await chromium.new_context(
            base_url=live_server.url, viewport={"width": 360, "height": 740}
        )
        try:
            page = await ctx.new_page()
            if area == "tenant":
                await log_in(page, area, tenant.email)
            else:
                await log_in(page, area, email_address, password)
            for path in paths:
                response = await page.goto(path)
                assert response is not None
                assert response.status == 200, path
                overflow = await page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{path} is {overflow} px too wide at 360 px"
                name = re.sub(r"[0-9a-f-]{36}", "id", path).strip("/").replace("/", "-")
                await page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-360.png"))
        finally:
            await ctx.close()
