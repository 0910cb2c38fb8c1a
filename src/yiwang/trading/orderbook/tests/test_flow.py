"""The carbon market on the database: journalled commands, DvP settlement, closing, reconciliation, refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit import chain
from yiwang.platform.commands import engine as commands
from yiwang.platform.commands import log
from yiwang.platform.outbox import feed
from yiwang.trading.orderbook import actions, queries
from yiwang.trading.orderbook.models import LedgerEntry, Market, Order, Trade, TradingDay
from yiwang.trading.orderbook.streams import ENGINE
from yiwang.trading.orderbook.tests.support import SYSTEM, make_market, staff

# each test runs on both engine builds (interpreted, compiled when built)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_engines_in_the_command_log")]


def counts() -> tuple[int, int, int, int, int]:
    market = Market.objects.get(code="SHEA")
    return (
        chain.head()[0],
        feed.last_seq(),
        log.head(market.stream),
        Order.objects.count(),
        LedgerEntry.objects.count(),
    )


def refused(code: str, fn, **kwargs) -> YiwangError:
    before = counts()
    with pytest.raises(YiwangError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value.code
    assert counts() == before, "a refusal leaves nothing behind"
    return info.value


def test_a_listing_day_settles_dvp_closes_at_the_vwap_and_reconciles(clock):
    a, b, c = make_market()
    sell = actions.do_place_order(actor=a.actor, market_code="SHEA", side="sell", price_fen=6000, quantity_t=1000)
    assert sell.status == "open"
    assert sell.open_t == 1000
    assert queries.holdings_for(a.actor, "SHEA", a.entity_id).allowance_frozen_t == 1000
    take = actions.do_take_listing(actor=b.actor, market_code="SHEA", order_id=sell.oid, quantity_t=400)
    assert take.status == "filled"
    assert take.order_type == "take"
    assert take.side == "buy"
    sell.refresh_from_db()
    assert (sell.open_t, sell.filled_t, sell.status) == (600, 400, "open")
    (trade,) = Trade.objects.all()
    assert (trade.kind, trade.price_fen, trade.quantity_t, trade.eligible) == ("listing", 6000, 400, True)
    assert (trade.buyer_entity_id, trade.seller_entity_id) == (b.entity_id, a.entity_id)
    # one DvP entry: cash and allowances in one journal entry
    dvp = LedgerEntry.objects.get(kind="trade_settled")
    assert {line.account.unit for line in dvp.lines.select_related("account")} == {"fen", "t"}
    hb = queries.holdings_for(b.actor, "SHEA", b.entity_id)
    assert hb.allowance_available_t == 200_400
    assert hb.cash_available_fen == 1_000_000_000 - 2_400_000
    ha = queries.holdings_for(a.actor, "SHEA", a.entity_id)
    assert ha.cash_available_fen == 1_000_000_000 + 2_400_000
    assert ha.allowance_total_t == 199_600
    # a second price level and a take at it
    bid = actions.do_place_order(actor=c.actor, market_code="SHEA", side="buy", price_fen=5900, quantity_t=300)
    actions.do_take_listing(actor=a.actor, market_code="SHEA", order_id=bid.oid, quantity_t=300)
    summary = actions.do_close_trading_day(actor=SYSTEM, market_code="SHEA")
    # (6000·400 + 5900·300) / 700 = 5957.14… → 5957
    assert summary["close_fen"] == 5957
    assert summary["index"] == "1000.0000"
    assert summary["reconciliation"]["ok"], summary["reconciliation"]
    sell.refresh_from_db()
    assert sell.status == "expired"
    assert sell.open_t == 0
    assert queries.holdings_for(a.actor, "SHEA", a.entity_id).allowance_frozen_t == 0
    day = TradingDay.objects.get()
    assert (day.close_fen, day.status, day.reconciliation["ok"]) == (5957, "closed", True)
    # the next day's limits come from the close, and the index moves with it
    clock.advance(timedelta(days=1))
    actions.do_open_trading_day(actor=SYSTEM, market_code="SHEA")
    market = Market.objects.get()
    assert (market.lower_fen, market.upper_fen) == (5362, 6552)
    s2 = actions.do_place_order(actor=a.actor, market_code="SHEA", side="sell", price_fen=6552, quantity_t=500)
    actions.do_take_listing(actor=b.actor, market_code="SHEA", order_id=s2.oid, quantity_t=500)
    summary = actions.do_close_trading_day(actor=SYSTEM, market_code="SHEA")
    assert summary["index"] == "1099.8825"  # 1000 × 6552 / 5957
    assert summary["reconciliation"]["ok"]


def test_the_command_log_replays_to_the_same_state_and_verifies(clock, both_engines_in_the_command_log):
    a, b, _ = make_market()
    for price in (6000, 6010, 6020):
        o = actions.do_place_order(actor=a.actor, market_code="SHEA", side="sell", price_fen=price, quantity_t=10)
        actions.do_take_listing(actor=b.actor, market_code="SHEA", order_id=o.oid, quantity_t=5)
    market = Market.objects.get()
    live, _ = commands.load_state(market.stream, ENGINE)
    replayed, _ = commands.replay(market.stream, ENGINE)
    assert (
        live.engine.implementation == replayed.engine.implementation == both_engines_in_the_command_log.implementation
    )
    assert live.engine.state_hash() == replayed.engine.state_hash()
    commands.take_snapshot(market.stream, ENGINE)
    commands.clear_cache()  # a restarted process
    actions.do_place_order(actor=a.actor, market_code="SHEA", side="sell", price_fen=6030, quantity_t=10)
    report = commands.verify(market.stream, ENGINE)
    assert report.ok, report.problems
    assert report.snapshots_checked >= 1
    assert queries.reconcile(market)["ok"]


def test_bad_orders_are_refused_with_clear_codes_and_leave_nothing(clock):
    a, b, _ = make_market(cash_fen=6_000_000, allowances_t=500)
    refused(
        "orderbook.price_out_of_band",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="sell",
        price_fen=6601,
        quantity_t=1,
    )
    refused(
        "orderbook.price_out_of_band",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="buy",
        price_fen=5399,
        quantity_t=1,
    )
    refused(
        "orderbook.insufficient_allowances",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="sell",
        price_fen=6000,
        quantity_t=501,
    )
    refused(
        "orderbook.insufficient_cash",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="buy",
        price_fen=6000,
        quantity_t=1001,
    )
    refused(
        "orderbook.listing_too_large",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="buy",
        price_fen=6000,
        quantity_t=100_000,
    )
    refused(
        "orderbook.quantity_invalid",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="buy",
        price_fen=6000,
        quantity_t=0,
    )
    refused(
        "orderbook.side_invalid",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="hold",
        price_fen=6000,
        quantity_t=1,
    )
    order = actions.do_place_order(
        actor=a.actor, market_code="SHEA", side="sell", price_fen=6000, quantity_t=5, client_order_id="A-1"
    )
    refused(
        "orderbook.duplicate_client_order_id",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="sell",
        price_fen=6001,
        quantity_t=5,
        client_order_id="A-1",
    )
    refused("orderbook.not_your_order", actions.do_cancel_order, actor=b.actor, market_code="SHEA", order_id=order.oid)
    refused(
        "orderbook.listing_would_cross",
        actions.do_place_order,
        actor=b.actor,
        market_code="SHEA",
        side="buy",
        price_fen=6000,
        quantity_t=5,
    )
    refused(
        "orderbook.take_own_order",
        actions.do_take_listing,
        actor=a.actor,
        market_code="SHEA",
        order_id=order.oid,
        quantity_t=1,
    )
    refused(
        "orderbook.not_your_entity",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="sell",
        price_fen=6000,
        quantity_t=1,
        entity_id=b.entity_id,
    )
    refused(
        "orderbook.not_a_participant",
        actions.do_place_order,
        actor=staff(),
        market_code="SHEA",
        side="sell",
        price_fen=6000,
        quantity_t=1,
    )
    refused(
        "orderbook.staff_only",
        actions.do_deposit_cash,
        actor=a.actor,
        market_code="SHEA",
        entity_id=a.entity_id,
        amount_fen=100,
    )
    cancelled = actions.do_cancel_order(actor=a.actor, market_code="SHEA", order_id=order.oid)
    assert cancelled.status == "cancelled"
    refused("orderbook.order_unknown", actions.do_cancel_order, actor=a.actor, market_code="SHEA", order_id=order.oid)


def test_a_participant_without_an_account_is_refused(clock):
    from yiwang.trading.orderbook.tests.support import USCCS, register

    make_market(traders=1)
    outsider = register(USCCS[4])
    refused(
        "orderbook.account_unknown",
        actions.do_place_order,
        actor=outsider.actor,
        market_code="SHEA",
        side="buy",
        price_fen=6000,
        quantity_t=1,
    )


def test_the_market_refuses_outside_a_trading_day(clock):
    a, *_ = make_market(open_day=False)
    refused("orderbook.no_trading_day", actions.do_set_phase, actor=SYSTEM, market_code="SHEA", phase="open")
    refused(
        "orderbook.market_closed",
        actions.do_place_order,
        actor=a.actor,
        market_code="SHEA",
        side="buy",
        price_fen=6000,
        quantity_t=1,
    )
    clock.set(clock.now().replace(day=7))  # 2026-03-07 is a Saturday
    refused("orderbook.not_a_trading_day", actions.do_open_trading_day, actor=SYSTEM, market_code="SHEA")


def test_a_crash_mid_command_leaves_the_whole_command_or_nothing(clock, monkeypatch):
    """A failure after the engine accepted the command but before the transaction commits rolls back the
    command with its rows: the log, the read model, the ledger and the engine cache stay as they were."""
    a, _b, _ = make_market()
    before = counts()
    market = Market.objects.get()
    hash_before = commands.load_state(market.stream, ENGINE)[0].engine.state_hash()

    from yiwang.trading.orderbook import projection

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(projection, "_write_postings", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        actions.do_place_order(actor=a.actor, market_code="SHEA", side="sell", price_fen=6000, quantity_t=10)
    monkeypatch.undo()
    assert counts() == before
    assert commands.load_state(market.stream, ENGINE)[0].engine.state_hash() == hash_before
    # the next command gets the number the failed one would have had, and everything agrees
    order = actions.do_place_order(actor=a.actor, market_code="SHEA", side="sell", price_fen=6000, quantity_t=10)
    assert order.command_seq == before[2] + 1
    assert order.oid == 1
    assert queries.reconcile(Market.objects.get())["ok"]


def test_block_trades_are_confirmed_by_both_parties_and_stay_out_of_the_close(clock):
    a, b, c = make_market(allowances_t=300_000)
    with pytest.raises(YiwangError) as info:
        actions.do_propose_block(
            actor=a.actor,
            market_code="SHEA",
            side="sell",
            counterparty_entity_id=b.entity_id,
            price_fen=6000,
            quantity_t=99_999,
        )
    assert info.value.code == "orderbook.block_too_small"
    pid = actions.do_propose_block(
        actor=a.actor,
        market_code="SHEA",
        side="sell",
        counterparty_entity_id=b.entity_id,
        price_fen=7800,
        quantity_t=100_000,
    )
    with pytest.raises(YiwangError) as info:
        actions.do_answer_block(actor=c.actor, market_code="SHEA", proposal_id=pid, answer="confirm")
    assert info.value.code == "orderbook.not_counterparty"
    tid = actions.do_answer_block(actor=b.actor, market_code="SHEA", proposal_id=pid, answer="confirm")
    trade = Trade.objects.get(tid=tid)
    assert (trade.kind, trade.eligible, trade.amount_fen) == ("block", False, 780_000_000)
    summary = actions.do_close_trading_day(actor=SYSTEM, market_code="SHEA")
    assert summary["close_fen"] == 6000
    assert summary["volume_t"]["block"] == 100_000
    assert summary["reconciliation"]["ok"]


def test_a_repo_runs_to_its_repurchase_and_a_default_hands_over_margin_and_allowances(clock):
    a, b, c = make_market()
    due = date(2026, 3, 4)
    rid = actions.do_propose_repo(
        actor=a.actor,
        market_code="SHEA",
        counterparty_entity_id=b.entity_id,
        quantity_t=10_000,
        price_open_fen=6000,
        price_close_fen=6050,
        repurchase_day=due,
        margin_fen=1_000_000,
    )
    actions.do_answer_repo(actor=b.actor, market_code="SHEA", repo_id=rid, answer="confirm")
    rid2 = actions.do_propose_repo(
        actor=c.actor,
        market_code="SHEA",
        counterparty_entity_id=b.entity_id,
        quantity_t=10_000,
        price_open_fen=6000,
        price_close_fen=6050,
        repurchase_day=due,
        margin_fen=500_000,
    )
    actions.do_answer_repo(actor=b.actor, market_code="SHEA", repo_id=rid2, answer="confirm")
    assert queries.holdings_for(b.actor, "SHEA", b.entity_id).allowance_repo_t == 20_000
    # the second seller takes all its available money out: it cannot pay on the repurchase day
    available = queries.holdings_for(c.actor, "SHEA", c.entity_id).cash_available_fen
    actions.do_withdraw_cash(actor=SYSTEM, market_code="SHEA", entity_id=c.entity_id, amount_fen=available)
    actions.do_close_trading_day(actor=SYSTEM, market_code="SHEA")
    clock.advance(timedelta(days=2))
    actions.do_open_trading_day(actor=SYSTEM, market_code="SHEA")
    assert actions.do_settle_repo(actor=SYSTEM, market_code="SHEA", repo_id=rid) == "closed"
    assert actions.do_settle_repo(actor=SYSTEM, market_code="SHEA", repo_id=rid2) == "defaulted"
    hb = queries.holdings_for(b.actor, "SHEA", b.entity_id)
    assert hb.allowance_repo_t == 0
    assert hb.allowance_available_t == 200_000 + 10_000  # kept the defaulted repo's allowances
    hc = queries.holdings_for(c.actor, "SHEA", c.entity_id)
    assert hc.cash_margin_fen == 0
    assert hc.allowance_total_t == 190_000
    summary = actions.do_close_trading_day(actor=SYSTEM, market_code="SHEA")
    assert summary["eligible_volume_t"] == 0
    assert summary["volume_t"]["repo_close"] == 10_000
    assert summary["reconciliation"]["ok"], summary["reconciliation"]


def test_continuous_market_with_ioc_fok_market_orders_and_amendments(clock):
    a, b, _ = make_market("SHEC", "continuous")
    s1 = actions.do_place_order(actor=a.actor, market_code="SHEC", side="sell", price_fen=6000, quantity_t=10)
    s2 = actions.do_place_order(actor=a.actor, market_code="SHEC", side="sell", price_fen=6001, quantity_t=10)
    ioc = actions.do_place_order(
        actor=b.actor, market_code="SHEC", side="buy", price_fen=6000, quantity_t=15, order_type="ioc"
    )
    assert (ioc.status, ioc.reason, ioc.filled_t, ioc.open_t) == ("killed", "ioc", 10, 0)
    fok = actions.do_place_order(
        actor=b.actor, market_code="SHEC", side="buy", price_fen=6001, quantity_t=15, order_type="fok"
    )
    assert (fok.status, fok.filled_t) == ("killed", 0)
    mkt = actions.do_place_order(actor=b.actor, market_code="SHEC", side="buy", quantity_t=15, order_type="market")
    assert (mkt.status, mkt.price_fen, mkt.filled_t, mkt.open_t) == ("open", 6001, 10, 5)
    s1.refresh_from_db()
    s2.refresh_from_db()
    assert (s1.status, s2.status) == ("filled", "filled")
    amended = actions.do_amend_order(
        actor=b.actor, market_code="SHEC", order_id=mkt.oid, quantity_t=3, expected_version=mkt.version
    )
    assert amended.open_t == 3
    assert amended.version == mkt.version + 1
    with pytest.raises(YiwangError) as info:
        actions.do_amend_order(
            actor=b.actor, market_code="SHEC", order_id=mkt.oid, quantity_t=2, expected_version=mkt.version
        )
    assert info.value.code == "precondition.failed"
    assert queries.reconcile(Market.objects.get(code="SHEC"))["ok"]


def test_a_batch_is_one_transaction_with_refusals_reported_per_order(clock):
    a, *_ = make_market(allowances_t=100)
    results = actions.do_submit_orders(
        actor=a.actor,
        market_code="SHEA",
        orders=[
            {"side": "sell", "price_fen": 6000, "quantity_t": 40},
            {"side": "sell", "price_fen": 9999, "quantity_t": 40},
            {"side": "sell", "price_fen": 6001, "quantity_t": 40},
            {"side": "sell", "price_fen": 6002, "quantity_t": 40},
            {"side": "up", "price_fen": 6002, "quantity_t": 40},
        ],
    )
    codes = [r.error.code if r.error else r.order.status for r in results]
    assert codes == [
        "open",
        "orderbook.price_out_of_band",
        "open",
        "orderbook.insufficient_allowances",
        "orderbook.side_invalid",
    ]
    assert queries.reconcile(Market.objects.get())["ok"]
