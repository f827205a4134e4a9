"""Admins, logins and bookings (made through the booking service) for the admin tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import httpx

from mais.demo.seed import seed
from mais.models import BookingStatus
from mais.settings import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD
from tests.factories.world import (
    PASSWORD,
    TenantWorld,
    cancel_booking,
    days_ahead,
    hold_booking,
    pay_checkout,
    refund_booking,
)

PLATFORM_EMAIL = DEV_ADMIN_EMAIL
PLATFORM_PASSWORD = DEV_ADMIN_PASSWORD


async def make_platform_admin(container: Any) -> tuple[str, str]:
    """The platform admin that `mais seed` creates (development defaults)."""
    await seed(container, demo=False)
    return PLATFORM_EMAIL, PLATFORM_PASSWORD


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def platform_headers(container: Any, client: httpx.AsyncClient) -> dict[str, str]:
    email, password = await make_platform_admin(container)
    return await login(client, email, password)


def key_headers(world: TenantWorld) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.secret_key}"}


_next_day = itertools.count()


async def add_booking(
    container: Any,
    world: TenantWorld,
    *,
    package_slug: str = "garden",
    event_date: date | None = None,
    status: str = BookingStatus.confirmed,
    couple_name: str = "Ada & Grace",
    email: str | None = None,
    add_on_titles: tuple[str, ...] = (),
    refunded_cents: int = 0,
    notes: str | None = None,
) -> uuid.UUID:
    """A booking made the way the product makes it: a hold through BookingService, paid
    through the signed Stripe webhook (unless `held`), then partly refunded, canceled or
    refunded in full by the tenant as `refunded_cents` and `status` ask."""
    held = await hold_booking(
        container,
        world,
        event_date or days_ahead(container, 60 + next(_next_day) % 600),
        package=package_slug,
        add_ons=add_on_titles,
        email=email,
        couple_name=couple_name,
        notes=notes,
    )
    if status == BookingStatus.held:
        return held.id
    await pay_checkout(container, held)
    if refunded_cents:
        await refund_booking(container, world, held.id, refunded_cents)
    if status == BookingStatus.canceled:
        await cancel_booking(container, world, held.id)
    elif status == BookingStatus.refunded:
        await refund_booking(container, world, held.id)
    elif status != BookingStatus.confirmed:
        raise ValueError(f"add_booking cannot make a {status} booking")
    return held.id
