"""Tenant isolation of the tenant-admin API: tenant B's JWT and B's secret key against every
`/v1/tenant-admin/` route, aimed at tenant A's package, add-on, photo, blackout and booking.

Routes are enumerated from the app's OpenAPI document, and every one must have a row in
`CASES`: a route added later without saying how tenant B attacks it fails this suite.
"By id" routes must answer 404 for A's ids; collection routes must act on B only and never
show A's data. After every request, every row that belongs to A must be unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mais.app import create_app
from mais.models import Base, Tenant
from mais.settings import Settings
from tests.factories.admin import add_booking, key_headers, login
from tests.factories.world import TenantWorld, add_catalog, image_bytes, make_tenant

PREFIX = "/v1/tenant-admin"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@dataclass
class Worlds:
    a: TenantWorld
    b: TenantWorld
    a_photo: str
    a_blackout: str
    a_booking: str
    b_package: str
    blackout_day: date

    @property
    def a_package(self) -> str:
        return str(self.a.packages["garden"].id)

    @property
    def a_add_on(self) -> str:
        return str(self.a.add_ons["Violinist"].id)

    def a_markers(self) -> list[str]:
        """Strings that must never appear in anything tenant B is shown."""
        return [
            self.a_package,
            self.a_add_on,
            str(self.a.add_ons["Champagne"].id),
            self.a_photo,
            self.a_blackout,
            self.a_booking,
            str(self.a.id),
            self.a.slug,
            self.a.public_key,
            self.a.email,
        ]


Request = tuple[str, dict[str, Any]]  # (url, keyword arguments for httpx)


@dataclass
class Case:
    """How tenant B calls one route against tenant A."""

    requests: Callable[[Worlds], list[Request]]
    # "by_id": every request must be 404. "collection": B's own data, never A's.
    kind: str = "by_id"
    ok_statuses: set[int] = field(default_factory=lambda: {200, 201, 204})
    last: bool = False  # rotating keys ends B's secret key, so it runs after the others


def png() -> dict[str, Any]:
    return {"files": {"file": ("p.png", image_bytes("PNG", size=(64, 64)), "image/png")}}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/me"): Case(lambda w: [(f"{PREFIX}/me", {})], "collection"),
    ("GET", "/settings"): Case(lambda w: [(f"{PREFIX}/settings", {})], "collection"),
    ("PUT", "/settings"): Case(
        lambda w: [(f"{PREFIX}/settings", {"json": {"maxDaysAhead": 99}})], "collection"
    ),
    ("GET", "/api-keys"): Case(lambda w: [(f"{PREFIX}/api-keys", {})], "collection"),
    ("POST", "/api-keys/rotate"): Case(
        lambda w: [(f"{PREFIX}/api-keys/rotate", {})], "collection", last=True
    ),
    ("GET", "/packages"): Case(lambda w: [(f"{PREFIX}/packages", {})], "collection"),
    ("POST", "/packages"): Case(
        lambda w: [
            (f"{PREFIX}/packages", {"json": {"title": "B's", "priceCents": 1}}),
            # A's add-on offered with B's package: unknown to B.
            (
                f"{PREFIX}/packages",
                {"json": {"title": "B2", "priceCents": 1, "addOnIds": [w.a_add_on]}},
            ),
        ],
        "collection",
        ok_statuses={201, 422},
    ),
    ("POST", "/packages/reorder"): Case(
        lambda w: [(f"{PREFIX}/packages/reorder", {"json": {"ids": [w.a_package, w.b_package]}})],
        "collection",
        ok_statuses={422},
    ),
    ("GET", "/packages/{package_id}"): Case(lambda w: [(f"{PREFIX}/packages/{w.a_package}", {})]),
    ("PATCH", "/packages/{package_id}"): Case(
        lambda w: [(f"{PREFIX}/packages/{w.a_package}", {"json": {"title": "Stolen"}})]
    ),
    ("DELETE", "/packages/{package_id}"): Case(
        lambda w: [(f"{PREFIX}/packages/{w.a_package}", {})]
    ),
    ("POST", "/packages/{package_id}/photos"): Case(
        lambda w: [(f"{PREFIX}/packages/{w.a_package}/photos", png())]
    ),
    ("POST", "/packages/{package_id}/photos/reorder"): Case(
        lambda w: [
            (f"{PREFIX}/packages/{w.a_package}/photos/reorder", {"json": {"ids": [w.a_photo]}}),
        ]
    ),
    ("DELETE", "/packages/{package_id}/photos/{photo_id}"): Case(
        lambda w: [
            (f"{PREFIX}/packages/{w.a_package}/photos/{w.a_photo}", {}),
            # B's own package with A's photo id.
            (f"{PREFIX}/packages/{w.b_package}/photos/{w.a_photo}", {}),
        ]
    ),
    ("GET", "/add-ons"): Case(lambda w: [(f"{PREFIX}/add-ons", {})], "collection"),
    ("POST", "/add-ons"): Case(
        lambda w: [(f"{PREFIX}/add-ons", {"json": {"title": "B's", "priceCents": 0}})],
        "collection",
    ),
    ("GET", "/add-ons/{add_on_id}"): Case(lambda w: [(f"{PREFIX}/add-ons/{w.a_add_on}", {})]),
    ("PATCH", "/add-ons/{add_on_id}"): Case(
        lambda w: [(f"{PREFIX}/add-ons/{w.a_add_on}", {"json": {"priceCents": 1}})]
    ),
    ("DELETE", "/add-ons/{add_on_id}"): Case(lambda w: [(f"{PREFIX}/add-ons/{w.a_add_on}", {})]),
    ("GET", "/blackouts"): Case(lambda w: [(f"{PREFIX}/blackouts", {})], "collection"),
    ("POST", "/blackouts"): Case(
        # The same date A blacked out: B gets its own blackout, A's is untouched.
        lambda w: [(f"{PREFIX}/blackouts", {"json": {"date": w.blackout_day.isoformat()}})],
        "collection",
    ),
    ("DELETE", "/blackouts/{blackout_id}"): Case(
        lambda w: [(f"{PREFIX}/blackouts/{w.a_blackout}", {})]
    ),
    ("GET", "/branding"): Case(lambda w: [(f"{PREFIX}/branding", {})], "collection"),
    ("PUT", "/branding"): Case(
        lambda w: [(f"{PREFIX}/branding", {"json": {"primaryColor": "#000001"}})], "collection"
    ),
    ("POST", "/branding/logo"): Case(lambda w: [(f"{PREFIX}/branding/logo", png())], "collection"),
    ("POST", "/stripe/connect"): Case(
        # LINK(payments): 501 until the payment adapter is merged; then B's own link.
        lambda w: [(f"{PREFIX}/stripe/connect", {})],
        "collection",
        ok_statuses={200, 501},
    ),
    ("GET", "/stripe/status"): Case(lambda w: [(f"{PREFIX}/stripe/status", {})], "collection"),
    ("GET", "/bookings"): Case(
        lambda w: [
            (f"{PREFIX}/bookings", {}),
            (f"{PREFIX}/bookings", {"params": {"q": "Ada"}}),
        ],
        "collection",
    ),
    ("GET", "/bookings/export.csv"): Case(
        lambda w: [(f"{PREFIX}/bookings/export.csv", {})], "collection"
    ),
    ("GET", "/bookings/{booking_id}"): Case(lambda w: [(f"{PREFIX}/bookings/{w.a_booking}", {})]),
    ("POST", "/bookings/{booking_id}/cancel"): Case(
        lambda w: [(f"{PREFIX}/bookings/{w.a_booking}/cancel", {"json": {}})]
    ),
    ("POST", "/bookings/{booking_id}/refund"): Case(
        lambda w: [(f"{PREFIX}/bookings/{w.a_booking}/refund", {"json": {}})]
    ),
}


def tenant_admin_routes() -> set[tuple[str, str]]:
    """Every (method, path) under /v1/tenant-admin/, from the OpenAPI document (this
    FastAPI keeps included routers nested, so `app.routes` is not a flat list)."""
    app = create_app(Settings(_env_file=None, app_env="test"))
    routes = set()
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith(PREFIX + "/"):
            continue
        for method in operations:
            if method in HTTP_METHODS:
                routes.add((method.upper(), path.removeprefix(PREFIX)))
    return routes


def test_every_tenant_admin_route_has_a_cross_tenant_case():
    routes = tenant_admin_routes()

    missing = sorted(routes - set(CASES))
    stale = sorted(set(CASES) - routes)
    assert not missing, f"routes without a cross-tenant case: {missing}"
    assert not stale, f"cases for routes that no longer exist: {stale}"
    assert len(routes) >= 30


async def tenant_rows(container: Any, tenant_id: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that belongs to the tenant (and the tenant row itself)."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    async with container.db.sessionmaker() as session:
        tenant = await session.execute(select(Tenant.__table__).where(Tenant.id == tenant_id))
        snapshot["tenants"] = [tuple(row) for row in tenant.all()]
        for table in Base.metadata.sorted_tables:
            if "tenant_id" not in table.c:
                continue
            rows = await session.execute(select(table).where(table.c.tenant_id == tenant_id))
            snapshot[table.name] = sorted((tuple(row) for row in rows.all()), key=repr)
    return snapshot


@pytest.fixture
async def worlds(container, client) -> Worlds:
    a = await add_catalog(container, await make_tenant(container, "alpha-events"), photos=1)
    b = await add_catalog(
        container,
        await make_tenant(container, "beta-events"),
        add_ons=[],
        packages=[{"slug": "b-own", "title": "B Own", "price_cents": 9, "active": True}],
    )
    a_headers = await login(client, a.email)
    package = await client.get(f"{PREFIX}/packages/{a.packages['garden'].id}", headers=a_headers)
    day = date.today() + timedelta(days=40)
    blackout = await client.post(
        f"{PREFIX}/blackouts", headers=a_headers, json={"date": day.isoformat()}
    )
    booking = await add_booking(container, a, couple_name="Ada & Alan")
    return Worlds(
        a=a,
        b=b,
        a_photo=package.json()["photos"][0]["id"],
        a_blackout=blackout.json()["created"][0]["id"],
        a_booking=str(booking),
        b_package=str(b.packages["b-own"].id),
        blackout_day=day,
    )


@pytest.mark.parametrize("credential", ["jwt", "secret-key"])
async def test_tenant_b_cannot_see_or_change_tenant_a_through_any_route(
    container, client, worlds, credential
):
    b_headers = (
        await login(client, worlds.b.email) if credential == "jwt" else key_headers(worlds.b)
    )
    before = await tenant_rows(container, worlds.a.id)
    ordered = sorted(CASES.items(), key=lambda item: item[1].last)

    for (method, _path), case in ordered:
        for url, kwargs in case.requests(worlds):
            response = await client.request(method, url, headers=b_headers, **kwargs)
            where = f"{method} {url} ({credential})"
            if case.kind == "by_id":
                assert response.status_code == 404, f"{where}: {response.status_code}"
                assert response.json()["error"] == "NOT_FOUND", where
            else:
                assert response.status_code in case.ok_statuses, f"{where}: {response.text}"
            body, sent = response.text, f"{url} {kwargs}"
            for marker in worlds.a_markers():
                # An error may echo what B itself sent; anything else of A's is a leak.
                if marker not in sent:
                    assert marker not in body, f"{where} shows tenant A's {marker}"
            assert await tenant_rows(container, worlds.a.id) == before, f"{where} changed A"

    # A still works as before, with its own keys.
    a_headers = await login(client, worlds.a.email)
    package = await client.get(f"{PREFIX}/packages/{worlds.a_package}", headers=a_headers)
    assert package.status_code == 200
    assert package.json()["title"] == "Garden Ceremony"
    assert (await client.get("/v1/packages", headers=worlds.a.headers)).status_code == 200


async def test_b_sees_its_own_copy_of_a_date_a_blacked_out(container, client, worlds):
    b_headers = key_headers(worlds.b)

    created = await client.post(
        f"{PREFIX}/blackouts", headers=b_headers, json={"date": worlds.blackout_day.isoformat()}
    )

    assert created.status_code == 201
    listed = await client.get(f"{PREFIX}/blackouts", headers=b_headers)
    assert [b["id"] for b in listed.json()] == [created.json()["created"][0]["id"]]
