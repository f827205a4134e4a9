"""Apply, inspect and roll back migrations from code (the CLI, tests, readiness)."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from mais.core.db import connect_args, ensure_sqlite_dir, sync_url


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "mais:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, connect_args=connect_args(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def status_line(url: str) -> tuple[bool, str]:
    current, head = current_revision(url), head_revision()
    if current == head:
        return True, f"Database schema is up to date! (revision {head})"
    return False, f"Database schema is behind: at {current or 'empty'}, head is {head}"
