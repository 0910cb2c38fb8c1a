"""Closing price, daily bars and the chain-linked carbon price index (pure)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.trading.orderbook.domain.engine import (
    T_BLOCK,
    T_CONTINUOUS,
    T_LISTING,
    T_REPO_CLOSE,
    T_REPO_OPEN,
    MarketEngine,
)
from yiwang.trading.orderbook.domain.marketdata import bars, chain_index, closing_price
from yiwang.trading.orderbook.domain.rules import MarketRules

pytestmark = pytest.mark.usefixtures("both_engines")  # each test runs on both engine builds


def test_close_is_vwap_of_eligible_trades_only():
    trades = [(T_LISTING, 6000, 100), (T_BLOCK, 9000, 200_000), (T_LISTING, 6100, 300), (T_REPO_OPEN, 1, 10_000)]
    assert closing_price(trades, 5000) == 6075
    assert closing_price([(T_BLOCK, 9000, 200_000), (T_REPO_CLOSE, 1, 10)], 5000) == 5000
    assert (
        closing_price([(T_CONTINUOUS, 6001, 1), (T_CONTINUOUS, 6004, 1)], 1, tick_fen=5) == 6005
    )  # 6002.5 is halfway: up


def test_bars_carry_the_close_over_days_without_trades():
    rows = [(20260302, T_LISTING, 6000, 10), (20260302, T_LISTING, 6200, 10), (20260304, T_LISTING, 6300, 5)]
    b = bars(rows, 5900, days=[20260303])
    assert [x.day for x in b] == [20260302, 20260303, 20260304]
    assert (b[0].open_fen, b[0].high_fen, b[0].low_fen, b[0].close_fen) == (6000, 6200, 6000, 6100)
    assert (b[1].open_fen, b[1].close_fen, b[1].trades) == (6100, 6100, 0)
    assert b[2].previous_close_fen == 6100
    assert b[2].close_fen == 6300


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 40), st.booleans()), min_size=1, max_size=40))
def test_bars_recomputed_from_the_trade_log_equal_the_engines_close(moves):
    """Whatever the engine printed at the close is what the trade log gives back (B6)."""
    e = MarketEngine("X", "listing")
    for owner in (1, 2):
        e.open_account(owner)
        e.deposit_cash(owner, 10**12)
        e.deposit_allowances(owner, 10**7)
    e.open_day(20260302, MarketRules(), 6000)
    log: list[tuple[int, int, int, int]] = []
    summaries = []
    day = 20260302
    for offset, qty, roll in moves:
        oid = e.place(1, 1, 5990 + offset * 7, qty)
        e.take(2, oid, qty)
        log.extend((e.day, t[1], t[2], t[3]) for t in e.drain()[0])
        if roll:
            summaries.append(e.close_day())
            day += 1
            e.open_day(day, MarketRules())
    summaries.append(e.close_day())
    recomputed = bars(log, 6000, days=[s["day"] for s in summaries])
    assert [(b.day, b.close_fen, b.open_fen, b.high_fen, b.low_fen, b.eligible_volume_t) for b in recomputed] == [
        (s["day"], s["close_fen"], s["open_fen"], s["high_fen"], s["low_fen"], s["eligible_volume_t"])
        for s in summaries
    ]


def test_single_product_index_is_1000_times_price_relative_and_thin_days_carry():
    closes = {"SHEA": [(1, 5000, 500), (2, 5500, 500), (3, 9999, 50), (4, 4000, 100)]}
    points = chain_index(closes, {"SHEA": 1})
    assert [p.value for p in points] == ["1000.0000", "1100.0000", "1100.0000", "800.0000"]
    assert points[2].prices == {"SHEA": 5500}  # day 3 had 50 t < 100 t: the previous price is carried


def test_chain_linking_with_reviewed_weights_and_a_product_entering():
    closes = {
        "SHEA": [(1, 5000, 1000), (2, 5000, 1000), (3, 6000, 1000)],
        "CEA": [(2, 8000, 1000), (3, 8000, 1000)],
    }
    points = chain_index(closes, [(0, {"SHEA": 1, "CEA": 1}), (3, {"SHEA": 3, "CEA": 1})])
    # day 2: CEA enters (no previous price): only SHEA links, unchanged → 1000
    # day 3: weights 3:1 → (3·6000 + 8000) / (3·5000 + 8000) = 26000/23000
    assert points[1].exact == 1000
    assert points[2].exact == Fraction(1000 * 26000, 23000)
    assert points[2].value == "1130.4348"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.integers(1000, 9000), st.integers(1000, 9000), st.integers(0, 1000)), min_size=1, max_size=20
    ),
    st.integers(1, 9),
)
def test_index_is_unchanged_when_every_price_scales_by_the_same_factor(rows, k):
    """Metamorphic: the index depends on price relatives only."""
    a = {"A": [(d, p, v) for d, (p, _, v) in enumerate(rows)], "B": [(d, q, v) for d, (_, q, v) in enumerate(rows)]}
    b = {name: [(d, p * k, v) for d, p, v in series] for name, series in a.items()}
    w = {"A": 2, "B": 5}
    assert [p.exact for p in chain_index(a, w)] == [p.exact for p in chain_index(b, w)]
