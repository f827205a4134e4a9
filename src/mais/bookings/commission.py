"""The platform's commission (SPEC §3): what the platform keeps from a booking and what
goes to the tenant, in integer cents, and the share of it a refund gives back."""

from __future__ import annotations

from dataclasses import dataclass

BPS_DENOMINATOR = 10_000  # basis points: 10 % = 1000 bps


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def commission_cents(
    subtotal_cents: int,
    commission_bps: int,
    *,
    min_cents: int | None = None,
    max_cents: int | None = None,
) -> int:
    """ceil(subtotal × bps / 10000), clamped to the tenant's minimum then maximum fee.

    The result never exceeds the subtotal (Stripe refuses an application fee larger than
    the charge) and is never negative, so the tenant's net is never negative either."""
    if subtotal_cents < 0 or commission_bps < 0:
        raise ValueError("subtotal and commission must not be negative")
    fee = _ceil_div(subtotal_cents * commission_bps, BPS_DENOMINATOR)
    if min_cents is not None:
        fee = max(fee, min_cents)
    if max_cents is not None:
        fee = min(fee, max_cents)
    return max(0, min(fee, subtotal_cents))


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal_cents: int
    commission_cents: int
    tenant_net_cents: int
    commission_bps: int
    currency: str


def compute_totals(
    line_amounts: list[int],
    *,
    commission_bps: int,
    currency: str,
    min_cents: int | None = None,
    max_cents: int | None = None,
) -> Totals:
    """Totals of a booking from its line prices (package first, then add-ons)."""
    subtotal = sum(line_amounts)
    fee = commission_cents(subtotal, commission_bps, min_cents=min_cents, max_cents=max_cents)
    return Totals(
        subtotal_cents=subtotal,
        commission_cents=fee,
        tenant_net_cents=subtotal - fee,
        commission_bps=commission_bps,
        currency=currency,
    )


def refunded_fee_cents(
    *, fee_cents: int, fee_refunded_cents: int, charge_cents: int, refunded_cents: int, amount: int
) -> int:
    """The application fee given back with a refund of `amount` (SPEC §3).

    A refund that empties the charge gives back all of the fee still held; a partial one
    gives back the same proportion of the fee, rounded up, never more than remains."""
    remaining_fee = max(0, fee_cents - fee_refunded_cents)
    if refunded_cents + amount >= charge_cents or charge_cents <= 0:
        return remaining_fee
    return min(remaining_fee, _ceil_div(fee_cents * amount, charge_cents))
