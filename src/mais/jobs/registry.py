"""Which function runs each kind of job, and which tasks run periodically.

Handlers receive the container and the job payload; they must be idempotent because a
job can run again after a crash between its effect and its completion mark."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mais.container import Container

Handler = Callable[["Container", dict[str, Any]], Awaitable[None]]
PeriodicTask = Callable[["Container"], Awaitable[None]]

HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: float
    task: PeriodicTask


PERIODIC: list[Periodic] = []


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise RuntimeError(f"two handlers for job kind {kind!r}")
        HANDLERS[kind] = func
        return func

    return register


def periodic(name: str, every_seconds: float) -> Callable[[PeriodicTask], PeriodicTask]:
    def register(func: PeriodicTask) -> PeriodicTask:
        if all(p.name != name for p in PERIODIC):
            PERIODIC.append(Periodic(name, every_seconds, func))
        return func

    return register


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (the job goes straight to dead)."""


def load_handlers() -> None:
    """Import every module that registers handlers (kept in one list, in one place)."""
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)


# Modules whose import registers job handlers and periodic tasks.
JOB_MODULES: list[str] = [
    "mais.notifications.tasks",
    "mais.calendar.tasks",
    "mais.bookings.tasks",
    "mais.payments.tasks",
    "mais.auth.tasks",
]
