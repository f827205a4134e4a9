"""Every error class answers SPEC §4's body, with requestId equal to the X-Request-ID header."""

from __future__ import annotations

import pytest

from tests.factories.probe_routes import SECRET_IN_EXCEPTION, probe_router
from tests.factories.services import client_for
from tests.factories.world import make_tenant


@pytest.fixture
def settings_overrides():
    return {"rate_limit_api_per_minute": 2}


@pytest.fixture
async def http(app):
    app.include_router(probe_router)
    async with client_for(app) as client:
        yield client


def assert_error_body(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"error", "message", "requestId", "details"}
    assert body["error"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["requestId"] == response.headers["x-request-id"] != ""
    return body


async def test_unknown_route_is_404_not_found(http):
    assert_error_body(await http.get("/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_error_body(await http.get("/definitely/not/here.php"), 404, "NOT_FOUND")


async def test_wrong_method_is_405_with_allow_header(http):
    response = await http.delete("/health")
    assert_error_body(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_400_invalid_json(http):
    response = await http.post(
        "/v1/test-probe/notes", content=b'{"text": ', headers={"content-type": "application/json"}
    )
    assert_error_body(response, 400, "INVALID_JSON")


async def test_invalid_fields_are_422_with_details_per_field(http):
    response = await http.post("/v1/test-probe/notes", json={"text": "", "count": "many"})
    body = assert_error_body(response, 422, "VALIDATION_ERROR")
    fields = {detail["field"] for detail in body["details"]}
    assert fields == {"text", "count"}


async def test_oversize_body_with_content_length_is_413(http):
    response = await http.post(
        "/v1/test-probe/notes",
        content=b'{"text": "' + b"x" * 70_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_error_body(response, 413, "PAYLOAD_TOO_LARGE")


async def test_oversize_chunked_body_without_content_length_is_413(http):
    async def chunks():
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1_000
        yield b'"}'

    response = await http.post(
        "/v1/test-probe/notes", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error_body(response, 413, "PAYLOAD_TOO_LARGE")


async def test_small_chunked_json_body_is_accepted(http):
    async def chunks():
        yield b'{"text": '
        yield b'"streamed"}'

    response = await http.post(
        "/v1/test-probe/notes", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["text"] == "streamed"


async def test_non_json_body_on_json_route_is_415(http):
    response = await http.post(
        "/v1/test-probe/notes", content=b"text=hi", headers={"content-type": "text/plain"}
    )
    assert_error_body(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_rate_limited_is_429_with_retry_after(container, http):
    tenant = await make_tenant(container)
    for _ in range(2):
        assert (await http.get("/v1/packages", headers=tenant.headers)).status_code == 200
    response = await http.get("/v1/packages", headers=tenant.headers)
    assert_error_body(response, 429, "RATE_LIMITED")
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_unexpected_exception_is_500_without_internals(http, caplog):
    response = await http.get("/v1/test-probe/crash")
    body = assert_error_body(response, 500, "INTERNAL_ERROR")
    assert "details" not in body
    for leak in ("Traceback", "RuntimeError", "hunter2", "db.internal", "probe_routes"):
        assert leak not in response.text
    # The operator still gets the whole story in the log, under the same request id.
    assert any(SECRET_IN_EXCEPTION in r.getMessage() or r.exc_info for r in caplog.records)


async def test_database_down_is_503_database_unavailable(db_down_app):
    async with client_for(db_down_app) as http:
        response = await http.get(
            "/v1/packages", headers={"X-Tenant-Key": "pk_live_some-tenant_0123456789abcdef"}
        )
    assert_error_body(response, 503, "DATABASE_UNAVAILABLE")
    assert response.headers["retry-after"]
    for leak in ("psycopg", "OperationalError", "127.0.0.1", "Traceback"):
        assert leak not in response.text


async def test_well_formed_client_request_id_is_echoed(http):
    response = await http.get("/v1/nope", headers={"X-Request-ID": "edge-7f3a.42:abc_DEF"})
    assert response.headers["x-request-id"] == "edge-7f3a.42:abc_DEF"
    assert response.json()["requestId"] == "edge-7f3a.42:abc_DEF"
    ok = await http.get("/health/live", headers={"X-Request-ID": "trace-1"})
    assert ok.headers["x-request-id"] == "trace-1"


@pytest.mark.parametrize(
    "bad_id", ["x" * 65, "has space", "<script>", "semi;colon", "new\\nline", ""]
)
async def test_malformed_client_request_id_is_replaced(http, bad_id):
    response = await http.get("/v1/nope", headers={"X-Request-ID": bad_id})
    issued = response.headers["x-request-id"]
    assert issued != bad_id
    assert len(issued) == 32
    assert all(c in "0123456789abcdef" for c in issued)
    assert response.json()["requestId"] == issued


async def test_every_response_has_a_request_id_even_success(http):
    first = await http.get("/health/live")
    second = await http.get("/health/live")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_head_answers_like_get_without_a_body(container, http):
    tenant = await make_tenant(container)
    health = await http.head("/health")
    assert health.status_code == 200
    assert health.content == b""
    assert health.headers["x-request-id"]
    packages = await http.head("/v1/packages", headers=tenant.headers)
    assert packages.status_code == 200
    assert packages.content == b""
    missing = await http.head("/v1/packages")
    assert missing.status_code == 401
    assert missing.content == b""
