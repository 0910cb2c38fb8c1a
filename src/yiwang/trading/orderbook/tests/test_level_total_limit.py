"""The engine's technical limit on a price level's total (``LEVEL_TOTAL_MAX`` = 2⁶³ − 1), on both builds.

A level total (the open quantity resting at one price on one side) is a 64-bit integer: ``array('q')`` in
``engine.py``, C ``long long`` in the compiled build. The engine refuses an order (any type, checked with its
whole quantity before it matches) or an amendment that would push the total of its own side's level past the
limit, with ``orderbook.level_total_limit``, and changes nothing; at the limit itself it accepts. The
catalogue here bounds no quantity (``listing_max_t`` = 2⁷⁰), so the engine's limit is the one that refuses.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import YiwangError
from yiwang.trading.orderbook.domain.engine import (
    BUY,
    CANCEL,
    IOC,
    LEVEL_TOTAL_MAX,
    LIMIT,
    PLACE,
    SELL,
    refusal,
)
from yiwang.trading.orderbook.domain.rules import MarketRules
from yiwang.trading.orderbook.tests.implementations import INTERPRETED

pytestmark = pytest.mark.usefixtures("both_engines")
MarketEngine = INTERPRETED  # the both_engines fixture sets this name to each build in turn

UNBOUNDED = MarketRules(listing_max_t=2**70)
REFERENCE = 6000  # fen: limits 5400–6600
BID, ASK = 5999, 6001  # one level per side that never cross each other
RICH = 10**40  # fen and tonnes: funds never decide here


def market():
    e = MarketEngine("LIMIT", "continuous")
    for owner in (1, 2, 3):
        e.open_account(owner)
        e.deposit_cash(owner, RICH)
        e.deposit_allowances(owner, RICH)
    e.open_day(20260302, UNBOUNDED, REFERENCE)
    return e


def level_total(e, side: int, price: int) -> int:
    idx = (price - e.lo) // e.tick
    return (e.bq if side == BUY else e.aq)[idx]


def code_of(result) -> str | None:
    error = refusal(result)
    return error.code if error is not None else None


# quantities around the edges that matter: tiny, near 2⁶², near and past 2⁶³ − 1, far past it
quantities = st.one_of(
    st.integers(1, 100),
    st.integers(0, 40).map(lambda k: LEVEL_TOTAL_MAX - k),
    st.integers(-3, 3).map(lambda k: 2**62 + k),
    st.integers(1, 4).map(lambda k: LEVEL_TOTAL_MAX + k),
    st.integers(1, 2**66),
)
steps = st.lists(
    st.tuples(st.sampled_from(["place", "cancel"]), st.sampled_from([BUY, SELL]), quantities, st.integers(0, 7)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_an_order_is_accepted_exactly_while_its_level_total_stays_within_the_limit(commands):
    e = market()
    totals = {BUY: 0, SELL: 0}
    live: dict[int, list[int]] = {BUY: [], SELL: []}
    for what, side, qty, pick in commands:
        price = BID if side == BUY else ASK
        if what == "cancel" and live[side]:
            oid = live[side].pop(pick % len(live[side]))
            (released,) = e.run([(CANCEL, 1 + side, oid)], e.now)
            totals[side] -= released
        else:
            before = e.state_hash()
            (result,) = e.run([(PLACE, 1 + side, side, price, qty, LIMIT, None)], e.now)
            if totals[side] + qty <= LEVEL_TOTAL_MAX:
                assert code_of(result) is None, (totals[side], qty)
                live[side].append(result)
                totals[side] += qty
            else:
                assert code_of(result) == "orderbook.level_total_limit", (totals[side], qty)
                assert refusal(result).details == {
                    "quantity_t": qty,
                    "level_total_t": totals[side],
                    "limit_t": LEVEL_TOTAL_MAX,
                }
                assert e.state_hash() == before  # a refusal changes nothing
        assert level_total(e, side, price) == totals[side]
        e.check_invariants()
    assert [q for _, q, _ in e.depth(1)["bids"]] == ([totals[BUY]] if totals[BUY] else [])
    assert [q for _, q, _ in e.depth(1)["asks"]] == ([totals[SELL]] if totals[SELL] else [])


def test_at_the_limit_exactly_accepted_one_more_refused_and_a_cancel_makes_room():
    e = market()
    first = e.place(2, SELL, ASK, LEVEL_TOTAL_MAX - 5)
    e.place(3, SELL, ASK, 5)
    assert level_total(e, SELL, ASK) == LEVEL_TOTAL_MAX
    before = e.state_hash()
    for otype in (LIMIT, IOC):  # every order type, checked before matching
        with pytest.raises(YiwangError) as refused:
            e.place(3, SELL, ASK, 1, otype)
        assert refused.value.code == "orderbook.level_total_limit"
        assert refused.value.status == 409
        assert "上限" in refused.value.message_zh
    assert e.state_hash() == before
    e.place(3, SELL, ASK + 1, LEVEL_TOTAL_MAX)  # another level has its own total
    e.place(1, BUY, BID, LEVEL_TOTAL_MAX)  # and the other side
    e.cancel(2, first)
    e.place(3, SELL, ASK, LEVEL_TOTAL_MAX - 5)
    assert level_total(e, SELL, ASK) == LEVEL_TOTAL_MAX
    e.check_invariants()


def test_a_crossing_order_is_checked_against_its_own_side_and_rests_only_its_rest():
    e = market()
    e.place(2, SELL, ASK, 100)
    e.place(1, BUY, ASK, LEVEL_TOTAL_MAX)  # crosses: buys 100, rests the rest at ASK on the bid side
    assert level_total(e, BUY, ASK) == LEVEL_TOTAL_MAX - 100
    assert e.best() == (ASK, None)
    with pytest.raises(YiwangError, match="level_total_limit") as refused:
        e.place(3, BUY, ASK, 101)
    assert refused.value.details["level_total_t"] == LEVEL_TOTAL_MAX - 100
    e.place(3, BUY, ASK, 100)
    e.check_invariants()


def test_an_amendment_is_held_to_the_same_limit():
    e = market()
    big = e.place(2, SELL, ASK, LEVEL_TOTAL_MAX - 10)
    small = e.place(3, SELL, ASK + 1, 20)
    with pytest.raises(YiwangError, match="level_total_limit"):  # moving 20 t to a level with 10 t of room
        e.amend(3, small, price=ASK)
    e.amend(3, small, price=ASK, qty=10)  # exactly fills the room
    assert level_total(e, SELL, ASK) == LEVEL_TOTAL_MAX
    with pytest.raises(YiwangError, match="level_total_limit"):  # raising in place past the limit
        e.amend(2, big, qty=LEVEL_TOTAL_MAX - 9)
    e.amend(2, big, qty=LEVEL_TOTAL_MAX - 11)  # reducing is always fine
    e.amend(3, small, qty=11)  # raising in place within the room
    assert level_total(e, SELL, ASK) == LEVEL_TOTAL_MAX
    e.check_invariants()


def test_prices_past_64_bits_still_trade_and_cancel_through_the_checks_one_by_one():
    e = MarketEngine("HUGE", "continuous")
    for owner in (1, 2):
        e.open_account(owner)
        e.deposit_cash(owner, RICH)
        e.deposit_allowances(owner, RICH)
    tick = 2**50  # a tick that keeps the number of levels small (3,277) at such prices
    e.open_day(20260302, MarketRules(tick_fen=tick, listing_max_t=2**70), 2**64)  # past a C long long
    price = 2**64 + 7 * tick
    sell = e.place(2, SELL, price, 30)
    keep = e.place(2, SELL, price, 5)
    e.place(1, BUY, price, 10)  # crosses: a trade at a price no 64-bit integer holds
    assert e.fills[-1][2:4] == (price, 10)
    assert e.cancel(2, sell) == 20
    assert e.depth(1)["asks"] == [(price, 5, 1)]
    assert e.orders[keep][4] == 5
    e.check_invariants()
