"""Transactions under concurrency: on SQLite every transaction takes the write lock at
BEGIN, so one that reads and then writes never fails because another writer got there
first (it would with SQLite's default deferred BEGIN); PostgreSQL runs them side by side."""

from __future__ import annotations

import asyncio
import gc
import sqlite3

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from mais.jobs.queue import enqueue
from mais.models import Job


async def _jobs(container) -> int:
    async with container.db.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Job))).scalar_one())


async def test_a_transaction_that_reads_then_writes_survives_a_concurrent_writer(container):
    finished: list[str] = []
    has_read = asyncio.Event()

    async def read_then_write() -> None:
        async with container.db.transaction() as session:
            await session.execute(select(func.count()).select_from(Job))
            has_read.set()
            await asyncio.sleep(0.2)  # the other transaction tries to write meanwhile
            await enqueue(session, "test.read_then_write", {})
        finished.append("read-then-write")

    async def write() -> None:
        await has_read.wait()
        async with container.db.transaction() as session:
            await enqueue(session, "test.write", {})
        finished.append("write")

    await asyncio.gather(read_then_write(), write())

    assert await _jobs(container) == 2
    if container.db.is_sqlite:
        # The second writer queued behind the first transaction's lock.
        assert finished == ["read-then-write", "write"]
    else:
        assert finished == ["write", "read-then-write"]


async def test_a_read_session_does_not_wait_for_an_open_write_transaction(container):
    """A request holding the write lock may fill a cache from a read session (branding, the
    catalog): on SQLite that read began with BEGIN IMMEDIATE too and waited for the
    request's own lock until busy_timeout (30 s), then failed."""
    async with container.db.transaction() as writer:
        await enqueue(writer, "test.hold_the_lock", {})
        await writer.flush()
        async with container.db.sessionmaker() as reader:
            counted = await asyncio.wait_for(
                reader.execute(select(func.count()).select_from(Job)), timeout=5
            )
            assert counted.scalar_one() == 0  # the writer's row is not committed yet
    assert await _jobs(container) == 1


async def _insert_twice(container) -> None:
    async with container.db.transaction() as session:
        await session.execute(text("CREATE TEMPORARY TABLE probe (n INTEGER PRIMARY KEY)"))
        await session.execute(text("INSERT INTO probe VALUES (1)"))
        await session.execute(text("INSERT INTO probe VALUES (1)"))


def _open(cursor: sqlite3.Cursor) -> bool:
    try:
        cursor.fetchone()
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed cursor"
        return False
    return True


async def test_a_failed_statement_leaves_no_open_cursor_to_the_garbage_collector(container):
    """aiosqlite left a failed statement's cursor open, in a reference cycle. Finalized later
    by the cyclic GC on the event loop's thread, it waited for its connection's mutex, which
    that connection's thread held while queueing in BEGIN IMMEDIATE (up to 30 s): the loop
    stopped, and concurrent checkouts with one Idempotency-Key answered 503."""
    gc.collect()
    gc.disable()
    try:
        with pytest.raises(IntegrityError):
            await _insert_twice(container)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left_open = [o for o in gc.garbage if isinstance(o, sqlite3.Cursor) and _open(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left_open == []
