"""Alembic migrations and the functions the CLI and health checks use to run them."""

from typing import Any

# Indexes that a migration creates on PostgreSQL and the models do not declare (revision
# 0002: trigram indexes for the booking search). Autogenerate must leave them alone.
MIGRATION_ONLY_INDEXES = frozenset({"ix_bookings_couple_name_trgm", "ix_bookings_email_trgm"})


def include_object(_obj: Any, name: str | None, type_: str, _reflected: bool, _other: Any) -> bool:
    """Alembic's `include_object` filter for comparing the database with the models."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)
