"""The indicator formulas (pure): hand-computed values, 'not computable' on empty and single-item populations,
and properties that hold for any population."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput
from yiwang.supervision.stats.domain import indicators as ind
from yiwang.supervision.stats.domain.periods import Granularity, buckets, finer, parse_period, period_of

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def trade(n: int = 1, *, budget=None, deal=None, bidders=None, days=None, due_days=None, electronic=None, rules=True):
    awarded = T0 + timedelta(days=days) if days is not None else (T0 + timedelta(days=30) if deal is not None else None)
    return ind.Trade(
        ref=f"tender.section:{n}",
        title=f"标段{n}",
        system="tender",
        category="works",
        region_code="310112",
        procedure="tender.open",
        published_at=T0,
        awarded_at=awarded,
        award_due=T0 + timedelta(days=due_days) if due_days is not None else None,
        budget_fen=budget,
        deal_fen=deal,
        bidders=bidders,
        electronic=electronic,
        rules_listed=rules,
    )


def test_hand_computed_values():
    trades = [
        trade(1, budget=1_000_000, deal=900_000, bidders=5, days=20, due_days=25, electronic=True),
        trade(2, budget=2_000_000, deal=1_900_000, bidders=1, days=41, due_days=40, electronic=False),
        trade(3, budget=500_000, bidders=3, rules=False),  # opened, not yet awarded
    ]
    assert ind.volume(trades) == ind.Computed(2, 2)
    assert ind.value(trades).value == 2_800_000
    savings = ind.savings_rate(trades)
    assert savings.computable
    assert savings.value == Decimal("6.7")
    assert (savings.numerator, savings.denominator) == (200_000, 3_000_000)
    assert ind.bidders_per_section(trades).value == Decimal("3.00")  # (5 + 1 + 3) / 3
    assert ind.single_bid_share(trades).value == Decimal("33.3")
    assert ind.days_to_award(trades).value == Decimal("30.5")
    assert ind.on_time_share(trades).value == Decimal("50.0")
    assert ind.electronic_rate(trades).value == Decimal("50.0")
    assert ind.rule_coverage(trades).value == Decimal("66.7")
    assert ind.disclosure_rate(9, 10).value == Decimal("90.0")


@pytest.mark.parametrize("population", [0, 1])
def test_empty_and_single_populations_are_not_computable_never_zero(population):
    trades = [
        trade(i, budget=1_000, deal=1_000, bidders=1, days=3, due_days=5, electronic=True) for i in range(population)
    ]
    for code in (
        "savings_rate",
        "bidders_per_section",
        "single_bid_share",
        "days_to_award",
        "on_time_share",
        "electronic_rate",
        "rule_coverage",
    ):
        result = ind.BY_CODE[code].compute(trades)  # type: ignore[misc]
        assert isinstance(result, ind.NotComputable), code
        assert result.reason == ("empty" if population == 0 else "single")
        assert result.as_json()["value"] is None
        assert result.as_json()["reason_zh"]
    assert isinstance(ind.disclosure_rate(population, population), ind.NotComputable)
    # counts and totals are facts: no deal is 0 deals
    assert ind.volume(trades).value == population


def test_compute_all_gives_every_definition_once():
    out = ind.compute_all([trade(1, budget=10, deal=9), trade(2, budget=10, deal=8)], disclosure=(3, 4))
    assert [i.code for i in out] == [d.code for d in ind.DEFINITIONS]
    by = {i.code: i for i in out}
    assert by["savings_rate"].result.value == Decimal("15.0")
    assert by["disclosure_rate"].as_json()["value"] == "75.0"


def test_groups_are_ordered_by_value():
    a = ind.Trade("a", "a", "tender", "works", "310112", "p", awarded_at=T0, deal_fen=5)
    b = ind.Trade("b", "b", "tender", "gp", "310104", "p", awarded_at=T0, deal_fen=9)
    groups = ind.group_by([a, b], lambda t: t.category, str.upper)
    assert [(g.key, g.label, g.value_fen) for g in groups] == [("gp", "GP", 9), ("works", "WORKS", 5)]
    assert isinstance(groups[0].savings, ind.NotComputable)


money = st.integers(min_value=1, max_value=10**12)


@given(st.lists(st.tuples(money, st.floats(min_value=0.0, max_value=1.0)), min_size=2, max_size=30))
def test_savings_rate_lies_between_0_and_100_when_deals_do_not_exceed_budgets(pairs):
    trades = [trade(i, budget=b, deal=int(b * f)) for i, (b, f) in enumerate(pairs)]
    result = ind.savings_rate(trades)
    assert result.computable
    assert Decimal(0) <= result.value <= Decimal(100)
    budget = sum(b for b, _ in pairs)
    deal = sum(t.deal_fen for t in trades)
    assert abs(result.value - Decimal(100 * (budget - deal)) / Decimal(budget)) <= Decimal("0.05")


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=0, max_size=40))
def test_single_bid_share_counts_sections_with_one_bid(counts):
    trades = [trade(i, bidders=c) for i, c in enumerate(counts)]
    result = ind.single_bid_share(trades)
    if len(counts) < 2:
        assert not result.computable
        return
    assert result.numerator == counts.count(1)
    assert Decimal(0) <= result.value <= Decimal(100)
    assert ind.single_bid_share(list(reversed(trades))) == result  # order does not matter


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_percent_is_not_computable_below_two(numerator, denominator):
    numerator = min(numerator, denominator)
    result = ind.percent(numerator, denominator)
    assert result.computable == (denominator >= 2)
    if result.computable:
        assert abs(result.value - Decimal(100 * numerator) / Decimal(denominator)) <= Decimal("0.05")


def test_periods():
    q = parse_period("2026-Q1")
    assert (q.first, q.last, q.granularity) == (date(2026, 1, 1), date(2026, 3, 31), Granularity.QUARTER)
    assert q.label_zh == "2026年第1季度"
    assert parse_period("2026-02").last == date(2026, 2, 28)
    assert parse_period("2024-02").last == date(2024, 2, 29)
    assert parse_period("2026").last == date(2026, 12, 31)
    assert parse_period("2026-03-02").granularity == Granularity.DAY
    assert [b.key for b in buckets(q, finer(q.granularity))] == ["2026-01", "2026-02", "2026-03"]
    assert len(buckets(parse_period("2026-02"), Granularity.DAY)) == 28
    assert parse_period("2026-Q1").previous().key == "2025-Q4"
    for bad in ("", "2026-13", "2026-Q5", "26", "2026-02-30", "2026/03"):
        with pytest.raises(InvalidInput) as caught:
            parse_period(bad)
        assert caught.value.code == "stats.period_invalid"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(list(Granularity)))
def test_a_day_lies_in_its_period(day, granularity):
    p = period_of(day, granularity)
    assert p.contains(day)
    assert parse_period(p.key) == p
