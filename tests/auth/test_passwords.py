"""Password change, password reset by e-mail, and invitations (which are reset links)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mais.adapters.email.outbox import StoredMessage, parse_stored
from mais.auth.sessions import SessionService
from mais.jobs.worker import JobWorker
from mais.models import PasswordResetToken, utcnow
from tests.factories.admin import login, platform_headers
from tests.factories.world import PASSWORD, make_tenant

NEW_PASSWORD = "  a new passphrase, spaces kept  "
ME = "/v1/tenant-admin/me"


@dataclass
class Outbox:
    """What mock mode's e-mail adapter wrote to the outbox directory, oldest first."""

    directory: Path

    @property
    def sent(self) -> list[StoredMessage]:
        return [parse_stored(p.stem, p.read_bytes()) for p in sorted(self.directory.glob("*.eml"))]


@pytest.fixture
def outbox(container) -> Outbox:
    assert container.email.backend == "outbox"
    return Outbox(container.settings.outbox_dir)


def _token_in(text: str) -> str:
    match = re.search(r"reset-password\?token=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def _user_session(container, email):
    from mais.auth.repository import UserRepository

    async with container.db.transaction() as session:
        user = await UserRepository(session).get_by_email(email)
        return await SessionService(session).create(user)


# --- change -------------------------------------------------------------------------------


async def test_password_change_revokes_other_tokens_and_sessions_and_returns_a_fresh_token(
    container, client
):
    tenant = await make_tenant(container)
    first = await login(client, tenant.email)
    second = await login(client, tenant.email)
    dashboard = await _user_session(container, tenant.email)

    response = await client.post(
        "/v1/auth/password",
        headers=first,
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )

    assert response.status_code == 200
    fresh = {"Authorization": f"Bearer {response.json()['token']}"}
    assert (await client.get(ME, headers=fresh)).status_code == 200
    for old in (first, second):
        revoked = await client.get(ME, headers=old)
        assert revoked.status_code == 401
        assert revoked.json()["error"] == "TOKEN_REVOKED"
    async with container.db.sessionmaker() as session:
        assert await SessionService(session).validate(dashboard.token) is None
    assert (
        await client.post("/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
    ).status_code == 401
    await login(client, tenant.email, NEW_PASSWORD)
    stripped = await client.post(
        "/v1/auth/login", json={"email": tenant.email, "password": NEW_PASSWORD.strip()}
    )
    assert stripped.status_code == 401


async def test_password_change_needs_the_current_password(container, client):
    tenant = await make_tenant(container)
    headers = await login(client, tenant.email)

    response = await client.post(
        "/v1/auth/password",
        headers=headers,
        json={"currentPassword": "not it", "newPassword": NEW_PASSWORD},
    )

    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_CREDENTIALS"
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_too_short_new_password_is_422_and_changes_nothing(container, client):
    tenant = await make_tenant(container)
    headers = await login(client, tenant.email)

    response = await client.post(
        "/v1/auth/password",
        headers=headers,
        json={"currentPassword": PASSWORD, "newPassword": "short"},
    )

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "newPassword"
    await login(client, tenant.email)


async def test_password_change_with_a_secret_key_is_refused(container, client):
    tenant = await make_tenant(container)

    response = await client.post(
        "/v1/auth/password",
        headers={"Authorization": f"Bearer {tenant.secret_key}"},
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )

    assert response.status_code == 403


async def test_platform_admin_can_change_password_too(container, client):
    headers = await platform_headers(container, client)
    from tests.factories.admin import PLATFORM_EMAIL, PLATFORM_PASSWORD

    response = await client.post(
        "/v1/auth/password",
        headers=headers,
        json={"currentPassword": PLATFORM_PASSWORD, "newPassword": NEW_PASSWORD},
    )

    assert response.status_code == 200
    await login(client, PLATFORM_EMAIL, NEW_PASSWORD)


# --- reset --------------------------------------------------------------------------------


async def test_reset_request_answers_the_same_for_known_and_unknown_addresses(
    container, client, outbox
):
    tenant = await make_tenant(container)

    known = await client.post("/v1/auth/password-reset/request", json={"email": tenant.email})
    unknown = await client.post(
        "/v1/auth/password-reset/request", json={"email": "nobody@example.com"}
    )

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    await JobWorker(container).drain()
    assert [message.to for message in outbox.sent] == [tenant.email]


async def test_reset_link_sets_the_password_once_and_logs_out_everywhere(container, client, outbox):
    tenant = await make_tenant(container)
    old_token = await login(client, tenant.email)
    await client.post("/v1/auth/password-reset/request", json={"email": tenant.email})
    await JobWorker(container).drain()

    message = outbox.sent[0]
    assert "http://testserver/tenant/reset-password?token=" in message.text
    assert "reset-password?token=" in message.html
    token = _token_in(message.text)
    async with container.db.sessionmaker() as session:
        stored = (await session.execute(select(PasswordResetToken.token_hash))).scalars().all()
    assert token not in stored  # only the hash is stored

    confirmed = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204
    await login(client, tenant.email, NEW_PASSWORD)
    assert (await client.get(ME, headers=old_token)).status_code == 401

    again = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": "another one!!"}
    )
    assert again.status_code == 400
    assert again.json()["error"] == "INVALID_RESET_TOKEN"
    await login(client, tenant.email, NEW_PASSWORD)


async def test_expired_or_unknown_reset_token_is_refused(container, client, outbox):
    tenant = await make_tenant(container)
    await client.post("/v1/auth/password-reset/request", json={"email": tenant.email})
    await JobWorker(container).drain()
    token = _token_in(outbox.sent[0].text)
    async with container.db.transaction() as session:
        await session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    for candidate in (token, "made-up-token"):
        response = await client.post(
            "/v1/auth/password-reset/confirm", json={"token": candidate, "password": NEW_PASSWORD}
        )
        assert response.status_code == 400
        assert response.json()["error"] == "INVALID_RESET_TOKEN"
    await login(client, tenant.email)


async def test_weak_password_on_reset_is_422_and_keeps_the_token_usable(container, client, outbox):
    tenant = await make_tenant(container)
    await client.post("/v1/auth/password-reset/request", json={"email": tenant.email})
    await JobWorker(container).drain()
    token = _token_in(outbox.sent[0].text)

    weak = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert weak.status_code == 422
    good = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert good.status_code == 204


async def test_repeated_reset_requests_for_one_address_send_one_email(container, client, outbox):
    tenant = await make_tenant(container)
    for _ in range(3):
        response = await client.post(
            "/v1/auth/password-reset/request", json={"email": tenant.email}
        )
        assert response.status_code == 202
    await JobWorker(container).drain()

    assert len(outbox.sent) == 1


async def test_reset_requests_are_rate_limited_per_ip(container, client):
    statuses = [
        (
            await client.post(
                "/v1/auth/password-reset/request", json={"email": f"user{n}@example.com"}
            )
        ).status_code
        for n in range(6)
    ]

    assert statuses == [202] * 5 + [429]


# --- invitations ----------------------------------------------------------------------------


async def test_tenant_created_without_password_gets_an_invitation_that_sets_it(
    container, client, outbox
):
    admin = await platform_headers(container, client)

    created = await client.post(
        "/v1/admin/tenants",
        headers=admin,
        json={"slug": "invited-co", "name": "Invited Co", "email": "Owner@Invited.example"},
    )
    assert created.status_code == 201
    await JobWorker(container).drain()

    [message] = outbox.sent
    assert message.to == "Owner@Invited.example"
    assert "Invited Co" in message.subject
    token = _token_in(message.text)
    refused = await client.post(
        "/v1/auth/login", json={"email": "owner@invited.example", "password": NEW_PASSWORD}
    )
    assert refused.status_code == 401
    set_password = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert set_password.status_code == 204
    headers = await login(client, "owner@invited.example", NEW_PASSWORD)
    me = await client.get(ME, headers=headers)
    assert me.json()["tenant"]["slug"] == "invited-co"
