"""Schemathesis against the OpenAPI schema MAIS publishes: every public, tenant-admin and
platform-admin operation, called over HTTP on a live server with valid credentials and
generated (often hostile) input, never answers 5xx, and every answer matches the schema
(documented status codes, content types and bodies).

Bounded: four generated examples per operation (a few hundred requests in all)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mais.settings import Settings
from tests.factories.admin import make_platform_admin
from tests.factories.live_server import LiveServer, start_live_server
from tests.factories.live_server import settings_following_the_server as follow
from tests.factories.world import add_catalog, make_tenant

EXAMPLES_PER_OPERATION = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that would end the run's own credentials (they are tested elsewhere).
SKIPPED = {
    ("POST", "/v1/tenant-admin/api-keys/rotate"),
    ("POST", "/v1/auth/password"),
}


@pytest.fixture(scope="module")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The server with a high API rate limit: the run sends hundreds of requests a minute
    with one key (the limit itself is tested in tests/core/test_ratelimit.py). Its cache is
    in-process: its statistics must not land in the Redis database other tests read."""
    server = start_live_server(
        database_url=database_url,
        redis_url=None,
        data_dir=tmp_path_factory.mktemp("live"),
        rate_limit_api_per_minute=1_000_000,
    )
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return follow(request, settings)


def credentials_for(path: str, public_key: str, secret_key: str, admin_token: str) -> dict:
    if path.startswith("/v1/tenant-admin"):
        return {"Authorization": f"Bearer {secret_key}"}
    if path.startswith("/v1/admin"):
        return {"Authorization": f"Bearer {admin_token}"}
    return {"X-Tenant-Key": public_key}


def call_generated_cases(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


def exercise(server: LiveServer, public_key: str, secret_key: str, admin_token: str) -> list:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    failures: list[str] = []
    covered = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        covered += 1
        headers = credentials_for(operation.path, public_key, secret_key, admin_token)

        try:
            call_generated_cases(operation, server.url, headers)
        except Exception as exc:  # collected: one report naming every failing operation
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert covered >= 40, f"only {covered} operations in the schema"
    return failures


async def test_every_operation_answers_within_its_schema_and_never_5xx(
    container, live_server, settings
):
    tenant = await add_catalog(container, await make_tenant(container))
    email, password = await make_platform_admin(container)
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        login = await http.post("/v1/auth/login", json={"email": email, "password": password})
    token = login.json()["token"]

    failures = await asyncio.to_thread(
        exercise, live_server, tenant.public_key, tenant.secret_key, token
    )

    assert not failures, "\n\n".join(failures)
