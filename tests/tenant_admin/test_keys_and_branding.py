"""API keys (show, rotate) and branding (colours, font, logo) of the tenant-admin API."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mais.tenants.branding import FONT_CHOICES
from tests.factories.world import image_bytes

KEYS = "/v1/tenant-admin/api-keys"
BRANDING = "/v1/tenant-admin/branding"


async def test_api_keys_show_the_public_key_and_only_a_hint_of_the_secret(client, alpha):
    response = await client.get(KEYS, headers=alpha.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["publicKey"] == alpha.tenant.public_key
    assert body["secretKeyHint"].endswith(alpha.tenant.secret_key[-4:])
    assert alpha.tenant.secret_key not in response.text


async def test_rotation_shows_the_new_secret_once_and_old_keys_stop_at_once(
    client, alpha, credential
):
    assert (await client.get("/v1/packages", headers=alpha.tenant.headers)).status_code == 200

    rotated = await client.post(f"{KEYS}/rotate", headers=credential)

    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    new = rotated.json()
    assert new["publicKey"].startswith("pk_live_alpha-events_")
    assert new["secretKey"].startswith("sk_live_alpha-events_")
    assert new["publicKey"] != alpha.tenant.public_key
    old_public = await client.get("/v1/packages", headers=alpha.tenant.headers)
    assert old_public.status_code == 401
    old_secret = await client.get("/v1/tenant-admin/me", headers=alpha.key_headers)
    assert old_secret.status_code == 401
    new_public = await client.get("/v1/packages", headers={"X-Tenant-Key": new["publicKey"]})
    assert new_public.status_code == 200
    new_secret = await client.get(
        "/v1/tenant-admin/me", headers={"Authorization": f"Bearer {new['secretKey']}"}
    )
    assert new_secret.status_code == 200
    shown = (await client.get(KEYS, headers=alpha.headers)).json()
    assert shown["publicKey"] == new["publicKey"]
    assert new["secretKey"] not in str(shown)


async def test_branding_round_trip_reaches_the_widget_at_once(client, alpha, credential):
    assert (await client.get("/v1/tenant/branding", headers=alpha.tenant.headers)).json()[
        "primaryColor"
    ] == "#7A5C58"  # cached now

    response = await client.put(
        BRANDING,
        headers=credential,
        json={
            "primaryColor": "#112233",
            "secondaryColor": "#abcdef",
            "accentColor": "#FFFFFF",
            "backgroundColor": "#000000",
            "fontFamily": "Inter",
            "logoUrl": "https://cdn.example.com/logo.png",
        },
    )

    assert response.status_code == 200
    expected = {
        "primaryColor": "#112233",
        "secondaryColor": "#ABCDEF",
        "accentColor": "#FFFFFF",
        "backgroundColor": "#000000",
        "fontFamily": "Inter",
        "logoUrl": "https://cdn.example.com/logo.png",
    }
    assert response.json() == expected
    assert (await client.get(BRANDING, headers=credential)).json() == expected
    public = (await client.get("/v1/tenant/branding", headers=alpha.tenant.headers)).json()
    assert {k: public[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primaryColor": "red"}, "primaryColor"),
        ({"primaryColor": "#12345"}, "primaryColor"),
        ({"primaryColor": "#1234567"}, "primaryColor"),
        ({"accentColor": "#GGGGGG"}, "accentColor"),
        ({"backgroundColor": "#fff"}, "backgroundColor"),
        ({"primaryColor": None}, "primaryColor"),
        ({"fontFamily": "Comic Sans"}, "fontFamily"),
        ({"fontFamily": "x" * 41}, "fontFamily"),
        ({"logoUrl": "http://cdn.example.com/logo.png"}, "logoUrl"),
        ({"logoUrl": "javascript:alert(1)"}, "logoUrl"),
        ({"logoUrl": "https://"}, "logoUrl"),
        ({"logoUrl": "data:image/svg+xml,<svg/>"}, "logoUrl"),
        ({"name": "Renamed"}, "name"),
    ],
)
async def test_invalid_branding_is_422_and_changes_nothing(client, alpha, body, field):
    before = (await client.get(BRANDING, headers=alpha.headers)).json()

    response = await client.put(BRANDING, headers=alpha.headers, json=body)

    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["details"]]
    assert (await client.get(BRANDING, headers=alpha.headers)).json() == before


def test_every_offered_font_has_a_css_stack():
    assert all(stack.strip() for stack in FONT_CHOICES.values())


async def test_logo_upload_keeps_transparency_and_replaces_the_previous_logo(
    client, alpha, data_dir
):
    out = io.BytesIO()
    Image.new("RGBA", (1200, 400), (10, 20, 30, 0)).save(out, format="PNG")

    first = await client.post(
        f"{BRANDING}/logo",
        headers=alpha.headers,
        files={"file": ("logo.png", out.getvalue(), "image/png")},
    )

    assert first.status_code == 200
    logo_url = first.json()["logoUrl"]
    stored = await client.get(logo_url.removeprefix("http://testserver"))
    assert stored.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(stored.content))
    assert image.size == (600, 200)
    assert image.mode == "RGBA"
    public = await client.get("/v1/tenant/branding", headers=alpha.tenant.headers)
    assert public.json()["logoUrl"] == logo_url

    # Sending the current URL back (a dashboard saving its form) keeps the uploaded logo.
    kept = await client.put(BRANDING, headers=alpha.headers, json={"logoUrl": logo_url})
    assert kept.json()["logoUrl"] == logo_url

    second = await client.post(
        f"{BRANDING}/logo",
        headers=alpha.headers,
        files={"file": ("l.jpg", image_bytes("JPEG"), "image/jpeg")},
    )
    assert second.json()["logoUrl"] != logo_url
    assert (await client.get(logo_url.removeprefix("http://testserver"))).status_code == 404
    assert len(list((data_dir / "uploads").rglob("logo/*"))) == 1

    cleared = await client.put(BRANDING, headers=alpha.headers, json={"logoUrl": None})
    assert cleared.json()["logoUrl"] is None
    assert not list((data_dir / "uploads").rglob("logo/*"))


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 415),
        (image_bytes("PNG") + b"<html><script>alert(1)</script></html>", 415),
        (b"plain text", 415),
        (image_bytes("PNG") + bytes(5 * 1024 * 1024), 413),
    ],
    ids=["svg", "polyglot", "text", "oversize"],
)
async def test_logo_upload_is_validated_like_photos(client, alpha, data, status):
    response = await client.post(
        f"{BRANDING}/logo", headers=alpha.headers, files={"file": ("logo.png", data, "image/png")}
    )

    assert response.status_code == status
    assert (await client.get(BRANDING, headers=alpha.headers)).json()["logoUrl"] is None
