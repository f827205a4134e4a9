"""The package form when real payments cannot go ahead: the customer is told in plain
words, with the support address, and no date stays held."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from mais.models import Booking
from tests.factories.world import REAL_ADAPTERS, add_catalog, days_ahead, make_tenant


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(REAL_ADAPTERS)  # Stripe at a closed port


def form(world: Any, container: Any) -> dict[str, str]:
    return {
        "event_date": days_ahead(container, 30).isoformat(),
        "couple_name": "Ada & Grace",
        "email": "ada@example.com",
        "intent": "pay",
    }


async def test_a_tenant_without_stripe_onboarding_is_explained(container, client):
    world = await add_catalog(container, await make_tenant(container))

    response = await client.post(f"/t/{world.slug}/packages/garden", data=form(world, container))

    assert response.status_code == 409
    assert "cannot take online payments yet" in response.text
    assert "support@maconaisolutions.com" in response.text


async def test_an_unreachable_payment_provider_is_explained_and_the_date_stays_free(
    container, client
):
    world = await add_catalog(
        container,
        await make_tenant(
            container, stripe_account_id="acct_test_123", stripe_charges_enabled=True
        ),
    )

    response = await client.post(f"/t/{world.slug}/packages/garden", data=form(world, container))

    assert response.status_code == 503
    assert "We could not reach the payment service" in response.text
    assert "nothing was charged" in response.text
    async with container.db.sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(Booking))).scalar_one()
    assert count == 0
