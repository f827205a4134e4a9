"""POST /v1/csp-violations: both report formats accepted and logged, never a 500."""

from __future__ import annotations

import json
import logging

import pytest

REPORT_URI_FORMAT = {
    "csp-report": {
        "document-uri": "https://venue.example/widget?tenant=demo-tenant&token=secret123",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "line-number": 12,
        "original-policy": "default-src 'self'",
    }
}
REPORT_TO_FORMAT = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://venue.example/t/demo-tenant",
        "body": {
            "documentURL": "https://venue.example/t/demo-tenant",
            "effectiveDirective": "img-src",
            "blockedURL": "https://evil.example/pixel.png?u=1",
            "disposition": "enforce",
        },
    },
    {"type": "deprecation", "body": {"id": "x"}},
]


@pytest.mark.parametrize(
    ("content_type", "payload", "directive"),
    [
        ("application/csp-report", REPORT_URI_FORMAT, "script-src-elem"),
        ("application/reports+json", REPORT_TO_FORMAT, "img-src"),
    ],
)
async def test_both_report_formats_are_accepted_and_logged_without_query_strings(
    client, caplog, content_type, payload, directive
):
    with caplog.at_level(logging.WARNING, logger="mais.csp"):
        response = await client.post(
            "/v1/csp-violations",
            content=json.dumps(payload),
            headers={"Content-Type": content_type},
        )
    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.getMessage() == "csp violation"]
    assert record.report["directive"] == directive
    assert "secret123" not in json.dumps(record.report)
    assert "?u=1" not in json.dumps(record.report)


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/csp-report", "{not json", 400, "INVALID_REPORT"),
        ("application/csp-report", '"a string"', 400, "INVALID_REPORT"),
        ("application/reports+json", '{"csp-report": 5}', 400, "INVALID_REPORT"),
        ("text/plain", "{}", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("application/csp-report", "x" * (17 * 1024), 413, "PAYLOAD_TOO_LARGE"),
    ],
)
async def test_bad_reports_get_a_clear_4xx(client, content_type, body, status, code):
    response = await client.post(
        "/v1/csp-violations", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["error"] == code


async def test_reports_are_rate_limited_per_client(client):
    statuses = []
    for _ in range(61):
        response = await client.post(
            "/v1/csp-violations",
            content=json.dumps(REPORT_URI_FORMAT),
            headers={"Content-Type": "application/csp-report"},
        )
        statuses.append(response.status_code)
    assert statuses[:60] == [204] * 60
    assert statuses[60] == 429


async def test_pages_send_report_to_only_over_https(client, container):
    from tests.factories.world import make_tenant

    tenant = await make_tenant(container)
    plain = await client.get(f"/t/{tenant.slug}")
    assert "report-uri /v1/csp-violations" in plain.headers["content-security-policy"]
    assert "report-to" not in plain.headers["content-security-policy"]

    secure = await client.get(f"https://testserver/t/{tenant.slug}")
    assert "report-to csp-endpoint" in secure.headers["content-security-policy"]
    assert secure.headers["reporting-endpoints"] == 'csp-endpoint="/v1/csp-violations"'


@pytest.mark.browser
async def test_a_real_violation_in_chromium_arrives_and_is_logged(
    container, live_server, browser, caplog
):
    from tests.factories.world import add_catalog, make_tenant

    tenant = await add_catalog(container, await make_tenant(container))
    page = await browser.new_page()
    try:
        await page.goto(f"{live_server.url}/t/{tenant.slug}")
        with caplog.at_level(logging.WARNING, logger="mais.csp"):
            async with page.expect_response("**/v1/csp-violations") as reported:
                # An injected inline script: exactly what the policy exists to stop.
                await page.evaluate(
                    "() => { const s = document.createElement('script');"
                    " s.textContent = 'window.pwned = true'; document.body.appendChild(s); }"
                )
            assert (await reported.value).status == 204
        assert await page.evaluate("() => window.pwned === undefined")
        logged = [r for r in caplog.records if r.getMessage() == "csp violation"]
        assert logged
        assert logged[-1].report["directive"].startswith("script-src")
    finally:
        await page.close()
