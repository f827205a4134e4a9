"""The curl commands of docs/api.md, run as written (real `curl` in `bash`) against a live
server with the demo tenant: each must succeed, and together they must book and confirm
a date. Only the shell variables the page tells the reader to set are substituted."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from mais.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, seed
from tests.factories.world import days_ahead

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
PASSING_CARD = "4242424242424242"


def curl_blocks() -> list[str]:
    """Every ```bash block of docs/api.md that runs curl, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", API_MD.read_text(), flags=re.DOTALL)
    return [block for block in blocks if block.lstrip().startswith("curl ")]


def run_block(block: str, variables: dict[str, str]) -> Any:
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"{block}\nexit {done.returncode}: {done.stdout}{done.stderr}"
    return json.loads(done.stdout)


def remember(answer: Any, variables: dict[str, str]) -> None:
    """What the page tells the reader to keep from each answer."""
    if isinstance(answer, list):
        garden = next(package for package in answer if package["slug"] == "garden-ceremony")
        variables["ADD_ON_ID"] = garden["addOns"][0]["id"]
        return
    for key, name in (
        ("token", "TOKEN"),
        ("sessionId", "SESSION_ID"),
        ("bookingId", "BOOKING_ID"),
        ("accessToken", "ACCESS_TOKEN"),
    ):
        if key in answer:
            variables[name] = answer[key]


def test_the_page_has_the_six_steps_in_curl():
    blocks = curl_blocks()
    assert len(blocks) == 9
    for path in (
        "/v1/auth/login",
        "/v1/tenant-admin/api-keys",
        "/v1/packages",
        "/v1/availability?date=",
        "/v1/availability/unavailable",
        "/v1/bookings/checkout",
        "/v1/bookings/by-session/",
        "/v1/bookings/$BOOKING_ID?token=",
        "/v1/tenant-admin/bookings",
    ):
        assert any(path in block for block in blocks), path


async def test_the_curl_examples_of_the_quick_start_book_and_confirm_a_date(container, live_server):
    report = await seed(container, demo=True)
    assert report.demo_public_key
    event_date = days_ahead(container, 21).isoformat()
    variables = {
        "MAIS_URL": live_server.url,
        "MAIS_EMAIL": DEMO_EMAIL,
        "MAIS_PASSWORD": DEMO_PASSWORD,
        "MAIS_KEY": report.demo_public_key,
        "EVENT_DATE": event_date,
    }
    answers: dict[str, Any] = {}
    for block in curl_blocks():
        if "/by-session/" in block:
            # The couple pays on the (mock) Checkout page; its signed webhook confirms.
            checkout = answers["checkout"]
            async with httpx.AsyncClient() as http:
                paid = await http.post(
                    f"{checkout['checkoutUrl']}/pay", data={"card": PASSING_CARD}
                )
            assert paid.status_code < 400
            answers["by-session"] = await poll_until_settled(block, variables)
            continue
        answer = await asyncio.to_thread(run_block, block, variables)
        remember(answer, variables)
        answers[step_of(block)] = answer

    assert answers["api-keys"]["publicKey"] == report.demo_public_key
    assert answers["availability"] == {"date": event_date, "available": True, "reason": None}
    assert answers["unavailable"] == {"dates": []}
    assert answers["checkout"]["totals"]["subtotalCents"] > 0
    assert answers["by-session"]["status"] == "confirmed"
    assert answers["booking"]["status"] == "confirmed"
    assert answers["booking"]["eventDate"] == event_date
    assert [item["eventDate"] for item in answers["tenant-bookings"]["items"]] == [event_date]


def step_of(block: str) -> str:
    for marker, name in (
        ("/v1/auth/login", "login"),
        ("/api-keys", "api-keys"),
        ("/v1/availability/unavailable", "unavailable"),
        ("/v1/availability", "availability"),
        ("/v1/bookings/checkout", "checkout"),
        ("/v1/tenant-admin/bookings", "tenant-bookings"),
        ("/v1/bookings/$BOOKING_ID", "booking"),
        ("/v1/packages", "packages"),
    ):
        if marker in block:
            return name
    raise AssertionError(f"a curl example this test does not know: {block}")


async def poll_until_settled(block: str, variables: dict[str, str]) -> Any:
    """What the success page does: ask again until the booking is no longer held."""
    deadline = time.monotonic() + 20
    while True:
        answer = await asyncio.to_thread(run_block, block, variables)
        if answer["status"] != "held" or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.3)
