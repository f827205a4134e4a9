"""The published API description: a valid OpenAPI 3.1 document in which every operation
has a summary, the declared security matches what the server enforces, every error
response is the one error body, and every example fits its schema. `/docs` serves Swagger
UI from the installed package under a CSP without inline scripts."""

from __future__ import annotations

import re
import uuid
from importlib import resources
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from mais.app import create_app
from mais.help.openapi import ADMIN_JWT, OPEN_OPERATIONS, SECRET_KEY, TENANT_KEY
from mais.settings import Settings

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(_env_file=None, app_env="test")).openapi()  # type: ignore[call-arg]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_operation_has_a_summary(document):
    lacking = [f"{m.upper()} {p}" for m, p, op in operations(document) if not op.get("summary")]
    assert not lacking


def test_every_error_response_is_the_error_body(document):
    wrong = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": "#/components/schemas/ErrorBody"}:
                    wrong.append(f"{method.upper()} {path} {status}")
    assert not wrong
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error", "message", "requestId"}


def test_the_three_security_schemes_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes[TENANT_KEY] | {"description": ""} == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Tenant-Key",
        "description": "",
    }
    assert schemes[ADMIN_JWT]["scheme"] == "bearer"
    assert schemes[ADMIN_JWT]["bearerFormat"] == "JWT"
    assert schemes[SECRET_KEY]["scheme"] == "bearer"


def test_each_area_declares_its_credentials(document):
    found = {(m, p): op.get("security") for m, p, op in operations(document)}
    assert found[("post", "/v1/bookings/checkout")] == [{TENANT_KEY: []}]
    assert found[("get", "/v1/packages")] == [{TENANT_KEY: []}]
    assert found[("get", "/v1/tenant-admin/packages")] == [{ADMIN_JWT: []}, {SECRET_KEY: []}]
    assert found[("get", "/v1/admin/stats")] == [{ADMIN_JWT: []}]
    assert found[("post", "/v1/auth/login")] is None
    assert found[("get", "/health")] is None


def fill_path(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("_id"):
            return "cs_test_nothing" if name == "session_id" else str(uuid.uuid4())
        return "nothing"

    return re.sub(r"\{([^}]+)\}", value, path)


async def test_exactly_the_secured_operations_refuse_a_caller_without_credentials(
    client: httpx.AsyncClient, document
):
    mismatches = []
    for method, path, operation in operations(document):
        if not path.startswith("/v1/") or (method, path) in OPEN_OPERATIONS:
            continue
        response = await client.request(method.upper(), fill_path(path), json={})
        secured = bool(operation.get("security"))
        if secured != (response.status_code == 401):
            mismatches.append(f"{method.upper()} {path}: {response.status_code}")
        elif secured:
            assert response.json()["error"] in {"TENANT_KEY_REQUIRED", "AUTHENTICATION_REQUIRED"}
    assert not mismatches


def test_every_example_fits_its_schema(document):
    root = {"components": document["components"]}
    checked = 0
    for _method, _path, operation in operations(document):
        bodies = [operation.get("requestBody", {}).get("content", {}).get("application/json")]
        bodies += [
            response.get("content", {}).get("application/json")
            for response in operation["responses"].values()
        ]
        for body in bodies:
            if body and "example" in body:
                Draft202012Validator({**root, **body["schema"]}).validate(body["example"])
                checked += 1
    assert checked >= 15
    Draft202012Validator(document["components"]["schemas"]["ErrorBody"]).validate(
        document["components"]["schemas"]["ErrorBody"]["example"]
    )


async def test_the_docs_page_loads_swagger_ui_from_the_installed_package_without_inline_script(
    client: httpx.AsyncClient,
):
    page = await client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "connect-src 'self'" in policy
    assert "<script>" not in page.text  # only <script src=...>
    sources = re.findall(r'(?:src|href)="(/docs/static/[^"]+|/help/static/[^"]+)"', page.text)
    assert len(sources) == 3
    package = resources.files("fastapi_offline").joinpath("static")
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert "immutable" in asset.headers["cache-control"]
        name = re.sub(r"\.[0-9a-f]{10}\.", ".", source.rsplit("/", 1)[1])
        if source.startswith("/docs/static/"):
            assert asset.content == package.joinpath(name).read_bytes()
    assert 'data-openapi-url="/openapi.json"' in page.text
