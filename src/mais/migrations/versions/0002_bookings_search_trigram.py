"""bookings search: trigram indexes on PostgreSQL

The tenant's booking search matches any part of the couple's name or e-mail
(`lower(column) LIKE '%text%'`), which no b-tree can answer: at 100,000 bookings of one
tenant it read every row of the tenant (docs/performance.md). A GIN index of trigrams on
each expression answers it from the index. It needs the `pg_trgm` extension, which ships
with PostgreSQL (contrib) and is trusted since PostgreSQL 13 (a database owner may create
it). Where it already exists (some providers keep extensions in their own schema) that
one is used; otherwise it is created in `public`. Where it cannot be created the search
still works, unindexed, and the migration says so. SQLite has no such index: its
databases are small.

The indexes are not in the models (`mais.migrations.MIGRATION_ONLY_INDEXES`): SQLAlchemy
cannot describe an operator class of another schema portably.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:30:00
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

TRIGRAM_INDEXES = {
    "ix_bookings_couple_name_trgm": "couple_name",
    "ix_bookings_email_trgm": "email",
}


def _trigram_schema(connection: Connection) -> str | None:
    """The schema holding pg_trgm, created in `public` if absent; None if it can't be."""
    query = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    found = connection.exec_driver_sql(query).scalar()
    if found is not None:
        return str(found)
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except DBAPIError as exc:
        # Not allowed here, or created at this moment by a concurrent migration.
        found = connection.exec_driver_sql(query).scalar()
        if found is None:
            log.warning("pg_trgm unavailable (%s); booking search stays unindexed", exc.orig)
            return None
    return str(found) if found is not None else "public"


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    schema = _trigram_schema(connection)
    if schema is None:
        return
    for name, column in TRIGRAM_INDEXES.items():
        lowered = f"{column}_lower"
        op.create_index(
            name,
            "bookings",
            [sa.func.lower(sa.column(column)).label(lowered)],
            postgresql_using="gin",
            postgresql_ops={lowered: f"{schema}.gin_trgm_ops"},
            if_not_exists=True,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        op.drop_index(name, table_name="bookings", if_exists=True)
    # pg_trgm itself stays: other databases' objects or other tools may use it.
