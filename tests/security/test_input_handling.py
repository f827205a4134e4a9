"""Input handling, for every route at once: control characters, lone surrogates and
over-long strings in any JSON field or in the URL are 422 with the spec's error body (one
mechanism: `InputModel` for bodies, the request middleware for URLs); bodies over the
route's limit are 413; text is stored exactly as typed; and no SQL in the source is built
by string formatting."""

from __future__ import annotations

import ast
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from mais.app import create_app
from mais.core.validation import MAX_TEXT_LENGTH
from mais.settings import Settings
from tests.factories.admin import login, platform_headers
from tests.factories.world import add_catalog, make_tenant

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"post", "put", "patch"}


def json_body_operations() -> list[tuple[str, str, list[str]]]:
    """(method, path, string fields) of every operation taking a JSON body, from the
    app's OpenAPI document: a route added later is covered without editing this test."""
    app = create_app(Settings(_env_file=None, app_env="test"))
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    operations = []
    for path, items in spec["paths"].items():
        for method, operation in items.items():
            content = operation.get("requestBody", {}).get("content", {})
            if method not in HTTP_METHODS or "application/json" not in content:
                continue
            ref = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            fields = [
                name for name, prop in schemas[ref]["properties"].items() if _takes_strings(prop)
            ]
            operations.append((method.upper(), path, fields))
    return sorted(operations)


def _takes_strings(prop: dict[str, Any]) -> bool:
    options = prop.get("anyOf", [prop])
    for option in options:
        if option.get("type") == "string" and option.get("format") not in ("date", "date-time"):
            return True
        if option.get("type") == "array" and option.get("items", {}).get("type") == "string":
            return True
    return False


OPERATIONS = json_body_operations()


def test_the_operation_list_covers_the_apis():
    paths = {path for _m, path, _f in OPERATIONS}
    assert "/v1/bookings/checkout" in paths
    assert "/v1/auth/login" in paths
    assert any(p.startswith("/v1/tenant-admin/") for p in paths)
    assert any(p.startswith("/v1/admin/") for p in paths)
    assert sum(len(fields) for _m, _p, fields in OPERATIONS) >= 20


@pytest.fixture
async def callers(container, client):
    tenant = await add_catalog(container, await make_tenant(container, "input-co"))
    return {
        "public": tenant.headers,
        "tenant": await login(client, tenant.email),
        "platform": await platform_headers(container, client),
    }


def _caller(path: str) -> str:
    if path.startswith("/v1/tenant-admin/"):
        return "tenant"
    if path.startswith("/v1/admin/"):
        return "platform"
    if path == "/v1/auth/password":
        return "tenant"
    return "public"


def _url(path: str) -> str:
    # Ids that exist nowhere: the body is judged before any lookup happens.
    return path.replace("{", "").replace("}", "") if "{" not in path else _fill(path)


def _fill(path: str) -> str:
    parts = []
    for part in path.split("/"):
        parts.append(str(uuid.uuid4()) if part.startswith("{") else part)
    return "/".join(parts)


BAD_TEXT = {
    "control character": ("ab\u0000cd", "control characters"),
    "escape character": ("ab\u001b[31mcd", "control characters"),
    "C1 control": ("ab\u0085cd", "control characters"),
    "lone surrogate": ("ab\ud800cd", "unicode"),
    "over-long": ("x" * (MAX_TEXT_LENGTH + 1), "at most"),
}


