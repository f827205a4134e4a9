"""Which e-mail and calendar adapters the container builds for each configuration."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from mais.adapters.calendar import MemoryCalendar
from mais.adapters.calendar.google import GoogleCalendar
from mais.adapters.email.outbox import OutboxEmail
from mais.adapters.email.postmark import PostmarkEmail
from mais.container import build_calendar, build_email
from mais.settings import Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]


async def test_mock_mode_writes_to_the_outbox_even_with_a_postmark_token(tmp_path):
    email = build_email(_settings(tmp_path, adapters_preset="mock", postmark_server_token="t"))

    assert isinstance(email, OutboxEmail)
    assert email.directory == tmp_path / "outbox"


async def test_real_mode_with_a_token_sends_through_postmark_from_the_configured_address(
    tmp_path,
):
    email = build_email(
        _settings(
            tmp_path,
            adapters_preset="real",
            postmark_server_token="server-token",
            postmark_from_email="bookings@maconaisolutions.com",
        )
    )
    try:
        assert isinstance(email, PostmarkEmail)
        assert email.from_email == "bookings@maconaisolutions.com"
    finally:
        await email.close()


async def test_real_mode_without_a_token_falls_back_to_the_outbox_and_says_so_loudly(
    tmp_path, caplog
):
    with caplog.at_level(logging.WARNING, logger="mais.container"):
        email = build_email(_settings(tmp_path, adapters_preset="real"))

    assert isinstance(email, OutboxEmail)
    assert "E-MAIL IS NOT BEING DELIVERED" in caplog.text


async def test_google_calendar_is_used_when_a_service_account_is_configured(
    tmp_path, service_account_key
):
    raw = service_account_key.info_base64("https://oauth2.googleapis.com/token")

    calendar = build_calendar(_settings(tmp_path, google_service_account_json_base64=raw))
    try:
        assert isinstance(calendar, GoogleCalendar)
        assert calendar.service_account_email.endswith(".iam.gserviceaccount.com")
    finally:
        await calendar.close()
    assert isinstance(build_calendar(_settings(tmp_path)), MemoryCalendar)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not base64!", "not base64-encoded JSON"),
        (base64.b64encode(b"[1, 2]").decode(), "not a JSON object"),
        (base64.b64encode(json.dumps({"client_email": "x"}).encode()).decode(), "private_key"),
    ],
)
def test_an_unusable_service_account_is_a_named_configuration_problem(tmp_path, raw, reason):
    problems = _settings(tmp_path, google_service_account_json_base64=raw).problems()

    assert any(
        p.startswith("GOOGLE_SERVICE_ACCOUNT_JSON_BASE64 is unusable") and reason in p
        for p in problems
    )
