"""Settings: SPEC §8 names, production refusal naming each problem, `.env.example`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mais.app import create_app
from mais.settings import ConfigurationError, Environment, Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"

GOOD_PRODUCTION = {
    "NODE_ENV": "production",
    "PORT": "3001",
    "DATABASE_URL": "postgresql://mais:s3cr3t@pooler.internal:6543/mais",
    "DIRECT_URL": "postgresql://mais:s3cr3t@db.internal:5432/mais",
    "JWT_SECRET": "9f" * 32,
    "TENANT_SECRETS_ENCRYPTION_KEY": "3c" * 32,
    "STRIPE_SECRET_KEY": "sk_live_51Habcdefghijklmnop",
    "STRIPE_WEBHOOK_SECRET": "whsec_1234567890abcdef",
    "STRIPE_SUCCESS_URL": "https://app.maconaisolutions.com/success",
    "STRIPE_CANCEL_URL": "https://app.maconaisolutions.com",
    "ADAPTERS_PRESET": "real",
    "ADMIN_EMAIL": "ops@maconaisolutions.com",
    "ADMIN_PASSWORD": "a long production passphrase",
}


def settings_from(env: dict[str, str], monkeypatch) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def env_variable_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(getattr(alias, "choices", [alias]))
    return {name for name in names if isinstance(name, str)}


def test_no_environment_means_development_on_sqlite_with_mock_adapters(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.app_env is Environment.development
    assert settings.mock_adapters
    assert settings.runtime_database_url == f"sqlite:///{tmp_path / 'var' / 'mais.db'}"
    assert settings.bind_host == "127.0.0.1"
    assert settings.port == 3001
    assert settings.problems() == []


@pytest.mark.parametrize("name", ["NODE_ENV", "APP_ENV"])
def test_node_env_and_app_env_both_name_the_environment(monkeypatch, name):
    settings = settings_from({name: "test"}, monkeypatch)
    assert settings.app_env is Environment.test


def test_a_complete_production_configuration_has_no_problems(monkeypatch):
    settings = settings_from(GOOD_PRODUCTION, monkeypatch)
    assert settings.is_production
    assert settings.problems() == []
    assert settings.bind_host == "0.0.0.0"
    assert settings.migration_database_url == GOOD_PRODUCTION["DIRECT_URL"]
    assert settings.runtime_database_url == GOOD_PRODUCTION["DATABASE_URL"]


def test_production_names_every_missing_required_variable(monkeypatch):
    settings = settings_from({"NODE_ENV": "production"}, monkeypatch)
    problems = "\n".join(settings.problems())
    for name in (
        "DATABASE_URL",
        "DIRECT_URL",
        "JWT_SECRET",
        "TENANT_SECRETS_ENCRYPTION_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_SUCCESS_URL",
        "STRIPE_CANCEL_URL",
        "ADMIN_EMAIL",
        "ADMIN_PASSWORD",
        "PORT",
    ):
        assert re.search(rf"^{name} is required", problems, re.MULTILINE), name


def test_production_refuses_to_start_and_lists_each_problem(monkeypatch):
    env = dict(GOOD_PRODUCTION)
    del env["JWT_SECRET"]
    env["STRIPE_WEBHOOK_SECRET"] = "not-a-webhook-secret"
    settings = settings_from(env, monkeypatch)
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings)
    message = str(caught.value)
    assert "JWT_SECRET is required in production" in message
    assert "STRIPE_WEBHOOK_SECRET does not look like a webhook secret" in message
    assert caught.value.problems == settings.problems()


def test_every_placeholder_of_env_example_is_refused_in_production():
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert settings.is_production  # the example is written for production
    problems = settings.problems()
    for name in (
        "DATABASE_URL",
        "DIRECT_URL",
        "JWT_SECRET",
        "TENANT_SECRETS_ENCRYPTION_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "REDIS_URL",
    ):
        assert f"{name} still holds a placeholder value" in problems, name


@pytest.mark.parametrize("placeholder", ["changeme", "<your-secret>", "your_jwt_secret_here" * 2])
def test_placeholder_secrets_are_refused(monkeypatch, placeholder):
    settings = settings_from(GOOD_PRODUCTION | {"JWT_SECRET": placeholder}, monkeypatch)
    assert "JWT_SECRET still holds a placeholder value" in settings.problems()


def test_development_defaults_are_refused_in_production(monkeypatch):
    env = GOOD_PRODUCTION | {
        "JWT_SECRET": "dev-only-jwt-secret-not-for-production-0000000000",
        "TENANT_SECRETS_ENCRYPTION_KEY": "00" * 32,
        "ADMIN_PASSWORD": "admin-dev-password",
        "ADAPTERS_PRESET": "mock",
    }
    problems = settings_from(env, monkeypatch).problems()
    assert "JWT_SECRET is the development default" in problems
    assert "TENANT_SECRETS_ENCRYPTION_KEY is the development default" in problems
    assert "ADMIN_PASSWORD is the development default" in problems
    assert "ADAPTERS_PRESET=mock is not allowed in production" in problems


@pytest.mark.parametrize("key", ["abc", "zz" * 32, "3c" * 31, "3c" * 33])
def test_encryption_key_must_be_64_hex_characters_in_every_environment(monkeypatch, key):
    settings = settings_from({"TENANT_SECRETS_ENCRYPTION_KEY": key}, monkeypatch)
    assert "TENANT_SECRETS_ENCRYPTION_KEY must be 64 hex characters" in settings.problems()
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_hold_minutes_below_30_is_refused(monkeypatch):
    settings = settings_from({"HOLD_MINUTES": "29"}, monkeypatch)
    assert "HOLD_MINUTES must be at least 30 (Stripe Checkout's minimum)" in settings.problems()
    assert settings_from({"HOLD_MINUTES": "45"}, monkeypatch).problems() == []


def test_real_adapters_need_the_stripe_variables_even_outside_production(monkeypatch):
    problems = settings_from({"ADAPTERS_PRESET": "real"}, monkeypatch).problems()
    for name in (
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_SUCCESS_URL",
        "STRIPE_CANCEL_URL",
    ):
        assert f"{name} is required with ADAPTERS_PRESET=real" in problems


def test_production_database_urls_must_be_postgresql(monkeypatch):
    env = GOOD_PRODUCTION | {"DATABASE_URL": "sqlite:///var/mais.db"}
    assert (
        "DATABASE_URL must be a PostgreSQL URL in production"
        in settings_from(env, monkeypatch).problems()
    )


def test_unusable_urls_are_named_in_development(monkeypatch):
    problems = settings_from(
        {"DATABASE_URL": "mysql://x@y/z", "REDIS_URL": "http://cache"}, monkeypatch
    ).problems()
    assert "DATABASE_URL must be a postgresql:// or sqlite:/// URL" in problems
    assert "REDIS_URL must be a redis:// or rediss:// URL" in problems


def test_trusted_proxies_is_a_comma_separated_list(monkeypatch):
    settings = settings_from({"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5"}, monkeypatch)
    assert settings.trusted_proxies == ["10.0.0.0/8", "192.168.1.5"]


def test_every_settings_variable_is_in_env_example_with_a_comment():
    lines = ENV_EXAMPLE.read_text().splitlines()
    documented: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=", line)
        if match and index > 0 and lines[index - 1].startswith("#"):
            comment = lines[index - 1].lstrip("# ").strip()
            if comment and not re.match(r"^[A-Z][A-Z0-9_]+=", comment):
                documented[match.group(1)] = comment
    missing = env_variable_names() - set(documented)
    assert not missing, f"not in .env.example with a comment: {sorted(missing)}"


def test_spec_section_8_names_are_all_settings():
    spec_names = {
        "DATABASE_URL", "DIRECT_URL", "JWT_SECRET", "TENANT_SECRETS_ENCRYPTION_KEY",
        "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_SUCCESS_URL", "STRIPE_CANCEL_URL",
        "NODE_ENV", "APP_ENV", "ADAPTERS_PRESET", "PORT", "REDIS_URL", "POSTMARK_SERVER_TOKEN",
        "POSTMARK_FROM_EMAIL", "SENTRY_DSN", "GOOGLE_CALENDAR_ID",
        "GOOGLE_SERVICE_ACCOUNT_JSON_BASE64", "FRONTEND_URL", "HOST", "WEB_CONCURRENCY",
        "ADMIN_EMAIL", "ADMIN_PASSWORD", "RATE_LIMIT_API_PER_MINUTE", "RATE_LIMIT_AUTH_ATTEMPTS",
        "RATE_LIMIT_AUTH_WINDOW_MINUTES", "TRUSTED_PROXIES", "HOLD_MINUTES", "SLOW_QUERY_MS",
        "METRICS_TOKEN", "SUPPORT_EMAIL", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PUBLIC_BASE_URL",
        "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION", "OTEL_EXPORTER_OTLP_ENDPOINT",
        "LOG_LEVEL",
    }  # fmt: skip
    assert spec_names <= env_variable_names()
