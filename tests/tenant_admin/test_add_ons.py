"""Add-ons through /v1/tenant-admin/add-ons: CRUD, archive when booked, links to packages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mais.models import AddOn, PackageAddOn
from tests.factories.admin import add_booking

BASE = "/v1/tenant-admin/add-ons"


async def test_list_and_create_add_ons(client, alpha, credential):
    created = await client.post(
        BASE,
        headers=credential,
        json={"title": "Sparklers", "description": "Long-burn", "priceCents": 0, "active": False},
    )

    assert created.status_code == 201
    body = created.json()
    assert (body["title"], body["priceCents"], body["active"]) == ("Sparklers", 0, False)
    listed = await client.get(BASE, headers=credential)
    assert [a["title"] for a in listed.json()] == ["Champagne", "Sparklers", "Violinist"]
    assert (await client.get(f"{BASE}/{body['id']}", headers=credential)).json() == body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priceCents": 100}, "title"),
        ({"title": "X"}, "priceCents"),
        ({"title": "X", "priceCents": -1}, "priceCents"),
        ({"title": "X", "priceCents": "5"}, "priceCents"),
        ({"title": "X", "priceCents": 1, "description": "x" * 5001}, "description"),
        ({"title": "X", "priceCents": 1, "description": "bell\x07"}, "description"),
    ],
)
async def test_invalid_add_on_bodies_are_422(client, alpha, body, field):
    response = await client.post(BASE, headers=alpha.headers, json=body)

    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["details"]]


async def test_patch_updates_and_the_widget_follows(client, alpha, credential):
    violinist = alpha.tenant.add_ons["Violinist"]

    response = await client.patch(
        f"{BASE}/{violinist.id}", headers=credential, json={"priceCents": 30_000, "active": False}
    )

    assert response.status_code == 200
    assert (response.json()["priceCents"], response.json()["active"]) == (30_000, False)
    public = await client.get("/v1/packages/garden", headers=alpha.tenant.headers)
    assert [a["title"] for a in public.json()["addOns"]] == ["Champagne"]
    bad = await client.patch(f"{BASE}/{violinist.id}", headers=credential, json={"title": None})
    assert bad.status_code == 422


async def test_delete_unbooked_add_on_removes_it_and_its_links(container, client, alpha):
    champagne = alpha.tenant.add_ons["Champagne"]

    response = await client.delete(f"{BASE}/{champagne.id}", headers=alpha.headers)

    assert response.status_code == 204
    assert (await client.get(f"{BASE}/{champagne.id}", headers=alpha.headers)).status_code == 404
    async with container.db.sessionmaker() as session:
        assert await session.get(AddOn, champagne.id) is None
        links = (await session.execute(select(PackageAddOn))).scalars().all()
    assert [link.add_on_id for link in links] == [alpha.tenant.add_ons["Violinist"].id]


async def test_delete_booked_add_on_archives_it_and_unlinks_it(container, client, alpha):
    violinist = alpha.tenant.add_ons["Violinist"]
    booking_id = await add_booking(container, alpha.tenant, add_on_titles=("Violinist",))

    response = await client.delete(f"{BASE}/{violinist.id}", headers=alpha.headers)

    assert response.status_code == 204
    assert [a["title"] for a in (await client.get(BASE, headers=alpha.headers)).json()] == [
        "Champagne"
    ]
    package = await client.get(
        f"/v1/tenant-admin/packages/{alpha.tenant.packages['garden'].id}", headers=alpha.headers
    )
    assert [a["title"] for a in package.json()["addOns"]] == ["Champagne"]
    async with container.db.sessionmaker() as session:
        assert (await session.get(AddOn, violinist.id)).archived_at is not None
    booking = await client.get(f"/v1/tenant-admin/bookings/{booking_id}", headers=alpha.headers)
    assert [a["title"] for a in booking.json()["addOns"]] == ["Violinist"]
    relink = await client.patch(
        f"/v1/tenant-admin/packages/{alpha.tenant.packages['garden'].id}",
        headers=alpha.headers,
        json={"addOnIds": [str(violinist.id)]},
    )
    assert relink.status_code == 422
