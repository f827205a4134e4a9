"""Structured request logs: one JSON line per request with its id, and no secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from mais.observability.logging import (
    FLUSH_SECONDS,
    _LineBuffer,
    configure_logging,
    request_log,
    scrub_text,
)
from tests.factories.world import make_tenant


@pytest.fixture
def json_logs():
    stream = io.StringIO()
    configure_logging("info", json_output=True, stream=stream)

    def lines():
        request_log.flush()
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logging.getLogger().handlers.clear()


async def test_each_request_writes_one_json_line_with_request_id_route_and_tenant(
    container, client, json_logs
):
    tenant = await make_tenant(container)
    response = await client.get("/v1/packages", headers=tenant.headers | {"X-Request-ID": "req-42"})
    assert response.status_code == 200

    lines = [line for line in json_logs() if line.get("event") == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-42"
    assert line["route"] == "/v1/packages"
    assert line["status"] == 200
    assert line["tenant"] == tenant.slug
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float)


async def test_secrets_never_reach_the_log(json_logs):
    log = logging.getLogger("mais.test")
    log.warning(
        "calling stripe with sk_live_abcdef1234567890 and whsec_zzz, card 4242 4242 4242 4242",
        extra={"authorization": "Bearer abc.def", "password": "hunter2-hunter2", "note": "ok"},
    )
    (line,) = [entry for entry in json_logs() if entry.get("logger") == "mais.test"]
    text = json.dumps(line)
    for secret in ("sk_live_abcdef", "whsec_zzz", "4242 4242", "abc.def", "hunter2"):
        assert secret not in text
    assert line["note"] == "ok"
    assert line["authorization"] == "***"


def test_scrub_text_keeps_ordinary_text():
    assert scrub_text("booking 2026-06-01 for Ada") == "booking 2026-06-01 for Ada"
    assert scrub_text("Stripe-Signature t=1700000000,v1=abcdef") == "Stripe-Signature t=***,v1=***"


def test_request_lines_are_written_in_batches_soon_after_the_request():
    stream = io.StringIO()
    buffer = _LineBuffer(stream)

    async def two_requests() -> str:
        buffer.add("one\n")
        buffer.add("two\n")
        before = stream.getvalue()
        await asyncio.sleep(FLUSH_SECONDS * 2)
        return before

    assert asyncio.run(two_requests()) == ""  # nothing written while requests are served
    assert stream.getvalue() == "one\ntwo\n"  # both, once the batch's time was up

    # A flush scheduled on a loop that closed before it ran strands nothing: the next
    # line, in another loop, schedules its own.
    async def one_more() -> None:
        buffer.add("three\n")

    asyncio.run(one_more())
    asyncio.run(two_requests())
    assert stream.getvalue() == "one\ntwo\nthree\none\ntwo\n"

    buffer.add("outside a loop\n")  # a CLI command: written at once
    assert stream.getvalue().endswith("outside a loop\n")
