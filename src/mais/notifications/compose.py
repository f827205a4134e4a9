"""What the booking e-mails say: one message per event and audience, with HTML and plain
text parts in the tenant's branding, and the calendar invitation attached.

Composition is pure: it reads a `BookingFacts` snapshot and returns an `EmailMessage`.
All user-supplied text reaches HTML only through autoescaped Jinja2 templates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mais.adapters.email import Attachment, EmailMessage
from mais.adapters.email.port import single_line
from mais.models import BookingStatus
from mais.notifications.events import BookingEvent
from mais.notifications.ics import Invite, invite_ics
from mais.tenants.branding import FONT_CHOICES, BrandingOut
from mais.tenants.palette import readable_text_on, safe_color
from mais.web.templates import render

CUSTOMER = "customer"
TENANT = "tenant"

_CURRENCY_SYMBOLS = {"usd": "$", "cad": "CA$", "aud": "A$", "nzd": "NZ$", "eur": "€", "gbp": "£"}
_ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"}
_DATE_GONE = {BookingStatus.canceled, BookingStatus.refunded, BookingStatus.expired}


@dataclass(frozen=True)
class AddOnLine:
    title: str
    price_cents: int


@dataclass(frozen=True)
class BookingFacts:
    """Everything a booking e-mail shows, read once from the booking, its snapshots and
    its tenant. Amounts are integer cents; `event_date` is the tenant's calendar date."""

    booking_id: uuid.UUID
    status: str
    event_date: date
    couple_name: str
    email: str
    phone: str | None
    notes: str | None
    package_title: str
    package_price_cents: int
    add_ons: tuple[AddOnLine, ...]
    subtotal_cents: int
    commission_bps: int
    commission_cents: int
    tenant_net_cents: int
    refunded_cents: int
    currency: str
    cancel_reason: str | None
    tenant_name: str
    tenant_contact_email: str
    timezone: str
    branding: BrandingOut
    support_email: str
    customer_url: str | None = None
    tenant_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return booking_reference(self.booking_id)

    @property
    def date_is_released(self) -> bool:
        return self.status in _DATE_GONE


# --- formatting -------------------------------------------------------------------------


def booking_reference(booking_id: uuid.UUID) -> str:
    """Short, readable form of the booking id for people ("7F3A-09C2"); the id itself
    stays the key everywhere else."""
    head = booking_id.hex[:8].upper()
    return f"{head[:4]}-{head[4:]}"


def format_money(cents: int, currency: str) -> str:
    code = currency.lower()
    sign = "-" if cents < 0 else ""
    if code in _ZERO_DECIMAL:
        amount = f"{abs(cents):,}"
    else:
        whole, fraction = divmod(abs(cents), 100)
        amount = f"{whole:,}.{fraction:02d}"
    symbol = _CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {code.upper()}"


