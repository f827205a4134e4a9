"""The tenant admin's view of bookings: list, search, detail, CSV export, cancel, refund.

Listing and export read the booking model directly (scoped to the tenant). Cancel, refund
and Stripe onboarding are the bookings/payments domain's services, called from here."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.cache import Cache
from mais.audit.repository import AuditTrailRepository
from mais.audit.service import Actor
from mais.bookings.repository import BookingAddOnRepository, BookingFilters, BookingRepository
from mais.bookings.service import BookingService
from mais.core.changes import BOOKINGS, TenantTopicCache
from mais.core.db import Database
from mais.core.errors import NotFound
from mais.models import Booking
from mais.payments.connect_service import ConnectService
from mais.payments.repository import PaymentRepository, RefundRepository
from mais.tenant_admin.schemas import (
    AuditEntryOut,
    BookingAddOnOut,
    BookingDetail,
    BookingListItem,
    BookingPage,
    PaymentOut,
    RefundOut,
)

if TYPE_CHECKING:
    from mais.container import Container

EXPORT_CHUNK = 1000
# Unreachable after any booking change; the lifetime only bounds the memory used.
COUNT_TTL_SECONDS = 600
# Spreadsheet programs run a cell starting with these as a formula (CSV injection).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "booking_id",
    "status",
    "event_date",
    "couple_name",
    "email",
    "phone",
    "package",
    "add_ons",
    "subtotal",
    "commission",
    "tenant_net",
    "refunded",
    "currency",
    "notes",
    "created_at",
    "confirmed_at",
)


# Where Stripe sends the tenant's owner after onboarding (or when the link has expired).
STRIPE_RETURN_PATH = "/tenant/stripe/return"
STRIPE_REFRESH_PATH = "/tenant/stripe/refresh"


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def booking_csv_row(booking: Row[Any], add_on_titles: Sequence[str]) -> list[str]:
    """One CSV row of a booking (a row of `EXPORT_COLUMNS`)."""
    return [
        safe_cell(value)
        for value in (
            booking.id,
            booking.status,
            booking.event_date.isoformat(),
            booking.couple_name,
            booking.email,
            booking.phone,
            booking.package_title,
            "; ".join(add_on_titles),
            _money(booking.subtotal_cents),
            _money(booking.commission_cents),
            _money(booking.tenant_net_cents),
            _money(booking.refunded_cents),
            booking.currency.upper(),
            booking.notes,
            booking.created_at.isoformat(),
            booking.confirmed_at.isoformat() if booking.confirmed_at else "",
        )
    ]


def _csv_lines(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)  # RFC 4180
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


async def export_bookings_csv(
    db: Database, tenant_id: uuid.UUID, filters: BookingFilters
) -> AsyncIterator[bytes]:
    """The filtered bookings as CSV, produced chunk by chunk on its own read session (the
    request's session is closed before a streamed body is sent)."""
    yield "\ufeff".encode()  # BOM: spreadsheet programs then read the file as UTF-8
    yield _csv_lines([list(CSV_COLUMNS)])
    after: tuple[date, uuid.UUID] | None = None
    while True:
        async with db.sessionmaker() as session:
            chunk = await BookingRepository(session, tenant_id).export_chunk(
                filters, after, EXPORT_CHUNK
            )
            titles = await BookingAddOnRepository(session, tenant_id).titles_for(
                [row.id for row in chunk]
            )
        lines = _csv_lines([booking_csv_row(row, titles.get(row.id, ())) for row in chunk])
        if not chunk:
            return
        yield lines
        if len(chunk) < EXPORT_CHUNK:
            return
        after = (chunk[-1].event_date, chunk[-1].id)


class BookingAdminService:
    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.bookings = BookingRepository(session, tenant_id)

    async def list_page(
        self, filters: BookingFilters, page: int, page_size: int, *, cache: Cache
    ) -> BookingPage:
        total = await self._total(filters, cache)
        rows = await self.bookings.page(filters, offset=(page - 1) * page_size, limit=page_size)
        return BookingPage.model_validate(
            {
                "items": [BookingListItem.fields_of(row) for row in rows],
                "total": total,
                "page": page,
                "page_size": page_size,
            }
        )

    async def _total(self, filters: BookingFilters, cache: Cache) -> int:
        """The exact number of matching bookings, kept in the cache until the tenant's next
        booking change (`mais.core.changes`): the page is an index read, but counting a
        large tenant's bookings is not (tens of milliseconds at 100,000), and an admin
        pages and re-filters far more often than bookings change."""
        counts = await TenantTopicCache.open(cache, BOOKINGS, self.tenant_id)
        if counts is None:
            return await self.bookings.count(filters)
        key = "count:" + filters.fingerprint()
        cached = await counts.get(key)
        if cached is not None:
            return int(cached)
        total = await self.bookings.count(filters)
        await counts.put(key, str(total).encode(), COUNT_TTL_SECONDS)
        return total

    async def upcoming(self, today: date, limit: int) -> Sequence[Row[Any]]:
        """The next held or confirmed bookings from `today` on, soonest first (the
        dashboard home)."""
        filters = BookingFilters(statuses=("held", "confirmed"), event_from=today)
        return await self.bookings.export_chunk(filters, None, limit)

    async def get(self, booking_id: str | uuid.UUID) -> Booking:
        booking = await self.bookings.get_full(booking_id)
        if booking is None:
            raise NotFound(self.bookings.not_found_message)
        return booking

    async def detail(self, booking_id: str | uuid.UUID) -> BookingDetail:
        booking = await self.get(booking_id)
        payments = await PaymentRepository(self.session, self.tenant_id).for_booking(booking.id)
        refunds = await RefundRepository(self.session, self.tenant_id).for_payments(
            [payment.id for payment in payments]
        )
        trail = await AuditTrailRepository(self.session, self.tenant_id).trail(
            "booking", booking.id
        )
        return BookingDetail(
            **BookingListItem.fields_of(booking),
            notes=booking.notes,
            add_ons=[
                BookingAddOnOut(id=a.add_on_id, title=a.title, price_cents=a.price_cents)
                for a in booking.add_ons
            ],
            hold_expires_at=booking.hold_expires_at,
            cancel_reason=booking.cancel_reason,
            payments=[
                PaymentOut(
                    id=p.id,
                    amount_cents=p.amount_cents,
                    currency=p.currency,
                    status=p.status,
                    processor=p.processor,
                    processor_id=p.processor_id,
                    application_fee_cents=p.application_fee_cents,
                    refunded_cents=p.refunded_cents,
                    created_at=p.created_at,
                    refunds=[
                        RefundOut(
                            id=r.id,
                            amount_cents=r.amount_cents,
                            application_fee_refunded_cents=r.application_fee_refunded_cents,
                            status=r.status,
                            reason=r.reason,
                            created_at=r.created_at,
                        )
                        for r in refunds
                        if r.payment_id == p.id
                    ],
                )
                for p in payments
            ],
            audit_trail=[AuditEntryOut.of(entry) for entry in trail],
        )


# --- changes made by the bookings and payments domains ----------------------------------------


async def cancel_booking(
    container: Container, session: AsyncSession, actor: Actor, booking: Booking, reason: str | None
) -> None:
    """Frees the date, records the audit entry and queues the cancellation e-mails and the
    calendar removal (`BookingService.cancel`)."""
    await BookingService(session, container, booking.tenant_id).cancel(actor, booking.id, reason)


async def refund_booking(
    container: Container,
    session: AsyncSession,
    actor: Actor,
    booking: Booking,
    amount_cents: int | None,
) -> None:
    """Refunds through the payment adapter (fee refunded in proportion, SPEC §3), with the
    audit entry and the refund e-mails (`BookingService.refund`)."""
    await BookingService(session, container, booking.tenant_id).refund(
        actor, booking.id, amount_cents
    )


async def stripe_onboarding_link(
    container: Container, session: AsyncSession, actor: Actor, tenant_id: uuid.UUID
) -> str:
    """Creates the Express account if the tenant has none, then an Account Link whose
    return/refresh URLs lead back to the tenant dashboard; returns its URL."""
    base = container.settings.public_url
    return await ConnectService(session, container).start_onboarding(
        actor,
        tenant_id,
        return_url=f"{base}{STRIPE_RETURN_PATH}",
        refresh_url=f"{base}{STRIPE_REFRESH_PATH}",
    )
