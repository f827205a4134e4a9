"""The `mais` command line: serve, migrate, seed, create-tenant, doctor, cache."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mais.container import Container, build_container
from mais.settings import ConfigurationError, Settings, load_settings

app = typer.Typer(help="MAIS booking platform.", no_args_is_help=True, add_completion=False)
migrate_app = typer.Typer(help="Database migrations (apply, status, downgrade).")
cache_app = typer.Typer(help="Cache maintenance.", no_args_is_help=True)
secrets_app = typer.Typer(help="Tenant secrets encryption.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
app.add_typer(cache_app, name="cache")
app.add_typer(secrets_app, name="secrets")

T = TypeVar("T")


def _settings() -> Settings:
    return load_settings()


def _run_with_container(settings: Settings, work: Callable[[Container], Awaitable[T]]) -> T:
    async def runner() -> T:
        container = build_container(settings)
        try:
            return await work(container)
        finally:
            await container.close()

    return asyncio.run(runner())


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


# --- serve ------------------------------------------------------------------------


@app.command()
def serve(
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default: HOST).")] = None,
) -> None:
    """Run the web server. In development it first migrates and seeds demo data."""
    import uvicorn

    # Worker processes read the environment themselves, so options travel through it.
    if port:
        os.environ["PORT"] = str(port)
    if host:
        os.environ["HOST"] = host
    settings = _settings()
    problems = settings.problems()
    if problems:
        _fail(str(ConfigurationError(problems)))
    from mais.migrations.runner import upgrade

    if not settings.is_production:
        upgrade(settings.migration_database_url)
        report = _run_with_container(settings, _seed_demo)
        _print_banner(settings, report)
    worker_count = workers or (settings.workers if settings.is_production else 1)
    if worker_count > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metric samples here; /metrics sums them.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="mais-metrics-")
    from mais.observability.logging import configure_logging

    uvicorn.run(
        "mais.app:app_factory",
        factory=True,
        host=settings.bind_host,
        port=settings.port,
        workers=worker_count,
        log_config=configure_logging(settings.log_level, json_output=settings.is_production),
        access_log=False,
        proxy_headers=False,  # client IPs come from TRUSTED_PROXIES, nowhere else
        server_header=False,
        env_file=None,
    )


async def _seed_demo(container: Container) -> Any:
    from mais.demo.seed import seed

    return await seed(container, demo=True)


def _print_banner(settings: Settings, report: Any) -> None:
    from mais.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG

    base = settings.public_url
    database = (
        "embedded SQLite" if settings.runtime_database_url.startswith("sqlite") else "PostgreSQL"
    )
    cache = "Redis" if settings.redis_url else "in-process cache"
    lines = [
        "",
        f"  MAIS is running ({settings.app_env.value}, {database}, {cache}, "
        f"{settings.adapters.value} adapters)",
        "",
        f"  Booking widget    {base}/widget?tenant={DEMO_SLUG}",
        f"  Storefront        {base}/t/{DEMO_SLUG}",
        f"  Tenant dashboard  {base}/tenant/login   {DEMO_EMAIL} / {DEMO_PASSWORD}",
        f"  Platform admin    {base}/admin/login    {report.admin_email} / "
        f"{report.admin_password or '(ADMIN_PASSWORD)'}",
        f"  Dev mailbox       {base}/dev/mailbox   (e-mails written to the outbox)",
        f"  Tenant guides     {base}/help",
        f"  API reference     {base}/docs",
        f"  Health            {base}/health",
        f"  Demo public key   {report.demo_public_key}",
        f"  Try               curl -H 'X-Tenant-Key: {report.demo_public_key}' {base}/v1/packages",
        "",
    ]
    if report.demo_secret_key:
        lines.insert(-1, f"  Demo secret key   {report.demo_secret_key}  (shown once)")
    typer.echo("\n".join(lines))


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run due jobs once, then exit.")] = False,
) -> None:
    """Run background jobs (e-mail, calendar, hold expiry, webhook retries)."""
    from mais.jobs.worker import JobWorker

    settings = _settings()
    problems = settings.problems()
    if problems:
        _fail(str(ConfigurationError(problems)))

    async def work(container: Container) -> None:
        job_worker = JobWorker(container)
        if once:
            await job_worker.run_periodic(force=True)
            ran = await job_worker.drain()
            typer.echo(f"Ran {ran} jobs.")
            return
        await job_worker.run_forever()

    _run_with_container(settings, work)


# --- migrate ----------------------------------------------------------------------


@migrate_app.callback(invoke_without_command=True)
def migrate(ctx: typer.Context) -> None:
    """Apply every pending migration (uses DIRECT_URL when set)."""
    if ctx.invoked_subcommand is not None:
        return
    from mais.migrations.runner import status_line, upgrade

    url = _settings().migration_database_url
    upgrade(url)
    typer.echo(status_line(url)[1])


@migrate_app.command("apply")
def migrate_apply() -> None:
    """Apply every pending migration."""
    from mais.migrations.runner import status_line, upgrade

    url = _settings().migration_database_url
    upgrade(url)
    typer.echo(status_line(url)[1])


@migrate_app.command("status")
def migrate_status() -> None:
    """Say whether the database schema is up to date (exit 1 when it is not)."""
    from mais.migrations.runner import status_line

    ok, line = status_line(_settings().migration_database_url)
    typer.echo(line)
    if not ok:
        raise typer.Exit(1)


# `ignore_unknown_options`: a relative target such as `-1` is the argument, not an option.
@migrate_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def migrate_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1")]) -> None:
    """Roll the schema back to REVISION (e.g. `-1` for one step)."""
    from mais.migrations.runner import downgrade, status_line

    url = _settings().migration_database_url
    downgrade(url, revision)
    typer.echo(status_line(url)[1])


# --- seed and tenants --------------------------------------------------------------


@app.command("seed")
def seed_command(
    demo: Annotated[
        bool | None, typer.Option("--demo/--no-demo", help="Also create the demo tenant.")
    ] = None,
) -> None:
    """Create the platform admin (ADMIN_EMAIL / ADMIN_PASSWORD); demo data in development."""
    settings = _settings()
    with_demo = (not settings.is_production) if demo is None else demo

    async def work(container: Container) -> Any:
        from mais.demo.seed import seed

        return await seed(container, demo=with_demo)

    report = _run_with_container(settings, work)
    typer.echo(f"Platform admin: {report.admin_email}")
    if report.admin_password:
        typer.echo(f"  development password: {report.admin_password}")
    if with_demo:
        typer.echo(f"Demo tenant public key: {report.demo_public_key}")
        if report.demo_secret_key:
            typer.echo(f"Demo tenant secret key (shown once): {report.demo_secret_key}")


@app.command("create-tenant")
def create_tenant(
    slug: Annotated[str | None, typer.Option(help="URL slug, e.g. demo-tenant")] = None,
    name: Annotated[str | None, typer.Option(help="Business name")] = None,
    email: Annotated[str | None, typer.Option(help="Tenant admin e-mail")] = None,
    password: Annotated[str | None, typer.Option(help="Tenant admin password")] = None,
    commission: Annotated[str | None, typer.Option(help="Commission percent (0-50)")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone")] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive",
            help="Prompt for missing values (default: when stdin is a terminal).",
        ),
    ] = None,
) -> None:
    """Create a tenant and its admin; prints the public key and the secret key once."""
    from mais.tenants.service import TenantDraft, draft_problems

    settings = _settings()
    problems = settings.problems()
    if problems:
        _fail(str(ConfigurationError(problems)))
    if interactive is None:
        interactive = sys.stdin.isatty()
    given = {
        "slug": slug,
        "name": name,
        "email": email,
        "password": password,
        "commission": commission,
        "timezone": timezone,
    }
    if interactive:
        values = _prompt_tenant(given)
    else:
        missing = [f"--{flag}" for flag in ("slug", "name", "email", "password") if not given[flag]]
        if missing:
            _fail(f"Missing {', '.join(missing)} (or run in a terminal to be prompted).")
        values = {k: v for k, v in given.items() if v is not None}
    draft = TenantDraft(
        slug=values["slug"],
        name=values["name"],
        email=values["email"],
        password=values["password"],
        commission_percent=values.get("commission", "10"),
        timezone=values.get("timezone", "America/New_York"),
    )
    if problems := draft_problems(draft):
        _fail("Could not create the tenant:\n" + "\n".join(f"  - {p}" for p in problems))

    async def work(container: Container) -> Any:
        from mais.audit.service import Actor
        from mais.core.errors import AppError
        from mais.tenants.service import TenantService

        try:
            async with container.db.transaction() as session:
                return await TenantService(session, container.resolver).create_tenant(
                    Actor(role="system", label="mais create-tenant"),
                    slug=draft.slug,
                    name=draft.name,
                    email=draft.email,
                    password=draft.password,
                    commission_percent=draft.commission_percent,
                    timezone=draft.timezone,
                )
        except AppError as exc:
            _fail(f"Could not create the tenant: {exc.message}")

    created = _run_with_container(settings, work)
    base = settings.public_url
    typer.echo(f"Created tenant {created.tenant.slug} ({created.tenant.name})")
    typer.echo(f"  Admin login:  {base}/tenant/login  as {draft.email}")
    typer.echo(f"  Public key:   {created.keys.public_key}")
    typer.echo(f"  Secret key:   {created.keys.secret_key}")
    typer.echo("  The secret key is shown only now; store it in your secret manager.")
    typer.echo(f"  Widget:       {base}/widget?tenant={created.tenant.slug}")
    if settings.tenant_secrets_encryption_key is None and not settings.is_production:
        typer.secho(
            "  Note: TENANT_SECRETS_ENCRYPTION_KEY is not set, so the secret key is hashed with"
            " the development key; it will not work on servers that set one.",
            fg=typer.colors.YELLOW,
        )


def _prompt_tenant(given: dict[str, str | None]) -> dict[str, str]:
    """Ask for every value not given as a flag, re-asking until each one is valid."""
    from mais.tenants.service import field_problem

    questions = [
        ("slug", "Slug (e.g. demo-tenant)", None, False),
        ("name", "Business name", None, False),
        ("email", "Admin e-mail", None, False),
        ("password", "Admin password", None, True),
        ("commission", "Commission percent", "10", False),
        ("timezone", "Time zone", "America/New_York", False),
    ]
    values: dict[str, str] = {}
    for field, prompt, default, secret in questions:
        value = given[field]
        while True:
            if value is None:
                value = str(
                    typer.prompt(
                        prompt, default=default, hide_input=secret, confirmation_prompt=secret
                    )
                )
            problem = field_problem(field, value)
            if problem is None:
                break
            typer.secho(f"  {problem}", fg=typer.colors.RED, err=True)
            value = None
        values[field] = value
    return values


# --- doctor -----------------------------------------------------------------------


@app.command()
def doctor(
    send_test_error: Annotated[
        bool, typer.Option("--send-test-error", help="Also send one test event to Sentry.")
    ] = False,
) -> None:
    """Check configuration and connectivity; exit 1 with a list of problems."""
    from pydantic import ValidationError

    from mais.doctor import run_checks
    from mais.doctor import send_test_error as send_sentry_test

    try:
        settings = _settings()
    except ValidationError as exc:  # an unparsable variable is itself a finding
        for error in exc.errors():
            variable = ".".join(str(part) for part in error["loc"]) or "settings"
            typer.secho(f"✗ configuration: {variable}: {error['msg']}", fg=typer.colors.RED)
        _fail("\nThe configuration cannot be read; fix the variables above.")
        return
    results = asyncio.run(run_checks(settings))
    if send_test_error:
        results.append(send_sentry_test(settings))
    for result in results:
        mark = "✓" if result.ok else "✗"
        colour = typer.colors.GREEN if result.ok else typer.colors.RED
        typer.secho(f"{mark} {result.name}: {result.detail}", fg=colour)
    failed = sum(1 for result in results if not result.ok)
    if failed:
        noun = "problem" if failed == 1 else "problems"
        typer.secho(f"\n{failed} {noun} found; fix the items marked ✗.", fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo("\nAll checks passed.")


# --- cache ------------------------------------------------------------------------


@cache_app.command("flush")
def cache_flush(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's slug.")] = None,
) -> None:
    """Drop cached catalog and tenant-resolution entries (all tenants or one)."""

    async def work(container: Container) -> int:
        from mais.catalog.service import catalog_prefix
        from mais.tenants.repository import ApiKeyRepository, TenantRepository

        if tenant is None:
            removed = await container.cache.delete_prefix("catalog:")
            return removed + await container.cache.delete_prefix("tenant:")
        async with container.db.sessionmaker() as session:
            found = await TenantRepository(session).get_by_slug(tenant)
            if found is None:
                _fail(f"No tenant with slug {tenant!r}")
                return 0
            lookups = [key.lookup for key in await ApiKeyRepository(session, found.id).live_keys()]
        removed = await container.cache.delete_prefix(catalog_prefix(found.id))
        await container.resolver.invalidate(found.id, lookups=lookups, slugs=[found.slug])
        return removed

    settings = _settings()
    removed = _run_with_container(settings, work)
    typer.echo(f"Removed {removed} cache entries.")
    if not settings.redis_url:
        typer.echo("Note: without REDIS_URL each server process has its own in-memory cache;")
        typer.echo("restart the server to clear it (entries also expire within 10 minutes).")


# --- secrets ----------------------------------------------------------------------


@secrets_app.command("rotate-key")
def secrets_rotate_key() -> None:
    """Re-encrypt every tenant secret under TENANT_SECRETS_ENCRYPTION_KEY.

    Rotation: put the new key in TENANT_SECRETS_ENCRYPTION_KEY and the old one in
    TENANT_SECRETS_PREVIOUS_KEYS, deploy, run this, then drop the old key."""

    async def work(container: Container) -> int:
        from mais.tenants.secrets import rotate_all

        async with container.db.transaction() as session:
            return await rotate_all(session, container.secret_box)

    count = _run_with_container(_settings(), work)
    typer.echo(f"Re-encrypted {count} tenant secrets under the current key.")


# --- documentation ------------------------------------------------------------------


@app.command("config-reference")
def config_reference(
    output: Annotated[Path, typer.Option(help="Where to write the reference.")] = Path(
        "docs/configuration.md"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Only report whether the file is current.")
    ] = False,
) -> None:
    """Write the configuration reference (every setting, default, production flag,
    description) from the Settings object; `--check` exits 1 when the file is stale."""
    from mais.config_reference import reference_markdown, write_reference

    if check:
        current = output.exists() and output.read_text(encoding="utf-8") == reference_markdown()
        if not current:
            _fail(f"{output} is out of date: run `mais config-reference`.")
        typer.echo(f"{output} is current.")
        return
    changed = write_reference(output)
    typer.echo(f"{'Wrote' if changed else 'Unchanged:'} {output}")


if __name__ == "__main__":
    app()
