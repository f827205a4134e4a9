"""Packages through /v1/tenant-admin/packages: list, create, read, edit, publish, reorder,
delete or archive — and the widget's catalog follows at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mais.models import AuditEntry, Package
from tests.factories.admin import add_booking
from tests.factories.world import add_catalog, image_bytes

BASE = "/v1/tenant-admin/packages"


async def _public_slugs(client, alpha) -> list[str]:
    response = await client.get("/v1/packages", headers=alpha.tenant.headers)
    return [p["slug"] for p in response.json()]


async def test_list_includes_unpublished_packages_with_photos_and_add_ons(
    container, client, alpha, credential
):
    await add_catalog(
        container,
        alpha.tenant,
        add_ons=[],
        packages=[{"slug": "draft", "title": "Draft", "price_cents": 500, "active": False}],
        photos=1,
    )

    response = await client.get(BASE, headers=credential)

    assert response.status_code == 200
    by_slug = {p["slug"]: p for p in response.json()}
    assert set(by_slug) == {"garden", "draft"}
    assert by_slug["draft"]["active"] is False
    assert len(by_slug["draft"]["photos"]) == 1
    garden = by_slug["garden"]
    assert {a["title"] for a in garden["addOns"]} == {"Violinist", "Champagne"}
    assert garden["addOnIds"] == [a["id"] for a in garden["addOns"]]


async def test_create_package_defaults_and_links_add_ons(container, client, alpha, credential):
    violinist = str(alpha.tenant.add_ons["Violinist"].id)

    response = await client.post(
        BASE,
        headers=credential,
        json={
            "title": "Garden Ceremony",
            "description": "Line one\nLine two <b>kept as typed</b>",
            "priceCents": 120_000,
            "addOnIds": [violinist],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "garden-ceremony"
    assert body["active"] is False
    assert body["sortOrder"] == 1
    assert body["description"] == "Line one\nLine two <b>kept as typed</b>"
    assert body["addOnIds"] == [violinist]
    assert (await client.get(f"{BASE}/{body['id']}", headers=credential)).json() == body


async def test_create_with_a_taken_slug_is_409_and_an_automatic_slug_is_made_unique(client, alpha):
    taken = await client.post(
        BASE, headers=alpha.headers, json={"slug": "garden", "title": "X", "priceCents": 100}
    )
    assert taken.status_code == 409
    assert taken.json()["error"] == "PACKAGE_SLUG_TAKEN"

    auto = await client.post(
        BASE, headers=alpha.headers, json={"title": "Garden", "priceCents": 100}
    )
    assert auto.json()["slug"] == "garden-2"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priceCents": 100}, "title"),
        ({"title": "", "priceCents": 100}, "title"),
        ({"title": "   ", "priceCents": 100}, "title"),
        ({"title": "x" * 201, "priceCents": 100}, "title"),
        ({"title": "bad\x00title", "priceCents": 100}, "title"),
        ({"title": "two\nlines", "priceCents": 100}, "title"),
        ({"title": "X"}, "priceCents"),
        ({"title": "X", "priceCents": 0}, "priceCents"),
        ({"title": "X", "priceCents": -5}, "priceCents"),
        ({"title": "X", "priceCents": "100"}, "priceCents"),
        ({"title": "X", "priceCents": 10.5}, "priceCents"),
        ({"title": "X", "priceCents": True}, "priceCents"),
        ({"title": "X", "priceCents": 10**12}, "priceCents"),
        ({"title": "X", "priceCents": 100, "slug": "Bad Slug"}, "slug"),
        ({"title": "X", "priceCents": 100, "slug": "-lead"}, "slug"),
        ({"title": "X", "priceCents": 100, "active": "maybe"}, "active"),
        ({"title": "X", "priceCents": 100, "sortOrder": -1}, "sortOrder"),
        ({"title": "X", "priceCents": 100, "addOnIds": ["not-a-uuid"]}, "addOnIds.0"),
        ({"title": "X", "priceCents": 100, "unknownField": 1}, "unknownField"),
    ],
)
async def test_invalid_package_bodies_are_422_naming_the_field(
    container, client, alpha, body, field
):
    response = await client.post(BASE, headers=alpha.headers, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in response.json()["details"]]
    async with container.db.sessionmaker() as session:
        assert len((await session.execute(select(Package))).scalars().all()) == 1


async def test_add_on_of_an_unknown_id_is_422(client, alpha):
    response = await client.post(
        BASE,
        headers=alpha.headers,
        json={
            "title": "X",
            "priceCents": 100,
            "addOnIds": ["7b0e7a4e-0000-4000-8000-000000000000"],
        },
    )

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "addOnIds"


async def test_publishing_shows_the_package_in_the_widget_at_once(client, alpha, credential):
    created = await client.post(
        BASE, headers=credential, json={"title": "Elopement", "priceCents": 50_000}
    )
    assert await _public_slugs(client, alpha) == ["garden"]  # also warms the cache

    published = await client.patch(
        f"{BASE}/{created.json()['id']}", headers=credential, json={"active": True}
    )

    assert published.status_code == 200
    assert published.json()["active"] is True
    assert await _public_slugs(client, alpha) == ["garden", "elopement"]
    unpublished = await client.patch(
        f"{BASE}/{created.json()['id']}", headers=credential, json={"active": False}
    )
    assert unpublished.status_code == 200
    assert await _public_slugs(client, alpha) == ["garden"]


async def test_patch_changes_only_the_fields_sent_and_replaces_add_ons(client, alpha):
    garden = alpha.tenant.packages["garden"]
    champagne = str(alpha.tenant.add_ons["Champagne"].id)

    response = await client.patch(
        f"{BASE}/{garden.id}",
        headers=alpha.headers,
        json={"priceCents": 360_000, "addOnIds": [champagne], "slug": "garden-party"},
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["priceCents"], body["slug"], body["title"]) == (
        360_000,
        "garden-party",
        "Garden Ceremony",
    )
    assert body["addOnIds"] == [champagne]
    public = await client.get("/v1/packages/garden-party", headers=alpha.tenant.headers)
    assert public.json()["priceCents"] == 360_000

    both = [str(alpha.tenant.add_ons["Violinist"].id), champagne]
    for order in (both, both[::-1]):  # the same links in a new order
        reordered = await client.patch(
            f"{BASE}/{garden.id}", headers=alpha.headers, json={"addOnIds": order}
        )
        assert reordered.json()["addOnIds"] == order


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"title": None}, 422),
        ({"priceCents": None}, 422),
        ({"priceCents": 0}, 422),
        ({"active": None}, 422),
        ({"slug": "UPPER"}, 422),
        ({"addOnIds": ["7b0e7a4e-0000-4000-8000-000000000000"]}, 422),
    ],
)
async def test_invalid_patches_change_nothing(client, alpha, body, status):
    garden = alpha.tenant.packages["garden"]
    before = (await client.get(f"{BASE}/{garden.id}", headers=alpha.headers)).json()

    response = await client.patch(f"{BASE}/{garden.id}", headers=alpha.headers, json=body)

    assert response.status_code == status
    assert (await client.get(f"{BASE}/{garden.id}", headers=alpha.headers)).json() == before


async def test_patch_to_a_taken_slug_is_409(client, alpha):
    other = await client.post(BASE, headers=alpha.headers, json={"title": "Other", "priceCents": 1})

    response = await client.patch(
        f"{BASE}/{other.json()['id']}", headers=alpha.headers, json={"slug": "garden"}
    )

    assert response.status_code == 409


async def test_delete_without_bookings_removes_the_package_and_its_photo_files(
    container, client, alpha, data_dir
):
    world = await add_catalog(
        container,
        alpha.tenant,
        add_ons=[],
        packages=[{"slug": "gone", "title": "Gone", "price_cents": 100, "active": True}],
        photos=2,
    )
    package = world.packages["gone"]
    files_before = list((data_dir / "uploads").rglob(f"*{package.id}*"))
    assert len(list((data_dir / "uploads" / "tenants").rglob("*.jpg"))) == 4

    response = await client.delete(f"{BASE}/{package.id}", headers=alpha.headers)

    assert response.status_code == 204
    assert (await client.get(f"{BASE}/{package.id}", headers=alpha.headers)).status_code == 404
    assert await _public_slugs(client, alpha) == ["garden"]
    assert files_before  # the package's directory existed
    assert not list((data_dir / "uploads" / "tenants").rglob("*.jpg"))
    async with container.db.sessionmaker() as session:
        assert await session.get(Package, package.id) is None
    assert (await client.delete(f"{BASE}/{package.id}", headers=alpha.headers)).status_code == 404


async def test_delete_of_a_booked_package_archives_it_and_frees_its_slug(
    container, client, alpha, data_dir
):
    garden = alpha.tenant.packages["garden"]
    booking_id = await add_booking(container, alpha.tenant)
    photo = await client.post(
        f"{BASE}/{garden.id}/photos",
        headers=alpha.headers,
        files={"file": ("p.png", image_bytes("PNG"), "image/png")},
    )
    assert photo.status_code == 201

    response = await client.delete(f"{BASE}/{garden.id}", headers=alpha.headers)

    assert response.status_code == 204
    assert (await client.get(BASE, headers=alpha.headers)).json() == []
    assert await _public_slugs(client, alpha) == []
    async with container.db.sessionmaker() as session:
        archived = await session.get(Package, garden.id)
        assert archived.archived_at is not None
        assert archived.active is False
    assert not list((data_dir / "uploads").rglob("*.jpg"))  # an archived package shows nothing
    booking = await client.get(f"/v1/tenant-admin/bookings/{booking_id}", headers=alpha.headers)
    assert booking.json()["package"] == {"id": str(garden.id), "title": "Garden Ceremony"}
    again = await client.post(
        BASE, headers=alpha.headers, json={"slug": "garden", "title": "New", "priceCents": 9}
    )
    assert again.status_code == 201


async def test_reorder_sets_the_display_order_everywhere(container, client, alpha, credential):
    await add_catalog(
        container,
        alpha.tenant,
        add_ons=[],
        packages=[
            {"slug": "b", "title": "B", "price_cents": 1, "active": True},
            {"slug": "c", "title": "C", "price_cents": 1, "active": True},
        ],
    )
    ids = {p["slug"]: p["id"] for p in (await client.get(BASE, headers=credential)).json()}
    order = [ids["c"], ids["garden"], ids["b"]]

    response = await client.post(f"{BASE}/reorder", headers=credential, json={"ids": order})

    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == order
    assert [p["sortOrder"] for p in response.json()] == [0, 1, 2]
    assert await _public_slugs(client, alpha) == ["c", "garden", "b"]


@pytest.mark.parametrize("mistake", ["missing", "duplicate", "unknown", "not-a-list"])
async def test_reorder_must_name_every_package_exactly_once(client, alpha, mistake):
    garden = str(alpha.tenant.packages["garden"].id)
    other = (
        await client.post(BASE, headers=alpha.headers, json={"title": "O", "priceCents": 1})
    ).json()["id"]
    ids = {
        "missing": [garden],
        "duplicate": [garden, other, garden],
        "unknown": [garden, other, "7b0e7a4e-0000-4000-8000-000000000000"],
        "not-a-list": "nope",
    }[mistake]

    response = await client.post(f"{BASE}/reorder", headers=alpha.headers, json={"ids": ids})

    assert response.status_code == 422
    assert response.json()["details"]


async def test_every_package_write_is_audited_with_the_actor(container, client, alpha):
    created = await client.post(
        BASE, headers=alpha.key_headers, json={"title": "Audited", "priceCents": 100}
    )
    package_id = created.json()["id"]
    await client.patch(f"{BASE}/{package_id}", headers=alpha.headers, json={"priceCents": 200})
    await client.delete(f"{BASE}/{package_id}", headers=alpha.headers)

    async with container.db.sessionmaker() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.entity_id == package_id)
                    .order_by(AuditEntry.created_at)
                )
            )
            .scalars()
            .all()
        )
    assert [e.action for e in entries] == ["package.created", "package.updated", "package.deleted"]
    assert entries[0].actor_role == "api_key"
    assert entries[0].actor_label.startswith("secret key sk_live_alpha-events_")
    assert entries[1].actor_role == "tenant_admin"
    assert entries[1].actor_label == alpha.tenant.email
    assert entries[1].before["priceCents"] == 100
    assert entries[1].after["priceCents"] == 200
    assert all(e.tenant_id == alpha.tenant.id and e.request_id for e in entries)
