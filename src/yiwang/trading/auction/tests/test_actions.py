"""Actions on the real database: create from a preset, register with the deposit gate, start, bid, soft close,
suspend/resume, close by the due job, result and confirmation; refusals leave nothing behind; the log replays to
the state (also after a restart)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.kernel.errors import YiwangError
from yiwang.platform.commands import engine as commands
from yiwang.trading.auction import actions, jobs, queries
from yiwang.trading.auction.lot_engine import ENGINE
from yiwang.trading.auction.models import Bid, Bidder, Lot
from yiwang.trading.auction.tests.support import footprint, judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db

MS = timedelta(milliseconds=1)


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


def _open_lot(clock, people, n=2, **over):
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(**over))
    for p in people[:n]:
        if lot.deposit_fen:
            pay_deposit(lot, p)
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    clock.set(lot.start_at)
    assert jobs.run_due_lots(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.phase == "open"
    return lot


def _bid(p, lot, amount, **kw):
    return actions.do_place_bid(actor=p.actor, lot_id=lot.pk, amount_fen=amount, **kw)


# -- creating ----------------------------------------------------------------------------------------------------
def test_create_from_preset_snapshots_the_law_and_starts_the_stream(clock, people):
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    assert lot.ref.startswith("JA-2026-")
    assert lot.phase == "scheduled"
    assert lot.seq == 1
    assert lot.next_check == lot.start_at
    assert {"judicial.soft_close_window", "judicial.bidding_period_min", "judicial.deposit_rate_min"} <= set(lot.legal)
    assert lot.rules["soft_close_window"] == 5 * 60 * 1_000_000  # from the catalogue, not hard-coded
    assert lot.rules["preemption"] is True
    from yiwang.services.finance import queries as finance_queries

    assert finance_queries.get_lot(lot.finance_ref).required_fen == 7_000_000
    entries = apps.get_model("commands", "Command").objects.filter(stream=lot.stream)
    assert [e.body["type"] for e in entries] == ["create"]


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"start_price_fen": 69_000_000, "deposit_fen": 6_900_000}, "auction.start_price_too_low"),
        ({"preset": "nope"}, "auction.preset_unknown"),
        ({"title": "  "}, "auction.title_required"),
        ({"step_fen": 0}, "auction.amount_invalid"),
        ({"step_fen": True}, "auction.amount_invalid"),
        ({"deposit_fen": 100_000}, "auction.deposit_out_of_range"),
        ({"end_at": None}, "auction.end_required"),
        ({"params": {"countdown": -5}}, "auction.param_invalid"),
        ({"region_code": "999999"}, "auction.region_unknown"),
        ({"preset": "judicial_sale"}, "auction.sale_needs_previous_round"),
    ],
)
def test_create_refusals_leave_nothing_behind(clock, people, over, code):
    before = footprint()
    assert _code(lambda: actions.do_create_lot(actor=staff(), spec=judicial_spec(**over))) == code
    assert footprint() == before


def test_bidding_period_and_start_in_the_past_and_staff_only(clock, people):
    spec = judicial_spec()
    before = footprint()
    short = replace(spec, end_at=spec.start_at + timedelta(hours=24) - MS)
    assert _code(lambda: actions.do_create_lot(actor=staff(), spec=short)) == "auction.bidding_period_too_short"
    past = replace(spec, start_at=clock.now(), end_at=clock.now() + timedelta(hours=25))
    assert _code(lambda: actions.do_create_lot(actor=staff(), spec=past)) == "auction.start_in_past"
    assert _code(lambda: actions.do_create_lot(actor=people[0].actor, spec=spec)) == "auction.staff_only"
    assert footprint() == before


# -- registering -------------------------------------------------------------------------------------------------
def test_registration_is_gated_by_the_deposit_and_gives_a_pseudonym(clock, people):
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    a, b = people[0], people[1]
    before = footprint()
    assert _code(lambda: actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)) == (
        "auction.deposit_required"
    )
    assert _code(lambda: actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=b.entity_id)) == (
        "auction.not_your_entity"
    )
    assert _code(lambda: actions.do_register_bidder(actor=staff(), lot_id=lot.pk, entity_id=a.entity_id)) == (
        "auction.register_yourself"
    )
    assert footprint() == before
    pay_deposit(lot, a, lot.deposit_fen - 1)  # one fen short
    assert _code(lambda: actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)) == (
        "auction.deposit_required"
    )
    pay_deposit(lot, a, 1)
    bidder = actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)
    assert len(bidder.code) == 5
    assert bidder.code[0].isalpha()
    assert a.name not in bidder.code
    assert _code(lambda: actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)) == (
        "auction.already_registered"
    )
    lot.refresh_from_db()
    assert lot.bidder_count == 1
    assert lot.seq == 2
    # the public feed counts, it never names
    event = apps.get_model("outbox", "OutboxEvent").objects.get(event_type="auction.bidder_registered.v1")
    assert event.data == {"lot": lot.ref, "bidders": 1}


def test_preemption_right_is_recorded_by_staff_before_registration(clock, people):
    a = people[0]
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    kw = {"lot_id": lot.pk, "entity_id": a.entity_id, "basis": "（2026）沪0115执123号 承租人"}
    assert _code(lambda: actions.do_grant_preemption(actor=a.actor, **kw)) == "auction.staff_only"
    assert _code(lambda: actions.do_grant_preemption(actor=staff(), rank=0, **kw)) == "auction.rank_invalid"
    actions.do_grant_preemption(actor=staff(), **kw)
    assert _code(lambda: actions.do_grant_preemption(actor=staff(), **kw)) == "auction.preemption_exists"
    pay_deposit(lot, a)
    holder = actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)
    assert holder.priority == 1


# -- bidding -----------------------------------------------------------------------------------------------------
def test_judicial_auction_soft_close_and_result(clock, people):
    a, b, _c = people
    lot = _open_lot(clock, people)
    start = lot.start_price_fen
    r1 = _bid(a, lot, start)
    assert r1.amount_fen == start
    assert r1.accepted_at == clock.now()
    clock.advance(timedelta(hours=1))
    _bid(b, lot, start + lot.step_fen, expected_price_fen=start)
    end = lot.start_at + timedelta(hours=24)
    # a bid 1 minute before the end moves the end to bid time + 5 minutes
    clock.set(end - timedelta(minutes=1))
    r3 = _bid(a, lot, start + 3 * lot.step_fen)
    assert r3.end_at == clock.now() + timedelta(minutes=5)
    lot.refresh_from_db()
    assert lot.ext_count == 1
    assert lot.end_at == r3.end_at
    assert lot.leader_code == r3.code
    # the bid one millisecond after the (extended) end is refused, and the lot closes at its end
    clock.set(r3.end_at + MS)
    before = Bid.objects.count()
    assert _code(lambda: _bid(b, lot, start + 10 * lot.step_fen)) == "auction.closed"
    assert Bid.objects.count() == before
    lot.refresh_from_db()
    assert lot.phase == "closed"
    assert lot.outcome == "sold"
    assert lot.closed_at == r3.end_at
    assert lot.winner_entity_id == a.entity_id
    assert lot.deal_price_fen == start + 3 * lot.step_fen
    assert jobs.run_due_lots(clock.now()) == 0  # nothing due any more; a second tick is never logged
    # 成交公告 published through services.notices; the loser's deposit released through finance
    assert lot.result_notice_id is not None
    assert lot.problems == []
    from yiwang.services.notices import queries as notices

    notice = notices.get_notice_for(staff(), lot.result_notice_id)
    assert a.name in notice.body_html
    assert "成交公告" in notice.title
    from yiwang.services.finance import queries as finance_queries

    # the extension moved finance's opening one extension past the end: who paid is shown from then on
    assert finance_queries.get_lot_deposits_for(staff(), lot.finance_ref).rows is None
    clock.set(r3.end_at + timedelta(minutes=5))
    deposits = {d.entity_id: d for d in finance_queries.get_lot_deposits_for(staff(), lot.finance_ref).rows}
    assert deposits[b.entity_id].status != deposits[a.entity_id].status
    # confirmation
    confirmed = actions.do_confirm_deal(actor=staff(), lot_id=lot.pk)
    assert confirmed.settled == "confirmed"
    assert _code(lambda: actions.do_confirm_deal(actor=staff(), lot_id=lot.pk)) == "auction.not_confirmable"
    assert _code(lambda: actions.do_declare_reneged(actor=staff(), lot_id=lot.pk)) == "auction.not_renegeable"
    check = queries.check_lot_for(staff(), lot.pk)
    assert check.ok, check.problems


def test_the_due_job_closes_exactly_at_the_end(clock, people):
    a = people[0]
    lot = _open_lot(clock, people)
    _bid(a, lot, lot.start_price_fen)
    lot.refresh_from_db()
    clock.set(lot.end_at - MS)
    assert jobs.run_due_lots(clock.now()) == 0
    clock.set(lot.end_at)
    assert jobs.run_due_lots(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.phase == "closed"
    assert lot.closed_at == lot.start_at + timedelta(hours=24)
    cmds = apps.get_model("commands", "Command").objects.filter(stream=lot.stream).order_by("seq")
    assert [c.body["type"] for c in cmds] == ["create", "register", "register", "tick", "bid", "tick"]


def test_no_bid_means_unsold_and_every_deposit_is_released(clock, people):
    lot = _open_lot(clock, people)
    clock.set(lot.end_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.outcome == "unsold"
    assert lot.result_notice_id is None
    assert lot.winner_code == ""


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("below_start", "auction.below_start_price"),
        ("below_increment", "auction.below_increment"),
        ("off_grid", "auction.not_multiple_of_increment"),
        ("stale", "auction.stale_price"),
        ("leading", "auction.already_leading"),
        ("unregistered", "auction.not_registered"),
        ("suspended", "auction.suspended"),
        ("not_started", "auction.not_started"),
        ("zero", "auction.amount_invalid"),
        ("key_reused", "commands.idempotency_key_reused"),
    ],
)
def test_bad_bids_are_refused_and_leave_nothing_behind(clock, people, how, code):
    a, b, c = people
    if how == "not_started":
        lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(deposit_fen=0))
        actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)
        before = footprint()
        assert _code(lambda: _bid(a, lot, lot.start_price_fen)) == code
        assert footprint() == before
        return
    lot = _open_lot(clock, people)
    s, step = lot.start_price_fen, lot.step_fen
    _bid(a, lot, s, idempotency_key="k-1")
    if how == "suspended":
        actions.do_suspend_lot(actor=staff(), lot_id=lot.pk, reason="系统维护")
    before = footprint()
    call = {
        "below_start": lambda: _bid(b, lot, s - 1),
        "below_increment": lambda: _bid(b, lot, s + step - 1),
        "off_grid": lambda: _bid(b, lot, s + step + 1),
        "stale": lambda: _bid(b, lot, s + step, expected_price_fen=s - step),
        "leading": lambda: _bid(a, lot, s + step),
        "unregistered": lambda: _bid(c, lot, s + step),
        "suspended": lambda: _bid(b, lot, s + step),
        "zero": lambda: _bid(b, lot, 0),
        "key_reused": lambda: _bid(a, lot, s + 5 * step, idempotency_key="k-1"),
    }[how]
    if how == "below_start":
        # below the start price only matters for the first bid: a fresh lot
        lot = _open_lot(clock, people, deposit_fen=0, start_at=clock.now() + timedelta(hours=1))
        before = footprint()
        call = lambda: _bid(b, lot, s - 1)  # noqa: E731
    assert _code(call) == code
    assert footprint() == before


def test_a_replayed_bid_returns_the_first_acceptance(clock, people):
    a, b = people[0], people[1]
    lot = _open_lot(clock, people)
    first = _bid(a, lot, lot.start_price_fen, idempotency_key="retry-1")
    before = footprint()
    clock.advance(timedelta(seconds=3))
    again = _bid(a, lot, lot.start_price_fen, idempotency_key="retry-1")
    assert again.duplicate
    assert again.seq == first.seq
    assert again.accepted_at == first.accepted_at
    assert footprint() == before
    # the same bid without the key is a new command, refused by the rules
    assert _code(lambda: _bid(a, lot, lot.start_price_fen)) == "auction.below_increment"
    _bid(b, lot, lot.start_price_fen + lot.step_fen)


def test_suspend_keeps_the_remaining_time(clock, people):
    a = people[0]
    lot = _open_lot(clock, people)
    _bid(a, lot, lot.start_price_fen)
    lot.refresh_from_db()
    remaining = lot.end_at - clock.now()
    assert _code(lambda: actions.do_suspend_lot(actor=staff(), lot_id=lot.pk, reason=" ")) == "auction.reason_required"
    assert _code(lambda: actions.do_suspend_lot(actor=a.actor, lot_id=lot.pk, reason="x")) == "auction.staff_only"
    actions.do_suspend_lot(actor=staff(), lot_id=lot.pk, reason="法院通知暂缓")
    lot.refresh_from_db()
    assert lot.phase == "suspended"
    assert lot.end_at is None
    assert lot.next_check is None
    clock.advance(timedelta(days=3))
    assert jobs.run_due_lots(clock.now()) == 0
    resumed = actions.do_resume_lot(actor=staff(), lot_id=lot.pk, reason="恢复拍卖")
    assert resumed.phase == "open"
    assert resumed.end_at - clock.now() == remaining
    assert _code(lambda: actions.do_resume_lot(actor=staff(), lot_id=lot.pk, reason="again")) == (
        "auction.not_suspended"
    )
    assert [i.kind for i in queries.list_interventions_for(staff(), lot.pk)] == ["suspend", "resume"]


def test_preemption_holder_wins_at_equal_price(clock, people):
    a, b = people[0], people[1]
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(deposit_fen=0))
    actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)
    actions.do_grant_preemption(actor=staff(), lot_id=lot.pk, entity_id=b.entity_id, basis="按份共有人")
    actions.do_register_bidder(actor=b.actor, lot_id=lot.pk, entity_id=b.entity_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    _bid(a, lot, lot.start_price_fen + lot.step_fen)
    receipt = actions.do_exercise_preemption(actor=b.actor, lot_id=lot.pk)
    assert receipt.amount_fen == lot.start_price_fen + lot.step_fen
    lot.refresh_from_db()
    assert lot.leader_code == receipt.code
    clock.set(lot.end_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.winner_entity_id == b.entity_id


# -- replay and restart --------------------------------------------------------------------------------------------
def test_replay_equals_state_and_a_restart_loses_no_accepted_bid(clock, people):
    a, b = people[0], people[1]
    lot = _open_lot(clock, people)
    price = lot.start_price_fen
    for i in range(12):
        clock.advance(timedelta(seconds=7))
        _bid(a if i % 2 == 0 else b, lot, price + i * lot.step_fen)
    live, seq = commands.load_state(lot.stream, ENGINE)
    replayed, head = commands.replay(lot.stream, ENGINE)
    assert seq == head
    assert commands.state_bytes(ENGINE, live) == commands.state_bytes(ENGINE, replayed)
    assert queries.check_lot_for(staff(), lot.pk).ok
    # "restart": the process's cached states are gone; the next bid recovers from the log alone
    commands.clear_cache()
    last = _bid(a, lot, price + 13 * lot.step_fen)
    state, _ = commands.load_state(lot.stream, ENGINE)
    assert [h[2] for h in state.history] == [price + i * lot.step_fen for i in range(12)] + [last.amount_fen]
    assert Bid.objects.filter(lot=lot).count() == 13
    commands.take_snapshot(lot.stream, ENGINE)
    report = commands.verify(lot.stream, ENGINE)
    assert report.ok
    assert report.snapshots_checked == 1
    # a restart that recovers from the snapshot bids on as before
    commands.clear_cache()
    after = _bid(b, lot, price + 14 * lot.step_fen)
    assert after.seq == last.seq + 1
    assert queries.check_lot_for(staff(), lot.pk).ok


def test_bidder_list_is_staff_only(clock, people):
    lot = _open_lot(clock, people)
    assert _code(lambda: queries.list_bidders_for(people[0].actor, lot.pk)) == "auction.bidders_secret"
    rows = queries.list_bidders_for(staff(), lot.pk)
    assert {r.entity_id for r in rows} == {people[0].entity_id, people[1].entity_id}
    state = queries.engine_state(lot)
    public = queries.public_state(lot, state)
    assert "reserve" not in public
    assert all(set(r) == {"code", "amount", "at", "how"} for r in public["recent"])
    assert queries.public_rules(Lot.objects.get(pk=lot.pk))["reserve"] in (0, None)


# -- land listing ending in a countdown auction --------------------------------------------------------------------
def test_land_listing_ends_in_a_countdown_auction(clock, people):
    a, b, c = people
    start = clock.now() + timedelta(hours=1)
    spec = actions.LotSpec(
        preset="land_listing",
        title="闵行区某地块国有建设用地使用权",
        start_price_fen=500_000_000,
        step_fen=10_000_000,
        start_at=start,
        end_at=start + timedelta(days=10),
        reserve_fen=600_000_000,
        params={"countdown": 240, "continue_window": 600},
    )
    assert _code(
        lambda: actions.do_create_lot(actor=staff(), spec=replace(spec, end_at=start + timedelta(days=9)))
    ) == ("auction.listing_period_too_short")
    lot = actions.do_create_lot(actor=staff(), spec=spec)
    assert lot.ref.startswith("LD-")
    assert "land.listing_period_min" in lot.legal
    for p in people:
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    clock.set(start)
    jobs.run_due_lots(clock.now())
    _bid(a, lot, 500_000_000)
    clock.advance(timedelta(days=2))
    _bid(b, lot, 510_000_000)
    for p in (a, b):
        actions.do_declare_continue(actor=p.actor, lot_id=lot.pk)
    assert _code(lambda: actions.do_declare_continue(actor=c.actor, lot_id=lot.pk)) == "auction.not_eligible"
    clock.set(start + timedelta(days=10))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.phase == "await_continue"
    clock.advance(timedelta(minutes=10))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.phase == "countdown"
    assert lot.end_at == clock.now() + timedelta(minutes=4)
    clock.advance(timedelta(minutes=3))
    r = _bid(a, lot, 620_000_000)
    assert r.end_at == clock.now() + timedelta(minutes=4)  # each bid restarts the countdown
    assert _code(lambda: _bid(c, lot, 630_000_000)) == "auction.not_eligible"
    clock.set(r.end_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.outcome == "sold"
    assert lot.winner_entity_id == a.entity_id
    assert lot.deal_price_fen == 620_000_000
    assert queries.check_lot_for(staff(), lot.pk).ok


def test_dutch_acceptance_closes_at_once(clock, people):
    a = people[0]
    start = clock.now() + timedelta(hours=1)
    spec = actions.LotSpec(
        preset="dutch",
        title="二手设备一批",
        start_price_fen=1_000_000,
        step_fen=50_000,
        start_at=start,
        reserve_fen=600_000,
        params={"interval": 60},
    )
    lot = actions.do_create_lot(actor=staff(), spec=spec)
    actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)
    clock.set(start + timedelta(minutes=3, seconds=5))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    state = queries.engine_state(lot)
    assert queries.public_state(lot, state)["price"] == 850_000
    assert _code(lambda: _bid(a, lot, 900_000)) == "auction.stale_price"
    _bid(a, lot, 850_000)
    lot.refresh_from_db()
    assert lot.phase == "closed"
    assert lot.outcome == "sold"
    assert lot.deal_price_fen == 850_000
    assert Bidder.objects.get(lot=lot).code == lot.winner_code


def test_credit_gate_and_a_reneged_buyer_is_barred_from_the_next_round(clock, people):
    from yiwang.trading.auction import ports

    a, b = people[0], people[1]

    class Barred:
        def check(self, *, entity_id, category, region_code):
            return ports.CreditDecision(entity_id != b.entity_id, "失信被执行人", "Listed as a judgment defaulter")

    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(deposit_fen=0))
    ports.use_credit_gate(Barred())
    try:
        assert _code(lambda: actions.do_register_bidder(actor=b.actor, lot_id=lot.pk, entity_id=b.entity_id)) == (
            "auction.credit_barred"
        )
    finally:
        ports.use_credit_gate(None)
    actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    _bid(a, lot, lot.start_price_fen)
    clock.set(lot.end_at)
    jobs.run_due_lots(clock.now())
    second = judicial_spec(deposit_fen=0, previous_lot_id=lot.pk, start_price_fen=56_000_000)
    assert _code(lambda: actions.do_create_lot(actor=staff(), spec=second)) == "auction.previous_not_failed"
    lot.refresh_from_db()
    assert (lot.phase, lot.outcome, lot.settled) == ("closed", "sold", "")
    reneged = actions.do_declare_reneged(actor=staff(), lot_id=lot.pk, note="未按期付款")
    assert reneged.settled == "reneged"
    too_deep = replace(second, start_price_fen=55_000_000)
    assert _code(lambda: actions.do_create_lot(actor=staff(), spec=too_deep)) == "auction.reauction_cut_too_deep"
    nxt = actions.do_create_lot(actor=staff(), spec=second)
    assert nxt.round_no == 2
    assert _code(lambda: actions.do_register_bidder(actor=a.actor, lot_id=nxt.pk, entity_id=a.entity_id)) == (
        "auction.excluded_reneged"
    )
    actions.do_register_bidder(actor=b.actor, lot_id=nxt.pk, entity_id=b.entity_id)


def test_reverse_auction_with_sealed_opening_bids_and_turns(clock, people):
    a, b, c = people
    start = clock.now() + timedelta(hours=1)
    spec = actions.LotSpec(
        preset="reverse",
        title="办公设备采购（反向竞价）",
        start_price_fen=1_000_000,
        step_fen=10_000,
        start_at=start,
        params={"first_pause": 60, "turn": 30, "pause": 30},
    )
    lot = actions.do_create_lot(actor=staff(), spec=spec)
    assert lot.ref.startswith("RA-")
    reg = lambda p, fen: actions.do_register_bidder(  # noqa: E731
        actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id, initial_fen=fen
    )
    assert _code(lambda: reg(a, None)) == "auction.initial_required"
    assert _code(lambda: reg(a, 1_000_001)) == "auction.above_ceiling"
    codes = {p.entity_id: reg(p, fen).code for p, fen in ((a, 900_000), (b, 950_000), (c, 980_000))}
    lot.refresh_from_db()
    assert lot.price_fen == 1_000_000  # the sealed opening bids stay secret before the start
    assert queries.public_state(lot, queries.engine_state(lot))["price"] == 1_000_000
    clock.set(start + timedelta(seconds=60))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.phase == "turn"
    assert lot.price_fen == 900_000
    public = queries.public_state(lot, queries.engine_state(lot))
    assert public["turn"] == codes[c.entity_id]
    assert [s["amount"] for s in public["standings"]] == [
        900_000,
        950_000,
        980_000,
    ]
    assert _code(lambda: _bid(a, lot, 800_000)) == "auction.not_your_turn"
    assert _code(lambda: _bid(c, lot, 975_000)) == "auction.below_increment"
    _bid(c, lot, 880_000)
    for _ in range(40):  # the clock runs the turns and rounds to the end; nobody else bids
        clock.advance(timedelta(seconds=30))
        jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.outcome == "sold"
    assert lot.winner_entity_id == c.entity_id
    assert lot.deal_price_fen == 880_000
    assert queries.check_lot_for(staff(), lot.pk).ok


def test_overtaken_bids_are_refused_without_the_stream_lock(clock, people):
    """A bid below the committed price is refused from the read model: the engine's code, nothing written, and the
    writer's cached state is kept (the next bid does not reload the lot from its snapshot)."""
    lot = _open_lot(clock, people)
    _bid(people[0], lot, 70_000_000)
    _bid(people[1], lot, 71_000_000)
    cached = dict(commands._cache)
    before = footprint()
    assert _code(lambda: _bid(people[0], lot, 70_500_000)) == "auction.below_increment"
    assert _code(lambda: _bid(people[0], lot, 72_000_000, expected_price_fen=70_000_000)) == "auction.stale_price"
    assert footprint() == before
    assert dict(commands._cache) == cached
    # at the bid above, the engine decides as before
    assert _code(lambda: _bid(people[1], lot, 72_000_000)) == "auction.already_leading"
    assert _bid(people[0], lot, 72_000_000).amount_fen == 72_000_000
    # after the end in force the engine is asked (it logs the close), then the closed lot refuses at once
    lot.refresh_from_db()
    clock.set(lot.end_at)
    assert _code(lambda: _bid(people[1], lot, 60_000_000)) == "auction.closed"
    lot.refresh_from_db()
    assert lot.phase == "closed"
    assert _code(lambda: _bid(people[1], lot, 90_000_000)) == "auction.closed"
