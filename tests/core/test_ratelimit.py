"""General API limit per tenant and client IP, the failed-login limit, proxies, Redis."""

from __future__ import annotations

import asyncio

import pytest

from mais.app import create_app
from mais.container import build_container
from mais.core.errors import RateLimited
from mais.core.ratelimit import RateLimiter
from tests.factories.services import client_for, free_port
from tests.factories.world import make_tenant


@pytest.fixture
def settings_overrides():
    return {"rate_limit_api_per_minute": 3}


async def spend(http, tenant, count: int, **headers) -> list[int]:
    statuses = []
    for _ in range(count):
        response = await http.get("/v1/packages", headers=tenant.headers | headers)
        statuses.append(response.status_code)
    return statuses


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "RATE_LIMITED"
    assert body["requestId"] == response.headers["x-request-id"]
    assert 1 <= int(response.headers["retry-after"]) <= 60


@pytest.mark.parametrize("settings_overrides", [{}])
async def test_default_limit_is_100_per_minute_and_the_101st_is_429(container, app):
    assert container.settings.rate_limit_api_per_minute == 100
    tenant = await make_tenant(container)
    async with client_for(app) as http:
        assert await spend(http, tenant, 100) == [200] * 100
        assert_rate_limited(await http.get("/v1/packages", headers=tenant.headers))


async def test_each_client_ip_has_its_own_bucket(container, app):
    tenant = await make_tenant(container)
    async with client_for(app, "198.51.100.1") as first, client_for(app, "198.51.100.2") as second:
        assert await spend(first, tenant, 3) == [200] * 3
        assert_rate_limited(await first.get("/v1/packages", headers=tenant.headers))
        assert await spend(second, tenant, 3) == [200] * 3


async def test_each_tenant_has_its_own_bucket(container, app):
    alpha, beta = await make_tenant(container), await make_tenant(container)
    async with client_for(app) as http:
        assert await spend(http, alpha, 4) == [200, 200, 200, 429]
        assert await spend(http, beta, 3) == [200] * 3


async def test_requests_with_invalid_parameters_count_against_the_limit_too(container, app):
    tenant = await make_tenant(container)
    async with client_for(app) as http:
        statuses = [
            (await http.get("/v1/availability", headers=tenant.headers)).status_code
            for _ in range(4)
        ]
    assert statuses == [422, 422, 422, 429]


async def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_bucket(container, app):
    tenant = await make_tenant(container)
    async with client_for(app, "198.51.100.1") as http:
        statuses = [
            (
                await http.get(
                    "/v1/packages",
                    headers=tenant.headers | {"X-Forwarded-For": f"192.0.2.{n}"},
                )
            ).status_code
            for n in range(5)
        ]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.parametrize(
    "settings_overrides", [{"rate_limit_api_per_minute": 3, "trusted_proxies": ["10.0.0.0/8"]}]
)
async def test_trusted_proxy_forwarded_for_names_the_client(container, app):
    tenant = await make_tenant(container)
    async with client_for(app, "10.1.2.3") as proxy:
        first = {"X-Forwarded-For": "198.51.100.7"}
        assert await spend(proxy, tenant, 3, **first) == [200] * 3
        assert_rate_limited(await proxy.get("/v1/packages", headers=tenant.headers | first))
        # A client cannot escape by prepending its own entry: the proxy appended the real one.
        spoofed = {"X-Forwarded-For": "192.0.2.99, 198.51.100.7"}
        assert await spend(proxy, tenant, 1, **spoofed) == [429]
        other = {"X-Forwarded-For": "198.51.100.8"}
        assert await spend(proxy, tenant, 3, **other) == [200] * 3


@pytest.mark.redis
async def test_the_limit_is_shared_by_processes_through_redis(container, app, settings):
    tenant = await make_tenant(container)
    second = build_container(settings)
    try:
        async with client_for(app) as one, client_for(create_app(settings, second)) as two:
            assert await spend(one, tenant, 2) == [200, 200]
            assert await spend(two, tenant, 1) == [200]
            assert_rate_limited(await one.get("/v1/packages", headers=tenant.headers))
            assert_rate_limited(await two.get("/v1/packages", headers=tenant.headers))
    finally:
        await second.close()


async def test_limits_still_apply_in_memory_when_redis_is_unreachable(container, settings):
    tenant = await make_tenant(container)
    down = build_container(
        settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    )
    try:
        async with client_for(create_app(down.settings, down)) as http:
            assert await spend(http, tenant, 4) == [200, 200, 200, 429]
    finally:
        await down.close()


async def test_five_failed_logins_per_ip_then_429_for_the_window(container):
    limiter = container.rate_limiter
    assert (limiter.auth_item.amount, limiter.auth_item.multiples) == (5, 15)
    for _ in range(5):
        await limiter.ensure_auth_allowed("198.51.100.1")
        await limiter.auth_failed("198.51.100.1")
    with pytest.raises(RateLimited) as caught:
        await limiter.ensure_auth_allowed("198.51.100.1")
    assert 60 < int(caught.value.headers["Retry-After"]) <= 15 * 60
    await limiter.ensure_auth_allowed("198.51.100.2")  # another IP is unaffected


async def test_limits_are_configurable():
    limiter = RateLimiter(None, api_per_minute=7, auth_attempts=2, auth_window_minutes=3)
    for _ in range(7):
        await limiter.check_api("tenant", "ip")
    with pytest.raises(RateLimited):
        await limiter.check_api("tenant", "ip")
    await limiter.auth_failed("ip")
    await limiter.auth_failed("ip")
    with pytest.raises(RateLimited):
        await limiter.ensure_auth_allowed("ip")


@pytest.mark.redis
async def test_batched_counts_are_added_to_redis_exactly_once(settings):
    """A request that syncs with Redis while a flush of the same window runs: the counts
    counted locally before it reach Redis once, not twice (once would-be 429s early)."""
    now = [0.0]
    limiter = RateLimiter(
        settings.redis_url,
        api_per_minute=100,
        auth_attempts=5,
        auth_window_minutes=15,
        clock=lambda: now[0],
    )
    try:
        await limiter.check_api("tenant", "ip")  # first: synchronous, learns the count
        await limiter.check_api("tenant", "ip")  # counted locally
        now[0] = 10.0  # the learned count is stale: the next request asks Redis
        await asyncio.gather(limiter.check_api("tenant", "ip"), limiter.flush())
        await limiter.flush()
        key = limiter.api_item.key_for("api", "tenant", "ip")
        assert limiter._storage is not None
        assert await limiter._storage.get(key) == 3
    finally:
        await limiter.close()
