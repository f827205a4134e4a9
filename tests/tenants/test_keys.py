"""API key formats and tenant slug rules (SPEC §2)."""

from __future__ import annotations

import re

import pytest

from mais.tenants.keys import (
    KeyShape,
    derive_hmac_key,
    lookup_of,
    new_public_key,
    new_secret_key,
    secret_hint,
    shape_of,
)
from mais.tenants.slugs import RESERVED_SLUGS, slug_problem

PUBLIC = re.compile(r"^pk_live_demo-tenant_[0-9a-f]{16}$")
SECRET = re.compile(r"^sk_live_demo-tenant_[0-9a-f]{32,}$")


def test_new_keys_have_the_exact_public_and_secret_formats():
    for _ in range(50):
        public, secret = new_public_key("demo-tenant"), new_secret_key("demo-tenant")
        assert PUBLIC.match(public), public
        assert SECRET.match(secret), secret
        assert shape_of(public) is KeyShape.public
        assert shape_of(secret) is KeyShape.secret


def test_new_keys_are_random():
    assert len({new_public_key("a-b-c") for _ in range(200)}) == 200
    assert len({new_secret_key("a-b-c") for _ in range(200)}) == 200


@pytest.mark.parametrize(
    "raw",
    [
        "pk_live_demo-tenant_0123456789ABCDEF",  # upper-case hex
        "pk_live_demo-tenant_0123456789abcde",  # 15 hex
        "pk_live_demo-tenant_0123456789abcdef0",  # 17 hex
        "pk_test_demo-tenant_0123456789abcdef",
        "sk_live_demo-tenant_" + "a" * 31,
        "sk_live_demo-tenant_" + "g" * 32,
        "pk_live__0123456789abcdef",
        "pk_live_Demo_0123456789abcdef",
        "pk_live_1demo_0123456789abcdef",
        "demo-tenant",
        "Bearer pk_live_demo-tenant_0123456789abcdef",
        "pk_live_demo-tenant_0123456789abcdef\n",
        "",
    ],
)
def test_anything_else_is_malformed(raw):
    assert shape_of(raw) is KeyShape.malformed


def test_secret_lookup_is_an_hmac_and_public_lookup_is_the_key():
    hmac_key = derive_hmac_key(bytes(32))
    secret = new_secret_key("demo-tenant")
    lookup = lookup_of(secret, hmac_key)
    assert re.fullmatch(r"[0-9a-f]{64}", lookup)
    assert secret not in lookup
    assert lookup_of(secret, derive_hmac_key(bytes([1]) * 32)) != lookup
    public = new_public_key("demo-tenant")
    assert lookup_of(public, hmac_key) == public


def test_hint_shows_the_prefix_and_last_four_only():
    secret = "sk_live_demo-tenant_" + "0123456789abcdef" * 2 + "cafe"
    hint = secret_hint(secret)
    assert hint == "sk_live_demo-tenant_…cafe"
    assert "0123456789abcdef" not in hint


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("ab", "must be 3 to 50 characters long"),
        ("a" * 51, "must be 3 to 50 characters long"),
        ("1venue", "must start with a lowercase letter"),
        ("-venue", "must start with a lowercase letter"),
        ("Venue", "must start with a lowercase letter"),
        ("venue-", "must not end with a hyphen"),
        ("ven_ue", "may contain only lowercase letters, digits and hyphens"),
        ("venUe", "may contain only lowercase letters, digits and hyphens"),
        ("vén-ue", "may contain only lowercase letters, digits and hyphens"),
        ("venue\n", "may contain only lowercase letters, digits and hyphens"),
        ("admin", "is a reserved word"),
        ("api", "is a reserved word"),
        ("widget", "is a reserved word"),
        ("static", "is a reserved word"),
    ],
)
def test_slug_rules_name_the_problem(slug, problem):
    assert slug_problem(slug) == problem


@pytest.mark.parametrize("slug", ["abc", "a" * 50, "demo-tenant", "venue-2", "a1-b2-c3"])
def test_valid_slugs(slug):
    assert slug_problem(slug) is None
    assert shape_of(new_public_key(slug)) is KeyShape.public


def test_every_reserved_slug_is_refused_and_would_shadow_a_route():
    assert {"admin", "api", "widget", "static"} <= RESERVED_SLUGS
    for word in RESERVED_SLUGS:
        if len(word) >= 3:
            assert slug_problem(word) == "is a reserved word"
