"""The one settings object: every environment variable MAIS reads, read once.

Names are fixed by SPEC §8 and the deployment checklist; nothing else in the code
reads the environment. `Settings.problems()` lists what makes a production
configuration unusable so the app can refuse to start and say why.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class AdaptersPreset(StrEnum):
    mock = "mock"
    real = "real"


# Values copied from documentation or `.env.example` that must never reach production.
_PLACEHOLDER = re.compile(
    r"(<[^>]*>|\.\.\.|changeme|change-me|replace-me|your[-_]|example|placeholder|dev-only|xxxx)",
    re.IGNORECASE,
)
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")

DEV_JWT_SECRET = "dev-only-jwt-secret-not-for-production-0000000000"  # noqa: S105 - refused in production
DEV_ENCRYPTION_KEY = "00" * 32
DEV_WEBHOOK_SECRET = "whsec_dev_only_mock_webhook_secret"  # noqa: S105 - mock mode only
DEV_ADMIN_EMAIL = "admin@mais.local"
DEV_ADMIN_PASSWORD = "admin-dev-password"  # noqa: S105 - printed dev default, refused in production


SERVICE_ACCOUNT_KEYS = ("client_email", "private_key", "token_uri")


def decode_service_account(raw_base64: str) -> dict[str, Any]:
    """The service-account JSON key carried by GOOGLE_SERVICE_ACCOUNT_JSON_BASE64;
    ValueError with a readable reason when it is not one."""
    try:
        info = json.loads(base64.b64decode(raw_base64, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64-encoded JSON ({exc.__class__.__name__})") from exc
    if not isinstance(info, dict):
        raise ValueError("not a JSON object")
    missing = [key for key in SERVICE_ACCOUNT_KEYS if not info.get(key)]
    if missing:
        raise ValueError(f"the service-account JSON lacks {', '.join(missing)}")
    return info


def _env_default_data_dir() -> Path:
    return Path.cwd() / "var"


class Settings(BaseSettings):
    """Configuration, with the checklist's variable names as the environment keys."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
        populate_by_name=True,
    )

    # --- application -------------------------------------------------------------
    app_env: Environment = Field(
        default=Environment.development,
        validation_alias=AliasChoices("APP_ENV", "NODE_ENV"),
        description="Environment name: development, test or production (NODE_ENV is an alias).",
    )
    adapters_preset: AdaptersPreset | None = Field(
        default=None,
        validation_alias="ADAPTERS_PRESET",
        description="`mock` (default in development) or `real` (default in production).",
    )
    host: str | None = Field(
        default=None,
        validation_alias="HOST",
        description="Interface to bind: 127.0.0.1 in development, 0.0.0.0 in production.",
    )
    port: int = Field(default=3001, validation_alias="PORT", description="HTTP port to listen on.")
    web_concurrency: int | None = Field(
        default=None,
        validation_alias="WEB_CONCURRENCY",
        description="Number of web worker processes (default: number of CPUs).",
    )
    frontend_url: str | None = Field(
        default=None,
        validation_alias="FRONTEND_URL",
        description="Public base URL of the app, used in links, e-mails and the embed snippet.",
    )
    data_dir: Path = Field(
        default_factory=_env_default_data_dir,
        validation_alias="DATA_DIR",
        description="Directory for the embedded database, uploads and the dev outbox.",
    )
    log_level: str = Field(
        default="info",
        validation_alias="LOG_LEVEL",
        description="Log level: debug, info, warning or error.",
    )
    support_email: str = Field(
        default="support@maconaisolutions.com",
        validation_alias="SUPPORT_EMAIL",
        description="Support address shown to customers and tenants: widget error pages and "
        "footer, booking and password e-mails, help pages and dashboards.",
    )

    # --- database ------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="Runtime database (pooled, transaction mode). Default: SQLite in DATA_DIR.",
    )
    direct_url: str | None = Field(
        default=None,
        validation_alias="DIRECT_URL",
        description="Direct database connection used for migrations (default: DATABASE_URL).",
    )
    slow_query_ms: int = Field(
        default=1000,
        validation_alias="SLOW_QUERY_MS",
        description="Queries slower than this many milliseconds are logged.",
    )
    db_pool_size: int = Field(
        default=10,
        validation_alias="DB_POOL_SIZE",
        description="Database connections per process (pool size).",
    )

    # --- security ------------------------------------------------------------------
    jwt_secret: str | None = Field(
        default=None,
        validation_alias="JWT_SECRET",
        description="HS256 key signing admin tokens (openssl rand -hex 32).",
    )
    tenant_secrets_encryption_key: str | None = Field(
        default=None,
        validation_alias="TENANT_SECRETS_ENCRYPTION_KEY",
        description="64 hex characters: AES-256-GCM key for tenant secrets and API-key hashing.",
    )
    tenant_secrets_previous_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="TENANT_SECRETS_PREVIOUS_KEYS",
        description="Comma-separated former TENANT_SECRETS_ENCRYPTION_KEY values, still "
        "accepted while a key rotation is under way (see docs/runbook.md).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="TRUSTED_PROXIES",
        description="Comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed.",
    )
    metrics_token: str | None = Field(
        default=None,
        validation_alias="METRICS_TOKEN",
        description="Bearer token required by /metrics when set.",
    )
    admin_email: str | None = Field(
        default=None,
        validation_alias="ADMIN_EMAIL",
        description="E-mail of the platform admin created by `mais seed`.",
    )
    admin_password: str | None = Field(
        default=None,
        validation_alias="ADMIN_PASSWORD",
        description="Password of the platform admin created by `mais seed`.",
    )

    # --- rate limits -----------------------------------------------------------------
    rate_limit_api_per_minute: int = Field(
        default=100,
        validation_alias="RATE_LIMIT_API_PER_MINUTE",
        description="Public API requests per minute per tenant and client.",
    )
    rate_limit_auth_attempts: int = Field(
        default=5,
        validation_alias="RATE_LIMIT_AUTH_ATTEMPTS",
        description="Failed logins allowed per IP per window.",
    )
    rate_limit_auth_window_minutes: int = Field(
        default=15,
        validation_alias="RATE_LIMIT_AUTH_WINDOW_MINUTES",
        description="Window of the failed-login limit, in minutes.",
    )

    # --- bookings ----------------------------------------------------------------------
    hold_minutes: int = Field(
        default=30,
        validation_alias="HOLD_MINUTES",
        description="How long a date is held during checkout (never below Stripe's 30).",
    )

    # --- Stripe ------------------------------------------------------------------------
    stripe_secret_key: str | None = Field(
        default=None,
        validation_alias="STRIPE_SECRET_KEY",
        description="Stripe API secret key (sk_live_... in production).",
    )
    stripe_webhook_secret: str | None = Field(
        default=None,
        validation_alias="STRIPE_WEBHOOK_SECRET",
        description="Signing secret of the webhook endpoint (whsec_...).",
    )
    stripe_success_url: str | None = Field(
        default=None,
        validation_alias="STRIPE_SUCCESS_URL",
        description="Where Checkout returns after payment.",
    )
    stripe_cancel_url: str | None = Field(
        default=None,
        validation_alias="STRIPE_CANCEL_URL",
        description="Where Checkout returns when the customer cancels.",
    )
    stripe_api_base: str | None = Field(
        default=None,
        validation_alias="STRIPE_API_BASE",
        description="Override of Stripe's API base URL (local fakes in tests).",
    )

    # --- cache ----------------------------------------------------------------------
    redis_url: str | None = Field(
        default=None,
        validation_alias="REDIS_URL",
        description="Redis for cache and rate limits (rediss:// for TLS); in-process if unset.",
    )

    # --- e-mail --------------------------------------------------------------------
    postmark_server_token: str | None = Field(
        default=None,
        validation_alias="POSTMARK_SERVER_TOKEN",
        description="Postmark server token; without it e-mail goes to the local outbox.",
    )
    postmark_from_email: str | None = Field(
        default=None,
        validation_alias="POSTMARK_FROM_EMAIL",
        description="Sender address for Postmark.",
    )
    postmark_api_base: str = Field(
        default="https://api.postmarkapp.com",
        validation_alias="POSTMARK_API_BASE",
        description="Postmark API base URL (local fakes in tests).",
    )

    # --- calendar ------------------------------------------------------------------
    google_calendar_id: str | None = Field(
        default=None,
        validation_alias="GOOGLE_CALENDAR_ID",
        description="Default Google Calendar id for tenants without their own.",
    )
    google_service_account_json_base64: str | None = Field(
        default=None,
        validation_alias="GOOGLE_SERVICE_ACCOUNT_JSON_BASE64",
        description="Base64 of the Google service-account JSON key.",
    )
    google_api_base: str = Field(
        default="https://www.googleapis.com",
        validation_alias="GOOGLE_API_BASE",
        description="Google API base URL (local fakes in tests).",
    )

    # --- storage -------------------------------------------------------------------
    s3_bucket: str | None = Field(
        default=None,
        validation_alias="S3_BUCKET",
        description="S3 bucket for photos and logos; local DATA_DIR when unset.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        validation_alias="S3_ENDPOINT_URL",
        description="S3-compatible endpoint (e.g. Cloudflare R2); AWS when unset.",
    )
    s3_public_base_url: str | None = Field(
        default=None,
        validation_alias="S3_PUBLIC_BASE_URL",
        description="Public URL prefix under which stored objects are served.",
    )
    s3_access_key_id: str | None = Field(
        default=None,
        validation_alias="S3_ACCESS_KEY_ID",
        description="S3 access key id (required with S3_BUCKET).",
    )
    s3_secret_access_key: str | None = Field(
        default=None,
        validation_alias="S3_SECRET_ACCESS_KEY",
        description="S3 secret access key (required with S3_BUCKET).",
    )
    s3_region: str = Field(
        default="auto",
        validation_alias="S3_REGION",
        description="S3 region (`auto` for Cloudflare R2).",
    )

    # --- monitoring -------------------------------------------------------------------
    sentry_dsn: str | None = Field(
        default=None,
        validation_alias="SENTRY_DSN",
        description="Sentry DSN; errors are reported to Sentry when set.",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP endpoint for OpenTelemetry traces.",
    )

    @field_validator("trusted_proxies", "tenant_secrets_previous_keys", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator(
        "adapters_preset",
        "database_url",
        "direct_url",
        "redis_url",
        "jwt_secret",
        "tenant_secrets_encryption_key",
        "stripe_secret_key",
        "stripe_webhook_secret",
        "stripe_success_url",
        "stripe_cancel_url",
        "frontend_url",
        "host",
        "sentry_dsn",
        "postmark_server_token",
        "postmark_from_email",
        "google_calendar_id",
        "google_service_account_json_base64",
        "s3_bucket",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    # --- derived values ------------------------------------------------------------

    @property
    def is_production(self) -> bool:
        return self.app_env is Environment.production

    @property
    def adapters(self) -> AdaptersPreset:
        if self.adapters_preset is not None:
            return self.adapters_preset
        return AdaptersPreset.real if self.is_production else AdaptersPreset.mock

    @property
    def mock_adapters(self) -> bool:
        return self.adapters is AdaptersPreset.mock

    @property
    def bind_host(self) -> str:
        if self.host:
            return self.host
        return "0.0.0.0" if self.is_production else "127.0.0.1"  # noqa: S104 - production binds all

    @property
    def workers(self) -> int:
        return self.web_concurrency or os.cpu_count() or 1

    @property
    def public_url(self) -> str:
        """Base URL used to build absolute links (no trailing slash)."""
        if self.frontend_url:
            return self.frontend_url.rstrip("/")
        host = "127.0.0.1" if self.bind_host in ("0.0.0.0", "::") else self.bind_host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def runtime_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'mais.db'}"

    @property
    def migration_database_url(self) -> str:
        return self.direct_url or self.runtime_database_url

    @property
    def effective_jwt_secret(self) -> str:
        return self.jwt_secret or DEV_JWT_SECRET

    @property
    def effective_encryption_key(self) -> bytes:
        return bytes.fromhex(self.tenant_secrets_encryption_key or DEV_ENCRYPTION_KEY)

    @property
    def previous_encryption_keys(self) -> list[bytes]:
        return [bytes.fromhex(key) for key in self.tenant_secrets_previous_keys]

    @property
    def effective_webhook_secret(self) -> str:
        return self.stripe_webhook_secret or DEV_WEBHOOK_SECRET

    @property
    def effective_hold_minutes(self) -> int:
        # Stripe refuses Checkout sessions that expire sooner than 30 minutes.
        return max(30, self.hold_minutes)

    @property
    def success_url(self) -> str:
        return self.stripe_success_url or f"{self.public_url}/success"

    @property
    def cancel_url(self) -> str:
        return self.stripe_cancel_url or f"{self.public_url}/cancel"

    @cached_property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @cached_property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def email_from(self) -> str:
        """The platform's sender address (tenant names are shown as its display name)."""
        return self.postmark_from_email or "bookings@mais.localhost"

    @cached_property
    def google_service_account(self) -> dict[str, Any] | None:
        """The decoded service-account key, or None when Google Calendar is not set up."""
        raw = self.google_service_account_json_base64
        return decode_service_account(raw) if raw else None

    # --- validation ---------------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything that makes this configuration unfit to run, one readable line each."""
        found: list[str] = []
        if self.is_production:
            found += self._production_problems()
        if self.adapters is AdaptersPreset.real:
            found += self._real_adapter_problems()
        if self.tenant_secrets_encryption_key and not _HEX64.match(
            self.tenant_secrets_encryption_key
        ):
            found.append("TENANT_SECRETS_ENCRYPTION_KEY must be 64 hex characters")
        for previous in self.tenant_secrets_previous_keys:
            if not _HEX64.match(previous):
                found.append("TENANT_SECRETS_PREVIOUS_KEYS must list 64-hex-character keys")
        if (
            self.database_url
            and not self.is_production  # production names its own, stricter rule
            and not self.database_url.startswith(
                ("postgres://", "postgresql://", "postgresql+", "sqlite:")
            )
        ):
            found.append("DATABASE_URL must be a postgresql:// or sqlite:/// URL")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://")):
            found.append("REDIS_URL must be a redis:// or rediss:// URL")
        if self.hold_minutes < 30:
            found.append("HOLD_MINUTES must be at least 30 (Stripe Checkout's minimum)")
        if self.google_service_account_json_base64:
            try:
                decode_service_account(self.google_service_account_json_base64)
            except ValueError as exc:
                found.append(f"GOOGLE_SERVICE_ACCOUNT_JSON_BASE64 is unusable: {exc}")
        return sorted(set(found))

    def _production_problems(self) -> list[str]:
        found: list[str] = []
        required = {
            "DATABASE_URL": self.database_url,
            "DIRECT_URL": self.direct_url,
            "JWT_SECRET": self.jwt_secret,
            "TENANT_SECRETS_ENCRYPTION_KEY": self.tenant_secrets_encryption_key,
            # The platform admin `mais seed` creates (SPEC §5).
            "ADMIN_EMAIL": self.admin_email,
            "ADMIN_PASSWORD": self.admin_password,
        }
        for name, value in required.items():
            if not value:
                found.append(f"{name} is required in production")
            elif _PLACEHOLDER.search(value):
                found.append(f"{name} still holds a placeholder value")
        for name, url in (("DATABASE_URL", self.database_url), ("DIRECT_URL", self.direct_url)):
            if url and not url.startswith(("postgres://", "postgresql://", "postgresql+")):
                found.append(f"{name} must be a PostgreSQL URL in production")
        if self.redis_url and _PLACEHOLDER.search(self.redis_url):
            found.append("REDIS_URL still holds a placeholder value")
        if self.jwt_secret and len(self.jwt_secret) < 32:
            found.append("JWT_SECRET must be at least 32 characters (openssl rand -hex 32)")
        if self.jwt_secret and self.jwt_secret == DEV_JWT_SECRET:
            found.append("JWT_SECRET is the development default")
        if self.tenant_secrets_encryption_key == DEV_ENCRYPTION_KEY:
            found.append("TENANT_SECRETS_ENCRYPTION_KEY is the development default")
        if self.admin_password and self.admin_password == DEV_ADMIN_PASSWORD:
            found.append("ADMIN_PASSWORD is the development default")
        if self.mock_adapters:
            found.append("ADAPTERS_PRESET=mock is not allowed in production")
        if "port" not in self.model_fields_set:
            found.append("PORT is required in production")
        return found

    def _real_adapter_problems(self) -> list[str]:
        found: list[str] = []
        stripe = {
            "STRIPE_SECRET_KEY": self.stripe_secret_key,
            "STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            "STRIPE_SUCCESS_URL": self.stripe_success_url,
            "STRIPE_CANCEL_URL": self.stripe_cancel_url,
        }
        for name, value in stripe.items():
            if not value:
                found.append(f"{name} is required with ADAPTERS_PRESET=real")
            elif _PLACEHOLDER.search(value) and not name.endswith("_URL"):
                found.append(f"{name} still holds a placeholder value")
        key = self.stripe_secret_key or ""
        if key and not re.match(r"^(sk|rk)_(live|test)_[A-Za-z0-9]{8,}$", key):
            found.append("STRIPE_SECRET_KEY does not look like a Stripe secret key (sk_live_...)")
        secret = self.stripe_webhook_secret or ""
        if secret and not secret.startswith("whsec_"):
            found.append("STRIPE_WEBHOOK_SECRET does not look like a webhook secret (whsec_...)")
        for name, url in (
            ("STRIPE_SUCCESS_URL", self.stripe_success_url),
            ("STRIPE_CANCEL_URL", self.stripe_cancel_url),
        ):
            if url and self.is_production and not url.startswith("https://"):
                found.append(f"{name} must be an https:// URL in production")
        if self.postmark_server_token and not self.postmark_from_email:
            found.append("POSTMARK_FROM_EMAIL is required when POSTMARK_SERVER_TOKEN is set")
        if self.s3_bucket and not (self.s3_access_key_id and self.s3_secret_access_key):
            found.append("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required with S3_BUCKET")
        return found


class ConfigurationError(RuntimeError):
    """Raised at startup when `Settings.problems()` is not empty."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"MAIS cannot start; fix the configuration:\n{lines}")


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (and `.env`) once; overrides are for tests and the CLI."""
    return Settings(**overrides)
