"""The one CSP builder: what each kind of page is allowed, and what it never is."""

from __future__ import annotations

from mais.web.csp import origin_of, page_policy


def directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in header.split("; ")}


def test_a_plain_page_may_do_nothing_but_show_its_own_styles_and_images():
    policy = page_policy()

    parts = directives(policy.header)
    assert parts["default-src"] == "'none'"
    assert parts["style-src"] == f"'self' 'nonce-{policy.nonce}'"
    assert parts["img-src"] == "'self' data:"
    assert parts["form-action"] == "'none'"
    assert parts["frame-ancestors"] == "'none'"
    assert parts["base-uri"] == "'none'"
    assert parts["report-uri"] == "/v1/csp-violations"
    assert "script-src" not in parts
    assert "connect-src" not in parts


def test_every_policy_has_its_own_unguessable_nonce():
    nonces = {page_policy(scripts=True).nonce for _ in range(50)}

    assert len(nonces) == 50
    assert all(len(nonce) >= 20 for nonce in nonces)


def test_a_booking_page_runs_our_scripts_and_posts_to_itself_and_stripe_never_inline():
    policy = page_policy(
        scripts=True,
        connect=True,
        images=["https://cdn.example.com", None, "https://cdn.example.com"],
        form_action=["'self'"],
        stripe_checkout=True,
        frame_ancestors=["'self'", "https://venue.example"],
    )

    parts = directives(policy.header)
    assert parts["script-src"] == f"'self' 'nonce-{policy.nonce}'"
    assert "unsafe" not in policy.header
    assert parts["connect-src"] == "'self'"
    assert parts["img-src"] == "'self' data: https://cdn.example.com"
    assert parts["form-action"] == "'self' https://checkout.stripe.com"
    assert parts["frame-ancestors"] == "'self' https://venue.example"


def test_any_origin_framing_is_a_single_wildcard():
    policy = page_policy(frame_ancestors=["'self'", "*", "https://a.example"])

    assert directives(policy.header)["frame-ancestors"] == "*"


def test_foreign_markup_is_sandboxed_and_only_it_gets_inline_styles():
    policy = page_policy(sandbox=True, foreign_inline_styles=True, frame_ancestors=["'self'"])

    assert policy.header.startswith("sandbox; default-src 'none'")
    assert directives(policy.header)["style-src"] == "'unsafe-inline'"


def test_origin_of_accepts_only_absolute_web_urls():
    assert origin_of("https://cdn.example.com:8443/a/b.png?x=1") == "https://cdn.example.com:8443"
    assert origin_of("http://localhost:3000/") == "http://localhost:3000"
    assert origin_of("javascript:alert(1)") is None
    assert origin_of("/relative/path") is None
    assert origin_of(None) is None
