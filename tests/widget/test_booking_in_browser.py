"""The booking widget in a real browser: embedded on a tenant's site from another origin,
paid in the mock checkout, confirmed by the signed webhook, announced to the host page."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Frame, FrameLocator, Page, expect
from sqlalchemy import select

from mais.models import Booking
from mais.notifications.compose import booking_reference
from tests.factories.live_server import HostPages, LiveServer
from tests.factories.world import TenantWorld, add_catalog, days_ahead, make_tenant

pytestmark = pytest.mark.browser

PASSING_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


async def embedded_tenant(container: Any, host_pages: HostPages) -> TenantWorld:
    world = await make_tenant(
        container,
        f"farm-{uuid.uuid4().hex[:8]}",
        allowed_embed_origins=[host_pages.origin],
    )
    return await add_catalog(container, world, photos=2)


def script_snippet(live_server: LiveServer, slug: str, **data: str) -> str:
    extra = "".join(f' data-{name}="{value}"' for name, value in data.items())
    return (
        f'<div id="booking"></div><script src="{live_server.url}/embed.js" '
        f'data-tenant="{slug}" data-container="booking"{extra} async></script>'
    )


async def show_month(frame: FrameLocator | Page | Frame, day: date) -> None:
    """Move the calendar to the day's month with its month buttons. A click can land beside
    the button while the host page scrolls the frame (the widget asks it to when a page
    loads), so a click the calendar did not answer is made again, in the direction decided
    afresh each time (a late answer to the first one cannot carry it past the month)."""
    calendar = frame.locator(".calendar")
    wanted = f"{day:%Y-%m}"
    for _ in range(24):
        shown = await calendar.get_attribute("data-month") or ""
        if shown == wanted:
            return
        button = "Next month" if shown < wanted else "Previous month"
        await frame.get_by_role("button", name=button).click()
        with contextlib.suppress(AssertionError):
            await expect(calendar).not_to_have_attribute("data-month", shown, timeout=5_000)
    raise AssertionError(f"the calendar never showed {wanted}")


async def choose_date(frame: FrameLocator | Page, day: date) -> None:
    await show_month(frame, day)
    await frame.locator(f'button.day[data-date="{day.isoformat()}"]').click()
    await expect(frame.locator("[data-chosen-date]")).to_contain_text(f"{day:%B} {day.day}")


async def fill_details(frame: FrameLocator | Page, couple: str = "Ada & Grace") -> None:
    await frame.get_by_label("Your names").fill(couple)
    await frame.get_by_label("E-mail").fill(f"couple-{uuid.uuid4().hex[:6]}@example.com")


async def pay(popup: Page, card: str) -> None:
    await expect(popup).to_have_url(re.compile(r"/mock/checkout/"))
    await popup.get_by_label("Card number").fill(card)
    await popup.get_by_role("button", name=re.compile(r"^Pay ")).click()


async def host_events(page: Page, kind: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = await page.evaluate(
        "(kind) => window.maisEvents.filter((e) => e.type === kind).map((e) => e.detail)", kind
    )
    return events


async def test_a_couple_books_and_pays_inside_the_embed_on_the_tenants_site(
    container, live_server, host_pages, browser: Browser, caplog: pytest.LogCaptureFixture
):
    world = await embedded_tenant(container, host_pages)
    day = days_ahead(container, 40)
    host_url = host_pages.add(f"/{world.slug}", script_snippet(live_server, world.slug))
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(host_url)
    frame = page.frame_locator("#booking iframe")

    await frame.get_by_role("link", name="Garden Ceremony").click()
    await choose_date(frame, day)
    total = frame.locator("[data-total]")
    await expect(total).to_have_text("$3,500.00")
    await frame.get_by_label(re.compile("Violinist")).check()
    await expect(total).to_have_text("$3,750.00")
    await frame.get_by_label(re.compile("Champagne")).check()
    await expect(total).to_have_text("$4,150.00")
    await fill_details(frame)
    async with context.expect_page() as opened:
        await frame.get_by_role("button", name="Continue to payment").click()
    popup = await opened.value
    await expect(frame.get_by_role("heading", name="Your date is held")).to_be_visible()

    await pay(popup, PASSING_CARD)

    await expect(popup).to_have_url(re.compile(r"/success\?session_id="))
    await expect(popup.get_by_role("heading", name="You're booked!")).to_be_visible()
    await expect(popup.locator(".summary")).to_contain_text("Violinist")
    await page.wait_for_function(
        "window.maisEvents.some((e) => e.type === 'booking-confirmed')", timeout=15_000
    )
    confirmed = await host_events(page, "booking-confirmed")
    started = await host_events(page, "booking-started")
    assert len(confirmed) == 1
    assert confirmed[0]["reference"] == booking_reference(uuid.UUID(started[0]["bookingId"]))
    assert confirmed[0]["eventDate"] == day.isoformat()
    assert await host_events(page, "ready")
    assert await host_events(page, "resize")
    await expect(frame.get_by_role("heading", name="You're booked!")).to_be_visible()

    # The widget, opened again on that package, shows the date as booked.
    widget = next(f for f in page.frames if f.url.startswith(live_server.url))
    await widget.goto(f"{live_server.url}/widget/packages/garden?tenant={world.slug}")
    await show_month(widget, day)
    booked = widget.locator(f'button.day[data-date="{day.isoformat()}"]')
    await expect(booked).to_have_attribute("aria-disabled", "true")
    await expect(booked).to_have_attribute("aria-label", re.compile("already booked"))
    await context.close()
    # No page of the flow broke its own Content-Security-Policy (the browser reports to us).
    assert [r.getMessage() for r in caplog.records if r.name == "mais.csp"] == []


async def test_a_declined_card_is_explained_and_the_date_stays_held_until_it_expires(
    container, live_server, host_pages, browser: Browser
):
    world = await embedded_tenant(container, host_pages)
    day = days_ahead(container, 25)
    host_url = host_pages.add(f"/{world.slug}", script_snippet(live_server, world.slug))
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(host_url)
    frame = page.frame_locator("#booking iframe")
    await frame.get_by_role("link", name="Garden Ceremony").click()
    await choose_date(frame, day)
    await fill_details(frame)
    async with context.expect_page() as opened:
        await frame.get_by_role("button", name="Continue to payment").click()
    popup = await opened.value

    await pay(popup, DECLINED_CARD)

    await expect(popup.get_by_role("alert")).to_contain_text("Your card was declined")
    await expect(popup.get_by_role("alert")).to_contain_text("your date stays held")
    await expect(frame.get_by_role("heading", name="Your date is held")).to_be_visible()
    await expect(frame.locator("[data-poll-status]")).to_contain_text("Waiting for your payment")
    assert await host_events(page, "booking-confirmed") == []
    match = re.search(r"/mock/checkout/([^/?]+)", popup.url)
    assert match is not None
    session_id = match[1]
    other = await context.new_page()
    await other.goto(f"{live_server.url}/t/{world.slug}/packages/garden?date={day.isoformat()}")
    await expect(other.get_by_role("alert")).to_contain_text("someone is booking it right now")
    await show_month(other, day)
    held = other.locator(f'button.day[data-date="{day.isoformat()}"]')
    await expect(held).to_have_attribute("aria-label", re.compile("someone is booking it"))

    live_server.clock.advance(timedelta(minutes=live_server.settings.effective_hold_minutes + 2))
    try:
        await other.goto(f"{live_server.url}/success?session_id={session_id}")
        await expect(
            other.get_by_role("heading", name="This payment was not completed")
        ).to_be_visible()
        await other.goto(f"{live_server.url}/t/{world.slug}/packages/garden")
        await show_month(other, day)
        free = other.locator(f'button.day[data-date="{day.isoformat()}"]')
        await expect(free).to_have_attribute("aria-label", re.compile(", available"))
    finally:
        live_server.clock.unfreeze()
    await context.close()


async def test_two_couples_race_for_one_date_one_pays_the_other_is_told_it_was_taken(
    container, live_server, browser: Browser
):
    world = await add_catalog(container, await make_tenant(container))
    day = days_ahead(container, 33)
    contexts = [await browser.new_context() for _ in range(2)]
    pages = [await context.new_page() for context in contexts]
    for n, page in enumerate(pages):
        await page.goto(f"{live_server.url}/t/{world.slug}/packages/garden")
        await choose_date(page, day)
        await fill_details(page, couple=f"Couple {n}")

    await asyncio.gather(
        *(page.get_by_role("button", name="Continue to payment").click() for page in pages)
    )

    at_checkout = [p for p in pages if "/mock/checkout/" in p.url]
    turned_away = [p for p in pages if "/mock/checkout/" not in p.url]
    assert len(at_checkout) == 1
    assert len(turned_away) == 1
    loser = turned_away[0]
    await expect(loser.get_by_role("alert")).to_contain_text("this date was just taken")
    await expect(loser.locator(".calendar")).to_have_attribute("data-month", f"{day:%Y-%m}")
    taken = loser.locator(f'button.day[data-date="{day.isoformat()}"]')
    await expect(taken).to_have_attribute("aria-disabled", "true")
    await expect(loser.get_by_label("Your names")).to_have_value(re.compile("Couple"))
    await pay(at_checkout[0], PASSING_CARD)
    await expect(at_checkout[0].get_by_role("heading", name="You're booked!")).to_be_visible()
    async with container.db.sessionmaker() as session:
        statuses = (
            (
                await session.execute(
                    select(Booking.status).where(
                        Booking.tenant_id == world.id, Booking.event_date == day
                    )
                )
            )
            .scalars()
            .all()
        )
    assert statuses == ["confirmed"]
    for context in contexts:
        await context.close()


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
async def test_the_date_booked_is_the_date_clicked_in_any_browser_time_zone(
    container, live_server, browser: Browser, zone: str
):
    world = await add_catalog(container, await make_tenant(container, timezone="Europe/London"))
    day = days_ahead(container, 21, "Europe/London")
    context = await browser.new_context(timezone_id=zone)
    page = await context.new_page()
    assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
    await page.goto(f"{live_server.url}/t/{world.slug}/packages/garden")

    await choose_date(page, day)
    await fill_details(page)
    await page.get_by_role("button", name="Continue to payment").click()
    await pay(page, PASSING_CARD)

    await expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    await expect(page.locator(".summary")).to_contain_text(f"{day:%A}, {day:%B} {day.day}")
    async with container.db.sessionmaker() as session:
        booked = (
            await session.execute(select(Booking.event_date).where(Booking.tenant_id == world.id))
        ).scalar_one()
    assert booked == day
    await context.close()


async def test_a_host_page_can_take_payment_full_window_and_get_the_booking_back(
    container, live_server, host_pages, browser: Browser
):
    world = await embedded_tenant(container, host_pages)
    day = days_ahead(container, 60)
    host_url = host_pages.add(
        f"/{world.slug}/full", script_snippet(live_server, world.slug, target="top")
    )
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{host_url}?utm_source=newsletter")
    frame = page.frame_locator("#booking iframe")
    await frame.get_by_role("link", name="Garden Ceremony").click()
    await choose_date(frame, day)
    await fill_details(frame)

    await frame.get_by_role("button", name="Continue to payment").click()
    await expect(page).to_have_url(re.compile(r"/mock/checkout/"))  # the whole window
    await pay(page, PASSING_CARD)

    # Back on the tenant's page (its own query kept, ours removed), the booking inside.
    await expect(page).to_have_url(f"{host_url}?utm_source=newsletter")
    frame = page.frame_locator("#booking iframe")
    await expect(frame.get_by_role("heading", name="You're booked!")).to_be_visible()
    await page.wait_for_function(
        "window.maisEvents.some((e) => e.type === 'booking-confirmed')", timeout=15_000
    )
    assert len(context.pages) == 1
    await context.close()


async def test_the_documented_embed_example_works_with_both_snippets(
    container, live_server, host_pages, browser: Browser
):
    world = await embedded_tenant(container, host_pages)
    example = (Path(__file__).parents[2] / "docs" / "embed-example.html").read_text()
    html = example.replace("http://127.0.0.1:3001", live_server.url).replace(
        "demo-tenant", world.slug
    )
    context = await browser.new_context()
    page = await context.new_page()

    await page.goto(host_pages.add_document(f"/{world.slug}/example", html))

    frames = page.locator("iframe")
    await expect(frames).to_have_count(2)
    for n in range(2):
        heading = frames.nth(n).content_frame.get_by_role("heading", name="Choose your package")
        await expect(heading).to_be_visible()
    await expect(page.locator("#log")).to_contain_text("mais:ready")
    script_frame = await frames.nth(0).evaluate("(frame) => frame.getBoundingClientRect().height")
    assert script_frame != 720  # resized to its content
    await context.close()
