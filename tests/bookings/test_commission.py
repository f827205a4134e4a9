"""The commission rule of SPEC §3, by example and by property (Hypothesis)."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

from hypothesis import given
from hypothesis import strategies as st

from mais.bookings.commission import commission_cents, compute_totals, refunded_fee_cents

subtotals = st.integers(min_value=0, max_value=10**10)
bps = st.integers(min_value=0, max_value=5000)
optional_cents = st.one_of(st.none(), st.integers(min_value=0, max_value=10**8))


def test_examples_round_up_to_the_next_cent():
    assert commission_cents(350_000, 1000) == 35_000
    assert commission_cents(999, 1250) == 125  # 124.875 → 125
    assert commission_cents(1, 1) == 1  # any positive fraction of a cent is a cent
    assert commission_cents(0, 1000) == 0
    assert commission_cents(10_000, 0) == 0


def test_clamps_apply_minimum_then_maximum_and_never_exceed_the_subtotal():
    assert commission_cents(1_000, 1000, min_cents=500) == 500
    assert commission_cents(1_000_000, 1000, max_cents=2_500) == 2_500
    assert commission_cents(300, 1000, min_cents=500) == 300  # fee ≤ the charge itself
    assert commission_cents(10_000, 1000, min_cents=5_000, max_cents=2_000) == 2_000


@given(subtotal=subtotals, rate=bps, low=optional_cents, high=optional_cents)
def test_cents_always_add_up_and_stay_within_the_subtotal(subtotal, rate, low, high):
    totals = compute_totals(
        [subtotal], commission_bps=rate, currency="usd", min_cents=low, max_cents=high
    )
    assert totals.commission_cents + totals.tenant_net_cents == totals.subtotal_cents == subtotal
    assert 0 <= totals.commission_cents <= subtotal
    assert totals.tenant_net_cents >= 0


@given(subtotal=subtotals, rate=bps)
def test_unclamped_commission_is_the_exact_ceiling(subtotal, rate):
    assert commission_cents(subtotal, rate) == ceil(Fraction(subtotal * rate, 10_000))


@given(subtotal=subtotals, rate=bps, low=optional_cents, high=optional_cents)
def test_bounds_hold_whenever_the_subtotal_allows(subtotal, rate, low, high):
    fee = commission_cents(subtotal, rate, min_cents=low, max_cents=high)
    if high is not None:
        assert fee <= high
    if low is not None and (high is None or low <= high):
        assert fee >= min(low, subtotal)


@given(a=subtotals, b=subtotals, rate=bps, low=optional_cents, high=optional_cents)
def test_commission_never_falls_when_the_subtotal_rises(a, b, rate, low, high):
    small, large = sorted((a, b))
    assert commission_cents(small, rate, min_cents=low, max_cents=high) <= commission_cents(
        large, rate, min_cents=low, max_cents=high
    )


@given(subtotal=subtotals, r1=bps, r2=bps)
def test_commission_never_falls_when_the_rate_rises(subtotal, r1, r2):
    low, high = sorted((r1, r2))
    assert commission_cents(subtotal, low) <= commission_cents(subtotal, high)


@given(
    charge=st.integers(min_value=1, max_value=10**8),
    rate=bps,
    cuts=st.lists(st.integers(min_value=1, max_value=10**8), max_size=6),
)
def test_refunds_give_back_the_fee_in_proportion_rounded_up_and_all_of_it_at_the_end(
    charge, rate, cuts
):
    fee = commission_cents(charge, rate)
    refunded = fee_back = 0
    for cut in cuts:
        amount = min(cut, charge - refunded)
        if amount <= 0:
            break
        step = refunded_fee_cents(
            fee_cents=fee,
            fee_refunded_cents=fee_back,
            charge_cents=charge,
            refunded_cents=refunded,
            amount=amount,
        )
        if refunded + amount < charge:
            assert step == min(fee - fee_back, ceil(Fraction(fee * amount, charge)))
        refunded, fee_back = refunded + amount, fee_back + step
        assert 0 <= fee_back <= fee
    final = refunded_fee_cents(
        fee_cents=fee,
        fee_refunded_cents=fee_back,
        charge_cents=charge,
        refunded_cents=refunded,
        amount=charge - refunded,
    )
    assert fee_back + final == fee  # a refund that empties the charge returns the whole fee
