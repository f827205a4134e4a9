"""SUPPORT_EMAIL reaches every place a customer or tenant looks for help: the widget's
error pages, the help pages, booking e-mails and password e-mails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mais.auth.emails import password_email
from mais.auth.service import IssuedResetToken, PasswordPurpose
from mais.jobs.worker import JobWorker
from mais.models import Role, User
from tests.factories.world import add_catalog, confirmed_booking, days_ahead, make_tenant

SUPPORT = "help@venue-support.example"
BROWSER = {"Accept": "text/html"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"support_email": SUPPORT}


async def test_the_widget_error_page_and_the_help_pages_name_the_configured_address(
    client: httpx.AsyncClient,
):
    unknown = await client.get("/widget?tenant=no-such-venue", headers=BROWSER)
    assert unknown.status_code == 404
    assert f'mailto:{SUPPORT}"' in unknown.text
    for page in ("/help", "/help/troubleshooting"):
        assert f'mailto:{SUPPORT}"' in (await client.get(page)).text


async def test_booking_emails_name_the_configured_address(container):
    world = await add_catalog(container, await make_tenant(container))
    await confirmed_booking(container, world, days_ahead(container, 30))

    await JobWorker(container).drain()

    entries = await container.email.list_messages()
    assert len(entries) == 2  # the couple and the tenant
    for entry in entries:
        message = await container.email.read(entry.id)
        assert SUPPORT in message.text
        assert f"mailto:{SUPPORT}" in message.html


def test_password_emails_name_the_configured_address(settings):
    issued = IssuedResetToken(
        raw_token="t0k3n",
        user=User(email="owner@venue.example", role=Role.tenant_admin),
        tenant=None,
        purpose=PasswordPurpose.invite,
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    message = password_email(settings, issued)
    assert SUPPORT in message.text
    assert SUPPORT in message.html
