"""MAIS works behind a transaction-mode pooler (PgBouncer / Supabase's pooler), where
consecutive transactions of one client may run on different server connections and one
server connection serves many clients."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from mais.app import create_app
from mais.container import build_container
from mais.core.db import async_url
from tests.factories.services import PgBouncer, client_for
from tests.factories.world import add_catalog, make_tenant

pytestmark = pytest.mark.postgres


@pytest.fixture
def pgbouncer(direct_database_url):
    # One server connection for everybody: the harshest sharing a pooler can do.
    bouncer = PgBouncer(direct_database_url, pool_size=1).start()
    yield bouncer
    bouncer.stop()


@pytest.fixture
async def pooled(settings, container, pgbouncer):
    """A second app process whose DATABASE_URL is the pooler (DIRECT_URL stays direct)."""
    built = build_container(
        settings.model_copy(
            update={"database_url": pgbouncer.url, "direct_url": pgbouncer.target_url}
        )
    )
    yield built
    await built.close()


def _driver_url(url: str) -> str:
    return async_url(url).replace("postgresql+psycopg", "postgresql")


async def test_server_side_prepared_statements_would_break_behind_this_pooler(pgbouncer):
    """The control: what MAIS avoids does fail here, so the tests below can fail too."""
    url = _driver_url(pgbouncer.url)
    first = await psycopg.AsyncConnection.connect(url, prepare_threshold=0, autocommit=True)
    second = await psycopg.AsyncConnection.connect(url, prepare_threshold=0, autocommit=True)
    try:
        await first.execute("SELECT 1")
        with pytest.raises(psycopg.Error, match="prepared statement"):
            await second.execute("SELECT 1")
    finally:
        await first.close()
        await second.close()


async def test_writes_reads_and_concurrent_requests_through_pgbouncer(pooled, pgbouncer):
    # Writes through the public services, in transactions, through the pooler.
    tenants = [await add_catalog(pooled, await make_tenant(pooled), photos=1) for _ in range(3)]

    async with client_for(create_app(pooled.settings, pooled)) as http:

        async def get(path: str, headers: dict[str, str] | None = None) -> int:
            response = await http.get(path, headers=headers)
            return response.status_code

        paths = []
        for tenant in tenants:
            paths += [("/v1/packages", tenant.headers), ("/v1/packages/garden", tenant.headers)]
            paths += [("/v1/tenant/branding", tenant.headers)]
        paths += [("/health", None), ("/health/ready", None)] * 3
        statuses = await asyncio.gather(*(get(path, headers) for path, headers in paths * 3))
    assert set(statuses) == {200}
    assert "login attempt" in pgbouncer.log()  # the traffic really went through PgBouncer


async def test_concurrent_writes_through_pgbouncer_each_commit_once(pooled):
    created = await asyncio.gather(*(make_tenant(pooled) for _ in range(6)))
    for tenant in created:
        context = await pooled.resolver.resolve_key(tenant.public_key)
        assert context.id == tenant.id
