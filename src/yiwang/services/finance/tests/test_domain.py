"""Pure rules: lines and balances, requirement caps, refund interest, fees, notice parsing, Luhn."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput, RuleViolation
from yiwang.services.finance.domain import fees, ledger, refunds
from yiwang.services.finance.domain.deposits import CapRule, CapRules, Regime, compute_requirement, luhn_digit

WORKS = CapRules(
    rate_cap=CapRule("tender.deposit_rate_cap", Decimal(2), "percent", "条例第二十六条"),
    amount_cap=CapRule("tender.deposit_cap_works_goods", Decimal(800000), "yuan", "30号令第三十七条"),
)


def test_line_is_one_sided_and_positive():
    with pytest.raises(ValueError, match="either a debit or a credit"):
        ledger.Line("a", 1, 1)
    with pytest.raises(ValueError, match="either a debit or a credit"):
        ledger.Line("a", 0, 0)
    with pytest.raises(ValueError, match="must not be negative"):
        ledger.Line("a", -1, 0)
    with pytest.raises(TypeError):
        ledger.Line("a", True, 0)
    assert ledger.is_balanced([ledger.debit("a", 5), ledger.credit("b", 5)])
    assert not ledger.is_balanced([])
    assert ledger.mirror([ledger.debit("a", 5)]) == [ledger.credit("a", 5)]
    assert ledger.balance("deposit", 3, 10) == 7
    assert ledger.balance("bank_clearing", 10, 3) == 7


@given(base=st.integers(1, 10**14), amount=st.integers(1, 10**12))
def test_works_requirement_never_exceeds_either_cap(base, amount):
    over = amount * 100 > base * 2 or amount > 80_000_000
    if over:
        with pytest.raises(RuleViolation) as err:
            compute_requirement(Regime.WORKS, WORKS, amount_fen=amount, base_fen=base)
        assert err.value.details["limit_fen"] < amount
    else:
        required = compute_requirement(Regime.WORKS, WORKS, amount_fen=amount, base_fen=base)
        assert required == amount
        assert required * 100 <= base * 2
        assert required <= 80_000_000


@given(base=st.integers(1, 10**14), rate=st.decimals(min_value=Decimal("0.0001"), max_value=100, places=4))
def test_rate_requirement_is_rounded_down(base, rate):
    if Decimal(base) * rate < 100:
        with pytest.raises(InvalidInput) as err:
            compute_requirement(Regime.LAND, CapRules(), rate=rate, base_fen=base)
        assert err.value.code == "finance.requirement_invalid"
    else:
        required = compute_requirement(Regime.LAND, CapRules(), rate=rate, base_fen=base)
        assert Decimal(required) <= Decimal(base) * rate / 100 < Decimal(required + 1)


def test_simple_interest_half_up():
    assert refunds.simple_interest(10_000_000, Decimal("5.22"), 10) == 14301
    assert refunds.simple_interest(100, Decimal("1"), 0) == 0
    quote = refunds.quote_interest(
        refunds.Interest.LATE,
        10_000_000,
        paid_on=date(2026, 2, 10),
        due_on=date(2026, 2, 28),
        payout_on=date(2026, 2, 27),
        rates={"finance.pboc_loan_rate": Decimal(4), "gp.late_refund_interest_markup": 0},
    )
    assert quote.fen == 0  # paid in time: no late interest
    missing = refunds.quote_interest(
        refunds.Interest.BANK,
        100,
        paid_on=date(2026, 1, 1),
        due_on=None,
        payout_on=date(2026, 2, 1),
        rates={"finance.demand_deposit_rate": None},
    )
    assert (missing.fen, missing.missing) == (0, ("finance.demand_deposit_rate",))


@given(base=st.integers(0, 10**14))
def test_tiered_fee_is_monotonic_and_bounded(base):
    item = fees.FeeItem("x", "x", "tiered", "", bands=(fees.Band(100, Decimal(10)), fees.Band(None, Decimal(1))))
    fee = fees.compute_fee(item, base)
    assert fee <= base // 10 + 1
    assert fees.compute_fee(item, base + 1) >= fee


def test_fee_methods():
    assert fees.compute_fee(fees.FeeItem("f", "f", "free", "")) == 0
    assert fees.compute_fee(fees.FeeItem("x", "x", "fixed", "", fixed_fen=500)) == 500
    with pytest.raises(InvalidInput):
        fees.compute_fee(fees.FeeItem("t", "t", "text", ""))
    with pytest.raises(InvalidInput):
        fees.compute_fee(fees.FeeItem("t", "t", "tiered", ""), None)


def test_luhn():
    assert luhn_digit("7992739871") == "3"
