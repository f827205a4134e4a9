"""Blackout dates: single days and ranges, duplicates reported, bounds, delete."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories.admin import login
from tests.factories.world import make_tenant

BASE = "/v1/tenant-admin/blackouts"
SOON = date.today() + timedelta(days=30)


def d(offset: int) -> str:
    return (SOON + timedelta(days=offset)).isoformat()


async def test_single_date_then_range_with_the_overlap_reported_as_skipped(
    client, alpha, credential
):
    single = await client.post(BASE, headers=credential, json={"date": d(1), "reason": "Vacation"})

    assert single.status_code == 201
    assert [(b["date"], b["reason"]) for b in single.json()["created"]] == [(d(1), "Vacation")]
    assert single.json()["skipped"] == []

    ranged = await client.post(
        BASE, headers=credential, json={"startDate": d(0), "endDate": d(3), "reason": "Closed"}
    )
    assert ranged.status_code == 201
    assert [b["date"] for b in ranged.json()["created"]] == [d(0), d(2), d(3)]
    assert ranged.json()["skipped"] == [d(1)]

    listed = await client.get(BASE, headers=credential)
    assert [(b["date"], b["reason"]) for b in listed.json()] == [
        (d(0), "Closed"),
        (d(1), "Vacation"),
        (d(2), "Closed"),
        (d(3), "Closed"),
    ]
    window = await client.get(BASE, headers=credential, params={"from": d(1), "to": d(2)})
    assert [b["date"] for b in window.json()] == [d(1), d(2)]


async def test_adding_only_existing_dates_is_200_with_everything_skipped(client, alpha):
    await client.post(BASE, headers=alpha.headers, json={"date": d(5)})

    again = await client.post(BASE, headers=alpha.headers, json={"date": d(5)})

    assert again.status_code == 200
    assert again.json() == {"created": [], "skipped": [d(5)]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "no date"},
        {"date": d(1), "startDate": d(1), "endDate": d(2)},
        {"startDate": d(1)},
        {"startDate": d(3), "endDate": d(1)},
        {"startDate": d(0), "endDate": d(366)},
        {"date": "2030-02-30"},
        {"date": "tomorrow"},
        {"date": (date.today() - timedelta(days=2)).isoformat()},
        {"date": d(1), "reason": "x" * 501},
        {"date": d(1), "reason": "line\nbreak"},
    ],
)
async def test_invalid_blackout_requests_are_422_and_insert_nothing(client, alpha, body):
    response = await client.post(BASE, headers=alpha.headers, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert (await client.get(BASE, headers=alpha.headers)).json() == []


async def test_a_full_year_range_is_allowed(client, alpha):
    response = await client.post(
        BASE, headers=alpha.headers, json={"startDate": d(0), "endDate": d(365)}
    )

    assert response.status_code == 201
    assert len(response.json()["created"]) == 366


async def test_delete_blackout(client, alpha, credential):
    created = await client.post(BASE, headers=credential, json={"date": d(1)})
    blackout_id = created.json()["created"][0]["id"]

    assert (await client.delete(f"{BASE}/{blackout_id}", headers=credential)).status_code == 204
    assert (await client.get(BASE, headers=credential)).json() == []
    assert (await client.delete(f"{BASE}/{blackout_id}", headers=credential)).status_code == 404
    assert (await client.delete(f"{BASE}/not-an-id", headers=credential)).status_code == 404


async def test_today_is_judged_in_the_tenants_time_zone(container, client):
    """Kiritimati (UTC+14) is always at least a day ahead of UTC-10: a date that is already
    past there can still be today or later elsewhere."""
    ahead = await make_tenant(container, timezone="Pacific/Kiritimati")
    behind = await make_tenant(container, timezone="Pacific/Honolulu")
    honolulu_today = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Honolulu")).date()
    body = {"date": honolulu_today.isoformat()}

    refused = await client.post(BASE, headers=await login(client, ahead.email), json=body)
    accepted = await client.post(BASE, headers=await login(client, behind.email), json=body)

    assert refused.status_code == 422
    assert accepted.status_code == 201


async def test_concurrent_identical_ranges_insert_each_date_once(client, alpha):
    body = {"startDate": d(0), "endDate": d(9)}
    responses = await asyncio.gather(
        *(client.post(BASE, headers=alpha.headers, json=body) for _ in range(4))
    )

    assert all(r.status_code in (200, 201) for r in responses)
    created = sorted(b["date"] for r in responses for b in r.json()["created"])
    assert created == [d(n) for n in range(10)]
    assert len((await client.get(BASE, headers=alpha.headers)).json()) == 10
