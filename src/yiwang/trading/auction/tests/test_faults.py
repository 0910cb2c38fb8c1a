"""Faults: a crash between the engine's decision and the commit, a restart, concurrent bidders on one lot."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection

from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import use_clock
from yiwang.platform.commands import engine as commands
from yiwang.trading.auction import actions, jobs, queries
from yiwang.trading.auction.lot_engine import ENGINE
from yiwang.trading.auction.models import Bid, Lot
from yiwang.trading.auction.tests.support import footprint, judicial_spec, make_bidder, staff


def _open(clock, n: int):
    people = [make_bidder(i) for i in range(n)]
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(deposit_fen=0))
    for p in people:
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    return Lot.objects.get(pk=lot.pk), people


@pytest.mark.django_db(transaction=True)
def test_a_crash_before_the_commit_leaves_nothing_and_the_next_bid_sees_the_log(clock, monkeypatch):
    lot, (a, b) = _open(clock, 2)
    s, step = lot.start_price_fen, lot.step_fen
    actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=s)  # committed: the cache holds this state
    before = footprint()

    def crash(*args, **kwargs):
        raise RuntimeError("power cut after the engine accepted, before the commit")

    monkeypatch.setattr(actions, "_store_bids", crash)
    with pytest.raises(RuntimeError):
        actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=s + 5 * step)
    assert footprint() == before  # nothing logged, no row, no witness, no event, nothing published
    monkeypatch.undo()
    # the engine had accepted the lost bid in memory; that state must not survive the rollback
    with pytest.raises(YiwangError) as info:
        actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=s + step, expected_price_fen=s + 5 * step)
    assert info.value.code == "auction.stale_price"
    receipt = actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=s + step, expected_price_fen=s)
    commands.clear_cache()  # a restart
    state, seq = commands.load_state(lot.stream, ENGINE)
    assert seq == receipt.seq
    assert state.price == s + step
    assert [h[2] for h in state.history] == [s, s + step]
    assert queries.check_lot_for(staff(), lot.pk).ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_bidders_are_serialised_by_the_stream(clock):
    lot, people = _open(clock, 3)
    s, step = lot.start_price_fen, lot.step_fen
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def bidder(i: int) -> None:
        p = people[i % 3]
        try:
            with use_clock(clock):
                for k in range(4):
                    amount = s + (i * 4 + k) * step
                    try:
                        actions.do_place_bid(actor=p.actor, lot_id=lot.pk, amount_fen=amount)
                        outcome = "ok"
                    except YiwangError as error:
                        outcome = error.code
                    with lock:
                        results.append((amount, outcome))
        finally:
            connection.close()

    threads = [threading.Thread(target=bidder, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    accepted = [amount for amount, outcome in results if outcome == "ok"]
    assert len(results) == 24
    assert accepted
    assert {o for _, o in results} <= {"ok", "auction.below_increment", "auction.already_leading"}
    bids = list(Bid.objects.filter(lot=lot).order_by("seq"))
    assert sorted(accepted) == [b.amount_fen for b in bids]  # seq order is price order: strictly rising
    assert all(x.amount_fen < y.amount_fen for x, y in itertools.pairwise(bids))
    commands_logged = apps.get_model("commands", "Command").objects.filter(stream=lot.stream, body__type="bid")
    assert commands_logged.count() == len(accepted)
    assert queries.check_lot_for(staff(), lot.pk).ok
    clock.advance(timedelta(days=2))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.deal_price_fen == max(accepted)


@pytest.mark.django_db(transaction=True)
def test_refused_bids_keep_the_cached_lot_and_a_late_one_does_not_close_it_in_memory(clock, monkeypatch):
    """Racing bids the engine refuses under the lock (here the leader raising its own bid) keep the command log's
    cached state: no reload of snapshot + commands. A bid after the end is refused without closing the cached
    lot; the tick that follows logs the close, and the log replays to the read model."""
    lot, (a, b) = _open(clock, 2)
    s, step = lot.start_price_fen, lot.step_fen
    actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=s)
    loads = []
    real = commands.load_state
    monkeypatch.setattr(commands, "load_state", lambda *a, **k: loads.append(1) or real(*a, **k))
    kept = commands.refusals_kept()
    before = footprint()
    for _ in range(3):
        with pytest.raises(YiwangError) as info:
            actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=s + step)
        assert info.value.code == "auction.already_leading"
    assert footprint() == before
    assert commands.refusals_kept() == kept + 3
    actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=s + step)
    assert loads == []  # every writer found the lot in the cache

    lot.refresh_from_db()
    clock.set(lot.end_at)
    monkeypatch.setattr(actions, "_after_refusal", lambda lot: None)  # no tick right after the refusal
    with pytest.raises(YiwangError) as info:
        actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=s + 2 * step)
    assert info.value.code == "auction.closed"
    monkeypatch.undo()
    cached = commands._cache[(ENGINE.name, lot.stream)][2]
    assert cached.phase == "open"  # the refusal did not close the cached lot: its close is the tick's
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert (lot.phase, lot.deal_price_fen) == ("closed", s + step)
    assert queries.check_lot_for(staff(), lot.pk).ok
