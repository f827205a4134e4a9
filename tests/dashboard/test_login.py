"""Dashboard login, logout, password change and reset: the session cookie, CSRF on the
pre-login forms, redirects to the login page, and the area a role may enter."""

from __future__ import annotations

import re

from sqlalchemy import select

from mais.auth.service import AuthService, PasswordPurpose
from mais.models import Job, TenantStatus
from tests.dashboard.conftest import Browser
from tests.factories.world import PASSWORD, make_tenant


async def test_pages_need_a_session_and_redirect_to_the_areas_login(browser, alpha):
    for path, login in (("/tenant/packages", "/tenant/login"), ("/admin/tenants", "/admin/login")):
        response = await browser.get(path + "?x=1")
        assert response.status_code == 303
        assert response.headers["location"] == f"{login}?next={path.replace('/', '%2F')}%3Fx%3D1"


async def test_login_sets_a_strict_httponly_secure_cookie_and_opens_the_dashboard(browser, alpha):
    page = await browser.get("/tenant/login")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert '<label for="f-email">' in page.text

    response = await browser.post(
        "/tenant/login",
        {"email": alpha.email, "password": PASSWORD, "next": "/tenant/bookings"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/tenant/bookings"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-mais_session=")
    )
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    home = await browser.get("/tenant")
    assert home.status_code == 200
    assert "Alpha-Events Events" in home.text
    assert "Getting ready" in home.text


