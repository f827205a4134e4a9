"""The tenant dashboard's pages, driven like a browser: every page renders, each form
reaches the same service as the API (the widget's catalog shows the change), bad input
comes back as words next to the field (never a 500)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select

from mais.models import AuditEntry, BlackoutDate, Package
from tests.dashboard.conftest import Browser
from tests.factories.admin import add_booking
from tests.factories.world import days_ahead, image_bytes


def _first_id(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1)


async def test_every_tenant_page_renders(alpha_browser: Browser, container, alpha):
    booking = await add_booking(container, alpha)
    package = alpha.packages["garden"].id
    add_on = alpha.add_ons["Violinist"].id
    for path in (
        "/tenant", "/tenant/packages", "/tenant/packages/new", f"/tenant/packages/{package}",
        "/tenant/add-ons", f"/tenant/add-ons/{add_on}", "/tenant/blackouts", "/tenant/bookings",
        f"/tenant/bookings/{booking}", "/tenant/branding", "/tenant/settings", "/tenant/embed",
        "/tenant/stripe", "/tenant/stripe/refresh", "/tenant/password",
    ):  # fmt: skip
        response = await alpha_browser.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "support@" in response.text or "mailto:" in response.text
        assert 'href="/help"' in response.text, path  # the tenant guides


async def test_home_shows_upcoming_bookings_month_figures_and_checklist(
    alpha_browser: Browser, container, alpha
):
    await add_booking(container, alpha, couple_name="Zelda & Link")
    home = await alpha_browser.get("/tenant")
    assert "Zelda &amp; Link" in home.text
    assert "Your net" in home.text
    assert 'class="done"><a href="/tenant/packages">Publish at least one package' in home.text
    assert 'class="todo"><a href="/tenant/settings">' in home.text


async def test_create_edit_publish_and_delete_a_package(alpha_browser: Browser, client, alpha):
    await alpha_browser.get("/tenant/packages/new")
    violinist = str(alpha.add_ons["Violinist"].id)
    bad = await alpha_browser.post(
        "/tenant/packages/new", {"title": "", "price": "lots", "add_on_ids": violinist}
    )
    assert bad.status_code == 422
    assert "Please fill this in." in bad.text
    assert "Please enter the price" in bad.text

    created = await alpha_browser.post(
        "/tenant/packages/new",
        {"title": "Sunset Vows", "price": "2,750.50", "description": "Golden hour.",
         "add_on_ids": violinist},
    )  # fmt: skip
    assert created.status_code == 303
    package_id = _first_id(r"/tenant/packages/([0-9a-f-]{36})", created.headers["location"])
    page = await alpha_browser.get(created.headers["location"])
    assert "Saved. The package is created." in page.text
    assert 'value="2750.50"' in page.text

    widget = await client.get("/v1/packages", headers=alpha.headers)
    assert "Sunset Vows" not in widget.text  # not published yet

    assert (await alpha_browser.post(f"/tenant/packages/{package_id}/publish")).status_code == 303
    listed = (await client.get("/v1/packages", headers=alpha.headers)).json()
    sunset = next(p for p in listed if p["title"] == "Sunset Vows")
    assert sunset["priceCents"] == 275_050
    assert [a["title"] for a in sunset["addOns"]] == ["Violinist"]

    edited = await alpha_browser.post(
        f"/tenant/packages/{package_id}",
        {"title": "Sunset Vows II", "price": "3000", "description": "", "active": "1"},
    )
    assert edited.status_code == 303
    listed = (await client.get("/v1/packages", headers=alpha.headers)).json()
    sunset = next(p for p in listed if p["id"] == package_id)
    assert (sunset["title"], sunset["priceCents"], sunset["addOns"]) == (
        "Sunset Vows II",
        300_000,
        [],
    )

    taken = await alpha_browser.post(
        f"/tenant/packages/{package_id}", {"title": "X", "price": "1", "slug": "garden"}
    )
    assert taken.status_code == 422
    assert "alert error" in taken.text

    await alpha_browser.post(f"/tenant/packages/{package_id}/unpublish")
    assert "Sunset" not in (await client.get("/v1/packages", headers=alpha.headers)).text
    deleted = await alpha_browser.post(f"/tenant/packages/{package_id}/delete")
    assert deleted.headers["location"] == "/tenant/packages?notice=deleted"
    assert (await alpha_browser.get(f"/tenant/packages/{package_id}")).status_code == 404


async def test_package_with_bookings_is_archived_and_reorder_moves_it(
    alpha_browser: Browser, container, alpha
):
    await add_booking(container, alpha)
    await alpha_browser.get("/tenant/packages/new")
    second = await alpha_browser.post("/tenant/packages/new", {"title": "Second", "price": "10"})
    second_id = _first_id(r"/tenant/packages/([0-9a-f-]{36})", second.headers["location"])
    await alpha_browser.post(f"/tenant/packages/{second_id}/move", {"direction": "up"})
    page = await alpha_browser.get("/tenant/packages")
    assert page.text.index("Second") < page.text.index("Garden Ceremony")

    garden = alpha.packages["garden"].id
    archived = await alpha_browser.post(f"/tenant/packages/{garden}/delete")
    assert archived.headers["location"] == "/tenant/packages?notice=archived"
    async with container.db.sessionmaker() as session:
        row = await session.get(Package, garden)
        assert row is not None
        assert row.archived_at is not None


async def test_photos_upload_refuse_non_images_reorder_and_delete(alpha_browser: Browser, alpha):
    package = alpha.packages["garden"].id
    await alpha_browser.get(f"/tenant/packages/{package}")
    uploaded = await alpha_browser.post(
        f"/tenant/packages/{package}/photos",
        files={"file": ("plum.jpg", image_bytes("JPEG", color="plum"), "image/jpeg")},
    )
    assert uploaded.status_code == 303
    page = await alpha_browser.get(f"/tenant/packages/{package}")
    assert "Photos (2 of 5)" in page.text

    svg = await alpha_browser.post(
        f"/tenant/packages/{package}/photos",
        files={"file": ("x.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png")},
    )
    assert svg.status_code in (415, 422)
    assert 'class="problem"' in svg.text
    empty = await alpha_browser.post(f"/tenant/packages/{package}/photos", files={})
    assert empty.status_code == 422

    photo_ids = re.findall(
        rf"/tenant/packages/{package}/photos/([0-9a-f-]{{36}})/delete", page.text
    )
    assert len(photo_ids) == 2
    moved = await alpha_browser.post(
        f"/tenant/packages/{package}/photos/{photo_ids[1]}/move", {"direction": "up"}
    )
    assert moved.status_code == 303
    page = await alpha_browser.get(f"/tenant/packages/{package}")
    assert re.findall(r"/photos/([0-9a-f-]{36})/delete", page.text) == photo_ids[::-1]
    await alpha_browser.post(f"/tenant/packages/{package}/photos/{photo_ids[0]}/delete")
    assert "Photos (1 of 5)" in (await alpha_browser.get(f"/tenant/packages/{package}")).text


async def test_add_ons_create_edit_link_and_delete(alpha_browser: Browser, client, alpha):
    await alpha_browser.get("/tenant/add-ons")
    bad = await alpha_browser.post("/tenant/add-ons", {"title": "Cake", "price": "-5"})
    assert bad.status_code == 422
    assert 'class="problem"' in bad.text
    created = await alpha_browser.post(
        "/tenant/add-ons", {"title": "Cake", "price": "120", "active": "1"}
    )
    assert created.status_code == 303
    page = await alpha_browser.get("/tenant/add-ons")
    cake = _first_id(r'/tenant/add-ons/([0-9a-f-]{36})">Cake', page.text)
    await alpha_browser.post(
        f"/tenant/add-ons/{cake}", {"title": "Wedding cake", "price": "150.00", "active": "1"}
    )
    garden = alpha.packages["garden"].id
    await alpha_browser.get(f"/tenant/packages/{garden}")
    await alpha_browser.post(
        f"/tenant/packages/{garden}",
        {"title": "Garden Ceremony", "price": "3500", "active": "1", "add_on_ids": cake},
    )
    listed = (await client.get("/v1/packages", headers=alpha.headers)).json()
    assert [(a["title"], a["priceCents"]) for a in listed[0]["addOns"]] == [
        ("Wedding cake", 15_000)
    ]
    await alpha_browser.post(f"/tenant/add-ons/{cake}/delete")
    assert "Wedding cake" not in (await alpha_browser.get("/tenant/add-ons")).text


async def test_blackouts_single_range_refusals_and_delete(alpha_browser: Browser, container, alpha):
    await alpha_browser.get("/tenant/blackouts")
    first = days_ahead(container, 30)
    single = await alpha_browser.post(
        "/tenant/blackouts", {"date": first.isoformat(), "reason": "Family"}
    )
    assert single.status_code == 303
    ranged = await alpha_browser.post(
        "/tenant/blackouts",
        {"date": first.isoformat(), "end_date": (first + timedelta(days=2)).isoformat()},
    )
    assert ranged.status_code == 200
    assert "Already blacked out before" in ranged.text
    async with container.db.sessionmaker() as session:
        assert len((await session.execute(select(BlackoutDate))).all()) == 3

    for data in (
        {"date": "not a date"},
        {"date": ""},
        {"date": (first - timedelta(days=60)).isoformat()},
        {"date": first.isoformat(), "end_date": (first - timedelta(days=1)).isoformat()},
    ):
        refused = await alpha_browser.post("/tenant/blackouts", data)
        assert refused.status_code == 422, data
        assert 'class="problem"' in refused.text or "alert error" in refused.text, data

    page = await alpha_browser.get("/tenant/blackouts")
    blackout = _first_id(r"/tenant/blackouts/([0-9a-f-]{36})/delete", page.text)
    assert (await alpha_browser.post(f"/tenant/blackouts/{blackout}/delete")).status_code == 303
    async with container.db.sessionmaker() as session:
        assert len((await session.execute(select(BlackoutDate))).all()) == 2


async def test_bookings_list_filters_search_paginates_and_exports(
    alpha_browser: Browser, container, alpha
):
    await add_booking(container, alpha, couple_name="=HYPERLINK(1)", email="ada@example.com")
    await add_booking(
        container, alpha, couple_name="Bea & Cy", email="bea@example.com", status="canceled"
    )
    listed = await alpha_browser.get("/tenant/bookings")
    assert "2 bookings" in listed.text
    assert "1 booking." in (await alpha_browser.get("/tenant/bookings?status=canceled")).text
    assert "1 booking." in (await alpha_browser.get("/tenant/bookings?q=ADA@")).text
    bad = await alpha_browser.get("/tenant/bookings?from=yesterday&to=2020-01-01&status=nope")
    assert bad.status_code == 200
    assert "Please enter a date" in bad.text
    assert (await alpha_browser.get("/tenant/bookings?page=0")).status_code == 422
    assert (await alpha_browser.get("/tenant/bookings?page=abc")).status_code == 422

    export = await alpha_browser.get("/tenant/bookings/export.csv?status=confirmed")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["booking_id", "status", "event_date"]
    assert [r[3] for r in rows[1:]] == ["'=HYPERLINK(1)"]


async def test_booking_detail_cancel_and_partial_then_full_refund(
    alpha_browser: Browser, container, alpha
):
    booking = await add_booking(container, alpha)
    page = await alpha_browser.get(f"/tenant/bookings/{booking}")
    assert "confirmed" in page.text
    too_much = await alpha_browser.post(
        f"/tenant/bookings/{booking}/refund", {"kind": "partial", "amount": "999999"}
    )
    assert too_much.status_code in (409, 422)
    assert 'class="problem"' in too_much.text
    nonsense = await alpha_browser.post(
        f"/tenant/bookings/{booking}/refund", {"kind": "partial", "amount": "abc"}
    )
    assert nonsense.status_code == 422
    partial = await alpha_browser.post(
        f"/tenant/bookings/{booking}/refund", {"kind": "partial", "amount": "500"}
    )
    assert partial.status_code == 303
    page = await alpha_browser.get(partial.headers["location"])
    assert "The refund is made" in page.text
    assert '<dd id="refunded">$500.00</dd>' in page.text
    full = await alpha_browser.post(f"/tenant/bookings/{booking}/refund", {"kind": "full"})
    assert full.status_code == 303
    page = await alpha_browser.get(full.headers["location"])
    assert 'id="booking-status">refunded<' in page.text

    other = await add_booking(container, alpha)
    await alpha_browser.get(f"/tenant/bookings/{other}")
    canceled = await alpha_browser.post(
        f"/tenant/bookings/{other}/cancel", {"reason": "Venue flooded"}
    )
    assert canceled.status_code == 303
    page = await alpha_browser.get(f"/tenant/bookings/{other}")
    assert 'id="booking-status">canceled<' in page.text
    assert "Venue flooded" in page.text


async def test_branding_colours_font_logo_and_contrast_warning(
    alpha_browser: Browser, client, alpha
):
    await alpha_browser.get("/tenant/branding")
    bad = await alpha_browser.post(
        "/tenant/branding",
        {"primary_color": "red", "secondary_color": "#F4ECE6", "accent_color": "#C8A97E",
         "background_color": "#FFFFFF", "font_family": "Comic Sans"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "#RRGGBB" in bad.text
    saved = await alpha_browser.post(
        "/tenant/branding",
        {"primary_color": "#ffff00", "secondary_color": "#F4ECE6", "accent_color": "#C8A97E",
         "background_color": "#FFFFFF", "font_family": "Verdana"},
    )  # fmt: skip
    assert saved.status_code == 303
    page = await alpha_browser.get("/tenant/branding")
    assert "hard to read together" in page.text
    branding = (await client.get("/v1/tenant/branding", headers=alpha.headers)).json()
    assert (branding["primaryColor"], branding["fontFamily"]) == ("#FFFF00", "Verdana")
    assert "frame-src 'self'" in page.headers["content-security-policy"]

    logo = await alpha_browser.post(
        "/tenant/branding/logo", files={"file": ("logo.png", image_bytes(), "image/png")}
    )
    assert logo.status_code == 303
    branding = (await client.get("/v1/tenant/branding", headers=alpha.headers)).json()
    assert branding["logoUrl"]
    text_file = await alpha_browser.post(
        "/tenant/branding/logo", files={"file": ("logo.png", b"hello", "image/png")}
    )
    assert text_file.status_code in (415, 422)
    await alpha_browser.get("/tenant/branding")
    await alpha_browser.post("/tenant/branding/logo/delete")
    assert (await client.get("/v1/tenant/branding", headers=alpha.headers)).json()[
        "logoUrl"
    ] is None


async def test_settings_saved_and_refused_in_plain_words(alpha_browser: Browser, container, alpha):
    await alpha_browser.get("/tenant/settings")
    form = {
        "timezone": "Europe/London", "min_notice_days": "3", "max_days_ahead": "400",
        "allowed_embed_origins": "https://www.alpha.example\r\nhttps://alpha.example:8443",
        "notification_email": "bookings@alpha.example", "calendar_id": "",
    }  # fmt: skip
    assert (await alpha_browser.post("/tenant/settings", form)).status_code == 303
    page = await alpha_browser.get("/tenant/settings")
    assert "https://alpha.example:8443" in page.text
    assert 'value="Europe/London"' in page.text
    for field, value in (
        ("timezone", "Mars/Olympus"),
        ("min_notice_days", "soon"),
        ("allowed_embed_origins", "javascript:alert(1)"),
        ("notification_email", "not-an-email"),
    ):
        refused = await alpha_browser.post("/tenant/settings", {**form, field: value})
        assert refused.status_code == 422, field
        assert 'class="problem"' in refused.text or "alert error" in refused.text, field


async def test_embed_page_snippets_and_key_rotation_shows_the_secret_once(
    alpha_browser: Browser, client, alpha
):
    page = await alpha_browser.get("/tenant/embed")
    assert f"/widget?tenant={alpha.slug}" in page.text
    assert f"data-tenant=&#34;{alpha.slug}&#34;" in page.text or "embed.js" in page.text
    assert alpha.public_key in page.text
    rotated = await alpha_browser.post("/tenant/embed/rotate")
    assert rotated.status_code == 200
    secret = _first_id(r'value="(sk_live_[a-z0-9_-]+)"', rotated.text)
    assert secret != alpha.secret_key
    assert (await client.get("/v1/packages", headers=alpha.headers)).status_code == 401
    me = await client.get("/v1/tenant-admin/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert secret not in (await alpha_browser.get("/tenant/embed")).text


async def test_stripe_connect_redirects_to_the_onboarding_link_and_return_shows_status(
    alpha_browser: Browser, container
):
    await alpha_browser.get("/tenant/stripe")
    response = await alpha_browser.post("/tenant/stripe/connect")
    assert response.status_code == 303
    assert "/mock/connect/" in response.headers["location"]
    back = await alpha_browser.get("/tenant/stripe/return")
    assert back.status_code == 200
    assert "Back from Stripe" in back.text
    assert "acct_" in back.text


async def test_dashboard_writes_are_audited_as_the_logged_in_admin(
    alpha_browser: Browser, container, alpha
):
    await alpha_browser.post(f"/tenant/packages/{alpha.packages['garden'].id}/unpublish")
    async with container.db.sessionmaker() as session:
        entries = (await session.execute(select(AuditEntry))).scalars().all()
    mine = [e for e in entries if e.action == "package.updated"]
    assert mine
    assert mine[-1].actor_label == alpha.email


async def test_an_external_logo_is_allowed_by_the_branding_pages_policy(
    alpha_browser: Browser, client, alpha
):
    response = await client.put(
        "/v1/tenant-admin/branding",
        headers={"Authorization": f"Bearer {alpha.secret_key}"},
        json={"logoUrl": "https://cdn.alpha.example/logo.png"},
    )
    assert response.status_code == 200, response.text
    page = await alpha_browser.get("/tenant/branding")
    img_src = next(d for d in page.headers["content-security-policy"].split(";") if "img-src" in d)
    assert "https://cdn.alpha.example" in img_src
    assert 'src="https://cdn.alpha.example/logo.png"' in page.text
