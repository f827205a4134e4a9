"""`X-Tenant-Key` resolution: SPEC §4's four error codes, caching without a database query
per request, and revocation that reaches every process within seconds."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import event

from mais.container import build_container
from mais.models import Tenant
from mais.tenants.resolver import LOCAL_TTL_SECONDS, TenantInactive, TenantNotFound
from mais.tenants.service import TenantService
from tests.factories.routes import route_objects
from tests.factories.world import TEST_ACTOR, make_tenant


class FakeClock:
    """Monotonic time a test moves by hand instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def counting_statements(container):
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, many):
        # Queries only: on SQLite each transaction opens with an explicit BEGIN IMMEDIATE.
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    engine = container.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
async def other_process(settings):
    """A second container on the same database and cache: another server process."""
    built = build_container(settings)
    built.resolver.clock = FakeClock()
    yield built
    await built.close()


async def _set_status(container, tenant_id, status):
    async with container.db.transaction() as session:
        row = await session.get(Tenant, tenant_id)
        await TenantService(session, container.resolver).set_status(TEST_ACTOR, row, status)


async def _rotate(container, tenant_id):
    async with container.db.transaction() as session:
        row = await session.get(Tenant, tenant_id)
        return await TenantService(session, container.resolver).rotate_keys(TEST_ACTOR, row)


# --- the four error codes over HTTP ---------------------------------------------------


async def test_missing_key_is_401_tenant_key_required(client):
    response = await client.get("/v1/packages")
    assert response.status_code == 401
    assert response.json()["error"] == "TENANT_KEY_REQUIRED"
    empty = await client.get("/v1/packages", headers={"X-Tenant-Key": ""})
    assert empty.json()["error"] == "TENANT_KEY_REQUIRED"


@pytest.mark.parametrize(
    "key", ["pk_live_demo", "sk_test_demo-tenant_" + "a" * 32, "pk_live_demo_XYZ", "garbage"]
)
async def test_malformed_key_is_401_invalid_tenant_key(client, key):
    response = await client.get("/v1/packages", headers={"X-Tenant-Key": key})
    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_TENANT_KEY"


async def test_well_formed_unknown_key_is_401_tenant_not_found(container, client):
    tenant = await make_tenant(container, "known-one")
    forged = tenant.public_key[:-4] + ("0000" if not tenant.public_key.endswith("0000") else "1111")
    for key in (forged, "pk_live_nobody-here_0123456789abcdef"):
        response = await client.get("/v1/packages", headers={"X-Tenant-Key": key})
        assert response.status_code == 401
        assert response.json()["error"] == "TENANT_NOT_FOUND"


async def test_a_secret_key_is_refused_by_the_public_api_even_when_valid(container, client):
    tenant = await make_tenant(container, "secretive-co")
    for key in (tenant.secret_key, "sk_live_secretive-co_" + "ab" * 24):
        response = await client.get("/v1/packages", headers={"X-Tenant-Key": key})
        assert response.status_code == 401
        assert response.json()["error"] == "INVALID_TENANT_KEY"
        assert "public key" in response.json()["message"]
    assert (await client.get("/v1/packages", headers=tenant.headers)).status_code == 200


async def test_the_key_is_checked_before_the_requests_parameters(container, client):
    """A bad key is refused as such, whatever else is wrong with the request: the public
    API's route class resolves the tenant before FastAPI validates a parameter."""
    tenant = await make_tenant(container, "strict-order")
    bad = {"X-Tenant-Key": "pk_live_nobody-here_0123456789abcdef"}
    requests = [
        ("GET", "/v1/availability", {}),  # the required date is missing
        ("GET", "/v1/availability/unavailable?startDate=soon&endDate=later", {}),
        ("POST", "/v1/bookings/checkout", {"content": b"{not json", "headers": {}}),
        ("POST", "/v1/bookings/checkout", {"json": {"packageId": 7}}),
    ]
    for method, url, extra in requests:
        headers = bad | extra.pop("headers", {"Content-Type": "application/json"})
        refused = await client.request(method, url, headers=headers, **extra)
        assert (refused.status_code, refused.json()["error"]) == (401, "TENANT_NOT_FOUND"), url
        missing = await client.request(method, url, **extra)
        assert (missing.status_code, missing.json()["error"]) == (401, "TENANT_KEY_REQUIRED")
        # With the tenant's key the same request reaches validation.
        valid_key = await client.request(method, url, headers=tenant.headers, **extra)
        assert valid_key.status_code in (400, 415, 422), (url, valid_key.text)


