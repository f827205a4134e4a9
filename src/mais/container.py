"""Builds, once per process, everything the app and the CLI share: database, cache,
rate limiter, tenant resolver and the adapters chosen by `ADAPTERS_PRESET`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mais.adapters.cache import Cache, MemoryCache, RedisCache, TieredCache
from mais.adapters.calendar import CalendarPort, MemoryCalendar
from mais.adapters.email import EmailPort
from mais.adapters.email.outbox import OutboxEmail
from mais.adapters.payments import MockPayments, PaymentsPort
from mais.adapters.storage import LocalStorage, Storage
from mais.core.changes import marks_cache_tokens
from mais.core.clock import Clock
from mais.core.db import Database
from mais.core.http import Network, parse_networks
from mais.core.ratelimit import RateLimiter
from mais.observability.metrics import SLOW_QUERIES
from mais.settings import Settings
from mais.tenants.keys import derive_hmac_key
from mais.tenants.resolver import TenantResolver
from mais.tenants.secrets import SecretBox

log = logging.getLogger("mais.container")


@dataclass
class Container:
    settings: Settings
    db: Database
    cache: Cache
    rate_limiter: RateLimiter
    resolver: TenantResolver
    storage: Storage
    calendar: CalendarPort
    email: EmailPort
    secret_box: SecretBox
    trusted_proxies: list[Network]
    payments: PaymentsPort
    # Booking rules ask this clock for "now"; tests freeze or advance it.
    clock: Clock = field(default_factory=Clock)

    async def close(self) -> None:
        await self.payments.close()
        await self.rate_limiter.close()
        await self.email.close()
        await self.calendar.close()
        await self.cache.close()
        await self.db.dispose()


def build_cache(settings: Settings) -> tuple[Cache, Cache | None]:
    """The cache the app uses, and the shared (cross-process) tier when there is one."""
    if settings.redis_url:
        shared = RedisCache(settings.redis_url)
        return TieredCache(shared), shared
    return MemoryCache(), None


def build_storage(settings: Settings) -> Storage:
    if settings.s3_bucket:
        from mais.adapters.storage.s3 import S3Storage  # boto3 is only imported when used

        return S3Storage.from_settings(settings)
    return LocalStorage(settings.uploads_dir, settings.public_url)


def build_calendar(settings: Settings) -> CalendarPort:
    service_account = settings.google_service_account
    if service_account is not None:
        from mais.adapters.calendar.google import GoogleCalendar  # google-auth only when used

        return GoogleCalendar(service_account, api_base=settings.google_api_base)
    return MemoryCalendar()


def build_email(settings: Settings) -> EmailPort:
    if not settings.mock_adapters and settings.postmark_server_token:
        from mais.adapters.email.postmark import PostmarkEmail

        return PostmarkEmail(
            settings.postmark_server_token,
            settings.email_from,
            api_base=settings.postmark_api_base,
        )
    if not settings.mock_adapters:
        log.warning(
            "E-MAIL IS NOT BEING DELIVERED: ADAPTERS_PRESET=real without POSTMARK_SERVER_TOKEN; "
            "messages are only written to %s",
            settings.outbox_dir,
        )
    return OutboxEmail(settings.outbox_dir, settings.email_from)


def build_payments(settings: Settings, clock: Clock) -> PaymentsPort:
    if settings.mock_adapters:
        return MockPayments(
            settings.data_dir / "mock-stripe",
            public_url=settings.public_url,
            webhook_secret=settings.effective_webhook_secret,
            clock=clock,
        )
    from mais.adapters.payments.stripe import StripePayments  # the SDK only when used

    assert settings.stripe_secret_key, "Settings.problems() requires STRIPE_SECRET_KEY"
    return StripePayments(settings.stripe_secret_key, api_base=settings.stripe_api_base)


def build_container(settings: Settings) -> Container:
    db = Database(
        settings.runtime_database_url,
        pool_size=settings.db_pool_size,
        slow_query_ms=settings.slow_query_ms,
        on_slow_query=SLOW_QUERIES.inc,
    )
    cache, shared_cache = build_cache(settings)
    db.change_listeners.append(marks_cache_tokens(cache))
    clock = Clock()
    return Container(
        settings=settings,
        db=db,
        cache=cache,
        rate_limiter=RateLimiter(
            settings.redis_url,
            api_per_minute=settings.rate_limit_api_per_minute,
            auth_attempts=settings.rate_limit_auth_attempts,
            auth_window_minutes=settings.rate_limit_auth_window_minutes,
        ),
        resolver=TenantResolver(
            db,
            derive_hmac_key(settings.effective_encryption_key),
            previous_hmac_keys=[derive_hmac_key(k) for k in settings.previous_encryption_keys],
            shared=shared_cache,
        ),
        storage=build_storage(settings),
        calendar=build_calendar(settings),
        email=build_email(settings),
        secret_box=SecretBox(settings.effective_encryption_key, settings.previous_encryption_keys),
        trusted_proxies=parse_networks(settings.trusted_proxies),
        payments=build_payments(settings, clock),
        clock=clock,
    )
