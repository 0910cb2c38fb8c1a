"""Golden tests of the matching engine: one behaviour each, with the rule it follows (pure, no database)."""

from __future__ import annotations

import json

import pytest

from yiwang.kernel.errors import YiwangError
from yiwang.trading.orderbook.domain.engine import (
    BUY,
    FOK,
    IOC,
    LIMIT,
    MARKET,
    SELL,
    T_BLOCK,
    T_LISTING,
    MarketEngine,
)
from yiwang.trading.orderbook.domain.rules import MarketRules, convert_rule_value, price_limits

pytestmark = pytest.mark.usefixtures("both_engines")  # each test runs on both engine builds

RULES = MarketRules()  # tick 1 fen, lot 1 t, ±10 %, ±30 %, listing < 100 kt, block ≥ 100 kt, 5 levels, repo ≥ 10 kt
A, B, C, D = 1, 2, 3, 4


def market(mode: str = "continuous", reference: int = 6000, cash: int = 10**10, allowances: int = 10**6):
    e = MarketEngine("CEA", mode)
    for owner in (A, B, C, D):
        e.open_account(owner)
        e.deposit_cash(owner, cash)
        e.deposit_allowances(owner, allowances)
    e.open_day(20260302, RULES, reference)
    return e


def refused(code: str, fn, *args, **kwargs) -> YiwangError:
    with pytest.raises(YiwangError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.code
    return info.value


def trades(e: MarketEngine) -> list[tuple]:
    """(price, qty, buy_oid, sell_oid) of the trades since the last call."""
    fills, _, _ = e.drain()
    return [(t[2], t[3], t[4], t[5]) for t in fills]


# -- price limits, tick and lot -------------------------------------------------------------------------------------
def test_price_limits_round_inwards_to_the_tick():
    assert price_limits(6000, 1000, 1) == (5400, 6600)
    assert price_limits(6001, 1000, 1) == (5401, 6601)  # 5400.9 → 5401, 6601.1 → 6601
    assert price_limits(6001, 1000, 5) == (5405, 6600)
    assert price_limits(10, 1000, 1) == (9, 11)


def test_catalogue_values_convert_exactly():
    from decimal import Decimal

    assert convert_rule_value("carbon.price_tick", Decimal("0.01"), "yuan") == 1
    assert convert_rule_value("carbon.listing_price_limit", 10, "percent") == 1000
    assert convert_rule_value("carbon.quantity_lot", 1, "count") == 1
    with pytest.raises(ValueError, match="whole number"):
        convert_rule_value("carbon.price_tick", Decimal("0.001"), "yuan")


def test_bad_orders_are_refused_with_their_code_and_change_nothing():
    e = market(cash=100_000, allowances=50)
    before = e.state_hash()
    refused("orderbook.price_out_of_band", e.place, A, BUY, 6601, 1)
    refused("orderbook.price_out_of_band", e.place, A, SELL, 5399, 1)
    err = refused("orderbook.price_invalid", e.place, A, BUY, 0, 1)
    assert err.details["field"] == "price_fen"
    refused("orderbook.quantity_invalid", e.place, A, BUY, 6000, 0)
    refused("orderbook.listing_too_large", e.place, A, BUY, 6000, 100_000)
    refused("orderbook.insufficient_cash", e.place, A, BUY, 6000, 17)  # 102,000 fen > 100,000
    refused("orderbook.insufficient_allowances", e.place, A, SELL, 6000, 51)
    refused("orderbook.account_unknown", e.place, 99, BUY, 6000, 1)
    refused("orderbook.side_invalid", e.place, A, 7, 6000, 1)
    refused("orderbook.order_type_invalid", e.place, A, BUY, 6000, 1, 9)
    assert e.state_hash() == before
    wide = MarketEngine("X")
    wide.open_account(A)
    wide.deposit_cash(A, 10**9)
    wide.open_day(20260302, MarketRules(tick_fen=5, lot_t=10), 6000)
    refused("orderbook.price_tick", wide.place, A, BUY, 6001, 10)
    refused("orderbook.quantity_lot", wide.place, A, BUY, 6000, 15)
    wide.place(A, BUY, 6005, 20)


def test_cancelling_someone_elses_order_or_an_unknown_one_is_refused():
    e = market()
    oid = e.place(A, BUY, 5990, 10)
    refused("orderbook.not_your_order", e.cancel, B, oid)
    refused("orderbook.order_unknown", e.cancel, A, oid + 100)
    refused("orderbook.not_your_order", e.amend, B, oid, 5991, 10)
    assert e.cancel(A, oid) == 10
    refused("orderbook.order_unknown", e.cancel, A, oid)


def test_duplicate_client_order_ids_are_refused_per_participant_and_day():
    e = market()
    e.place(A, BUY, 5990, 10, client_id="c-1")
    refused("orderbook.duplicate_client_order_id", e.place, A, SELL, 6100, 1, client_id="c-1")
    e.place(B, BUY, 5990, 10, client_id="c-1")  # another participant may use the same id
    e.close_day()
    e.open_day(20260303, RULES)
    e.place(A, BUY, 5990, 10, client_id="c-1")  # a new day


def test_the_market_refuses_orders_outside_a_session():
    e = market()
    e.set_phase("halted")
    refused("orderbook.market_closed", e.place, A, BUY, 6000, 1)
    e.set_phase("open")
    oid = e.place(A, BUY, 6000, 1)
    e.set_phase("halted")
    assert e.cancel(A, oid) == 1  # cancels pass during the break
    e.close_day()
    refused("orderbook.market_closed", e.place, A, BUY, 6000, 1)


# -- price-time priority --------------------------------------------------------------------------------------------
def test_fills_go_best_price_first_then_first_come_and_trade_at_the_resting_price():
    e = market()
    s1 = e.place(A, SELL, 6010, 5)
    s2 = e.place(B, SELL, 6005, 5)
    s3 = e.place(C, SELL, 6005, 5)
    trades(e)
    buy = e.place(D, BUY, 6010, 12)
    assert trades(e) == [(6005, 5, buy, s2), (6005, 5, buy, s3), (6010, 2, buy, s1)]
    assert e.orders[s1][4] == 3
    assert buy not in e.orders


def test_the_book_is_never_left_crossed():
    e = market()
    e.place(A, SELL, 6000, 5)
    e.place(B, BUY, 6001, 8)  # 5 trade, 3 rest at 6001
    bid, ask = e.best()
    assert bid == 6001
    assert ask is None
    e.check_invariants()


def test_market_to_limit_trades_at_the_best_price_only_and_rests_there():
    e = market()
    e.place(A, SELL, 6000, 5)
    e.place(B, SELL, 6001, 5)
    trades(e)
    oid = e.place(C, BUY, 0, 8, MARKET)
    assert trades(e) == [(6000, 5, oid, 1)]
    assert e.orders[oid][3] == 6000
    assert e.orders[oid][4] == 3
    e.check_invariants()
    empty = market()
    refused("orderbook.no_liquidity", empty.place, A, BUY, 0, 1, MARKET)


def test_ioc_cancels_the_rest_and_fok_is_all_or_nothing():
    e = market()
    e.place(A, SELL, 6000, 5)
    oid = e.place(B, BUY, 6000, 8, IOC)
    fills, removed, _ = e.drain()
    assert [t[3] for t in fills] == [5]
    assert removed == [(oid, "ioc", 3, BUY, 6000, B)]
    assert oid not in e.orders
    e.place(A, SELL, 6000, 5)
    fok = e.place(B, BUY, 6000, 8, FOK)
    fills, removed, _ = e.drain()
    assert fills == []
    assert removed == [(fok, "fok", 8, BUY, 6000, B)]
    assert e.best() == (None, 6000)  # nothing traded, nothing rests
    fok = e.place(B, BUY, 6000, 5, FOK)
    assert [t[3] for t in e.drain()[0]] == [5]


def test_fok_does_not_count_the_takers_own_resting_orders():
    e = market()
    e.place(A, SELL, 6000, 5)
    e.place(B, SELL, 6000, 5)
    e.drain()
    e.place(A, BUY, 6000, 8, FOK)
    fills, removed, _ = e.drain()
    assert fills == []
    assert removed[0][1] == "fok"


def test_self_trade_prevention_cancels_the_resting_order():
    e = market()
    mine = e.place(A, SELL, 6000, 5)
    other = e.place(B, SELL, 6001, 5)
    e.drain()
    buy = e.place(A, BUY, 6001, 5)
    fills, removed, _ = e.drain()
    assert removed == [(mine, "stp", 5, SELL, 6000, A)]
    assert [(t[2], t[3], t[5]) for t in fills] == [(6001, 5, other)]
    assert buy not in e.orders
    assert mine not in e.orders
    e.check_invariants()


def test_amend_down_keeps_priority_amend_up_or_new_price_loses_it():
    e = market()
    first = e.place(A, SELL, 6000, 10)
    second = e.place(B, SELL, 6000, 10)
    e.amend(A, first, qty=6)  # reduce: keeps its place
    assert [o[0] for o in e.book_orders(SELL)] == [first, second]
    e.amend(A, first, qty=8)  # increase: to the back
    assert [o[0] for o in e.book_orders(SELL)] == [second, first]
    e.amend(B, second, price=6001)
    e.amend(B, second, price=6000)  # price change: behind ``first`` now
    assert [o[0] for o in e.book_orders(SELL)] == [first, second]
    refused("orderbook.amend_unchanged", e.amend, B, second, 6000, 10)
    e.drain()
    buy = e.place(C, BUY, 5990, 4)
    e.amend(C, buy, price=6000)  # an amended price that crosses trades at once
    assert trades(e) == [(6000, 4, buy, first)]
    e.check_invariants()


def test_amend_checks_cash_for_the_increase():
    e = market(cash=60_000)
    oid = e.place(A, BUY, 6000, 9)  # 54,000 frozen
    refused("orderbook.insufficient_cash", e.amend, A, oid, 6000, 11)
    e.amend(A, oid, 6000, 10)
    assert e.accounts[A][:2] == [0, 60_000]


# -- 挂牌协议: click-to-trade ---------------------------------------------------------------------------------------
def test_listings_never_match_on_entry_and_a_crossing_listing_is_refused():
    e = market("listing")
    e.place(A, SELL, 6000, 10)
    err = refused("orderbook.listing_would_cross", e.place, B, BUY, 6000, 10)
    assert err.details["opposite_best_fen"] == 6000
    e.place(B, BUY, 5999, 10)
    refused("orderbook.wrong_mode", e.place, B, BUY, 5999, 10, IOC)
    refused("orderbook.wrong_mode", e.place, B, BUY, 0, 10, MARKET)


def test_take_any_listing_within_the_best_five_levels_at_its_price():
    e = market("listing")
    ids = [e.place(A, SELL, 6000 + i, 10) for i in range(6)]  # six price levels
    late = e.place(B, SELL, 6000, 10)  # same price as the best, later
    e.drain()
    # no time priority: the later listing at the best price may be picked
    taker = e.take(C, late, 4)
    assert trades(e) == [(6000, 4, taker, late)]
    # the fifth level may be taken, the sixth may not
    e.take(C, ids[4], 5)
    refused("orderbook.not_in_best_levels", e.take, C, ids[5], 1)
    e.take(C, ids[0], 10)
    e.take(C, late, 6)  # the best level is empty now: the sixth level becomes the fifth
    e.take(C, ids[5], 1)
    assert e.fills[-1][2] == 6005
    assert e.fills[-1][1] == T_LISTING
    refused("orderbook.take_own_order", e.take, A, ids[1], 1)
    refused("orderbook.take_exceeds_listing", e.take, C, ids[1], 11)
    e.check_invariants()


def test_take_checks_the_takers_cash_and_allowances():
    e = market("listing", cash=12_000, allowances=1)
    sell = e.place(A, SELL, 6000, 1)
    buy = e.place(B, BUY, 5500, 2)
    refused("orderbook.insufficient_allowances", e.take, C, buy, 2)
    e.withdraw_cash(C, 7_000)
    refused("orderbook.insufficient_cash", e.take, C, sell, 1)
    e.take(C, buy, 1)
    e.check_invariants()


# -- closing price --------------------------------------------------------------------------------------------------
def test_close_is_the_vwap_of_on_screen_trades_and_excludes_block_trades():
    e = market("listing")
    s1 = e.place(A, SELL, 6000, 100)
    s2 = e.place(A, SELL, 6100, 300)
    e.take(B, s1, 100)
    e.take(B, s2, 300)
    pid = e.propose_block(C, SELL, D, 7000, 100_000)
    e.confirm_block(D, pid)
    summary = e.close_day()
    # (6000·100 + 6100·300) / 400 = 6075
    assert summary["close_fen"] == 6075
    assert summary["eligible_volume_t"] == 400
    assert summary["volume_t"]["block"] == 100_000
    assert (summary["open_fen"], summary["high_fen"], summary["low_fen"]) == (6000, 6100, 6000)
    e.open_day(20260303, RULES)
    assert (e.lo, e.hi) == price_limits(6075, 1000, 1)
    assert e.close_day()["close_fen"] == 6075  # no trade: the previous close


def test_vwap_rounds_half_up_to_the_tick():
    e = market("listing")
    s = e.place(A, SELL, 6000, 1)
    t = e.place(A, SELL, 6001, 1)
    e.take(B, s, 1)
    e.take(B, t, 1)
    assert e.close_day()["close_fen"] == 6001  # 6000.5 → 6001


# -- 大宗协议 -------------------------------------------------------------------------------------------------------
def test_block_trades_need_the_minimum_the_band_and_both_parties():
    e = market()
    refused("orderbook.block_too_small", e.propose_block, A, SELL, B, 6000, 99_999)
    refused("orderbook.price_out_of_band", e.propose_block, A, SELL, B, 7801, 100_000)  # > 6000 × 1.3
    refused("orderbook.self_counterparty", e.propose_block, A, SELL, A, 6000, 100_000)
    pid = e.propose_block(A, SELL, B, 7800, 100_000)
    assert e.accounts[A][3] == 100_000  # frozen
    refused("orderbook.not_counterparty", e.confirm_block, C, pid)
    refused("orderbook.not_proposer", e.withdraw_block, B, pid)
    tid = e.confirm_block(B, pid)
    (t,) = e.drain()[0]
    assert t[0] == tid
    assert t[1] == T_BLOCK
    assert (t[6], t[7]) == (B, A)
    refused("orderbook.proposal_unknown", e.confirm_block, B, pid)
    e.check_invariants()


def test_a_block_proposal_expires_at_the_close():
    e = market()
    e.propose_block(A, BUY, B, 6000, 100_000)
    assert e.accounts[A][1] == 600_000_000
    e.close_day()
    assert e.accounts[A][1] == 0
    assert not e.proposals


# -- 配额回购 -------------------------------------------------------------------------------------------------------
def test_repo_sells_now_and_buys_back_on_the_agreed_day():
    e = market(cash=10**9, allowances=20_000)
    refused("orderbook.repo_too_small", e.propose_repo, A, B, 9_999, 6000, 6100, 20260305, 0)
    refused("orderbook.repo_terms_invalid", e.propose_repo, A, B, 10_000, 6000, 6100, 20260302, 0)
    rid = e.propose_repo(A, B, 10_000, 6000, 6100, 20260304, 5_000_000)
    refused("orderbook.repo_unknown", e.settle_repo, rid)  # not open yet
    e.confirm_repo(B, rid)
    assert e.accounts[B][4] == 10_000  # held under the repo, not available to sell
    refused("orderbook.insufficient_allowances", e.place, B, SELL, 6000, 20_001)
    refused("orderbook.repo_not_due", e.settle_repo, rid)
    e.close_day()
    e.open_day(20260303, RULES)
    refused("orderbook.repo_not_due", e.settle_repo, rid)
    e.close_day()
    e.open_day(20260304, RULES)
    tid = e.settle_repo(rid)
    assert tid
    assert e.accounts[A][2] == 20_000
    assert e.accounts[B][4] == 0
    assert e.accounts[A][0] == 10**9 + 6000 * 10_000 - 6100 * 10_000
    summary = e.close_day()
    assert summary["eligible_volume_t"] == 0
    assert summary["volume_t"]["repo_close"] == 10_000
    e.check_invariants()


def test_repo_default_gives_the_buyer_the_allowances_and_the_margin():
    e = market(cash=10**9, allowances=20_000)
    rid = e.propose_repo(A, B, 10_000, 6000, 6100, 20260303, 1_000_000)
    e.confirm_repo(B, rid)
    e.withdraw_cash(A, e.accounts[A][0])  # the seller takes all its available money out
    e.close_day()
    e.open_day(20260303, RULES)
    b_cash = e.accounts[B][0]
    assert e.settle_repo(rid) == 0
    _, _, notes = e.drain()
    assert notes == [("repo_defaulted", rid, A, B, 10_000, 1_000_000)]
    assert e.accounts[B][2] == 30_000
    assert e.accounts[B][0] == b_cash + 1_000_000
    assert e.accounts[A][5] == 0
    e.check_invariants()


# -- snapshots ------------------------------------------------------------------------------------------------------
def test_snapshot_restore_gives_the_same_state_and_behaviour():
    e = market()
    e.place(A, SELL, 6000, 5, client_id="x")
    e.place(B, SELL, 6000, 7)
    e.place(C, BUY, 5990, 3)
    e.propose_block(A, SELL, D, 6000, 100_000)
    copy = MarketEngine.restore(json.loads(json.dumps(e.snapshot())))
    assert copy.state_hash() == e.state_hash()
    for engine in (e, copy):
        engine.drain()
        engine.place(D, BUY, 6000, 9, LIMIT, None, 5)
    assert copy.state_hash() == e.state_hash()
    refused("orderbook.duplicate_client_order_id", copy.place, A, SELL, 6000, 5, client_id="x")


def test_run_applies_a_batch_and_returns_refusals_without_raising():
    from yiwang.trading.orderbook.domain.engine import CANCEL, OTHER, PLACE, refusal

    e = market()
    out = e.run(
        [
            (PLACE, A, SELL, 6000, 5, LIMIT, None),
            (PLACE, A, SELL, 9999, 5, LIMIT, None),
            (CANCEL, B, 1),
            (OTHER, {"op": "amend", "owner": A, "order_id": 1, "quantity_t": 4}),
            (CANCEL, A, 1),
        ],
        now=42,
    )
    assert out[0] == 1
    assert out[4] == 4
    assert refusal(out[1]).code == "orderbook.price_out_of_band"
    assert refusal(out[2]).code == "orderbook.not_your_order"
    assert refusal(out[3]) is None
    assert refusal(out[0]) is None


def test_the_engine_trades_exactly_as_the_reference_book_on_a_long_random_flow():
    """The benchmark's flow (tick 1 fen, lot 1 t: the fast path's shortcuts), in batches: the same trades, maker
    by maker, as the reference book; invariants hold; cancels release what they froze."""
    import random

    from yiwang.trading.orderbook.domain.engine import CANCEL, PLACE
    from yiwang.trading.orderbook.domain.reference import ReferenceBook

    rnd = random.Random(5)
    e = MarketEngine("CEA", "continuous")
    owners = range(1, 41)  # buyers 1–20, sellers 21–40: never the same owner on both sides (the reference has no STP)
    for owner in owners:
        e.open_account(owner)
        e.deposit_cash(owner, 10**12)
        e.deposit_allowances(owner, 10**7)
    e.open_day(20260302, RULES, 6000)
    cash, allow = e.totals()
    ref = ReferenceBook()
    live: list[int] = []
    owner_of: dict[int, int] = {}
    oid = 0
    engine_trades: list[tuple] = []
    for _ in range(40):
        batch = []
        for _ in range(500):
            if len(live) < 200 or rnd.random() < 0.5:
                oid += 1
                side = rnd.randrange(2)
                owner = 1 + side * 20 + rnd.randrange(20)
                price = 6000 + (rnd.randrange(-3, 8) if side == 0 else -rnd.randrange(-3, 8))
                qty = rnd.randrange(1, 80)
                batch.append((PLACE, owner, side, price, qty, LIMIT, None))
                owner_of[oid] = owner
                live.append(oid)
                ref.limit(oid, side, price, qty)
            else:
                victim = live.pop(rnd.randrange(len(live)))
                batch.append((CANCEL, owner_of[victim], victim))
                ref.cancel(victim)
        results = e.run(batch, 1)
        assert all(r.__class__ is int or r[0].__name__ == "order_unknown" for r in results)
        for t in e.fills:
            maker, taker = (t[4], t[5]) if t[8] == SELL else (t[5], t[4])
            engine_trades.append((maker, taker, t[2], t[3]))
        e.drain()
        e.check_invariants()
    assert engine_trades == ref.fills
    assert len(engine_trades) > 1000
    assert e.totals() == (cash, allow)  # cash and allowances only move between accounts
