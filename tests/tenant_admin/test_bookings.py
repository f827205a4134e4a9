"""The tenant admin's bookings: list with filters, search and pagination, detail with
payments and audit trail, CSV export (RFC 4180, formula-safe), cancel and refund."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from mais.models import BookingStatus
from mais.tenant_admin import service
from tests.factories.admin import add_booking, key_headers
from tests.factories.world import make_tenant

BASE = "/v1/tenant-admin/bookings"
DAY = date.today() + timedelta(days=100)


def on(offset: int) -> date:
    return DAY + timedelta(days=offset)


@pytest.fixture
async def booked(container, alpha):
    """Four bookings of alpha on known dates."""
    ids = {}
    for offset, status, name, email in (
        (0, BookingStatus.confirmed, "Ada Lovelace & Charles", "ada@example.com"),
        (1, BookingStatus.held, "Grace Hopper", "grace@navy.example"),
        (2, BookingStatus.canceled, "Katherine Johnson", "kj@nasa.example"),
        (3, BookingStatus.refunded, "Mary_Jackson 100%", "mary@example.org"),
    ):
        ids[name.split()[0]] = await add_booking(
            container, alpha.tenant, event_date=on(offset), status=status, couple_name=name,
            email=email,
        )  # fmt: skip
    return ids


async def test_list_is_newest_event_first_with_totals(client, alpha, booked, credential):
    response = await client.get(BASE, headers=credential)

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["page"], body["pageSize"]) == (4, 1, 25)
    assert [item["eventDate"] for item in body["items"]] == [
        on(n).isoformat() for n in (3, 2, 1, 0)
    ]
    first = body["items"][-1]
    assert first["coupleName"] == "Ada Lovelace & Charles"
    assert first["package"]["title"] == "Garden Ceremony"
    totals = first["totals"]
    assert totals["subtotalCents"] == totals["commissionCents"] + totals["tenantNetCents"]
    assert totals["commissionPercent"] == 10.0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "confirmed"}, ["Ada"]),
        ({"status": "held,canceled"}, ["Katherine", "Grace"]),
        ({"from": on(1).isoformat(), "to": on(2).isoformat()}, ["Katherine", "Grace"]),
        ({"from": on(3).isoformat()}, ["Mary_Jackson"]),
        ({"q": "GRACE"}, ["Grace"]),
        ({"q": "nasa.example"}, ["Katherine"]),
        ({"q": "100%"}, ["Mary_Jackson"]),
        ({"q": "_"}, ["Mary_Jackson"]),
        ({"q": "%"}, ["Mary_Jackson"]),
        ({"q": "nobody"}, []),
        ({"status": "confirmed", "q": "grace"}, []),
    ],
)
async def test_filters_and_search(client, alpha, booked, params, expected):
    response = await client.get(BASE, headers=alpha.headers, params=params)

    assert response.status_code == 200
    names = [item["coupleName"].split()[0] for item in response.json()["items"]]
    assert names == expected
    assert response.json()["total"] == len(expected)


async def test_pagination(client, alpha, booked):
    pages = [
        (await client.get(BASE, headers=alpha.headers, params={"page": p, "pageSize": 3})).json()
        for p in (1, 2, 3)
    ]

    assert [len(p["items"]) for p in pages] == [3, 1, 0]
    assert {p["total"] for p in pages} == {4}
    ids = [item["id"] for p in pages for item in p["items"]]
    assert len(set(ids)) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"status": "paid"},
        {"from": "2030-13-01"},
        {"from": on(2).isoformat(), "to": on(1).isoformat()},
        {"page": 0},
        {"pageSize": 101},
        {"pageSize": 0},
        {"q": "x" * 201},
    ],
)
async def test_invalid_list_parameters_are_422(client, alpha, params):
    response = await client.get(BASE, headers=alpha.headers, params=params)

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"


async def test_detail_has_add_ons_payments_refunds_and_audit_trail(container, client, alpha):
    booking_id = await add_booking(
        container,
        alpha.tenant,
        add_on_titles=("Violinist", "Champagne"),
        refunded_cents=10_000,
        notes="Rain plan: the barn",
    )

    response = await client.get(f"{BASE}/{booking_id}", headers=alpha.headers)

    assert response.status_code == 200
    body = response.json()
    assert [a["title"] for a in body["addOns"]] == ["Violinist", "Champagne"]
    assert body["notes"] == "Rain plan: the barn"
    assert body["totals"]["subtotalCents"] == 350_000 + 25_000 + 40_000
    assert body["totals"]["refundedCents"] == 10_000
    [payment] = body["payments"]
    assert payment["amountCents"] == 415_000
    assert [r["amountCents"] for r in payment["refunds"]] == [10_000]
    trail = [(e["action"], e["actorRole"]) for e in body["auditTrail"]]
    assert trail == [
        ("booking.held", "customer"),
        ("booking.confirmed", "stripe"),
        ("booking.refunded", "tenant_admin"),
    ]


async def test_unknown_or_malformed_booking_id_is_404(client, alpha):
    for booking_id in ("7b0e7a4e-0000-4000-8000-000000000000", "not-a-uuid", "1 OR 1=1"):
        response = await client.get(f"{BASE}/{booking_id}", headers=alpha.headers)
        assert response.status_code == 404


async def test_csv_export_is_rfc4180_and_neutralises_formulas(container, client, alpha, credential):
    await add_booking(
        container,
        alpha.tenant,
        event_date=on(0),
        couple_name='=HYPERLINK("http://evil.test","click")',
        email="+1@example.com",
        notes='He said "yes",\nthen: -2+3',
        add_on_titles=("Violinist",),
    )
    await add_booking(
        container, alpha.tenant, event_date=on(1), couple_name="@SUM(A1:A9)", status="held"
    )

    response = await client.get(f"{BASE}/export.csv", headers=credential)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="bookings-')
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, *data = rows
    assert header[:4] == ["booking_id", "status", "event_date", "couple_name"]
    assert len(data) == 2
    first = dict(zip(header, data[0], strict=True))
    assert first["couple_name"] == '\'=HYPERLINK("http://evil.test","click")'
    assert first["email"] == "'+1@example.com"
    assert first["notes"] == 'He said "yes",\nthen: -2+3'
    assert first["add_ons"] == "Violinist"
    assert first["subtotal"] == "3750.00"
    assert first["currency"] == "USD"
    second = dict(zip(header, data[1], strict=True))
    assert second["couple_name"] == "'@SUM(A1:A9)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in data for cell in row)


async def test_csv_export_applies_the_filters_and_streams_every_row(
    container, client, alpha, monkeypatch
):
    for n in range(7):
        await add_booking(container, alpha.tenant, event_date=on(n), couple_name=f"Couple {n}")
    # Several chunks, to prove the keyset paging joins them without gaps or repeats.
    monkeypatch.setattr(service, "EXPORT_CHUNK", 3)

    everything = await client.get(f"{BASE}/export.csv", headers=alpha.headers)
    filtered = await client.get(
        f"{BASE}/export.csv", headers=alpha.headers, params={"q": "couple 4"}
    )

    rows = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert [r["couple_name"] for r in rows] == [f"Couple {n}" for n in range(7)]
    filtered_rows = list(csv.DictReader(io.StringIO(filtered.content.decode("utf-8-sig"))))
    assert [r["couple_name"] for r in filtered_rows] == ["Couple 4"]


async def test_cancel_and_refund_validate_input_and_change_nothing_when_refused(
    container, client, alpha
):
    booking_id = await add_booking(container, alpha.tenant)

    bad_refunds = [{"amountCents": 0}, {"amountCents": -1}, {"amountCents": "5"}]
    for body in bad_refunds:
        response = await client.post(
            f"{BASE}/{booking_id}/refund", headers=alpha.headers, json=body
        )
        assert response.status_code == 422
    too_long = await client.post(
        f"{BASE}/{booking_id}/cancel", headers=alpha.headers, json={"reason": "x" * 501}
    )
    assert too_long.status_code == 422
    too_much = await client.post(
        f"{BASE}/{booking_id}/refund", headers=alpha.headers, json={"amountCents": 350_001}
    )
    assert (too_much.status_code, too_much.json()["error"]) == (422, "INVALID_REFUND_AMOUNT")
    held = await add_booking(container, alpha.tenant, status=BookingStatus.held)
    unpaid = await client.post(f"{BASE}/{held}/refund", headers=alpha.headers, json={})
    assert (unpaid.status_code, unpaid.json()["error"]) == (409, "BOOKING_NOT_REFUNDABLE")

    detail = await client.get(f"{BASE}/{booking_id}", headers=alpha.headers)
    assert detail.json()["status"] == "confirmed"
    assert container.payments.refunds() == []


async def test_partial_refund_then_cancel_then_the_rest_through_the_api(
    container, client, alpha, credential
):
    booking_id = await add_booking(container, alpha.tenant)

    partial = await client.post(
        f"{BASE}/{booking_id}/refund", headers=credential, json={"amountCents": 50_000}
    )
    assert partial.status_code == 200
    assert partial.json()["status"] == "confirmed"
    assert partial.json()["totals"]["refundedCents"] == 50_000
    [payment] = partial.json()["payments"]
    assert [r["amountCents"] for r in payment["refunds"]] == [50_000]
    assert [r["applicationFeeRefundedCents"] for r in payment["refunds"]] == [5_000]

    canceled = await client.post(
        f"{BASE}/{booking_id}/cancel", headers=credential, json={"reason": "Venue closed"}
    )
    assert canceled.status_code == 200
    assert (canceled.json()["status"], canceled.json()["cancelReason"]) == (
        "canceled",
        "Venue closed",
    )
    twice = await client.post(f"{BASE}/{booking_id}/cancel", headers=credential, json={})
    assert (twice.status_code, twice.json()["error"]) == (409, "BOOKING_NOT_CANCELABLE")

    rest = await client.post(f"{BASE}/{booking_id}/refund", headers=credential, json={})
    assert rest.status_code == 200
    assert (rest.json()["status"], rest.json()["totals"]["refundedCents"]) == (
        "refunded",
        350_000,
    )
    actions = [entry["action"] for entry in rest.json()["auditTrail"]]
    assert {"booking.held", "booking.confirmed", "booking.canceled", "booking.refunded"} <= set(
        actions
    )
    assert sorted(r["amount"] for r in container.payments.refunds()) == [50_000, 300_000]


async def test_another_tenants_booking_cannot_be_canceled_or_refunded(container, client, alpha):
    other = await make_tenant(container, "other-events")
    booking_id = await add_booking(container, alpha.tenant)

    for action in ("cancel", "refund"):
        response = await client.post(
            f"{BASE}/{booking_id}/{action}", headers=key_headers(other), json={}
        )
        assert response.status_code == 404
    detail = await client.get(f"{BASE}/{booking_id}", headers=alpha.headers)
    assert detail.json()["status"] == "confirmed"
