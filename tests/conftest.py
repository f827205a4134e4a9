"""Test world: every test gets a migrated database, a cache and an app.

The suite runs once per backend pair: `sqlite+memory` always, and `postgres+redis` when
TEST_DATABASE_URL and TEST_REDIS_URL are set (CI sets both). Each run creates its own
PostgreSQL database and picks its own Redis database number, so parallel runs on one
machine do not collide. Tables are emptied between tests.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mais.settings import Settings
from tests.fakes.google_calendar import fake_google, service_account_key
from tests.fakes.postmark import fake_postmark
from tests.fakes.stripe import fake_stripe

# Fixtures of the local fakes of Stripe, Postmark and Google, for every test module.
__all__ = ["fake_google", "fake_postmark", "fake_stripe", "service_account_key"]

# Nothing from the developer's shell or .env may leak into the tests.
for _field in Settings.model_fields.values():
    alias = _field.validation_alias
    names = getattr(alias, "choices", [alias]) if alias else []
    for _name in names:
        if isinstance(_name, str):
            os.environ.pop(_name, None)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
# TEST_PGBOUNCER=1: the app's DATABASE_URL goes through PgBouncer in transaction mode (as in
# production, where DATABASE_URL is the pooler) and migrations use the direct DIRECT_URL.
TEST_PGBOUNCER = os.environ.get("TEST_PGBOUNCER") == "1"
REQUIRE_SERVICES = os.environ.get("MAIS_REQUIRE_SERVICES") == "1"

BACKENDS = ["sqlite+memory"]
if TEST_DATABASE_URL or TEST_REDIS_URL:
    if not (TEST_DATABASE_URL and TEST_REDIS_URL):
        raise pytest.UsageError("set both TEST_DATABASE_URL and TEST_REDIS_URL, or neither")
    BACKENDS.append("postgres+redis")
elif REQUIRE_SERVICES:
    raise pytest.UsageError("MAIS_REQUIRE_SERVICES=1 needs TEST_DATABASE_URL and TEST_REDIS_URL")


def pytest_report_header(config: pytest.Config) -> str:
    pooler = " (PostgreSQL through PgBouncer, transaction mode)" if TEST_PGBOUNCER else ""
    return f"mais backends: {', '.join(BACKENDS)}{pooler}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` or `redis` run only on the postgres+redis backend: they are
    deselected elsewhere (never skipped-and-counted)."""
    keep, drop = [], []
    for item in items:
        needs_services = any(item.iter_markers("postgres")) or any(item.iter_markers("redis"))
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        if needs_services and (
            backend == "sqlite+memory" or (backend is None and "postgres+redis" not in BACKENDS)
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- databases -----------------------------------------------------------------------


# Each run (and each "empty database" a test asks for) gets its own PostgreSQL *schema*,
# selected through the connection's search_path: creating and dropping a schema is
# instant, while CREATE/DROP DATABASE forces checkpoints that took over a minute on a busy
# machine. Commits are not waited for on disk (synchronous_commit=off): test data need not
# survive a crash of the test server.


def _schema_of(url: str) -> str:
    options = make_url(url).query.get("options", "")
    text_options = options if isinstance(options, str) else " ".join(options)
    return text_options.split("search_path=", 1)[1].split()[0]


def _create_postgres_database(base_url: str) -> str:
    url = make_url(base_url)
    name = f"mais_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    options = f"-csearch_path={name} -csynchronous_commit=off"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def _drop_postgres_database(base_url: str, url: str) -> None:
    admin = create_engine(
        make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{_schema_of(url)}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def direct_database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head with Alembic (the migrations are under test too), reached
    directly: what DIRECT_URL names."""
    from mais.migrations.runner import upgrade

    if backend.startswith("postgres"):
        assert TEST_DATABASE_URL
        url = _create_postgres_database(TEST_DATABASE_URL)
        upgrade(url)
        yield url
        _drop_postgres_database(TEST_DATABASE_URL, url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def database_url(backend: str, direct_database_url: str) -> Iterator[str]:
    """What the app's DATABASE_URL names: the direct database, or with TEST_PGBOUNCER=1 a
    PgBouncer in transaction mode in front of it (one per run; each server connection is
    put on the run's schema by PgBouncer's connect_query, since a pooler cannot forward
    the client's `options` startup parameter)."""
    if not (TEST_PGBOUNCER and backend.startswith("postgres")):
        yield direct_database_url
        return
    from tests.factories.services import PgBouncer

    bouncer = PgBouncer(direct_database_url, pool_size=20).start()
    yield bouncer.url
    used = "login attempt" in bouncer.log()
    bouncer.stop()
    assert used, "TEST_PGBOUNCER=1 but no connection went through PgBouncer"


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new database with nothing in it (not migrated), on this run's backend."""
    if backend.startswith("postgres"):
        assert TEST_DATABASE_URL
        url = _create_postgres_database(TEST_DATABASE_URL)
        yield url
        _drop_postgres_database(TEST_DATABASE_URL, url)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(scope="session")
def redis_url(backend: str) -> Iterator[str | None]:
    if not backend.endswith("redis"):
        yield None
        return
    assert TEST_REDIS_URL
    parsed = make_url(TEST_REDIS_URL.replace("redis://", "redis+x://", 1))
    base = TEST_REDIS_URL.rstrip("/")
    if parsed.database:
        yield TEST_REDIS_URL
        return
    # Each run (and each xdist worker) claims a database number of its own in DB 0, so two
    # runs never flush each other's keys; a claim left by a killed run expires.
    from redis import Redis

    registry = Redis.from_url(f"{base}/0")
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    numbers = random.sample(range(1, 16), 15)
    claimed = next(
        (n for n in numbers if registry.set(f"mais-test:redis-db:{n}", token, nx=True, ex=7200)),
        None,
    )
    if claimed is None:
        raise pytest.UsageError("all 15 test Redis databases are claimed by other runs")
    yield f"{base}/{claimed}"
    if registry.get(f"mais-test:redis-db:{claimed}") == token.encode():
        registry.delete(f"mais-test:redis-db:{claimed}")
    registry.close()


def _empty_tables(url: str) -> None:
    from mais.core.db import connect_args, sync_url
    from mais.models import Base

    engine = create_engine(sync_url(url), connect_args=connect_args(url))
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # DELETE, not TRUNCATE: test tables hold a handful of rows, and TRUNCATE's file
    # rewrites cost ~0.4 s per test on PostgreSQL.
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    engine.dispose()


# --- settings, container, app ---------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def settings(
    database_url: str,
    direct_database_url: str,
    redis_url: str | None,
    data_dir: Path,
    settings_overrides: dict[str, Any],
) -> Settings:
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": database_url,
        "direct_url": direct_database_url if direct_database_url != database_url else None,
        "redis_url": redis_url,
        "data_dir": data_dir,
        "frontend_url": "http://testserver",
    }
    values.update(settings_overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def container(settings: Settings, database_url: str) -> AsyncIterator[Any]:
    from mais.container import build_container

    _empty_tables(database_url)
    built = build_container(settings)
    if settings.redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(settings.redis_url)
        await client.flushdb()
        await client.aclose()
    yield built
    await built.close()


@pytest.fixture
def app(container: Any) -> Any:
    from mais.app import create_app

    return create_app(container.settings, container)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# --- proof that the service-backed half of the suite ran ---------------------------------

_service_backed_passes = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _service_backed_passes
    if report.when == "call" and report.passed and "postgres+redis" in report.nodeid:
        _service_backed_passes += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if getattr(session.config, "workerinput", None) is not None:
        return  # xdist workers: the controller sees every report and decides
    if REQUIRE_SERVICES and _service_backed_passes == 0 and exitstatus == 0:
        print("\nMAIS_REQUIRE_SERVICES=1 but no PostgreSQL/Redis test passed", flush=True)
        session.exitstatus = 1


@pytest.fixture
def webhooks_to_app(app: Any, container: Any) -> Any:
    """Mock payments deliver their signed webhooks through this app (no network)."""
    container.payments.webhook_transport = httpx.ASGITransport(app=app)
    return container.payments


# --- a world whose database cannot be reached ---------------------------------------------


@pytest.fixture
async def db_down_app(data_dir: Path) -> AsyncIterator[Any]:
    """The app pointed at a PostgreSQL port nothing listens on (refused at once)."""
    from mais.app import create_app
    from mais.container import build_container
    from tests.factories.services import free_port

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        app_env="test",
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/mais",
        data_dir=data_dir,
        frontend_url="http://testserver",
    )
    built = build_container(settings)
    yield create_app(settings, built)
    await built.close()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with its smallest cost in tests: the production parameters take ~0.35 s per
    hash here, which dominated the suite's time. What is tested — that passwords are Argon2id
    hashes, verified exactly as typed, and that unknown e-mails cost the same time — holds
    for any parameters; `tests/auth` checks the production parameters separately."""
    from argon2 import PasswordHasher

    from mais.auth import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("mais-timing-equaliser")
    yield
    passwords._hasher = production
