"""Which tenants' data a transaction changed, announced once it has committed.

Cached reads of fast-changing rows (a tenant's occupied dates, its booking counts) are
kept under a per-tenant change token (`Cache.change_token`), and a committed change must
give that token a new value. Rather than trusting every write path to remember, the
tables say it themselves: a model whose rows feed such reads is declared with
`@tracks_changes(topic)` (bookings and blackout dates: `BOOKINGS`), and

- every flush that inserts, updates or deletes one of its rows records the row's
  (topic, tenant) on the session (`_collect`, a session event: ORM writes need nothing);
- a statement run without the ORM unit of work records it too: the tenant-scoped
  repositories do so for their bulk statements (`scoped_update`, `scoped_delete`,
  `execute_scoped`), and the two statements written outside them call
  `record_table_change` (the cross-tenant hold sweep, the blackout insert).

`mais.core.db.commit` hands the recorded set to the database's change listeners after
the commit (never after a rollback); the container's listener marks the cache tokens."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from mais.adapters.cache import Cache

# The topic of bookings and blackout dates: what occupies a tenant's dates and fills its
# booking lists.
BOOKINGS = "bookings"

_SESSION_KEY = "tenant_changes"
_TOPIC = "change_topic"  # the key in a tracked table's `info`
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TenantChange:
    topic: str
    tenant_id: uuid.UUID

    @property
    def token_name(self) -> str:
        """The cache change token of what this change invalidates."""
        return token_name(self.topic, self.tenant_id)


def token_name(topic: str, tenant_id: uuid.UUID) -> str:
    return f"{topic}:{tenant_id}"


ChangeListener = Callable[[set[TenantChange]], Awaitable[None]]


def record_change(session: AsyncSession | Session, topic: str, tenant_id: uuid.UUID) -> None:
    session.info.setdefault(_SESSION_KEY, set()).add(TenantChange(topic, tenant_id))


def tracks_changes(topic: str) -> Callable[[type[T]], type[T]]:
    """Class decorator of a model: committed changes of its rows are announced under
    `topic`, per tenant."""

    def declare(model: type[T]) -> type[T]:
        model.__table__.info[_TOPIC] = topic  # type: ignore[attr-defined]
        return model

    return declare


def record_table_change(
    session: AsyncSession | Session, table: Any, tenant_id: uuid.UUID | None
) -> None:
    """`record_change` for a write to `table` (a model or a Table), if it tracks changes."""
    info = getattr(getattr(table, "__table__", table), "info", None) or {}
    topic = info.get(_TOPIC)
    if topic is not None and tenant_id is not None:
        record_change(session, topic, tenant_id)


def take_changes(session: AsyncSession | Session) -> set[TenantChange]:
    """The changes recorded so far, forgotten by the session (at commit or rollback)."""
    changes: set[TenantChange] = session.info.pop(_SESSION_KEY, set())
    return changes


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context: Any) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        record_table_change(session, type(obj), getattr(obj, "tenant_id", None))


def marks_cache_tokens(cache: Cache) -> ChangeListener:
    """The listener that gives each changed (topic, tenant) a new cache change token."""

    async def mark(changes: set[TenantChange]) -> None:
        await cache.mark_changed(*sorted(change.token_name for change in changes))

    return mark


class TenantTopicCache:
    """Cache entries of one tenant's topic that are valid until the tenant's next committed
    change: each key holds the topic's current change token, so a change (which gives the
    token a new value) makes every older entry unreachable; they expire on their own.

    `open` takes the token before the caller reads the database, and `put` stores only if
    the token is still the same (a change committed in between refuses the fill). Without
    a reachable cache shared by every process there is no token to trust (a per-process
    cache never hears of another process's commits): `open` answers None and the caller
    reads the database."""

    def __init__(self, cache: Cache, name: str, token: bytes) -> None:
        self.cache = cache
        self.name = name
        self._prefix = f"{name}:{token.hex()}:"
        self._token = token

    @classmethod
    async def open(cls, cache: Cache, topic: str, tenant_id: uuid.UUID) -> TenantTopicCache | None:
        if not cache.spans_processes:
            return None
        name = token_name(topic, tenant_id)
        token = await cache.change_token(name)
        if token is None:  # never changed, or forgotten: start one
            await cache.mark_changed(name)
            token = await cache.change_token(name)
        return None if token is None else cls(cache, name, token)

    async def get(self, key: str) -> bytes | None:
        return await self.cache.get(self._prefix + key)

    async def put(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self.cache.set_if_unchanged(
            self._prefix + key, value, ttl_seconds, name=self.name, token=self._token
        )
