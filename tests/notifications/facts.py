"""`BookingFacts` for composition tests that need no database."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any

from mais.notifications.compose import AddOnLine, BookingFacts
from mais.tenants.branding import BrandingOut


def sample_facts(**overrides: Any) -> BookingFacts:
    branding = overrides.pop("branding", None) or BrandingOut(
        name="Kiwi Events",
        primary_color="#1D4E89",
        secondary_color="#F4ECE6",
        accent_color="#C8A97E",
        background_color="#FFFFFF",
        font_family="Helvetica",
        logo_url="https://cdn.example.com/kiwi/logo.png",
    )
    facts = BookingFacts(
        booking_id=uuid.UUID("7f3a09c2-1111-4222-8333-444455556666"),
        status="confirmed",
        event_date=date(2025, 6, 14),
        couple_name="Alex & Sam",
        email="couple@example.com",
        phone="+64 21 555 0100",
        notes="Ceremony at 3 pm",
        package_title="Garden Ceremony",
        package_price_cents=350_000,
        add_ons=(AddOnLine("Violinist", 25_000), AddOnLine("Champagne", 40_000)),
        subtotal_cents=415_000,
        commission_bps=1000,
        commission_cents=41_500,
        tenant_net_cents=373_500,
        refunded_cents=0,
        currency="usd",
        cancel_reason=None,
        tenant_name="Kiwi Events",
        tenant_contact_email="hello@kiwi.example",
        timezone="Pacific/Auckland",
        branding=branding,
        support_email="support@maconaisolutions.com",
        customer_url="http://testserver/success?session_id=cs_test_1",
        tenant_url="http://testserver/tenant/bookings/7f3a09c2-1111-4222-8333-444455556666",
    )
    return dataclasses.replace(facts, **overrides)
