"""Tenant isolation matrix, generated from the app's router: every `/v1` route is either
tenant-scoped public API (attacked here with tenant B's public and secret keys on tenant
A's ids), tenant-admin API (attacked with B's JWT and secret key in
`tests/tenant_admin/test_cross_tenant.py`, whose `CASES` must cover every such route),
platform-admin API (every tenant credential is refused), or not tenant-scoped at all
(listed, with the reason). A route added later fails `test_every_v1_route_is_classified`
until it says which it is. After every attack, every row of tenant A is unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.factories.admin import login
from tests.factories.routes import app_routes
from tests.factories.world import (
    HeldBooking,
    TenantWorld,
    add_catalog,
    days_ahead,
    hold_booking,
    make_tenant,
    pay_checkout,
)
from tests.tenant_admin.test_cross_tenant import CASES as TENANT_ADMIN_CASES
from tests.tenant_admin.test_cross_tenant import PREFIX as TENANT_ADMIN_PREFIX
from tests.tenant_admin.test_cross_tenant import tenant_rows

# Routes that hold no tenant's data, and why.
NOT_TENANT_SCOPED = {
    ("POST", "/v1/auth/login"): "credentials in, a token for the user's own tenant out",
    ("POST", "/v1/auth/password"): "the caller's own password",
    ("POST", "/v1/auth/password-reset/request"): "always 202, reveals nothing",
    ("POST", "/v1/auth/password-reset/confirm"): "a single-use token names the user",
    ("POST", "/v1/webhooks/stripe"): "Stripe-signed; bookings found by our stored session id",
    ("POST", "/v1/csp-violations"): "browser reports, logged only",
}


@dataclass
class Isolation:
    a: TenantWorld
    b: TenantWorld
    a_booking: HeldBooking
    a_booked_day: Any

    def a_markers(self) -> list[str]:
        return [
            str(self.a.id),
            self.a.slug,
            self.a.public_key,
            str(self.a.packages["a-only"].id),
            str(self.a.add_ons["A Violinist"].id),
            str(self.a_booking.id),
            self.a_booking.session_id,
            "A Secret Package",
            "Alpha-Co Events",
        ]


Request = tuple[str, str, dict[str, Any]]  # method, url, httpx keyword arguments


@dataclass
class PublicCase:
    requests: Callable[[Isolation], list[Request]]
    # "not_found": 404 for A's ids. "own": B's own data (never A's), status in `ok`.
    kind: str = "not_found"
    ok: set[int] = field(default_factory=lambda: {200})


def _checkout(package: str, add_ons: list[str], day: Any) -> dict[str, Any]:
    return {
        "json": {
            "packageId": package,
            "eventDate": day.isoformat(),
            "coupleName": "Mallory",
            "email": "mallory@example.com",
            "addOnIds": add_ons,
        }
    }


PUBLIC_CASES: dict[tuple[str, str], PublicCase] = {
    ("GET", "/v1/packages"): PublicCase(lambda w: [("GET", "/v1/packages", {})], "own"),
    ("GET", "/v1/packages/{slug}"): PublicCase(
        lambda w: [
            ("GET", "/v1/packages/a-only", {}),
            ("GET", f"/v1/packages/{w.a.packages['a-only'].id}", {}),
        ]
    ),
    ("GET", "/v1/tenant/branding"): PublicCase(
        lambda w: [("GET", "/v1/tenant/branding", {})], "own"
    ),
    ("GET", "/v1/availability"): PublicCase(
        # A's booked date is free for B: A's booking does not exist for B.
        lambda w: [("GET", "/v1/availability", {"params": {"date": w.a_booked_day.isoformat()}})],
        "own",
    ),
    ("GET", "/v1/availability/unavailable"): PublicCase(
        lambda w: [
            (
                "GET",
                "/v1/availability/unavailable",
                {
                    "params": {
                        "startDate": w.a_booked_day.isoformat(),
                        "endDate": w.a_booked_day.isoformat(),
                    }
                },
            )
        ],
        "own",
    ),
    ("POST", "/v1/bookings/checkout"): PublicCase(
        lambda w: [
            # A's package (by id and by slug), and B's package with A's add-on.
            (
                "POST",
                "/v1/bookings/checkout",
                _checkout(str(w.a.packages["a-only"].id), [], w.a_booked_day),
            ),
            ("POST", "/v1/bookings/checkout", _checkout("a-only", [], w.a_booked_day)),
            (
                "POST",
                "/v1/bookings/checkout",
                _checkout("b-own", [str(w.a.add_ons["A Violinist"].id)], w.a_booked_day),
            ),
        ],
        "own",
        ok={422},
    ),
    ("GET", "/v1/bookings/by-session/{session_id}"): PublicCase(
        lambda w: [("GET", f"/v1/bookings/by-session/{w.a_booking.session_id}", {})]
    ),
    ("GET", "/v1/bookings/{booking_id}"): PublicCase(
        lambda w: [
            (
                "GET",
                f"/v1/bookings/{w.a_booking.id}",
                {"params": {"token": w.a_booking.access_token}},
            )
        ]
    ),
}

# Pages addressed by slug: tenant B's pages with tenant A's things.
PAGE_REQUESTS: list[Callable[[Isolation], str]] = [
    lambda w: f"/t/{w.b.slug}/packages/a-only",
    lambda w: f"/widget/packages/a-only?tenant={w.b.slug}",
    lambda w: f"/bookings/{w.a_booking.id}/calendar.ics?tenant={w.b.slug}&session_id=x",
]


def v1_routes() -> list[tuple[str, str]]:
    return [(m, p) for m, p in app_routes() if p.startswith("/v1/")]


def test_every_v1_route_is_classified():
    tenant_admin = {(m, TENANT_ADMIN_PREFIX + p) for m, p in TENANT_ADMIN_CASES}
    unclassified = []
    for route in v1_routes():
        _method, path = route
        classes = [
            route in PUBLIC_CASES,
            route in tenant_admin,
            path.startswith("/v1/admin/"),
            route in NOT_TENANT_SCOPED,
        ]
        if sum(classes) != 1:
            unclassified.append(route)
    assert unclassified == [], f"say how each route is isolated: {unclassified}"
    assert set(PUBLIC_CASES) <= set(v1_routes()), "cases for routes that no longer exist"
    assert set(NOT_TENANT_SCOPED) <= set(v1_routes())


@pytest.fixture
async def isolation(container) -> Isolation:
    a = await add_catalog(
        container,
        await make_tenant(container, "alpha-co"),
        add_ons=[{"title": "A Violinist", "price_cents": 100}],
        packages=[{"slug": "a-only", "title": "A Secret Package", "price_cents": 5000,
                   "active": True, "add_ons": ["A Violinist"]}],
    )  # fmt: skip
    b = await add_catalog(
        container,
        await make_tenant(container, "beta-co"),
        add_ons=[],
        packages=[{"slug": "b-own", "title": "B Own", "price_cents": 900, "active": True}],
    )
    day = days_ahead(container, 50)
    held = await hold_booking(container, a, day, package="a-only")
    await pay_checkout(container, held)
    return Isolation(a=a, b=b, a_booking=held, a_booked_day=day)


@pytest.mark.parametrize("credential", ["public-key", "secret-key"])
async def test_tenant_b_keys_never_reach_tenant_a_through_the_public_api(
    container, client, isolation, credential
):
    w = isolation
    key = w.b.public_key if credential == "public-key" else w.b.secret_key
    before = await tenant_rows(container, w.a.id)

    for (_m, _p), case in PUBLIC_CASES.items():
        for method, url, kwargs in case.requests(w):
            response = await client.request(method, url, headers={"X-Tenant-Key": key}, **kwargs)
            where = f"{method} {url} ({credential})"
            if credential == "secret-key":  # never accepted by the public API at all
                assert response.status_code == 401, f"{where}: {response.status_code}"
                assert response.json()["error"] == "INVALID_TENANT_KEY", where
            elif case.kind == "not_found":
                assert response.status_code == 404, f"{where}: {response.status_code}"
            else:
                assert response.status_code in case.ok, f"{where}: {response.text}"
            sent = f"{url} {kwargs}"
            for marker in w.a_markers():
                if marker not in sent:
                    assert marker not in response.text, f"{where} shows tenant A's {marker}"
            if url == "/v1/availability" and credential == "public-key":
                assert response.json()["available"] is True, where
            if url == "/v1/availability/unavailable" and credential == "public-key":
                assert response.json()["dates"] == [], where
            assert await tenant_rows(container, w.a.id) == before, f"{where} changed A"

    # A's own key still sees all of it.
    mine = await client.get(
        f"/v1/bookings/by-session/{w.a_booking.session_id}", headers=w.a.headers
    )
    assert mine.status_code == 200


async def test_tenant_b_pages_do_not_show_tenant_a(client, isolation):
    for build in PAGE_REQUESTS:
        url = build(isolation)
        response = await client.get(url)
        assert response.status_code == 404, f"{url}: {response.status_code}"
        for marker in isolation.a_markers():
            if marker not in url:
                assert marker not in response.text, f"{url} shows {marker}"


async def test_no_tenant_credential_opens_the_platform_admin_api(container, client, isolation):
    w = isolation
    jwt = await login(client, w.a.email)
    credentials = {
        "tenant admin JWT": jwt,
        "secret key": {"Authorization": f"Bearer {w.a.secret_key}"},
        "public key as bearer": {"Authorization": f"Bearer {w.a.public_key}"},
        "public key header": w.a.headers,
    }
    admin_routes = [(m, p) for m, p in v1_routes() if p.startswith("/v1/admin/")]
    assert len(admin_routes) >= 10
    before = await tenant_rows(container, w.a.id)
    for method, path in admin_routes:
        url = path.replace("{tenant_id}", str(w.a.id)).replace("{booking_id}", str(w.a_booking.id))
        url = "/".join(str(uuid.uuid4()) if p.startswith("{") else p for p in url.split("/"))
        for name, headers in credentials.items():
            kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
            response = await client.request(method, url, headers=headers, **kwargs)
            where = f"{method} {url} with {name}"
            assert response.status_code in (401, 403), f"{where}: {response.status_code}"
            assert w.a.email not in response.text, where
    assert await tenant_rows(container, w.a.id) == before
