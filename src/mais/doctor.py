"""`mais doctor`: configuration and connectivity checks with readable results.

Every check has a time limit, so a black-holed host is reported as a problem instead of
hanging the command; a check that fails names what is wrong and what to change."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import text

from mais.settings import Settings, decode_service_account

CHECK_TIMEOUT_SECONDS = 15.0
STRIPE_KEY_SHAPE = re.compile(r"^(sk|rk)_(live|test)_[A-Za-z0-9]{8,}$")

T = TypeVar("T")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def run_checks(
    settings: Settings, *, seconds_per_check: float = CHECK_TIMEOUT_SECONDS
) -> list[CheckResult]:
    results = _check_configuration(settings)
    checks: list[tuple[str, Callable[[], Awaitable[CheckResult]]]] = [
        ("database", lambda: _check_database(settings)),
        ("migrations", lambda: _in_thread(lambda: _check_migrations(settings))),
        ("redis", lambda: _check_redis(settings)),
        ("storage", lambda: _check_storage(settings)),
    ]
    for name, check in checks:
        results.append(await _within(name, check, seconds_per_check))
    results.append(_check_stripe(settings))
    results += _check_optional_integrations(settings)
    return results


async def _within(
    name: str, check: Callable[[], Awaitable[CheckResult]], seconds: float
) -> CheckResult:
    try:
        async with asyncio.timeout(seconds):
            return await check()
    except TimeoutError:
        return CheckResult(name, False, f"no answer within {seconds:g} s")
    except Exception as exc:
        return CheckResult(name, False, _short(exc))


async def _in_thread(work: Callable[[], T]) -> T:
    """Run blocking work in a daemon thread: if it outlives its time limit it is
    abandoned, and cannot keep the process from exiting (the default executor would)."""
    future: Future[T] = Future()

    def target() -> None:
        try:
            result = work()
        except BaseException as exc:
            with contextlib.suppress(InvalidStateError):  # cancelled: nobody is waiting
                future.set_exception(exc)
        else:
            with contextlib.suppress(InvalidStateError):
                future.set_result(result)

    threading.Thread(target=target, name="mais-doctor-check", daemon=True).start()
    return await asyncio.wrap_future(future)


def _check_configuration(settings: Settings) -> list[CheckResult]:
    problems = settings.problems()
    if not problems:
        detail = f"{settings.app_env.value}, adapters={settings.adapters.value}"
        return [CheckResult("configuration", True, detail)]
    return [CheckResult("configuration", False, problem) for problem in problems]


async def _check_database(settings: Settings) -> CheckResult:
    from mais.core.db import Database

    try:
        db = Database(settings.runtime_database_url, pool_size=1)
    except Exception as exc:
        return CheckResult("database", False, f"DATABASE_URL is not usable: {_short(exc)}")
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return CheckResult("database", True, f"connected ({db.engine.dialect.name})")
    except Exception as exc:
        return CheckResult("database", False, f"cannot connect: {_short(exc)}")
    finally:
        await db.dispose()


def _check_migrations(settings: Settings) -> CheckResult:
    from mais.migrations.runner import status_line

    try:
        ok, line = status_line(settings.migration_database_url)
    except Exception as exc:
        return CheckResult("migrations", False, f"cannot read: {_short(exc)}")
    return CheckResult("migrations", ok, line + ("" if ok else " — run `mais migrate`"))


async def _check_redis(settings: Settings) -> CheckResult:
    if not settings.redis_url:
        note = "REDIS_URL not set: in-process cache" + (
            " (recommended in production)" if settings.is_production else ""
        )
        return CheckResult("redis", True, note)
    from redis.asyncio import Redis

    try:
        client = Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    except Exception as exc:
        return CheckResult("redis", False, f"REDIS_URL is not usable: {_short(exc)}")
    try:
        await client.ping()
    except Exception as exc:
        return CheckResult("redis", False, f"cannot connect: {_short(exc)}")
    try:
        detail = "connected"
        policy = await client.config_get("maxmemory-policy")
        if policy and policy.get("maxmemory-policy") not in (None, "allkeys-lru"):
            detail += f" (maxmemory-policy is {policy['maxmemory-policy']}; allkeys-lru advised)"
        return CheckResult("redis", True, detail)
    except Exception:  # managed Redis may forbid CONFIG GET
        return CheckResult("redis", True, "connected")
    finally:
        await client.aclose()


async def _check_storage(settings: Settings) -> CheckResult:
    from mais.container import build_storage

    storage = build_storage(settings)
    problem = await storage.check()
    if problem:
        return CheckResult("storage", False, problem)
    return CheckResult("storage", True, f"{storage.backend} storage writable")


def _check_stripe(settings: Settings) -> CheckResult:
    key = settings.stripe_secret_key
    if not key:
        if settings.mock_adapters:
            return CheckResult("stripe", True, "mock payments (ADAPTERS_PRESET=mock)")
        return CheckResult("stripe", False, "STRIPE_SECRET_KEY is not set")
    if not STRIPE_KEY_SHAPE.match(key):
        return CheckResult(
            "stripe",
            False,
            "STRIPE_SECRET_KEY does not look like a Stripe secret key (sk_live_...)",
        )
    mode = "live" if "_live_" in key else "test"
    if settings.is_production and mode == "test":
        return CheckResult("stripe", False, "STRIPE_SECRET_KEY is a test-mode key in production")
    return CheckResult("stripe", True, f"{mode}-mode key")


def _check_optional_integrations(settings: Settings) -> list[CheckResult]:
    results = []
    if settings.postmark_server_token:
        results.append(CheckResult("e-mail", True, "Postmark configured"))
    else:
        results.append(
            CheckResult(
                "e-mail", True, f"no POSTMARK_SERVER_TOKEN: messages go to {settings.outbox_dir}"
            )
        )
    raw = settings.google_service_account_json_base64
    if raw:
        try:
            info = decode_service_account(raw)
            results.append(
                CheckResult("google calendar", True, f"service account {info['client_email']}")
            )
        except ValueError as exc:
            results.append(
                CheckResult("google calendar", False, f"GOOGLE_SERVICE_ACCOUNT_JSON_BASE64: {exc}")
            )
    return results


def send_test_error(settings: Settings) -> CheckResult:
    """Send one event to Sentry so an operator can see the integration works end to end."""
    import sentry_sdk

    from mais.observability.sentry import init_sentry

    if not init_sentry(settings):
        return CheckResult("sentry", False, "SENTRY_DSN is not set")
    event_id = sentry_sdk.capture_message("MAIS test error sent by `mais doctor`", level="error")
    sentry_sdk.flush(timeout=10)
    return CheckResult("sentry", event_id is not None, f"test event {event_id} sent")


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _short(exc: BaseException) -> str:
    """First line of an error, without any password a URL in it may carry."""
    text_ = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return _URL_PASSWORD.sub(r"\1***@", text_)[:200]