async def test_suspended_tenant_is_403_tenant_inactive_and_reactivation_restores(container, client):
    tenant = await make_tenant(container, "paused-co")
    assert (await client.get("/v1/packages", headers=tenant.headers)).status_code == 200

    await _set_status(container, tenant.id, "suspended")
    response = await client.get("/v1/packages", headers=tenant.headers)
    assert response.status_code == 403
    assert response.json()["error"] == "TENANT_INACTIVE"
    branding = await client.get("/v1/tenant/branding", headers=tenant.headers)
    assert branding.status_code == 403

    await _set_status(container, tenant.id, "active")
    assert (await client.get("/v1/packages", headers=tenant.headers)).status_code == 200


async def test_secret_key_identifies_the_tenant_too(container):
    # For server-to-server calls (`Authorization: Bearer sk_live_...`), not the public API.
    tenant = await make_tenant(container, "server-side")
    resolved = await container.resolver.resolve_key(tenant.secret_key)
    assert resolved.id == tenant.id


# --- no database query per request --------------------------------------------------------


async def test_warm_resolution_costs_no_database_query(container, client):
    tenant = await make_tenant(container, "warm-key")
    await client.get("/v1/packages", headers=tenant.headers)  # warms key and catalog caches

    with counting_statements(container) as statements:
        for _ in range(25):
            response = await client.get("/v1/packages", headers=tenant.headers)
            assert response.status_code == 200
    assert statements == []


async def test_unknown_keys_are_cached_too_so_probing_does_not_hit_the_database(container, client):
    key = "pk_live_nobody-here_0123456789abcdef"
    await client.get("/v1/packages", headers={"X-Tenant-Key": key})
    with counting_statements(container) as statements:
        for _ in range(10):
            response = await client.get("/v1/packages", headers={"X-Tenant-Key": key})
            assert response.json()["error"] == "TENANT_NOT_FOUND"
    assert statements == []


async def test_cold_process_with_shared_cache_resolves_without_the_database(
    container, other_process
):
    tenant = await make_tenant(container, "shared-warm")
    await container.resolver.resolve_key(tenant.public_key)
    with counting_statements(other_process) as statements:
        await other_process.resolver.resolve_key(tenant.public_key)
    if other_process.cache.backend == "redis":
        assert statements == []  # filled by the first process
    else:
        assert len(statements) == 1  # in-process caches are per process


# --- revocation across processes -----------------------------------------------------------


async def test_rotated_keys_stop_working_in_another_process_within_the_local_lifetime(
    container, other_process
):
    tenant = await make_tenant(container, "two-procs")
    assert (await other_process.resolver.resolve_key(tenant.public_key)).id == tenant.id
    assert (await other_process.resolver.resolve_key(tenant.secret_key)).id == tenant.id

    new = await _rotate(container, tenant.id)

    other_process.resolver.clock.advance(LOCAL_TTL_SECONDS + 0.01)
    for old in (tenant.public_key, tenant.secret_key):
        with pytest.raises(TenantNotFound):
            await other_process.resolver.resolve_key(old)
    assert (await other_process.resolver.resolve_key(new.public_key)).id == tenant.id


async def test_suspension_reaches_another_process_within_the_local_lifetime(
    container, other_process
):
    tenant = await make_tenant(container, "suspend-far")
    await other_process.resolver.resolve_key(tenant.public_key)
    await _set_status(container, tenant.id, "suspended")

    other_process.resolver.clock.advance(LOCAL_TTL_SECONDS + 0.01)
    with pytest.raises(TenantInactive):
        await other_process.resolver.resolve_key(tenant.public_key)


