"""Database engine and sessions. The request owns the transaction; handlers never commit.

PostgreSQL is reached through psycopg 3 with server-side prepared statements turned off
(`prepare_threshold=None`) so the pooled `DATABASE_URL` can point at a transaction-mode
pooler (PgBouncer, Supabase). SQLite is the embedded development default; its
transactions take the write lock at BEGIN (`configure_sqlite`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from mais.core.changes import ChangeListener, take_changes
from mais.core.context import request_path_var

log = logging.getLogger("mais.db")

# Query parameters that other tools (Prisma, Supabase docs) put in URLs and libpq refuses.
_FOREIGN_URL_PARAMS = {
    "pgbouncer",
    "connection_limit",
    "pool_timeout",
    "schema",
    "statement_cache_size",
}


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def async_url(url: str) -> str:
    """Normalise a user-supplied URL to the async driver MAIS uses."""
    if url.startswith("sqlite"):
        scheme, rest = url.split(":", 1)
        return "sqlite+aiosqlite:" + rest if "+" not in scheme else url
    return _postgres_url(url, "psycopg")


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (Alembic, the CLI)."""
    if url.startswith("sqlite"):
        _scheme, rest = url.split(":", 1)
        return "sqlite:" + rest
    return _postgres_url(url, "psycopg")


def _postgres_url(url: str, driver: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme not in ("postgres", "postgresql"):
        raise ValueError(f"unsupported database URL scheme: {parts.scheme}")
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in _FOREIGN_URL_PARAMS]
    return urlunsplit((f"postgresql+{driver}", parts.netloc, parts.path, urlencode(query), ""))


# An unreachable database fails a request (503) or a CLI check in seconds, not minutes.
CONNECT_TIMEOUT_SECONDS = 10


def connect_args(url: str) -> dict[str, Any]:
    if is_sqlite(url):
        return {"timeout": 30}
    # No server-side prepared statements: they break behind transaction-mode poolers.
    return {"prepare_threshold": None, "connect_timeout": CONNECT_TIMEOUT_SECONDS}


def ensure_sqlite_dir(url: str) -> None:
    if is_sqlite(url) and ":memory:" not in url:
        path = url.split("///", 1)[-1]
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)


# Execution option of the engine behind `Database.sessionmaker` (sessions that only read).
READ_ONLY = "mais_read_only"


def configure_sqlite(engine: Engine) -> None:
    """Pragmas for every connection, and transactions that begin with BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The driver's own transaction handling is switched off (it would BEGIN only
        # before the first INSERT/UPDATE, leaving earlier reads outside the transaction);
        # `_begin_immediate` emits the BEGIN instead.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "handle_error")
    def _close_the_failed_cursor(context: Any) -> None:
        # aiosqlite leaves the cursor of a failed statement (a unique-index violation, say)
        # open, and the exception's frames keep it in a reference cycle. The cyclic GC then
        # finalizes it later on the event loop's thread, and the finalizer waits for its
        # connection's mutex, which that connection's thread holds while it waits in BEGIN
        # IMMEDIATE for the write lock (up to busy_timeout): the loop stopped, the request
        # holding the lock could not commit, and every waiter failed after 30 s. Closed
        # now, while its connection is idle, the cursor's finalizer has nothing to wait for.
        # The cursor is the local `_cursor` of SQLAlchemy's aiosqlite adapter
        # (`AsyncAdapt_aiosqlite_cursor.execute`), an aiosqlite cursor around the sqlite3
        # one; tests/core/test_db.py fails if a failed statement's cursor is left open.
        tb = context.original_exception.__traceback__
        while tb is not None:
            wrapper = tb.tb_frame.f_locals.get("_cursor")
            raw = getattr(wrapper, "_cursor", None)
            if isinstance(raw, sqlite3.Cursor):
                with contextlib.suppress(sqlite3.Error):
                    raw.close()
            tb = tb.tb_next

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # SQLite has one writer. A deferred transaction that read first and writes later
        # cannot wait for the lock (its snapshot may be stale) and fails at once with
        # "database is locked" when another writer got there first. Taking the write lock
        # at BEGIN makes concurrent transactions queue on busy_timeout instead, and makes
        # every transaction serializable (what FOR UPDATE gives on PostgreSQL).
        # Read-only sessions (`Database.sessionmaker`) begin deferred: in WAL mode a reader
        # never waits for the writer, so a cache fill made while the same request holds
        # the write lock does not wait for its own request (it did, for busy_timeout).
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# A pooled connection idle longer than this is pinged before it is lent out.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has sat idle in the pool: a
    database restart or failover during a quiet spell is noticed before a request uses the
    dead connection, while a busy worker pays no round trip per request (`pool_pre_ping`
    pings on every checkout: one more round trip for every request that touches the
    database). A connection that breaks while in use fails its statement (503), and
    SQLAlchemy's disconnect handling then discards every connection of the pool."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (up to 3 tries).
            raise DisconnectionError("an idle pooled connection failed its ping") from exc


def install_slow_query_log(engine: Engine, threshold_ms: int, on_slow: Any = None) -> None:
    """Log (and report through `on_slow`) every statement slower than the threshold."""

    @event.listens_for(engine, "before_cursor_execute")
    def _start(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info.setdefault("query_start", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        started = conn.info["query_start"].pop()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms >= threshold_ms:
            log.warning(
                "slow query",
                extra={
                    "duration_ms": round(elapsed_ms, 1),
                    "statement": statement[:500],
                    "path": request_path_var.get(),
                },
            )
            if on_slow is not None:
                on_slow(elapsed_ms)


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once this session's transaction has committed (cache invalidation,
    waking the job worker). Callbacks never run for a rolled-back transaction."""
    session.info.setdefault("after_commit", []).append(callback)


