"""Tenant slug rules (SPEC §2): 3–50 chars of [a-z0-9-], starts with a letter,
no trailing hyphen, not a reserved word."""

from __future__ import annotations

import re

SLUG_PATTERN = r"[a-z][a-z0-9-]{1,48}[a-z0-9]"
_SLUG_RE = re.compile(rf"^{SLUG_PATTERN}$")

RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "auth", "billing", "cancel", "dashboard", "docs",
        "embed", "health", "help", "login", "logout", "mail", "metrics", "mock", "null",
        "platform", "root", "settings", "static", "status", "stripe", "success", "support",
        "system", "tenant", "tenants", "undefined", "uploads", "v1", "webhooks", "widget", "www",
    }
)  # fmt: skip


def slug_problem(slug: str) -> str | None:
    """Why `slug` is not a valid tenant slug, or None when it is."""
    if not 3 <= len(slug) <= 50:
        return "must be 3 to 50 characters long"
    if not slug[0].isalpha() or not slug[0].islower():
        return "must start with a lowercase letter"
    if slug.endswith("-"):
        return "must not end with a hyphen"
    if not _SLUG_RE.fullmatch(slug):
        return "may contain only lowercase letters, digits and hyphens"
    if slug in RESERVED_SLUGS:
        return "is a reserved word"
    return None


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug for a package title (packages have looser rules than tenants)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].strip("-") or "package"
