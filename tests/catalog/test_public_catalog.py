"""GET /v1/packages and /v1/packages/{slug} (SPEC §4)."""

from __future__ import annotations

from tests.factories.world import add_catalog, make_tenant


async def test_packages_lists_active_packages_in_sort_order_with_active_add_ons(container, client):
    tenant = await make_tenant(container)
    await add_catalog(
        container,
        tenant,
        add_ons=[
            {"title": "Violinist", "price_cents": 25_000},
            {"title": "Retired", "price_cents": 1_000, "active": False},
            {"title": "Free parking", "price_cents": 0},
        ],
        packages=[
            {"slug": "second", "title": "B", "price_cents": 2_000, "active": True, "sort_order": 2},
            {"slug": "hidden", "title": "Draft", "price_cents": 9_000, "active": False},
            {
                "slug": "first",
                "title": "A",
                "price_cents": 1_000,
                "active": True,
                "sort_order": 1,
                "add_ons": ["Retired", "Violinist", "Free parking"],
            },
        ],
        photos=2,
    )

    response = await client.get("/v1/packages", headers=tenant.headers)

    assert response.status_code == 200
    body = response.json()
    assert [p["slug"] for p in body] == ["first", "second"]
    first = body[0]
    expected_fields = {"id", "slug", "title", "description", "priceCents", "photoUrl", "photos"}
    assert set(first) == expected_fields | {"addOns"}
    assert first["priceCents"] == 1_000
    assert [a["title"] for a in first["addOns"]] == ["Violinist", "Free parking"]
    assert first["addOns"][1]["priceCents"] == 0
    assert len(first["photos"]) == 2
    assert first["photoUrl"] == first["photos"][0]["url"]
    assert (first["photos"][0]["width"], first["photos"][0]["height"]) == (640, 480)
    assert body[1]["photoUrl"] is not None


async def test_empty_catalog_is_an_empty_array(container, client):
    tenant = await make_tenant(container)
    response = await client.get("/v1/packages", headers=tenant.headers)
    assert response.status_code == 200
    assert response.json() == []


async def test_package_by_slug_and_unpublished_or_unknown_is_404(container, client):
    tenant = await make_tenant(container)
    await add_catalog(
        container,
        tenant,
        packages=[
            {"slug": "garden", "title": "Garden", "price_cents": 350_000, "active": True},
            {"slug": "draft", "title": "Draft", "price_cents": 1_000, "active": False},
        ],
    )
    ok = await client.get("/v1/packages/garden", headers=tenant.headers)
    assert ok.status_code == 200
    assert ok.json()["title"] == "Garden"

    for slug in ("draft", "nope"):
        missing = await client.get(f"/v1/packages/{slug}", headers=tenant.headers)
        assert missing.status_code == 404
        assert missing.json()["error"] == "NOT_FOUND"


async def test_one_tenants_key_never_shows_another_tenants_packages(container, client):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-events"))
    beta = await make_tenant(container, "beta-events")

    assert (await client.get("/v1/packages", headers=beta.headers)).json() == []
    response = await client.get("/v1/packages/garden", headers=beta.headers)
    assert response.status_code == 404
    assert (await client.get("/v1/packages/garden", headers=alpha.headers)).status_code == 200
