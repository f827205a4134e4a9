"""Alembic migrations and the functions the CLI and health checks use to run them."""