async def test_login_refuses_a_next_address_outside_the_dashboard(browser, alpha):
    await browser.get("/tenant/login")
    for target in ("https://evil.example/", "//evil.example/x", "/admin", "/tenant\\@evil"):
        response = await browser.post(
            "/tenant/login", {"email": alpha.email, "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == "/tenant", target


async def test_wrong_password_shows_a_message_next_to_the_form_not_an_error_page(browser, alpha):
    await browser.get("/tenant/login")
    response = await browser.post("/tenant/login", {"email": alpha.email, "password": "nope"})
    assert response.status_code == 401
    assert "The e-mail or password is incorrect." in response.text
    assert 'value="owner@alpha-events.example.com"' in response.text

    empty = await browser.post("/tenant/login", {"email": "", "password": ""})
    assert empty.status_code == 422
    assert "Please enter your e-mail address." in empty.text


async def test_sixth_failed_login_is_429_with_retry_after(browser, alpha):
    await browser.get("/tenant/login")
    statuses = []
    for _ in range(6):
        response = await browser.post("/tenant/login", {"email": alpha.email, "password": "x"})
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
    assert int(response.headers["retry-after"]) > 0
    assert "Too many" in response.text or "try again" in response.text.lower()


async def test_login_form_without_its_token_is_403(browser, alpha):
    await browser.get("/tenant/login")
    response = await browser.post(
        "/tenant/login", {"email": alpha.email, "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 403
    forged = await browser.post(
        "/tenant/login", {"email": alpha.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403


async def test_each_role_logs_in_only_to_its_own_dashboard(browser, container, alpha):
    from tests.factories.admin import make_platform_admin

    email, password = await make_platform_admin(container)
    await browser.get("/tenant/login")
    wrong = await browser.post("/tenant/login", {"email": email, "password": password})
    assert wrong.status_code == 401
    assert "/admin/login" in wrong.text

    await browser.get("/admin/login")
    also_wrong = await browser.post("/admin/login", {"email": alpha.email, "password": PASSWORD})
    assert also_wrong.status_code == 401


async def test_logout_invalidates_the_session(alpha_browser: Browser):
    cookie = alpha_browser.http.cookies.get("__Host-mais_session")
    response = await alpha_browser.post("/tenant/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/tenant/login?notice=out"

    # Even a copy of the old cookie no longer opens the dashboard.
    alpha_browser.http.cookies.set("__Host-mais_session", cookie, domain="testserver")
    again = await alpha_browser.get("/tenant")
    assert again.status_code == 303


async def test_suspended_tenants_admin_gets_a_page_saying_so(alpha_browser, container, alpha):
    from mais.tenants.repository import TenantRepository

    async with container.db.transaction() as session:
        tenant = await TenantRepository(session).get(alpha.id)
        tenant.status = TenantStatus.suspended
    response = await alpha_browser.get("/tenant/packages")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


async def test_change_password_keeps_this_browser_logged_in_and_ends_other_sessions(
    alpha_browser: Browser, other_browser: Browser, alpha
):
    await other_browser.login("tenant", alpha.email)
    await alpha_browser.get("/tenant/password")

    mismatch = await alpha_browser.post(
        "/tenant/password",
        {"current_password": PASSWORD, "new_password": "a new long password", "confirm": "x"},
    )
    assert mismatch.status_code == 422
    assert "not the same" in mismatch.text

    wrong = await alpha_browser.post(
        "/tenant/password",
        {"current_password": "bad", "new_password": "n" * 12, "confirm": "n" * 12},
    )
    assert wrong.status_code == 422
    assert "current password is incorrect" in wrong.text

    short = await alpha_browser.post(
        "/tenant/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    assert "at least 10 characters" in short.text

    changed = await alpha_browser.post(
        "/tenant/password",
        {
            "current_password": PASSWORD,
            "new_password": " new pass phrase ",
            "confirm": " new pass phrase ",
        },
    )
    assert changed.status_code == 303
    assert (await alpha_browser.get("/tenant")).status_code == 200
    assert (await other_browser.get("/tenant")).status_code == 303
    await other_browser.login("tenant", alpha.email, " new pass phrase ")


async def test_forgot_and_reset_password_pages(browser: Browser, container, alpha):
    await browser.get("/tenant/forgot-password")
    sent = await browser.post("/tenant/forgot-password", {"email": alpha.email})
    assert sent.status_code == 200
    assert "is on its way" in sent.text
    unknown = await browser.post("/tenant/forgot-password", {"email": "nobody@example.com"})
    assert unknown.status_code == 200
    assert "is on its way" in unknown.text
    async with container.db.sessionmaker() as session:
        kinds = [job.kind for job in (await session.execute(select(Job))).scalars()]
    assert kinds.count("email.password_reset") == 2

    # The e-mail job makes the token; the link opens the reset page.
    async with container.db.transaction() as session:
        auth = AuthService(session, container.settings, container.rate_limiter)
        issued = await auth.issue_reset_token(purpose=PasswordPurpose.reset, email=alpha.email)
    page = await browser.get(f"/tenant/reset-password?token={issued.raw_token}")
    assert page.status_code == 200
    assert re.search(r'name="token" value="[^"]+"', page.text)

    differ = await browser.post(
        "/tenant/reset-password",
        {"token": issued.raw_token, "password": "0123456789ab", "confirm": "other"},
    )
    assert differ.status_code == 422
    done = await browser.post(
        "/tenant/reset-password",
        {"token": issued.raw_token, "password": "0123456789ab", "confirm": "0123456789ab"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/tenant/login?notice=reset"
    again = await browser.post(
        "/tenant/reset-password",
        {"token": issued.raw_token, "password": "0123456789ab", "confirm": "0123456789ab"},
    )
    assert again.status_code == 422
    assert "invalid, already used or expired" in again.text
    await browser.login("tenant", alpha.email, "0123456789ab")


async def test_a_second_tenant_made_by_the_service_can_log_in(browser, container):
    other = await make_tenant(container, "gamma-events")
    await browser.login("tenant", other.email)
    assert "Gamma-Events Events" in (await browser.get("/tenant")).text


async def test_login_page_of_a_logged_in_admin_goes_to_the_dashboard(alpha_browser: Browser):
    response = await alpha_browser.get("/tenant/login?next=%2Ftenant%2Fbookings")
    assert response.status_code == 303
    assert response.headers["location"] == "/tenant/bookings"
    # Another area's login page still shows its form.
    assert (await alpha_browser.get("/admin/login")).status_code == 200
