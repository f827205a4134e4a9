"""No secret in the repository (working tree and Git history) or in anything the app
serves: Stripe secret keys (`sk_live_`, `sk_test_`), webhook secrets (`whsec_`) and MAIS
secret keys (also `sk_live_`) appear only as obvious test fixtures or placeholders, in the
repository and in pages, scripts, the OpenAPI document and error bodies; none of those
contains a configured secret value.
Public keys (`pk_live_`) are the only keys a page may show."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.factories.world import add_catalog, days_ahead, hold_booking, make_tenant

ROOT = Path(__file__).resolve().parents[2]
SECRET = re.compile(r"(?:sk_live_|sk_test_|whsec_)[A-Za-z0-9_\-]+")
# Words that make a value an obvious fixture or placeholder, never a credential.
FIXTURE_WORDS = re.compile(
    r"test|fake|mock|dev|local|example|dummy|someone|shouldnotleak|compose|placeholder|"
    r"abcdef|0123456789|1234567890|zzz|xxx|\.\.\.",
    re.IGNORECASE,
)
SKIPPED_DIRS = {
    *(".git", ".venv", "var", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"),
    *(".pytest_cache", ".hypothesis", "test-artifacts", "build", "dist"),
}
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico", ".pdf", ".db", ".pyc"}


def looks_real(token: str) -> bool:
    """A credential-shaped token that is not an obvious fixture: long enough to be a key,
    no fixture word, not one character repeated."""
    body = token.split("_", 2)[-1] if token.startswith("sk_") else token[len("whsec_") :]
    if len(body) < 16 or FIXTURE_WORDS.search(token):
        return False
    return len(set(body.replace("_", "").replace("-", ""))) > 4


def real_secrets_in(text: str) -> list[str]:
    return [m.group(0) for m in SECRET.finditer(text) if looks_real(m.group(0))]


# Realistic values are assembled at run time, so this file does not trip its own scan.
REALISTIC_STRIPE_KEY = "sk_live_" + "51Hq8LkJ2eZvKYlo2CtR7nB4xQp9WmS3"
REALISTIC_WEBHOOK_SECRET = "whsec_" + "Q8v1lEJzPq2R7cN5mX0aT3bW9yK4dF6h"
REALISTIC_TENANT_KEY = "sk_live_" + "venue-co_8f3a9c2e7b1d4f6a0c5e9b2d7a1f3c8e"


def test_the_scanner_tells_real_keys_from_fixtures():
    assert real_secrets_in(f"STRIPE_SECRET_KEY={REALISTIC_STRIPE_KEY}") != []
    assert real_secrets_in(REALISTIC_WEBHOOK_SECRET) != []
    assert real_secrets_in(f"key {REALISTIC_TENANT_KEY}") != []
    for fixture in (
        "sk_test_51FakeKeyForLocalTests",
        "whsec_test_secret",
        "sk_live_...",
        "sk_live_" + "0" * 24,
        "whsec_dev_only_mock_webhook_secret",
        "sk_test_0123456789abcdef",
    ):
        assert real_secrets_in(fixture) == [], fixture


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        if any(part in SKIPPED_DIRS for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and path.suffix.lower() not in BINARY_SUFFIXES:
            files.append(path)
    return files


def test_no_secret_in_the_repository_files():
    files = repository_files()
    assert len(files) > 100
    found = []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}: {s[:12]}…" for s in real_secrets_in(text)]
    assert found == []


def test_no_secret_in_the_git_history():
    if not (ROOT / ".git").exists():
        # A source tarball has no history; the working tree was scanned above.
        assert repository_files()
        return
    history = subprocess.run(
        ["git", "log", "-p", "--no-color", "--all"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode("utf-8", errors="replace")
    assert "diff --git" in history
    assert [s[:12] for s in real_secrets_in(history)] == []


# --- what the app serves -----------------------------------------------------------------

CONFIGURED_SECRETS = {
    "stripe_secret_key": REALISTIC_STRIPE_KEY,
    "stripe_webhook_secret": REALISTIC_WEBHOOK_SECRET,
    "jwt_secret": "Jx9" * 22,
    "tenant_secrets_encryption_key": "7c" * 32,
    "metrics_token": "metrics-Token-Value-1234",
}


@pytest.fixture
def settings_overrides():
    # Mock adapters (pages need no Stripe), but every secret set as production would.
    return dict(CONFIGURED_SECRETS)


async def test_no_page_script_document_or_error_contains_a_secret(container, client):
    tenant = await add_catalog(container, await make_tenant(container, "scan-co"), photos=1)
    held = await hold_booking(container, tenant, days_ahead(container, 20))
    urls = [
        "/",
        f"/t/{tenant.slug}",
        f"/t/{tenant.slug}/packages/garden",
        f"/widget?tenant={tenant.slug}",
        f"/widget/packages/garden?tenant={tenant.slug}",
        f"/widget/calendar?tenant={tenant.slug}",
        f"/widget?tenant={tenant.slug}&session_id={held.session_id}",
        f"/success?session_id={held.session_id}",
        f"/cancel?tenant={tenant.slug}&booking={held.id}",
        f"/mock/checkout/{held.session_id}",
        "/embed.js",
        "/openapi.json",
        "/health",
        "/nowhere",
        f"/t/{tenant.slug}/nowhere",
    ]
    page = await client.get(f"/widget?tenant={tenant.slug}")
    urls += re.findall(r'(?:src|href)="(/widget/static/[^"]+)"', page.text)
    served = []
    for url in urls:
        response = await client.get(url)
        assert response.status_code < 500, url
        served.append((url, response.text))
    api = [
        await client.get("/v1/packages", headers=tenant.headers),
        await client.get("/v1/tenant/branding", headers=tenant.headers),
        await client.get(f"/v1/bookings/by-session/{held.session_id}", headers=tenant.headers),
        await client.post("/v1/bookings/checkout", headers=tenant.headers, json={"x": 1}),
        await client.get("/v1/packages", headers={"X-Tenant-Key": tenant.secret_key + "0"}),
    ]
    served += [(str(r.request.url), r.text) for r in api]
    assert len(served) > len(urls)

    for url, text in served:
        # The API reference shows the key formats with obvious placeholder values.
        assert not real_secrets_in(text), f"{url} contains a Stripe- or MAIS-style secret"
        assert tenant.secret_key not in text, url
        for name, value in CONFIGURED_SECRETS.items():
            assert value not in text, f"{url} contains {name}"
    assert any(tenant.public_key in text for _url, text in served)  # public keys may show