async def test_new_tenant_slug_reaches_another_process_despite_a_cached_miss(
    container, other_process
):
    assert await other_process.resolver.resolve_slug("late-comer") is None
    await make_tenant(container, "late-comer")
    other_process.resolver.clock.advance(LOCAL_TTL_SECONDS + 0.01)
    found = await other_process.resolver.resolve_slug("late-comer")
    assert found is not None
    assert found.slug == "late-comer"


@pytest.mark.redis
async def test_a_read_racing_a_suspension_cannot_put_the_old_state_back_in_redis(
    container, other_process, settings
):
    """Process B reads the tenant (active) from the database; process A commits the
    suspension and invalidates; only then does B write its stale copy to Redis. The moved
    change token refuses that write, so a third process still sees the suspension."""
    tenant = await make_tenant(container, "racy-co")
    loaded, proceed = asyncio.Event(), asyncio.Event()
    original_load = other_process.resolver._load

    async def paused_load(**kwargs):
        context = await original_load(**kwargs)
        loaded.set()
        await proceed.wait()
        return context

    other_process.resolver._load = paused_load
    reader = asyncio.create_task(other_process.resolver.resolve_key(tenant.public_key))
    await loaded.wait()
    await _set_status(container, tenant.id, "suspended")
    proceed.set()
    assert (await reader).is_active  # B answered with what it read: that one request

    third = build_container(settings)
    try:
        with pytest.raises(TenantInactive):
            await third.resolver.resolve_key(tenant.public_key)
    finally:
        await third.close()


# --- encryption-key rotation ----------------------------------------------------------------


async def test_secret_keys_survive_an_encryption_key_rotation(container, settings):
    """Secret keys are stored as an HMAC derived from TENANT_SECRETS_ENCRYPTION_KEY. After a
    rotation (new key current, old key in TENANT_SECRETS_PREVIOUS_KEYS) each secret key still
    works and is re-hashed on first use, so it keeps working once the old key is dropped."""
    tenant = await make_tenant(container, "rotated-enc")
    old_key = settings.effective_encryption_key.hex()
    new_key = "5a" * 32

    during = build_container(
        settings.model_copy(
            update={
                "tenant_secrets_encryption_key": new_key,
                "tenant_secrets_previous_keys": [old_key],
            }
        )
    )
    after = build_container(settings.model_copy(update={"tenant_secrets_encryption_key": new_key}))
    after.resolver.clock = FakeClock()
    try:
        with pytest.raises(TenantNotFound):  # without the old key it is not recognised...
            await after.resolver.resolve_key(tenant.secret_key)
        # ...with it, it is, and the stored hash moves to the new key.
        assert (await during.resolver.resolve_key(tenant.secret_key)).id == tenant.id
        after.resolver.clock.advance(LOCAL_TTL_SECONDS + 0.01)  # forget the cached miss
        assert (await after.resolver.resolve_key(tenant.secret_key)).id == tenant.id
        assert (await after.resolver.resolve_key(tenant.public_key)).id == tenant.id
    finally:
        await during.close()
        await after.close()


def test_only_endpoints_fastapi_has_nothing_to_solve_for_are_called_directly(app):
    """The public route class calls an endpoint itself only when FastAPI would do nothing
    but call it (the request its only parameter, a Response returned); every endpoint with
    a path, query or body parameter, or a response model, goes through FastAPI."""
    from mais.core.deps import PublicApiRoute, _direct_endpoint

    direct = {
        (route.path, _direct_endpoint(route) is not None)
        for route in route_objects(app.router.routes)
        if isinstance(route, PublicApiRoute)
    }
    assert ("/v1/packages", True) in direct
    assert ("/v1/tenant/branding", True) in direct
    for path in ("/v1/packages/{slug}", "/v1/availability", "/v1/bookings/checkout"):
        assert (path, False) in direct, path
        assert (path, True) not in direct, path