@pytest.mark.parametrize("kind", list(BAD_TEXT))
async def test_every_string_field_of_every_json_body_refuses_bad_text(client, callers, kind):
    value, issue = BAD_TEXT[kind]
    checked = 0
    for method, path, fields in OPERATIONS:
        for name in fields:
            sent: Any = value
            schema_is_list = name in ("addOnIds", "ids", "allowedEmbedOrigins")
            if schema_is_list:
                sent = [value]
            body = json.dumps({name: sent}).encode()  # json escapes the surrogate as \ud800
            response = await client.request(
                method,
                _fill(path),
                content=body,
                headers={**callers[_caller(path)], "Content-Type": "application/json"},
            )
            where = f"{method} {path} {name} ({kind})"
            assert response.status_code == 422, f"{where}: {response.status_code} {response.text}"
            payload = response.json()
            assert payload["error"] == "VALIDATION_ERROR", where
            assert set(payload) >= {"error", "message", "requestId", "details"}, where
            issues = [d["issue"].lower() for d in payload["details"] if d["field"].startswith(name)]
            assert issues, f"{where}: {payload['details']}"
            if kind != "over-long" or not schema_is_list:
                assert any(issue in i for i in issues) or kind == "over-long", f"{where}: {issues}"
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    "url",
    [
        "/v1/packages/%00",
        "/v1/packages/garden%0d%0aX-Injected:%201",
        "/v1/availability?date=2031-01-01%00",
        "/v1/bookings/by-session/cs_%7f",
        "/v1/tenant-admin/bookings?q=%00",
        "/v1/tenant-admin/bookings?q=a%c2%85b",
        "/widget?tenant=input-co%00",
        "/t/input-co%1b",
        "/uploads/%00.png",
    ],
)
async def test_control_characters_in_any_url_are_422_before_any_route_runs(client, callers, url):
    response = await client.get(url, headers={**callers["public"], **callers["tenant"]})

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert response.headers["x-request-id"] == response.json()["requestId"]
    assert "x-injected" not in response.headers


async def test_sql_injection_in_urls_and_search_is_plain_data(client, callers):
    for payload in ("' OR 1=1 --", "garden' OR '1'='1", "1; DROP TABLE bookings; --", "%' --"):
        packages = await client.get(f"/v1/packages/{payload}", headers=callers["public"])
        assert packages.status_code == 404, payload
        search = await client.get(
            "/v1/tenant-admin/bookings", params={"q": payload}, headers=callers["tenant"]
        )
        assert search.status_code == 200, payload
        assert search.json()["items"] == []
    assert (await client.get("/v1/packages", headers=callers["public"])).status_code == 200


async def test_text_is_stored_exactly_as_typed(client, callers):
    title = "<b>Ceremony</b> & \"quotes\" 'single' — ünïcode 💍"
    description = "Line one\nLine two\twith a tab\r\n<script>alert(1)</script>"
    created = await client.post(
        "/v1/tenant-admin/packages",
        headers=callers["tenant"],
        json={"title": title, "description": description, "priceCents": 100, "active": True},
    )

    assert created.status_code == 201, created.text
    listed = await client.get("/v1/packages", headers=callers["public"])
    mine = [p for p in listed.json() if p["id"] == created.json()["id"]]
    assert mine[0]["title"] == title
    assert mine[0]["description"] == description


@pytest.mark.parametrize(
    ("path", "caller"),
    [("/v1/bookings/checkout", "public"), ("/v1/tenant-admin/packages", "tenant")],
)
async def test_json_bodies_over_64_kb_are_413(client, callers, path, caller):
    body = json.dumps({"notes": "x" * (64 * 1024)})
    response = await client.post(
        path, content=body, headers={**callers[caller], "Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"


# --- no SQL built from strings ------------------------------------------------------------

SQL_CALLS = {"text", "execute", "exec_driver_sql", "literal_column", "from_statement"}


def string_built_sql(source: str) -> list[int]:
    """Lines where SQL text handed to SQLAlchemy is built by formatting: an f-string, `%`,
    `+` or `.format()` as the first argument of text()/execute()/exec_driver_sql()/..."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SQL_CALLS and _is_formatted(node.args[0]):
            lines.append(node.lineno)
    return lines


def _is_formatted(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            return True
        return any(_is_formatted(arg) for arg in node.args)  # text(f"...") inside a call
    return False


def test_the_scan_finds_string_built_sql():
    bad = (
        'session.execute(text(f"SELECT * FROM t WHERE id = {x}"))\n'
        'conn.exec_driver_sql("DELETE FROM t WHERE a = %s" % a)\n'
        'text("SELECT " + column)\n'
        'session.execute(sa.text("SELECT {}".format(a)))\n'
    )
    assert set(string_built_sql(bad)) == {1, 2, 3, 4}
    assert string_built_sql('session.execute(text("SELECT 1"), {"a": a})') == []


def test_no_sql_in_the_source_is_built_by_string_formatting():
    """The shipped code (`src/`, `scripts/`). A line that must format SQL (an identifier,
    which cannot be a bound parameter) says so with `# noqa: S608 - <reason>`."""
    found = []
    for folder in ("src", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text()
            lines = source.splitlines()
            for line in string_built_sql(source):
                if "noqa: S608 - " not in lines[line - 1]:
                    found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == [], "SQL built by string formatting (use bound parameters):\n" + "\n".join(
        found
    )
