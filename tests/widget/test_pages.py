"""The booking pages over HTTP (no browser): what each page shows, every form step without
JavaScript, the errors in plain words, and the headers that protect the pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from mais.models import Booking
from tests.factories.world import (
    TenantWorld,
    add_catalog,
    confirmed_booking,
    days_ahead,
    deliver_stripe_event,
    hold_booking,
    make_tenant,
    pay_with_mock_card,
)

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
HOST = "https://willowcreekfarm.example"


async def world_with_catalog(container: Any, **tenant: Any) -> TenantWorld:
    return await add_catalog(container, await make_tenant(container, **tenant), photos=2)


def details(world: TenantWorld, day: Any, **extra: Any) -> dict[str, Any]:
    return {
        "event_date": day.isoformat(),
        "couple_name": "Ada & Grace",
        "email": "ada.grace@example.com",
        "add_on": [str(world.add_ons["Violinist"].id)],
        **extra,
    }


def csp_of(response: Any) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ") if " " in d}


async def bookings_count(container: Any, world: TenantWorld) -> int:
    async with container.db.sessionmaker() as session:
        query = select(func.count()).select_from(Booking).where(Booking.tenant_id == world.id)
        return int((await session.execute(query)).scalar_one())


# --- catalog and package pages ------------------------------------------------------------


async def test_the_widget_catalog_shows_published_packages_with_sized_lazy_thumbnails(
    container, client
):
    world = await add_catalog(
        container,
        await make_tenant(container),
        packages=[
            {"slug": "garden", "title": "Garden Ceremony", "price_cents": 350_000, "active": True},
            {"slug": "barn", "title": "Barn Dance", "price_cents": 200_000, "active": True},
            {"slug": "draft", "title": "Secret Draft", "price_cents": 100_000, "active": False},
        ],
        photos=1,
    )

    response = await client.get(f"/widget?tenant={world.slug}", headers=BROWSER)

    assert response.status_code == 200
    page = response.text
    assert "Garden Ceremony" in page
    assert "$3,500.00" in page
    assert "Secret Draft" not in page
    assert f'href="/widget/packages/garden?tenant={world.slug}"' in page
    thumbs = re.findall(r'<img class="card-photo" src="([^"]+)" width="(\d+)" height="(\d+)"', page)
    assert len(thumbs) == 2
    assert all(src.endswith("-thumb.jpg") or "thumb" in src for src, _, _ in thumbs)
    assert page.count('loading="lazy"') == 1  # the first card's photo loads at once
    assert "pk_live_" not in page  # the catalog needs no key, not even the public one


async def test_the_storefront_and_the_widget_share_templates_but_link_within_themselves(
    container, client
):
    world = await world_with_catalog(container)

    store = await client.get(f"/t/{world.slug}")
    package = await client.get(f"/t/{world.slug}/packages/garden")

    assert store.status_code == 200
    assert f'href="/t/{world.slug}/packages/garden"' in store.text
    assert package.status_code == 200
    assert f'action="/t/{world.slug}/packages/garden"' in package.text
    assert 'class="full-page"' in package.text


async def test_the_package_page_has_large_photos_with_sizes_and_a_month_calendar(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 20)
    await confirmed_booking(container, world, day)

    response = await client.get(
        f"/widget/packages/garden?tenant={world.slug}&month={day:%Y-%m}", headers=BROWSER
    )

    page = response.text
    assert response.status_code == 200
    hero = re.search(r'<img src="([^"]+)" srcset="([^"]+)"[^>]*width="(\d+)" height="(\d+)"', page)
    assert hero is not None
    assert "480w" in hero[2]
    assert 'loading="lazy"' in page  # the second photo
    assert 'role="grid"' in page
    assert f'data-month="{day:%Y-%m}"' in page
    booked = re.search(rf'data-date="{day.isoformat()}"[^>]*aria-label="([^"]+)"', page)
    assert booked is not None
    assert "already booked" in booked[1]
    assert "Booked" in page  # the legend
    assert 'aria-live="polite"' in page  # the running total and the chosen date


async def test_an_unknown_package_gets_a_clear_404_page(container, client):
    world = await world_with_catalog(container)

    response = await client.get(f"/t/{world.slug}/packages/nope", headers=BROWSER)

    assert response.status_code == 404
    assert "not offered any more" in response.text
    assert "support@" in response.text


# --- unknown and suspended tenants ----------------------------------------------------------


async def test_an_unknown_tenant_gets_an_html_page_for_people_and_json_for_programs(client):
    page = await client.get("/widget?tenant=no-such-venue", headers=BROWSER)
    api = await client.get("/widget?tenant=no-such-venue", headers={"Accept": "application/json"})
    missing = await client.get("/widget", headers=BROWSER)

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Booking page not found" in page.text
    assert "support@maconaisolutions.com" in page.text
    assert api.status_code == 404
    assert api.json()["error"] == "TENANT_NOT_FOUND"
    assert set(api.json()) >= {"error", "message", "requestId"}
    assert missing.status_code == 404


async def test_a_suspended_tenant_gets_403_as_page_and_as_json(container, client):
    world = await world_with_catalog(container, status="suspended")

    page = await client.get(f"/t/{world.slug}", headers=BROWSER)
    api = await client.get(f"/widget?tenant={world.slug}", headers={"Accept": "application/json"})

    assert page.status_code == 403
    assert "Bookings are paused" in page.text
    assert api.status_code == 403
    assert api.json()["error"] == "TENANT_INACTIVE"


# --- headers: CSP, framing, caching, compression ----------------------------------------------


async def test_widget_pages_may_be_framed_by_the_tenants_origins_only(container, client):
    world = await world_with_catalog(container, allowed_embed_origins=[HOST])

    response = await client.get(f"/widget?tenant={world.slug}")

    csp = csp_of(response)
    assert csp["frame-ancestors"] == f"'self' {HOST}"
    assert "x-frame-options" not in response.headers
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert re.fullmatch(r"'self' 'nonce-[\w-]+'", csp["script-src"])
    assert csp["report-uri"] == "/v1/csp-violations"
    assert "https://checkout.stripe.com" in csp["form-action"]
    nonce = csp["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style nonce="{nonce}">' in response.text
    assert "<script>" not in response.text  # only external files


async def test_outside_production_a_tenant_without_origins_can_be_framed_anywhere(
    container, client
):
    world = await world_with_catalog(container)

    response = await client.get(f"/widget?tenant={world.slug}")

    assert csp_of(response)["frame-ancestors"] == "*"
    assert "x-frame-options" not in response.headers


async def test_storefront_success_and_cancel_pages_may_not_be_framed(container, client):
    world = await world_with_catalog(container, allowed_embed_origins=[HOST])
    held = await hold_booking(container, world, days_ahead(container, 9))

    for path in (
        f"/t/{world.slug}",
        f"/t/{world.slug}/packages/garden",
        f"/success?session_id={held.session_id}",
        "/success?session_id=nope",
    ):
        response = await client.get(path, headers=BROWSER)
        assert csp_of(response)["frame-ancestors"] == "'none'", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "'unsafe-inline'" not in csp_of(response)["script-src"], path


async def test_pages_are_gzipped_and_the_first_widget_page_fits_the_50_kb_budget(container, client):
    world = await world_with_catalog(container)
    gzip = {"Accept-Encoding": "gzip"}

    page = await client.get(f"/widget?tenant={world.slug}", headers=gzip)
    css_url, js_url = (
        re.search(r'href="(/widget/static/widget\.\w+\.css)"', page.text)[1],  # type: ignore[index]
        re.search(r'src="(/widget/static/widget\.\w+\.js)"', page.text)[1],  # type: ignore[index]
    )
    css = await client.get(css_url, headers=gzip)
    js = await client.get(js_url, headers=gzip)

    assert page.headers["content-encoding"] == "gzip"
    assert css.headers["content-encoding"] == "gzip"
    assert js.headers["content-encoding"] == "gzip"
    transferred = sum(int(r.headers["content-length"]) for r in (page, css, js))
    assert transferred < 50 * 1024
    assert page.headers["vary"] == "Accept-Encoding"


async def test_static_files_have_content_hashed_urls_strong_etags_and_a_year_of_cache(
    container, client
):
    world = await world_with_catalog(container)
    page = await client.get(f"/widget?tenant={world.slug}")
    css_url = re.search(r'href="(/widget/static/widget\.(\w+)\.css)"', page.text)
    assert css_url is not None

    css = await client.get(css_url[1])
    again = await client.get(css_url[1], headers={"If-None-Match": css.headers["etag"]})
    stale = await client.get("/widget/static/widget.0000000000.css")
    unknown = await client.get("/widget/static/nothing.0000000000.css")

    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert re.fullmatch(r'"[0-9a-f]{32}"', css.headers["etag"])
    assert again.status_code == 304
    assert again.content == b""
    assert stale.status_code == 200  # a page cached across a deploy still gets its CSS
    assert stale.headers["cache-control"] == "public, max-age=300"
    assert unknown.status_code == 404


async def test_embed_js_is_cached_a_day_and_revalidated_by_etag(client):
    script = await client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    again = await client.get("/embed.js", headers={"If-None-Match": script.headers["etag"]})

    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-encoding"] == "gzip"
    assert "max-age=86400" in script.headers["cache-control"]
    assert again.status_code == 304
    assert "mais:booking-confirmed" in script.text
    assert "event.origin !== widgetOrigin" in script.text


# --- the form without JavaScript ----------------------------------------------------------------


async def test_missing_and_wrong_details_are_explained_next_to_their_fields(container, client):
    world = await world_with_catalog(container)

    response = await client.post(
        f"/t/{world.slug}/packages/garden",
        data={"couple_name": " ", "email": "ada@", "phone": "call me", "intent": "pay"},
    )

    assert response.status_code == 422
    page = response.text
    assert 'role="alert"' in page
    assert "Please choose a date on the calendar." in page
    assert 'id="couple_name-error"' in page
    assert "Please tell us your names" in page
    assert "That e-mail address does not look right" in page
    assert "That phone number does not look right" in page
    assert re.search(r'id="email"[^>]*aria-describedby="email-hint email-error"', page)
    assert re.search(r'id="email"[^>]*aria-invalid="true"', page)
    assert 'value="ada@"' in page  # what was typed is kept
    assert await bookings_count(container, world) == 0


async def test_choosing_a_day_and_changing_month_post_back_the_whole_form(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 50)
    violinist = str(world.add_ons["Violinist"].id)

    month = await client.post(
        f"/t/{world.slug}/packages/garden",
        data={"month": f"{day:%Y-%m}", "couple_name": "Ada", "add_on": [violinist]},
    )
    picked = await client.post(
        f"/t/{world.slug}/packages/garden",
        data={"pick": day.isoformat(), "couple_name": "Ada", "add_on": [violinist]},
    )

    assert month.status_code == 200
    assert f'data-month="{day:%Y-%m}"' in month.text
    assert 'value="Ada"' in month.text
    assert picked.status_code == 200
    assert f'name="event_date" value="{day.isoformat()}"' in picked.text
    assert re.search(rf'aria-selected="true"><button[^>]*value="{day.isoformat()}"', picked.text)
    assert "$3,750.00" in picked.text  # total with the violinist, computed by the server
    assert f'value="{violinist}" id="add-on-1" data-price-cents="25000" checked' in picked.text


async def test_choosing_an_unavailable_day_says_why(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 15)
    await hold_booking(container, world, day)

    response = await client.post(f"/t/{world.slug}/packages/garden", data={"pick": day.isoformat()})

    assert response.status_code == 422
    assert "someone is booking it right now" in response.text
    assert 'name="event_date" value=""' in response.text


async def test_paying_from_the_storefront_redirects_to_the_checkout(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)

    response = await client.post(
        f"/t/{world.slug}/packages/garden", data=details(world, day, intent="pay")
    )

    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path.startswith("/mock/checkout/cs_")
    async with container.db.sessionmaker() as session:
        booking = (await session.execute(select(Booking))).scalar_one()
    assert booking.event_date == day
    assert booking.status == "held"
    assert booking.subtotal_cents == 375_000


async def test_paying_inside_the_widget_shows_the_held_date_and_a_link_to_pay(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)

    response = await client.post(
        f"/widget/packages/garden?tenant={world.slug}", data=details(world, day)
    )

    assert response.status_code == 200
    page = response.text
    assert "Your date is held" in page
    link = re.search(r'id="pay-link" href="([^"]+)"[^>]*target="_blank"', page)
    assert link is not None
    assert "/mock/checkout/cs_" in link[1]
    assert f'data-key="{world.public_key}"' in page  # in the page for polling, never a URL
    assert f"tenant={world.slug}&amp;session_id=cs_" in page  # the no-script way to check


async def test_the_same_form_sent_twice_holds_one_date_once(container, client):
    world = await world_with_catalog(container)
    form = details(world, days_ahead(container, 30), idempotency_key="form-123", intent="pay")

    first = await client.post(f"/t/{world.slug}/packages/garden", data=form)
    second = await client.post(f"/t/{world.slug}/packages/garden", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await bookings_count(container, world) == 1


async def test_a_date_taken_meanwhile_says_so_and_shows_the_calendar_again(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 40)
    await hold_booking(container, world, day)

    response = await client.post(
        f"/t/{world.slug}/packages/garden", data=details(world, day, intent="pay")
    )

    assert response.status_code == 409
    page = response.text
    assert "this date was just taken by someone else" in page
    assert f'data-month="{day:%Y-%m}"' in page
    assert 'name="event_date" value=""' in page
    assert re.search(rf'data-date="{day.isoformat()}"[^>]*aria-disabled="true"', page)
    assert 'value="Ada &amp; Grace"' in page
    assert await bookings_count(container, world) == 1


async def test_a_full_window_embed_returns_to_the_host_page_after_paying(container, client):
    world = await world_with_catalog(container, allowed_embed_origins=[HOST])
    back = f"{HOST}/weddings?utm=x"
    query = f"tenant={world.slug}&target=top&origin={HOST}&return={back}"

    page = await client.get(f"/widget/packages/garden?{query}")
    response = await client.post(
        f"/widget/packages/garden?{query}", data=details(world, days_ahead(container, 30))
    )

    assert 'target="_top"' in page.text
    assert response.status_code == 303
    session_id = urlsplit(response.headers["location"]).path.rsplit("/", 1)[-1]
    session = container.payments.get_session(session_id)
    success = urlsplit(session["success_url"])
    assert f"{success.scheme}://{success.netloc}{success.path}" == f"{HOST}/weddings"
    assert parse_qs(success.query)["tenant"] == [world.slug]


async def test_an_embed_cannot_send_customers_to_a_page_the_tenant_did_not_allow(container, client):
    world = await world_with_catalog(container, allowed_embed_origins=[HOST])
    query = f"tenant={world.slug}&target=top&return=https://evil.example/phish"

    response = await client.post(
        f"/widget/packages/garden?{query}", data=details(world, days_ahead(container, 30))
    )

    session_id = urlsplit(response.headers["location"]).path.rsplit("/", 1)[-1]
    session = container.payments.get_session(session_id)
    assert session["success_url"].startswith("http://testserver/success?")
    assert "evil" not in session["cancel_url"]


# --- after payment ------------------------------------------------------------------------------


async def test_the_success_page_polls_while_confirming_then_shows_the_confirmation(
    container, client
):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)
    held = await hold_booking(container, world, day, add_ons=("Violinist",), couple_name="Kim")

    waiting = await client.get(f"/success?session_id={held.session_id}", headers=BROWSER)
    await pay_with_mock_card(container, held.session_id)
    done = await client.get(f"/success?session_id={held.session_id}", headers=BROWSER)

    assert waiting.status_code == 200
    assert "Confirming your payment" in waiting.text
    assert '<noscript><meta http-equiv="refresh" content="4"></noscript>' in waiting.text
    assert f'data-session-id="{held.session_id}" data-key="{world.public_key}"' in waiting.text
    assert done.status_code == 200
    page = done.text
    assert "You're booked!" in page
    assert held.id.hex[:4].upper() in page  # the reference
    assert f"{day:%B} {day.day}, {day.year}" in page
    assert "Violinist" in page
    assert "$3,750.00" in page
    assert f"/bookings/{held.id}/calendar.ics?session_id={held.session_id}" in page
    assert "data-poll" not in page


async def test_an_expired_payment_is_explained_and_offers_the_same_choices_again(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)
    held = await hold_booking(container, world, day, add_ons=("Champagne",))
    container.clock.advance(timedelta(minutes=45))

    response = await client.get(f"/success?session_id={held.session_id}", headers=BROWSER)

    assert response.status_code == 200
    assert "This payment was not completed" in response.text
    assert "nothing was charged" in response.text
    champagne = world.add_ons["Champagne"].id
    assert (
        f"/t/{world.slug}/packages/garden?date={day.isoformat()}&amp;add_on={champagne}"
        in response.text
    )


async def test_an_unknown_session_gets_a_404_page(client):
    response = await client.get("/success?session_id=cs_test_unknown", headers=BROWSER)

    assert response.status_code == 404
    assert "We could not find this booking" in response.text


async def test_cancel_returns_to_the_package_with_the_date_and_add_ons_kept(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)
    held = await hold_booking(container, world, day, add_ons=("Violinist", "Champagne"))
    for event in await container.payments.cancel(held.session_id):  # "Cancel and return"
        await deliver_stripe_event(container, event)

    response = await client.get(f"/cancel?canceled=1&tenant={world.slug}&booking={held.id}")
    page = await client.get(response.headers["location"], headers=BROWSER)

    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["date"] == [day.isoformat()]
    assert sorted(query["add_on"]) == sorted(str(a.id) for a in world.add_ons.values())
    assert "Your payment was canceled and nothing was charged" in page.text
    assert f'name="event_date" value="{day.isoformat()}"' in page.text
    assert page.text.count("checked") == 2


async def test_the_widget_shows_the_booking_and_returns_after_a_canceled_full_window_payment(
    container, client
):
    world = await world_with_catalog(container)
    held = await hold_booking(container, world, days_ahead(container, 30))

    status = await client.get(f"/widget?tenant={world.slug}&session_id={held.session_id}")
    other = await client.get(f"/widget?tenant=someone-else&session_id={held.session_id}")
    back = await client.get(f"/widget?tenant={world.slug}&canceled=1&booking={held.id}")

    assert "Confirming your payment" in status.text
    assert other.status_code == 404
    assert back.status_code == 303
    assert back.headers["location"].startswith(f"/widget/packages/garden?tenant={world.slug}")


async def test_the_calendar_file_is_for_the_holder_of_a_confirmed_booking_only(container, client):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)
    booked = await confirmed_booking(container, world, day)
    held = await hold_booking(container, world, days_ahead(container, 31))

    by_session = await client.get(
        f"/bookings/{booked.id}/calendar.ics?session_id={booked.session_id}"
    )
    by_token = await client.get(f"/bookings/{booked.id}/calendar.ics?token={booked.access_token}")
    wrong = await client.get(f"/bookings/{booked.id}/calendar.ics?session_id={held.session_id}")
    nothing = await client.get(f"/bookings/{booked.id}/calendar.ics")
    not_yet = await client.get(f"/bookings/{held.id}/calendar.ics?session_id={held.session_id}")
    unknown = await client.get(f"/bookings/{uuid.uuid4()}/calendar.ics?token=x")

    assert by_session.status_code == 200
    assert by_session.headers["content-type"].startswith("text/calendar")
    assert "attachment;" in by_session.headers["content-disposition"]
    assert f"DTSTART;VALUE=DATE:{day:%Y%m%d}" in by_session.text
    assert by_token.status_code == 200
    assert [r.status_code for r in (wrong, nothing, not_yet, unknown)] == [404] * 4


# --- escaping ------------------------------------------------------------------------------------


async def test_tenant_and_customer_text_is_escaped_in_every_page(container, client):
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    world = await add_catalog(
        container,
        await make_tenant(container, name=f"Evil {payload}"),
        packages=[{"slug": "garden", "title": f"T {payload}", "price_cents": 100_000,
                   "active": True, "description": payload, "add_ons": ["Violinist"]}],
    )  # fmt: skip
    held = await hold_booking(container, world, days_ahead(container, 30), couple_name=payload)
    await pay_with_mock_card(container, held.session_id)

    for path in (
        f"/t/{world.slug}",
        f"/widget/packages/garden?tenant={world.slug}",
        f"/success?session_id={held.session_id}",
    ):
        page = (await client.get(path, headers=BROWSER)).text
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


async def test_back_from_a_payment_page_still_open_the_date_is_explained_not_lost(
    container, client
):
    world = await world_with_catalog(container)
    day = days_ahead(container, 30)
    held = await hold_booking(container, world, day)  # Stripe's page is still open

    back = await client.get(f"/cancel?canceled=1&tenant={world.slug}&booking={held.id}")
    page = await client.get(back.headers["location"], headers=BROWSER)

    assert "stays reserved for the payment page you left" in page.text
    assert 'name="event_date" value=""' in page.text


async def test_a_month_of_the_calendar_answers_at_once_with_cold_caches(container, client):
    """The month fragment reads availability in the request's transaction and the tenant's
    branding from a cache filled by a read session; on SQLite that read waited for the
    request's own write lock (30 s, then 503)."""
    world = await add_catalog(container, await make_tenant(container))
    next_month = days_ahead(container, 35)
    response = await client.get(
        "/widget/calendar",
        params={"tenant": world.slug, "package": "garden", "month": f"{next_month:%Y-%m}"},
    )
    assert response.status_code == 200, response.text
    assert f'data-month="{next_month:%Y-%m}"' in response.text
