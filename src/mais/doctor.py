"""`mais doctor`: configuration and connectivity checks with readable results."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import text

from mais.settings import Settings


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def run_checks(settings: Settings) -> list[CheckResult]:
    results: list[CheckResult] = []
    problems = settings.problems()
    results.append(
        CheckResult(
            "configuration",
            not problems,
            "; ".join(problems)
            if problems
            else f"{settings.app_env.value}, adapters={settings.adapters.value}",
        )
    )
    results.append(await _check_database(settings))
    results.append(await asyncio.to_thread(_check_migrations, settings))
    results.append(await _check_redis(settings))
    results.append(await _check_storage(settings))
    results += _check_optional_integrations(settings)
    return results


async def _check_database(settings: Settings) -> CheckResult:
    from mais.core.db import Database

    db = Database(settings.runtime_database_url, pool_size=1)
    try:
        async with asyncio.timeout(5):
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

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
        policy = await client.config_get("maxmemory-policy")
        detail = "connected"
        if policy and policy.get("maxmemory-policy") not in (None, "allkeys-lru"):
            detail += f" (maxmemory-policy is {policy['maxmemory-policy']}; allkeys-lru advised)"
        return CheckResult("redis", True, detail)
    except Exception as exc:
        if "config" in str(exc).lower():  # managed Redis may forbid CONFIG GET
            return CheckResult("redis", True, "connected")
        return CheckResult("redis", False, f"cannot connect: {_short(exc)}")
    finally:
        await client.aclose()


async def _check_storage(settings: Settings) -> CheckResult:
    from mais.container import build_storage

    try:
        storage = build_storage(settings)
        problem = await storage.check()
    except Exception as exc:
        return CheckResult("storage", False, _short(exc))
    if problem:
        return CheckResult("storage", False, problem)
    return CheckResult("storage", True, f"{storage.backend} storage writable")


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
            info = json.loads(base64.b64decode(raw, validate=True))
            ok = {"client_email", "private_key", "token_uri"} <= info.keys()
            detail = f"service account {info.get('client_email')}" if ok else "JSON lacks keys"
            results.append(CheckResult("google calendar", ok, detail))
        except (binascii.Error, ValueError) as exc:
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


def _short(exc: BaseException) -> str:
    text_ = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text_[:200]
