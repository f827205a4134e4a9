"""Who may frame the widget, and which embed parameters are believed."""

from __future__ import annotations

import uuid

from mais.settings import Settings
from mais.tenants.context import TenantContext
from mais.widget.surface import Surface

HOST = "https://venue.example"


def tenant(origins: tuple[str, ...] = ()) -> TenantContext:
    return TenantContext(
        id=uuid.uuid4(),
        slug="kiwi-events",
        name="Kiwi Events",
        status="active",
        timezone="America/New_York",
        currency="usd",
        commission_bps=1000,
        commission_min_cents=None,
        commission_max_cents=None,
        min_notice_days=1,
        max_days_ahead=365,
        stripe_account_id=None,
        stripe_charges_enabled=False,
        allowed_embed_origins=origins,
    )


def settings(env: str) -> Settings:
    return Settings(_env_file=None, app_env=env)  # type: ignore[call-arg]


def test_production_frames_only_for_configured_origins_and_never_for_anyone():
    configured = Surface.widget(tenant((HOST,)), {}, settings("production"))
    none = Surface.widget(tenant(), {}, settings("production"))

    assert configured.frame_ancestors(settings("production")) == ["'self'", HOST]
    assert none.frame_ancestors(settings("production")) == ["'self'"]


def test_development_without_origins_lets_any_page_frame_the_widget():
    surface = Surface.widget(tenant(), {"origin": "http://localhost:8080"}, settings("development"))

    assert surface.frame_ancestors(settings("development")) == ["*"]
    assert surface.parent_origin == "http://localhost:8080"


def test_the_storefront_is_never_framed():
    assert Surface.storefront(tenant((HOST,))).frame_ancestors(settings("production")) == []


def test_an_origin_or_return_page_the_tenant_did_not_allow_is_ignored():
    surface = Surface.widget(
        tenant((HOST,)),
        {"origin": "https://evil.example", "return": "https://evil.example/x", "target": "top"},
        settings("production"),
    )

    assert surface.parent_origin is None
    assert surface.return_url is None
    assert surface.target_top


def test_widget_links_carry_the_embed_parameters_and_storefront_links_do_not():
    surface = Surface.widget(
        tenant((HOST,)),
        {"origin": HOST, "target": "top", "return": f"{HOST}/book"},
        settings("production"),
    )

    url = surface.package_url("garden", date="2025-06-14", add_on=["a", "b"])
    assert url.startswith("/widget/packages/garden?tenant=kiwi-events&origin=https%3A%2F%2F")
    assert "target=top" in url
    assert "return=https%3A%2F%2Fvenue.example%2Fbook" in url
    assert url.endswith("date=2025-06-14&add_on=a&add_on=b")
    assert Surface.storefront(tenant()).package_url("garden") == "/t/kiwi-events/packages/garden"
    assert Surface.storefront(tenant()).booking_url("cs_1") == "/success?session_id=cs_1"