def format_event_date(day: date) -> str:
    """ "Saturday, June 14, 2025": the calendar date itself, never converted through a
    time zone."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def format_percent(bps: int) -> str:
    return f"{bps / 100:g}%"


def _web_url(value: str | None) -> str | None:
    return value if value and value.startswith(("https://", "http://")) else None


# --- the copy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    subject: str
    headline: str
    paragraphs: tuple[str, ...]


def _refund_amount(facts: BookingFacts, event: BookingEvent) -> int:
    if event is BookingEvent.auto_refunded and facts.refunded_cents == 0:
        return facts.subtotal_cents
    return facts.refunded_cents


def _copy(facts: BookingFacts, event: BookingEvent, audience: str) -> Copy:
    when = format_event_date(facts.event_date)
    tenant, couple, package = facts.tenant_name, facts.couple_name, facts.package_title
    refunded = format_money(_refund_amount(facts, event), facts.currency)
    paid = format_money(facts.subtotal_cents, facts.currency)
    reason = f"Reason given: {facts.cancel_reason}" if facts.cancel_reason else None
    to_customer = audience == CUSTOMER

    if event is BookingEvent.confirmed and to_customer:
        return Copy(
            f"Booking confirmed: {package} on {when}",
            "You're booked!",
            (
                f"Thank you, {couple}. {tenant} has received your payment of {paid} "
                f"and {when} is reserved for you.",
                "The attached invitation adds the day to your calendar.",
            ),
        )
    if event is BookingEvent.confirmed:
        return Copy(
            f"New booking: {couple} on {when}",
            "New booking",
            (f"{couple} booked {package} for {when} and paid {paid}.",),
        )
    if event is BookingEvent.canceled and to_customer:
        return Copy(
            f"Booking canceled: {package} on {when}",
            "Your booking has been canceled",
            tuple(
                p
                for p in (
                    f"{tenant} has canceled your booking for {when}.",
                    reason,
                    "If a refund is due, you will receive a separate e-mail once it is issued.",
                )
                if p
            ),
        )
    if event is BookingEvent.canceled:
        return Copy(
            f"Booking canceled: {couple} on {when}",
            "Booking canceled",
            tuple(
                p
                for p in (
                    f"The booking of {couple} for {when} was canceled; the date is open again.",
                    reason,
                )
                if p
            ),
        )
    if event is BookingEvent.refunded:
        still_on = (
            f"Your booking for {when} remains confirmed."
            if not facts.date_is_released
            else f"Your booking for {when} is canceled."
        )
        if to_customer:
            return Copy(
                f"Refund issued for your booking on {when}",
                "Your refund is on its way",
                (
                    f"{tenant} has refunded {refunded} of the {paid} you paid to your original "
                    "payment method. Banks usually take 5 to 10 business days to show it.",
                    still_on,
                ),
            )
        return Copy(
            f"Refund issued: {couple} on {when}",
            "Refund issued",
            (
                f"{couple} has been refunded {refunded} of {paid}.",
                "The date is open again."
                if facts.date_is_released
                else f"The booking for {when} remains confirmed.",
            ),
        )
    if to_customer:  # auto_refunded
        return Copy(
            f"We could not confirm {when}: full refund issued",
            "Your date was no longer available",
            (
                f"Your payment reached us after the hold on {when} had expired, and the date "
                f"had been booked by someone else in the meantime. We are sorry, {couple}.",
                f"Your payment of {refunded} has been refunded in full to your original "
                "payment method. Banks usually take 5 to 10 business days to show it.",
                f"You are welcome to choose another date with {tenant}.",
            ),
        )
    return Copy(
        f"Automatic refund: late payment for {when}",
        "A late payment was refunded",
        (
            f"{couple} paid for {package} on {when} after their hold had expired, and the date "
            "had already been booked by someone else.",
            f"Their payment of {refunded} was refunded in full automatically, including the "
            "platform fee. No action is needed.",
        ),
    )


# --- the message -------------------------------------------------------------------------


def booking_invite(facts: BookingFacts, event: BookingEvent, audience: str) -> Attachment | None:
    """REQUEST with a confirmation; CANCEL when the event no longer takes place. A partial
    refund changes nothing in the calendar, and an automatic refund never had an invite."""
    if event is BookingEvent.confirmed:
        cancel = False
    elif event is BookingEvent.canceled or (
        event is BookingEvent.refunded and facts.date_is_released
    ):
        cancel = True
    else:
        return None
    summary = (
        f"{facts.package_title} with {facts.tenant_name}"
        if audience == CUSTOMER
        else f"{facts.couple_name}: {facts.package_title}"
    )
    lines = [f"Booking reference: {facts.reference}", f"Package: {facts.package_title}"]
    lines += [f"Add-on: {line.title}" for line in facts.add_ons]
    url = facts.customer_url if audience == CUSTOMER else facts.tenant_url
    if url:
        lines.append(url)
    invite = Invite(
        booking_id=facts.booking_id,
        event_date=facts.event_date,
        summary=summary,
        description="\n".join(lines),
        timezone=facts.timezone,
        organizer_name=facts.tenant_name,
        organizer_email=facts.tenant_contact_email,
        attendee_name=facts.couple_name,
        attendee_email=facts.email,
        url=url,
    )
    method = "CANCEL" if cancel else "REQUEST"
    return Attachment(
        filename=f"booking-{facts.reference}.ics",
        content_type=f"text/calendar; charset=utf-8; method={method}",
        data=invite_ics(invite, cancel=cancel),
    )


def _template_context(facts: BookingFacts, event: BookingEvent, audience: str) -> dict[str, Any]:
    branding = facts.branding
    primary = safe_color(branding.primary_color, "#7A5C58")
    accent = safe_color(branding.accent_color, "#C8A97E")
    copy = _copy(facts, event, audience)
    money = facts.currency
    to_tenant = audience == TENANT
    totals: list[tuple[str, str]] = [("Total paid", format_money(facts.subtotal_cents, money))]
    if to_tenant:
        totals = [
            ("Subtotal", format_money(facts.subtotal_cents, money)),
            (
                f"Platform commission ({format_percent(facts.commission_bps)})",
                format_money(-facts.commission_cents, money),
            ),
            ("Your net", format_money(facts.tenant_net_cents, money)),
        ]
    refund = _refund_amount(facts, event)
    if refund:
        totals.append(("Refunded", format_money(-refund, money)))
    details = [("Reference", facts.reference), ("Date", format_event_date(facts.event_date))]
    if to_tenant:
        details += [("Couple", facts.couple_name), ("E-mail", facts.email)]
        if facts.phone:
            details.append(("Phone", facts.phone))
        if facts.notes:
            details.append(("Notes", facts.notes))
    link = facts.tenant_url if to_tenant else facts.customer_url
    return {
        "copy": copy,
        "audience": audience,
        "tenant_name": facts.tenant_name,
        "logo_url": _web_url(branding.logo_url),
        "primary": primary,
        "on_primary": readable_text_on(primary),
        "accent": accent,
        "on_accent": readable_text_on(accent),
        "font": FONT_CHOICES.get(branding.font_family, FONT_CHOICES["Georgia"]),
        "details": details,
        "package": (facts.package_title, format_money(facts.package_price_cents, money)),
        "add_ons": [(line.title, format_money(line.price_cents, money)) for line in facts.add_ons],
        "totals": totals,
        "link": _web_url(link),
        "link_label": "Open in your dashboard" if to_tenant else "View your booking",
        "reply_hint": (
            f"Reply to this e-mail to reach {facts.couple_name}."
            if to_tenant
            else f"Questions? Reply to this e-mail to reach {facts.tenant_name}."
        ),
        "support_email": facts.support_email,
        "reference": facts.reference,
    }


def compose_booking_email(facts: BookingFacts, event: BookingEvent, audience: str) -> EmailMessage:
    """The e-mail `audience` ("customer" or "tenant") receives about `event`: to the
    couple's address or the tenant's notification address, replies going to the other."""
    if audience not in (CUSTOMER, TENANT):
        raise ValueError(f"unknown audience {audience!r}")
    context = _template_context(facts, event, audience)
    invite = booking_invite(facts, event, audience)
    copy: Copy = context["copy"]
    return EmailMessage(
        to=facts.email if audience == CUSTOMER else facts.tenant_contact_email,
        subject=single_line(f"{copy.subject} (ref {facts.reference})"),
        html=render("notifications/email/booking.html", **context),
        text=render("notifications/email/booking.txt", **context),
        from_name=facts.tenant_name,
        reply_to=facts.tenant_contact_email if audience == CUSTOMER else facts.email,
        attachments=(invite,) if invite else (),
        tag=f"booking-{event.value}-{audience}",
        metadata={
            **facts.metadata,
            "booking_id": str(facts.booking_id),
            "event": event.value,
            "audience": audience,
        },
    )
