"""Large generated datasets on PostgreSQL for benchmarks and query-plan tests: bookings (with
their customers and payments), finished jobs and processed webhook events, inserted with
set-based SQL (100,000 bookings take seconds; through the services they would take hours).

The rows keep the database's invariants: one held-or-confirmed booking per tenant and
date, unique session/payment ids and access tokens, amounts that add up. Tenants and
packages must exist already (created through the services)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Levi", "Harper", "Ezra", "Evelyn", "Asher", "Luna", "Leo",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
]  # fmt: skip
# Statuses of the bookings that do not occupy their date (any number per date).
PAST_STATUSES = ["completed", "completed", "canceled", "expired", "refunded"]

_BOOKINGS = text(
    """
    WITH lists AS (
        SELECT CAST(:first_names AS text[]) AS f, CAST(:last_names AS text[]) AS l,
               CAST(:past_statuses AS text[]) AS p
    ), numbered AS (
        SELECT i,
               f[1 + (i % cardinality(f))] || ' & ' || f[1 + ((i / 7) % cardinality(f))] || ' '
                   || l[1 + ((i / 3) % cardinality(l))] AS couple,
               :prefix || i || '@guests.example.com' AS email,
               p[1 + (i % cardinality(p))] AS past_status
        FROM generate_series(0, :count - 1) AS i, lists
    ), customers_made AS (
        INSERT INTO customers (id, tenant_id, email, email_key, name, created_at, updated_at)
        SELECT gen_random_uuid(), :tenant_id, email, email, couple, now(), now() FROM numbered
        RETURNING id, email_key
    )
    INSERT INTO bookings (
        id, tenant_id, package_id, customer_id, event_date, status, couple_name, email,
        package_title, package_price_cents, subtotal_cents, commission_bps, commission_cents,
        tenant_net_cents, currency, refunded_cents, hold_expires_at, checkout_session_id,
        payment_intent_id, access_token_hash, confirmed_at, canceled_at, created_at, updated_at
    )
    SELECT gen_random_uuid(), :tenant_id, :package_id, c.id,
           CAST(:first_day AS date) + (n.i % :days),
           CASE WHEN n.i < :days THEN 'confirmed'
                ELSE n.past_status END,
           n.couple, n.email, 'Garden package', 350000, 350000, 1000, 35000, 315000, 'usd', 0,
           NULL,
           'cs_bulk_' || replace(CAST(:tenant_id AS text), '-', '') || '_' || n.i,
           'pi_bulk_' || replace(CAST(:tenant_id AS text), '-', '') || '_' || n.i,
           md5(CAST(:tenant_id AS text) || n.i) || md5(n.i || CAST(:tenant_id AS text)),
           now() - make_interval(days => n.i % 900), NULL,
           now() - make_interval(days => n.i % 900), now()
    FROM numbered n JOIN customers_made c ON c.email_key = n.email
    """
)

_PAYMENTS = text(
    """
    INSERT INTO payments (
        id, tenant_id, booking_id, amount_cents, currency, status, processor, processor_id,
        application_fee_cents, refunded_cents, application_fee_refunded_cents,
        created_at, updated_at
    )
    SELECT gen_random_uuid(), tenant_id, id, subtotal_cents, currency, 'succeeded', 'stripe',
           payment_intent_id, commission_cents, 0, 0, created_at, now()
    FROM bookings
    WHERE tenant_id = :tenant_id AND status IN ('confirmed', 'completed', 'refunded')
      AND payment_intent_id IS NOT NULL
    ON CONFLICT DO NOTHING
    """
)

_ADD_ONS = text(
    """
    INSERT INTO booking_add_ons (id, tenant_id, booking_id, add_on_id, title, price_cents,
                                 position)
    SELECT gen_random_uuid(), tenant_id, id, :add_on_id, 'Violinist', 25000, 0
    FROM bookings
    WHERE tenant_id = :tenant_id AND right(access_token_hash, 1) IN ('0', '1', '2', '3', '4')
    ON CONFLICT DO NOTHING
    """
)

_JOBS = text(
    """
    INSERT INTO jobs (id, kind, payload, dedupe_key, tenant_id, status, attempts, max_attempts,
                      run_at, created_at, finished_at)
    SELECT gen_random_uuid(), 'email.booking', CAST('{}' AS json),
           'bulk:' || :prefix || ':' || i, :tenant_id, 'done', 1, 8,
           now() - make_interval(mins => i), now() - make_interval(mins => i),
           now() - make_interval(mins => i)
    FROM generate_series(0, :count - 1) AS i
    """
)

_WEBHOOK_EVENTS = text(
    """
    INSERT INTO webhook_events (id, source, event_id, type, payload, status, attempts,
                                tenant_id, received_at, processed_at)
    SELECT gen_random_uuid(), 'stripe', 'evt_bulk_' || :prefix || '_' || i,
           'checkout.session.completed', '{}', 'processed', 1, :tenant_id,
           now() - make_interval(mins => i), now() - make_interval(mins => i)
    FROM generate_series(0, :count - 1) AS i
    """
)


async def insert_bookings(
    connection: AsyncConnection,
    *,
    tenant_id: uuid.UUID,
    package_id: uuid.UUID,
    count: int,
    first_day: date,
    days: int = 3650,
    add_on_id: uuid.UUID | None = None,
) -> None:
    """`count` bookings of one tenant, each with its own customer; the first `days` are
    confirmed on consecutive dates from `first_day`, the rest completed, canceled, expired
    or refunded on dates cycling through the same span. Paid ones get a payment row, and
    about a third get `add_on_id` as an add-on."""
    prefix = f"b{tenant_id.hex[:8]}-"
    await connection.execute(
        _BOOKINGS,
        {
            "tenant_id": tenant_id,
            "package_id": package_id,
            "count": count,
            "first_day": first_day,
            "days": days,
            "prefix": prefix,
            "first_names": FIRST_NAMES,
            "last_names": LAST_NAMES,
            "past_statuses": PAST_STATUSES,
        },
    )
    await connection.execute(_PAYMENTS, {"tenant_id": tenant_id})
    if add_on_id is not None:
        await connection.execute(_ADD_ONS, {"tenant_id": tenant_id, "add_on_id": add_on_id})


async def insert_history(connection: AsyncConnection, *, tenant_id: uuid.UUID, count: int) -> None:
    """`count` finished jobs and processed webhook events of a tenant (the rows that pile up
    in a long-running deployment and that the job claim and webhook intake must not scan)."""
    prefix = tenant_id.hex[:12]
    parameters = {"tenant_id": tenant_id, "count": count, "prefix": prefix}
    await connection.execute(_JOBS, parameters)
    await connection.execute(_WEBHOOK_EVENTS, parameters)
