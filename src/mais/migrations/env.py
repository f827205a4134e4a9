"""Alembic environment: runs migrations on the URL given in the config (DIRECT_URL first)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from mais.core.db import connect_args, sync_url
from mais.migrations import include_object
from mais.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
assert url, "mais.migrations.runner sets sqlalchemy.url"


def run() -> None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, connect_args=connect_args(url))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
