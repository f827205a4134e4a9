"""Dashboard sessions, their CSRF tokens and the session cookie's attributes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.responses import Response

from mais.auth.dependencies import PlatformAdminPrincipal, TenantAdminPrincipal, dashboard_principal
from mais.auth.repository import UserRepository
from mais.auth.sessions import CookiePolicy, CsrfFailed, SessionService, require_csrf
from mais.core.errors import Forbidden
from mais.models import TenantStatus, UserSession, utcnow
from mais.settings import Settings
from tests.factories.admin import make_platform_admin
from tests.factories.world import make_tenant


async def _user(session, email):
    return await UserRepository(session).get_by_email(email)


async def test_session_token_is_random_stored_hashed_and_validates(container):
    tenant = await make_tenant(container)
    async with container.db.transaction() as session:
        created = await SessionService(session).create(await _user(session, tenant.email))

    async with container.db.sessionmaker() as session:
        stored = (await session.execute(select(UserSession))).scalar_one()
        active = await SessionService(session).validate(created.token)
        principal = await dashboard_principal(active, session)

    assert created.token not in (stored.token_hash, stored.csrf_token)
    assert len(created.token) >= 40
    assert active is not None
    assert active.user.email == tenant.email
    assert active.csrf_token == created.csrf_token
    assert isinstance(principal, TenantAdminPrincipal)
    assert principal.tenant.id == tenant.id


async def test_unknown_expired_and_revoked_sessions_do_not_validate(container):
    tenant = await make_tenant(container)
    async with container.db.transaction() as session:
        user = await _user(session, tenant.email)
        expired = await SessionService(session).create(user, now=utcnow() - timedelta(days=2))
        revoked = await SessionService(session).create(user)
        await SessionService(session).revoke(revoked.token)

    async with container.db.sessionmaker() as session:
        service = SessionService(session)
        for token in (expired.token, revoked.token, "made-up", "", None, "x" * 500):
            assert await service.validate(token) is None


async def test_revoke_all_logs_a_user_out_of_every_session(container):
    tenant = await make_tenant(container)
    async with container.db.transaction() as session:
        user = await _user(session, tenant.email)
        tokens = [(await SessionService(session).create(user)).token for _ in range(3)]
        await SessionService(session).revoke_all(user.id)

    async with container.db.sessionmaker() as session:
        assert [await SessionService(session).validate(t) for t in tokens] == [None] * 3


async def test_suspended_tenants_session_gives_no_principal(container):
    tenant = await make_tenant(container, status=TenantStatus.suspended)
    async with container.db.transaction() as session:
        created = await SessionService(session).create(await _user(session, tenant.email))

    async with container.db.sessionmaker() as session:
        active = await SessionService(session).validate(created.token)
        with pytest.raises(Forbidden) as refused:
            await dashboard_principal(active, session)
    assert refused.value.code == "TENANT_INACTIVE"


async def test_platform_admin_session_gives_a_platform_principal(container):
    email, _ = await make_platform_admin(container)
    async with container.db.transaction() as session:
        created = await SessionService(session).create(await _user(session, email))
    async with container.db.sessionmaker() as session:
        active = await SessionService(session).validate(created.token)
        principal = await dashboard_principal(active, session)
    assert isinstance(principal, PlatformAdminPrincipal)


async def test_csrf_token_must_be_the_sessions_own(container):
    tenant = await make_tenant(container)
    async with container.db.transaction() as session:
        user = await _user(session, tenant.email)
        mine = await SessionService(session).create(user)
        other = await SessionService(session).create(user)
    async with container.db.sessionmaker() as session:
        active = await SessionService(session).validate(mine.token)

    require_csrf(active, mine.csrf_token)
    for wrong in (other.csrf_token, "", None, mine.csrf_token[:-1]):
        with pytest.raises(CsrfFailed):
            require_csrf(active, wrong)


@pytest.mark.parametrize(
    ("env", "secure", "name"),
    [
        ("production", True, "__Host-mais_session"),
        ("test", True, "__Host-mais_session"),
        ("development", False, "mais_session"),
    ],
)
def test_session_cookie_is_httponly_strict_and_secure_outside_development(env, secure, name):
    policy = CookiePolicy.for_settings(Settings(_env_file=None, app_env=env))
    response = Response()

    policy.attach(response, "token-value")
    header = response.headers["set-cookie"]

    assert header.startswith(f"{name}=token-value")
    assert "HttpOnly" in header
    assert "SameSite=strict" in header
    assert "Path=/" in header
    assert ("Secure" in header) is secure
    assert "Domain" not in header

    cleared = Response()
    policy.clear(cleared)
    assert (
        "Max-Age=0" in cleared.headers["set-cookie"]
        or "expires=" in cleared.headers["set-cookie"].lower()
    )
