"""Stored XSS: hostile text typed into every customer and admin text field arrives inert in
every place it is shown — the widget and storefront pages, the success page, both e-mails'
HTML parts (and the dev mailbox), the admin API's JSON and the CSV export.

The payloads go in through the public and admin APIs exactly as an attacker would send
them, and are stored as typed (no escaping on input); each output escapes for its own
context (Jinja2 autoescape, JSON encoding, CSV formula neutralising)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from mais.jobs.worker import JobWorker
from tests.factories.admin import login, platform_headers
from tests.factories.world import add_catalog, days_ahead, make_tenant, pay_with_mock_card

# What must never appear raw in HTML: each opens an element that runs script. (The same
# words after an escaped `&lt;` are text; an attribute broken out of would show `<svg`.)
SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
BREAKOUT = "\"'><svg onload=alert(2)>"
PAYLOAD = f"{SCRIPT}{IMG}{BREAKOUT}"
FORMULA = '=HYPERLINK("https://evil.example","click")'
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg onload")


def assert_inert(html: str, where: str, *, shown: bool = True) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{where}: raw {marker!r}"
    if shown:
        # The text is there, escaped: the page did render the hostile value.
        assert "&lt;script&gt;alert(" in html or "&lt;script&gt;alert(&#39;xss&#39;)" in html, (
            f"{where}: the payload is not shown at all"
        )


@pytest.fixture
async def hostile(container, client):
    """A tenant whose every text field holds the payload, and a booking whose couple name
    and notes hold it too, confirmed (so both e-mails are sent) through the mock checkout."""
    tenant = await add_catalog(
        container,
        await make_tenant(container, "xss-co"),
        packages=[{"slug": "garden", "title": "Garden", "price_cents": 100_000, "active": True,
                   "add_ons": ["Violinist"]}],
    )  # fmt: skip
    admin = await login(client, tenant.email)
    platform = await platform_headers(container, client)
    package_id = str(tenant.packages["garden"].id)
    add_on_id = str(tenant.add_ons["Violinist"].id)

    changes = [
        ("PATCH", f"/v1/admin/tenants/{tenant.id}", platform, {"name": f"Venue {PAYLOAD}"}),
        ("PATCH", f"/v1/tenant-admin/packages/{package_id}", admin,
         {"title": f"Garden {PAYLOAD}", "description": f"Lovely.\n{PAYLOAD}"}),
        ("PATCH", f"/v1/tenant-admin/add-ons/{add_on_id}", admin,
         {"title": f"Violin {PAYLOAD}", "description": PAYLOAD}),
        ("POST", "/v1/tenant-admin/blackouts", admin,
         {"date": days_ahead(container, 90).isoformat(), "reason": PAYLOAD}),
    ]  # fmt: skip
    for method, url, headers, body in changes:
        response = await client.request(method, url, headers=headers, json=body)
        assert response.status_code in (200, 201), f"{url}: {response.text}"

    checkout = await client.post(
        "/v1/bookings/checkout",
        headers=tenant.headers,
        json={
            "packageId": "garden",
            "eventDate": days_ahead(container, 45).isoformat(),
            "coupleName": f"{FORMULA} {PAYLOAD}",
            "email": "couple@example.com",
            "notes": f"{FORMULA}\n{PAYLOAD}",
            "addOnIds": [add_on_id],
        },
    )
    assert checkout.status_code == 201, checkout.text
    session_id = checkout.json()["sessionId"]
    await pay_with_mock_card(container, session_id)
    await JobWorker(container).drain()
    return tenant, admin, session_id, checkout.json()


async def test_payloads_are_stored_exactly_as_typed(client, hostile):
    tenant, admin, _session, created = hostile
    detail = await client.get(f"/v1/tenant-admin/bookings/{created['bookingId']}", headers=admin)

    assert detail.json()["coupleName"] == f"{FORMULA} {PAYLOAD}"
    assert detail.json()["notes"] == f"{FORMULA}\n{PAYLOAD}"
    packages = await client.get("/v1/packages", headers=tenant.headers)
    assert packages.json()[0]["title"] == f"Garden {PAYLOAD}"
    # JSON escapes nothing HTML-wise but is served as JSON, never sniffed as HTML.
    assert packages.headers["content-type"].startswith("application/json")
    assert packages.headers["x-content-type-options"] == "nosniff"


async def test_customer_pages_render_every_payload_as_text(client, hostile):
    tenant, _admin, session_id, _created = hostile
    pages = [
        f"/t/{tenant.slug}",
        f"/t/{tenant.slug}/packages/garden",
        f"/widget?tenant={tenant.slug}",
        f"/widget/packages/garden?tenant={tenant.slug}",
        f"/success?session_id={session_id}",
    ]
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.text, url)
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp.split("script-src")[-1].split(";")[0], url


async def test_both_emails_html_parts_render_every_payload_as_text(container, client, hostile):
    entries = await container.email.list_messages()
    assert len(entries) >= 2  # the couple's confirmation and the tenant's notice
    for entry in entries:
        message = await container.email.read(entry.id)
        assert_inert(message.html, f"e-mail to {message.to}")
        assert "\n" not in message.subject
        assert "\r" not in message.subject
        page = await client.get(f"/dev/mailbox/{entry.id}")
        assert_inert(page.text, f"/dev/mailbox/{entry.id}", shown=False)
        preview = await client.get(f"/dev/mailbox/{entry.id}/html")
        assert "sandbox" in preview.headers["content-security-policy"]


async def test_csv_export_neutralises_formulas_and_keeps_the_text(client, hostile):
    _tenant, admin, _session, _created = hostile
    response = await client.get("/v1/tenant-admin/bookings/export.csv", headers=admin)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(response.text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(PAYLOAD in cell for cell in cells)
    for cell in cells:
        assert not re.match(r"^[=+\-@\t\r]", cell), f"formula cell {cell!r}"
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
