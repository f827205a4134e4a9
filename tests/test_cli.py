"""The `mais` command as an operator uses it: create-tenant, seed, migrate, doctor, cache."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from mais.auth.passwords import verify_password
from mais.cli import app as cli
from mais.models import AddOn, Base, Package, PackagePhoto, Tenant, TenantApiKey, User
from tests.factories.services import client_for, free_port
from tests.factories.world import add_catalog, make_tenant

PUBLIC_KEY = re.compile(r"pk_live_([a-z0-9-]+)_[0-9a-f]{16}\b")
SECRET_KEY = re.compile(r"sk_live_([a-z0-9-]+)_[0-9a-f]{32,}\b")
PASSWORD = "a long enough password"


@pytest.fixture
def cli_env(settings, container, tmp_path, monkeypatch) -> dict[str, str]:
    """The environment of an operator's shell pointing at this test's database and cache."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "FRONTEND_URL": "https://book.example.com",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


async def mais(args: list[str], env: dict[str, str], input: str | None = None) -> Result:
    """Run `mais ARGS` in a thread: the command starts its own event loop, as in a shell."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, args, input=input, env=env)


async def _row_counts(container) -> dict[str, int]:
    counts = {}
    async with container.db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            query = select(func.count()).select_from(table)
            counts[table.name] = (await session.execute(query)).scalar_one()
    return counts


# --- create-tenant -------------------------------------------------------------------------


async def test_create_tenant_with_flags_prints_both_keys_once_and_the_admin_can_log_in(
    cli_env, container
):
    result = await mais(
        [
            "create-tenant",
            *("--slug", "rose-hall", "--name", "Rose Hall", "--email", "Owner@RoseHall.com"),
            *("--password", PASSWORD, "--commission", "12.5", "--timezone", "Europe/Paris"),
        ],
        cli_env,
    )
    assert result.exit_code == 0, result.output
    public = PUBLIC_KEY.search(result.output)
    secret = SECRET_KEY.search(result.output)
    assert public is not None
    assert secret is not None
    assert public.group(1) == secret.group(1) == "rose-hall"
    assert "https://book.example.com/tenant/login" in result.output

    context = await container.resolver.resolve_key(public.group(0))
    assert context.slug == "rose-hall"
    assert context.commission_bps == 1250
    assert context.timezone == "Europe/Paris"
    assert (await container.resolver.resolve_key(secret.group(0))).id == context.id

    async with container.db.sessionmaker() as session:
        query = select(User).where(User.tenant_id == context.id)
        user = (await session.execute(query)).scalar_one()
        stored = (await session.execute(select(TenantApiKey.lookup, TenantApiKey.hint))).all()
    assert user.email == "Owner@RoseHall.com"  # kept as typed
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    assert secret.group(0) not in repr(stored)


async def test_create_tenant_prompts_for_what_is_missing_and_reasks_invalid_values(
    cli_env, container
):
    answers = "\n".join(
        [
            "admin",  # reserved: asked again
            "lake-view",
            "Lake View Weddings",
            "not-an-email",  # asked again
            "hello@lakeview.com",
            "short",  # too short: asked again (after the confirmation)
            "short",
            PASSWORD,
            PASSWORD,
            "",  # commission: default 10
            "",  # time zone: default America/New_York
        ]
    )
    result = await mais(["create-tenant", "--interactive"], cli_env, input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "slug is a reserved word" in result.output
    assert "email is not valid" in result.output
    assert "password must be at least" in result.output
    assert PASSWORD not in result.output  # hidden input
    public = PUBLIC_KEY.search(result.output)
    assert public is not None
    context = await container.resolver.resolve_key(public.group(0))
    assert (context.slug, context.commission_bps, context.timezone) == (
        "lake-view",
        1000,
        "America/New_York",
    )


async def test_create_tenant_without_a_terminal_names_every_missing_flag(cli_env):
    result = await mais(["create-tenant", "--slug", "only-slug"], cli_env)
    assert result.exit_code == 1
    assert "--name" in result.output
    assert "--email" in result.output
    assert "--password" in result.output
    assert "--slug" not in result.output.split("Missing", 1)[1]


async def test_create_tenant_lists_every_invalid_flag_and_creates_nothing(cli_env, container):
    result = await mais(
        [
            "create-tenant",
            *("--slug", "api", "--name", "X", "--email", "nope", "--password", "pw"),
            *("--commission", "75", "--no-interactive"),
        ],
        cli_env,
    )
    assert result.exit_code == 1
    for problem in ("slug is a reserved word", "email is not valid", "password must be"):
        assert problem in result.output
    assert "between 0 and 50" in result.output
    assert (await _row_counts(container))["tenants"] == 0


async def test_create_tenant_refuses_a_taken_slug(cli_env, container):
    await make_tenant(container, "taken-co")
    result = await mais(
        [
            "create-tenant",
            *("--slug", "taken-co", "--name", "Again", "--email", "again@example.com"),
            *("--password", PASSWORD),
        ],
        cli_env,
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


# --- seed ------------------------------------------------------------------------------------


async def test_seed_creates_the_demo_world_and_running_it_again_changes_nothing(cli_env, container):
    first = await mais(["seed"], cli_env)
    assert first.exit_code == 0, first.output
    key = PUBLIC_KEY.search(first.output)
    assert key is not None
    assert key.group(1) == "demo-tenant"
    counts = await _row_counts(container)

    second = await mais(["seed"], cli_env)
    assert second.exit_code == 0, second.output
    assert await _row_counts(container) == counts
    assert key.group(0) in second.output  # the same, still valid public key
    assert SECRET_KEY.search(second.output) is None  # a secret is never shown twice

    async with container.db.sessionmaker() as session:
        tenant = (await session.execute(select(Tenant))).scalar_one()
        packages = (await session.execute(select(Package))).scalars().all()
        add_ons = (await session.execute(select(AddOn))).scalars().all()
        photos = (await session.execute(select(PackagePhoto))).scalars().all()
        admins = (await session.execute(select(User.role))).scalars().all()
    assert tenant.slug == "demo-tenant"
    assert 3 <= len(packages) <= 5
    assert all(p.active for p in packages)
    assert add_ons
    assert sorted(admins) == ["platform_admin", "tenant_admin"]
    assert {photo.package_id for photo in photos} == {p.id for p in packages}

    async with client_for_container(container) as http:
        catalog = (await http.get("/v1/packages", headers={"X-Tenant-Key": key.group(0)})).json()
    assert len(catalog) == len(packages)
    assert all(2 <= len(p["addOns"]) <= 3 for p in catalog)
    assert all(p["photoUrl"] for p in catalog)


def client_for_container(container) -> Any:
    from mais.app import create_app

    return client_for(create_app(container.settings, container))


# --- migrate -----------------------------------------------------------------------------


async def test_migrate_status_reports_up_to_date(cli_env):
    result = await mais(["migrate", "status"], cli_env)
    assert result.exit_code == 0
    assert "Database schema is up to date!" in result.output


async def test_migrate_applies_to_an_empty_database_and_status_follows(cli_env, empty_database_url):
    env = cli_env | {"DATABASE_URL": empty_database_url}
    behind = await mais(["migrate", "status"], env)
    assert behind.exit_code == 1
    assert "behind" in behind.output

    applied = await mais(["migrate"], env)
    assert applied.exit_code == 0, applied.output
    assert "Database schema is up to date!" in applied.output
    assert (await mais(["migrate", "status"], env)).exit_code == 0


async def test_migrate_downgrade_minus_one_rolls_back_as_the_runbook_says(
    cli_env, empty_database_url
):
    env = cli_env | {"DATABASE_URL": empty_database_url}
    assert (await mais(["migrate"], env)).exit_code == 0

    rolled_back = await mais(["migrate", "downgrade", "-1"], env)

    assert rolled_back.exit_code == 0, rolled_back.output
    assert "behind" in rolled_back.output
    assert (await mais(["migrate", "status"], env)).exit_code == 1
    assert (await mais(["migrate"], env)).exit_code == 0
    assert (await mais(["migrate", "status"], env)).exit_code == 0


async def test_migrate_uses_direct_url_when_set(cli_env, empty_database_url):
    env = cli_env | {"DIRECT_URL": empty_database_url}
    result = await mais(["migrate", "status"], env)
    assert result.exit_code == 1  # DIRECT_URL (empty) was inspected, not DATABASE_URL


# --- doctor -----------------------------------------------------------------------------


async def test_doctor_passes_on_a_working_setup(cli_env):
    result = await mais(["doctor"], cli_env)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    for check in ("configuration", "database", "migrations", "redis", "storage", "stripe"):
        assert f"✓ {check}:" in result.output
    assert "All checks passed." in result.output


async def test_doctor_names_each_problem_and_exits_1(cli_env, tmp_path):
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    env = cli_env | {
        "DATABASE_URL": f"postgresql://mais:hunter2@127.0.0.1:{free_port()}/mais",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "DATA_DIR": str(not_a_dir / "var"),
        "STRIPE_SECRET_KEY": "pk_live_wrong_kind_of_key",
    }
    result = await mais(["doctor"], env)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for check in ("database", "migrations", "redis", "storage", "stripe"):
        assert any(line.startswith(f"✗ {check}:") for line in lines), check
    assert "✓ configuration:" in result.output
    assert "hunter2" not in result.output
    assert "5 problems found" in result.output


async def test_doctor_lists_each_production_misconfiguration_on_its_own_line(cli_env):
    env = cli_env | {
        "NODE_ENV": "production",
        "APP_ENV": "production",
        "JWT_SECRET": "short",
        "DATABASE_URL": f"sqlite:///{cli_env['DATA_DIR']}/mais.db",
    }
    result = await mais(["doctor"], env)
    assert result.exit_code == 1
    config_lines = [line for line in result.output.splitlines() if line.startswith("✗ config")]
    named = " ".join(config_lines)
    for expected in (
        "DIRECT_URL is required in production",
        "JWT_SECRET must be at least 32 characters",
        "TENANT_SECRETS_ENCRYPTION_KEY is required in production",
        "STRIPE_SECRET_KEY is required with ADAPTERS_PRESET=real",
        "DATABASE_URL must be a PostgreSQL URL in production",
        "PORT is required in production",
    ):
        assert expected in named
    assert len(config_lines) >= 6


async def test_doctor_reports_an_unreadable_variable_by_name(cli_env):
    result = await mais(["doctor"], cli_env | {"PORT": "eighty"})
    assert result.exit_code == 1
    assert "✗ configuration: PORT:" in result.output


# --- cache flush -------------------------------------------------------------------------


@pytest.mark.redis
async def test_cache_flush_removes_catalog_entries_of_one_tenant_or_all(cli_env, container):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-co"))
    beta = await add_catalog(container, await make_tenant(container, "beta-co"))
    async with client_for_container(container) as http:
        for tenant in (alpha, beta):
            await http.get("/v1/packages", headers=tenant.headers)

    async def catalog_keys() -> set[str]:
        client = Redis.from_url(cli_env["REDIS_URL"])
        try:
            return {k.decode() async for k in client.scan_iter(match="catalog:*")}
        finally:
            await client.aclose()

    assert len(await catalog_keys()) == 2
    one = await mais(["cache", "flush", "--tenant", "alpha-co"], cli_env)
    assert one.exit_code == 0, one.output
    assert await catalog_keys() == {f"catalog:{beta.id}:packages"}

    everything = await mais(["cache", "flush"], cli_env)
    assert everything.exit_code == 0
    assert await catalog_keys() == set()
    async with client_for_container(container) as http:  # and the catalog still works
        assert (await http.get("/v1/packages", headers=alpha.headers)).status_code == 200


async def test_cache_flush_of_an_unknown_tenant_fails(cli_env):
    result = await mais(["cache", "flush", "--tenant", "nobody-here"], cli_env)
    assert result.exit_code == 1
    assert "No tenant with slug" in result.output


async def test_cache_flush_without_redis_explains_the_per_process_cache(cli_env):
    env = {k: v for k, v in cli_env.items() if k != "REDIS_URL"}
    result = await mais(["cache", "flush"], env)
    assert result.exit_code == 0
    assert "without REDIS_URL" in result.output