def after_rollback(session: AsyncSession, callback: AfterCommit) -> None:
    """Undo, if this session's transaction rolls back, a side effect made ahead of the
    commit: a file written to storage before the row that names it (the row must not exist
    without its file, so the file goes first and is removed again on failure)."""
    session.info.setdefault("after_rollback", []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit, announce the tenant changes it made (`mais.core.changes`), then run the
    after-commit callbacks; a failing listener or callback is logged, not raised, because
    the data it follows is already safely stored."""
    await session.commit()
    session.info.pop("after_rollback", None)
    changes = take_changes(session)
    listeners: list[ChangeListener] = session.info.get("change_listeners", []) if changes else []
    await _run([partial(listener, changes) for listener in listeners], "change-listener")
    await _run(session.info.pop("after_commit", []), "after-commit")


async def rollback(session: AsyncSession) -> None:
    session.info.pop("after_commit", None)
    take_changes(session)
    undo: list[AfterCommit] = session.info.pop("after_rollback", [])
    await session.rollback()
    await _run(undo, "after-rollback")


async def _run(callbacks: list[AfterCommit], kind: str) -> None:
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            log.exception("%s callback failed", kind)


class Database:
    """The engine and session factory of one process."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        slow_query_ms: int = 1000,
        on_slow_query: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        ensure_sqlite_dir(url)
        options: dict[str, Any] = {"connect_args": connect_args(url)}
        if not is_sqlite(url):
            options |= {"pool_size": pool_size, "max_overflow": pool_size, "pool_recycle": 1800}
        self.engine: AsyncEngine = create_async_engine(async_url(url), **options)
        if is_sqlite(url):
            configure_sqlite(self.engine.sync_engine)
        else:
            ping_idle_connections(self.engine.sync_engine)
        self.slow_queries = 0
        self._on_slow_query = on_slow_query
        install_slow_query_log(self.engine.sync_engine, slow_query_ms, self._count_slow)
        # Called with the tenant changes of every committed session of this database.
        self.change_listeners: list[ChangeListener] = []
        # Sessions that write and commit: the request's, `transaction()`.
        self.write_sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info={"change_listeners": self.change_listeners}
        )
        # Sessions that only read (cache fills, lookups); never committed.
        self.sessionmaker = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def _count_slow(self, _elapsed_ms: float) -> None:
        self.slow_queries += 1
        if self._on_slow_query is not None:
            self._on_slow_query()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits when the block succeeds, else rolls back."""
        async with self.write_sessionmaker() as session:
            try:
                yield session
                await commit(session)
            except BaseException:
                await rollback(session)
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
