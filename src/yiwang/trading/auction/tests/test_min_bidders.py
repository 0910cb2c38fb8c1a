"""``equity.min_bidders`` (32号令 第十九条): state-equity 网络竞价 — 多次报价, 一次报价, 权重报价 — needs two
bidders; with one the lot is not sold (a single qualified buyer is a 协议 deal, outside the auction). Judicial
lots keep ``judicial.min_bidders`` (one bidder at the start price wins)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.tests import sealed_support as ss
from yiwang.trading.auction.tests.support import judicial_spec, staff

pytestmark = pytest.mark.django_db


def _equity_multi(clock, people, n: int):
    start = clock.now() + timedelta(hours=1)
    spec = actions.LotSpec(
        preset="equity_multi",
        title="某国有企业 20% 股权（多次报价）",
        start_price_fen=30_000_000,
        step_fen=100_000,
        start_at=start,
        end_at=start + timedelta(hours=2),
        appraisal_fen=30_000_000,
    )
    lot = actions.do_create_lot(actor=staff(), spec=spec)
    for p in people[:n]:
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    return lot


@pytest.mark.parametrize(("n", "outcome"), [(1, "unsold"), (2, "sold")])
def test_equity_multi_needs_two_bidders(clock, people, n, outcome):
    lot = _equity_multi(clock, people, n)
    rule = lot.legal["equity.min_bidders"]
    assert rule["value"] == 2
    assert "第十九条" in rule["source"]
    assert lot.rules["min_bidders"] == 2  # snapshotted from the catalogue with the rule set
    actions.do_place_bid(actor=people[0].actor, lot_id=lot.pk, amount_fen=30_000_000)
    for _ in range(3):  # the free period, then the timed period's countdown
        lot.refresh_from_db()
        if lot.next_check is None:
            break
        clock.set(lot.next_check)
        jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert (lot.phase, lot.outcome) == ("closed", outcome)
    assert lot.winner_entity_id == (people[0].entity_id if outcome == "sold" else None)


def test_judicial_lots_keep_their_own_rule(clock, people):
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(deposit_fen=0))
    assert "equity.min_bidders" not in lot.legal
    assert lot.rules["min_bidders"] == 0


def test_a_lone_sealed_bid_is_not_opened_and_the_lot_is_unsold(sealed_world, clock):
    w, staff_actor = sealed_world, sealed_world.staff_actor
    lot = actions.do_create_lot(actor=staff_actor, spec=ss.sealed_spec(w.ceremony.key.pk))
    box = ss.box_of(lot)
    assert box.min_bidders == 2
    assert "第十九条" in box.min_bidders_source
    ss.register_all(lot, w)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    ss.submit(lot, w.a, 60_000_000)
    clock.set(lot.end_at)
    jobs.run_due_lots(clock.now())
    if ss.box_of(lot).status == "accepting":
        actions.do_open_sealed_prices(actor=staff_actor, lot_id=lot.pk)
    assert ss.box_of(lot).status == "closed"  # fewer envelopes than the minimum: nothing decrypted
    assert ss.box_of(lot).outcome == "insufficient_bids"
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert (lot.phase, lot.outcome, lot.winner_code) == ("closed", "unsold", "")
