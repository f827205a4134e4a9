"""`mais doctor`'s checks: every one answers within its time limit, even against a host
that accepts connections and then says nothing."""

from __future__ import annotations

import socket
import time

import pytest

from mais.doctor import run_checks
from mais.settings import Environment, Settings


@pytest.fixture
def silent_port():
    """A port whose connections are accepted by the kernel and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


async def test_every_check_gives_up_at_its_time_limit(silent_port, tmp_path):
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        app_env="test",
        database_url=f"postgresql://mais@127.0.0.1:{silent_port}/mais",
        redis_url=f"redis://127.0.0.1:{silent_port}/0",
        data_dir=tmp_path,
    )
    started = time.monotonic()
    results = await run_checks(settings, seconds_per_check=0.5)
    elapsed = time.monotonic() - started

    by_name = {result.name: result for result in results}
    for name in ("database", "migrations", "redis"):
        assert not by_name[name].ok
        assert by_name[name].detail == "no answer within 0.5 s", by_name[name]
    assert by_name["storage"].ok
    assert elapsed < 5


async def test_checks_pass_on_the_test_setup(settings):
    results = await run_checks(settings)
    assert [r for r in results if not r.ok] == []
    assert {"configuration", "database", "migrations", "redis", "storage", "stripe"} <= {
        r.name for r in results
    }


async def _stripe_check(settings: Settings, **changes) -> tuple[bool, str]:
    results = await run_checks(settings.model_copy(update=changes))
    stripe = next(r for r in results if r.name == "stripe")
    return stripe.ok, stripe.detail


async def test_stripe_key_shape_and_mode_are_checked(settings):
    assert await _stripe_check(settings) == (True, "mock payments (ADAPTERS_PRESET=mock)")
    assert await _stripe_check(settings, stripe_secret_key="sk_test_abcdefgh12") == (
        True,
        "test-mode key",
    )
    ok, detail = await _stripe_check(settings, stripe_secret_key="pk_live_abcdefgh12")
    assert not ok
    assert "does not look like a Stripe secret key" in detail
    ok, detail = await _stripe_check(
        settings, stripe_secret_key="sk_test_abcdefgh12", app_env=Environment.production
    )
    assert not ok
    assert detail == "STRIPE_SECRET_KEY is a test-mode key in production"
