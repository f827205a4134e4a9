"""JSON-body routes refuse other content types with 415; uploads and raw-body routes don't."""

from __future__ import annotations

import pytest

from tests.factories.probe_routes import probe_router
from tests.factories.services import client_for


@pytest.fixture
async def probe_client(app):
    app.include_router(probe_router)
    async with client_for(app) as http:
        yield http


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_json_route_refuses_a_body_that_is_not_declared_json(probe_client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = await probe_client.post(
        "/v1/test-probe/notes", content=b'{"text": "hi"}', headers=headers
    )
    assert response.status_code == 415
    body = response.json()
    assert body["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert body["requestId"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"],
)
async def test_json_route_accepts_json_media_types(probe_client, content_type):
    response = await probe_client.post(
        "/v1/test-probe/notes", content=b'{"text": "hi"}', headers={"content-type": content_type}
    )
    assert response.status_code == 200
    assert response.json() == {"text": "hi", "count": 1}


async def test_optional_json_body_may_be_left_out_without_a_content_type(probe_client):
    response = await probe_client.post("/v1/test-probe/maybe")
    assert response.status_code == 200
    assert response.json() == {"text": "no body"}
    refused = await probe_client.post(
        "/v1/test-probe/maybe", content=b"text=1", headers={"content-type": "text/plain"}
    )
    assert refused.status_code == 415


async def test_multipart_upload_and_raw_body_routes_are_not_json_routes(probe_client):
    upload = await probe_client.post(
        "/v1/test-probe/photos", files={"file": ("a.png", b"12345", "image/png")}
    )
    assert upload.status_code == 200
    assert upload.json() == {"size": 5}
    report = await probe_client.post(
        "/v1/test-probe/raw", content=b"{}", headers={"content-type": "application/csp-report"}
    )
    assert report.status_code == 200


async def test_real_checkout_route_refuses_form_bodies_and_the_webhook_is_exempt(container, app):
    from tests.factories.world import make_tenant

    tenant = await make_tenant(container)
    async with client_for(app) as http:
        checkout = await http.post(
            "/v1/bookings/checkout",
            content=b"packageId=garden&eventDate=2030-06-01",
            headers=tenant.headers | {"content-type": "application/x-www-form-urlencoded"},
        )
        webhook = await http.post(
            "/v1/webhooks/stripe", content=b"{}", headers={"content-type": "text/plain"}
        )
    assert checkout.status_code == 415
    assert checkout.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert webhook.status_code == 400  # judged by its signature, not its content type
