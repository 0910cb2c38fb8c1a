"""一次报价 and 权重报价 through the bid box: one sealed bid per bidder, unreadable before the close, opened and
decided at the close; scores recorded before the price opening; bad input leaves nothing behind."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.kernel.errors import YiwangError
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.trading.auction import actions, jobs, queries
from yiwang.trading.auction.tests import sealed_support as ss
from yiwang.trading.auction.tests.support import footprint


def _code(fn, **kw) -> str:
    with pytest.raises(YiwangError) as info:
        fn(**kw)
    return info.value.code


def _to(clock, moment) -> None:
    clock.set(moment)
    jobs.run_due_lots(moment)


def _live(channel: str) -> list[dict]:
    rows = apps.get_model("live", "LiveEvent").objects.filter(channel=channel).order_by("event_id")
    return [json.loads(r.data) for r in rows]


def _everything_readable() -> str:
    """Every value the platform stores about auctions and commands (the command log, the witness log, the feed,
    live events, the read model), as one text."""
    out = []
    for app, model in (
        ("commands", "Command"),
        ("audit", "WitnessEntry"),
        ("outbox", "OutboxEvent"),
        ("live", "LiveEvent"),
        ("auction", "Lot"),
        ("auction", "Bid"),
    ):
        for row in apps.get_model(app, model).objects.all().values():
            out.append(repr(row))
    return "\n".join(out)


@pytest.fixture
def sealed_lot(sealed_world):
    staff = sealed_world.staff_actor
    lot = actions.do_create_lot(actor=staff, spec=ss.sealed_spec(sealed_world.ceremony.key.pk))
    return lot


def test_sealed_single_bid_from_registration_to_the_result(sealed_world, sealed_lot, clock):
    w, lot, staff = sealed_world, sealed_lot, sealed_world.staff_actor
    assert lot.ref.startswith("ES-")
    assert lot.kind == "equity_sealed"
    box = ss.box_of(lot)
    assert box.deadline == lot.end_at
    assert box.status == "accepting"
    assert box.fallback_policy == "all_pending"
    codes = ss.register_all(lot, w)
    _to(clock, lot.start_at)
    lot.refresh_from_db()
    assert lot.phase == "sealing"

    first = ss.submit(lot, w.a, 60_000_000)
    second = ss.submit(lot, w.b, 65_000_000)
    clock.advance(timedelta(minutes=1))
    third = ss.submit(lot, w.c, 65_000_000)  # the same price as b, later: b wins the tie
    assert first.code == codes["a"]
    assert first.receipt_id.startswith("YWR-")

    # nobody reads an amount before the close: not in the log, the witness, the feed, live events, the read model
    text = _everything_readable()
    for amount in ("60000000", "65000000", "600000.00", "650000.00"):
        assert amount not in text
    with pytest.raises(YiwangError) as info:
        bidbox_queries.list_decrypted_bids(queries.box_owner(lot))
    assert info.value.code == "bidbox.record_not_published"
    state = queries.engine_state(lot)
    assert state.sealed[codes["a"]][1] == first.envelope_sm3
    assert not state.revealed
    # the bidder hears of its own seal on its private channel, with the receipt id only
    mine = _live(queries.bidder_channel(lot.pk, codes["a"]))
    assert [e["status"] for e in mine] == ["registered", "sealed"]
    assert mine[-1]["receipt_id"] == first.receipt_id

    # one sealed bid per bidder: a second one is refused and leaves nothing
    before = footprint()
    assert _code(ss.submit, lot=lot, bidder=w.a, price_fen=70_000_000) == "auction.already_sealed"
    assert footprint() == before

    # the deadline: a bid at the end is refused (the server's clock), then the lot waits for the opening
    _to(clock, lot.end_at)
    lot.refresh_from_db()
    assert lot.phase == "opening"
    before = footprint()
    assert _code(ss.submit, lot=lot, bidder=w.a, price_fen=1) in ("bidbox.deadline_passed", "auction.already_sealed")
    assert footprint() == before

    # the bid box opened by itself at the deadline (一次报价); the bidders decrypt their own bids
    bidbox.do_start_opening(actor=staff, box_id=box.id) if ss.box_of(lot).status == "accepting" else None
    assert ss.box_of(lot).status == "opening"
    for bidder, receipt in ((w.a, first), (w.b, second), (w.c, third)):
        ss.decrypt(bidder, receipt)
    # nothing pending: the clock closes the box and decides the lot
    _to(clock, clock.now() + timedelta(seconds=5))
    from yiwang.services.bidbox import jobs as bidbox_jobs

    bidbox_jobs.close_due_openings(clock.now())
    if ss.box_of(lot).status == "opening":
        bidbox.do_close_opening(actor=staff, box_id=box.id)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.phase == "closed"
    assert lot.outcome == "sold"
    assert lot.winner_code == codes["b"]
    assert lot.deal_price_fen == 65_000_000
    assert lot.winner_entity_id == w.b.entity_id
    assert lot.result_notice_id is not None
    public = queries.public_state(lot, queries.engine_state(lot))
    assert [(o["code"], o["amount"]) for o in public["opened"]] == [
        (codes["b"], 65_000_000),
        (codes["c"], 65_000_000),
        (codes["a"], 60_000_000),
    ]
    assert [e["status"] for e in _live(queries.bidder_channel(lot.pk, codes["b"]))][-1] == "won"
    assert [e["status"] for e in _live(queries.bidder_channel(lot.pk, codes["a"]))][-1] == "lost"
    assert queries.check_lot_for(staff, lot.pk).ok


def test_below_the_reserve_nobody_wins_and_an_undecrypted_bid_does_not_count(sealed_world, clock):
    w, staff = sealed_world, sealed_world.staff_actor
    spec = ss.sealed_spec(w.ceremony.key.pk, reserve_fen=70_000_000)
    lot = actions.do_create_lot(actor=staff, spec=spec)
    ss.register_all(lot, w)
    _to(clock, lot.start_at)
    ra = ss.submit(lot, w.a, 69_900_000)
    ss.submit(lot, w.b, 99_000_000)  # b never decrypts
    _to(clock, lot.end_at)
    box = ss.box_of(lot)
    if box.status == "accepting":
        actions.do_open_sealed_prices(actor=staff, lot_id=lot.pk)
    ss.decrypt(w.a, ra)
    # deciding while b may still decrypt: the bid box refuses to close early
    assert _code(actions.do_decide_sealed_lot, actor=staff, lot_id=lot.pk) == "bidbox.decryption_window_open"
    clock.set(ss.box_of(lot).decryption_ends_at)
    lot = actions.do_decide_sealed_lot(actor=staff, lot_id=lot.pk)
    assert lot.phase == "closed"
    assert lot.outcome == "unsold"
    assert lot.winner_code == ""
    record = bidbox_queries.get_opening_record(box.id)
    assert sorted(e["opening_status"] for e in record["entries"]) == ["decrypted", "revoked"]


def test_custodians_open_every_pending_bid_when_bidders_cannot(sealed_world, clock):
    w, staff = sealed_world, sealed_world.staff_actor
    lot = actions.do_create_lot(actor=staff, spec=ss.sealed_spec(w.ceremony.key.pk))
    codes = ss.register_all(lot, w)
    _to(clock, lot.start_at)
    ss.submit(lot, w.a, 51_000_000)
    ss.submit(lot, w.b, 50_000_000)
    _to(clock, lot.end_at)
    box = actions.do_open_sealed_prices(actor=staff, lot_id=lot.pk)
    assert box.status == "opening"
    for i in range(3):
        bidbox.do_submit_share(actor=w.custodian(i), box_id=box.id, share_text=w.ceremony.shares[i].text)
    lot = actions.do_decide_sealed_lot(actor=staff, lot_id=lot.pk)
    assert lot.winner_code == codes["a"]
    assert lot.deal_price_fen == 51_000_000


def test_sealed_lots_refuse_bad_input_and_leave_nothing(sealed_world, clock):
    w, staff = sealed_world, sealed_world.staff_actor
    assert _code(actions.do_create_lot, actor=staff, spec=ss.sealed_spec(None)) == "auction.opening_key_required"
    assert (
        _code(actions.do_create_lot, actor=staff, spec=ss.sealed_spec(w.ceremony.key.pk, price_weight_bp=5000))
        == "auction.price_weight_invalid"
    )
    lot = actions.do_create_lot(actor=staff, spec=ss.sealed_spec(w.ceremony.key.pk))
    actions.do_register_bidder(actor=w.a.actor, lot_id=lot.pk, entity_id=w.a.entity_id)
    before = footprint()
    # before the start; an unregistered bidder; a plain bid on a sealed lot
    assert _code(ss.submit, lot=lot, bidder=w.a, price_fen=60_000_000) == "auction.not_started"
    _to(clock, lot.start_at)
    before = footprint()
    assert _code(ss.submit, lot=lot, bidder=w.b, price_fen=60_000_000) == "auction.not_registered"
    assert _code(actions.do_place_bid, actor=w.a.actor, lot_id=lot.pk, amount_fen=60_000_000) == "auction.wrong_phase"
    # an envelope sealed to another box's key, or tampered with: the bid box's codes
    data = bytearray(ss.seal_price(lot, w.a, 60_000_000))
    data[-40] ^= 1
    import io

    assert _code(
        actions.do_submit_sealed_bid, actor=w.a.actor, lot_id=lot.pk, stream=io.BytesIO(bytes(data))
    ).startswith("crypto.")
    assert footprint() == before
    # deciding or opening before the deadline
    assert _code(actions.do_open_sealed_prices, actor=staff, lot_id=lot.pk) == "auction.wrong_phase"
    assert _code(actions.do_decide_sealed_lot, actor=staff, lot_id=lot.pk) == "auction.wrong_phase"
    assert _code(actions.do_open_sealed_prices, actor=w.a.actor, lot_id=lot.pk) == "auction.staff_only"
    assert footprint() == before


def test_weighted_scores_before_the_price_opening_decide_the_winner(sealed_world, clock):
    w, staff = sealed_world, sealed_world.staff_actor
    spec = ss.sealed_spec(w.ceremony.key.pk, preset="equity_weighted", price_weight_bp=6_000)
    lot = actions.do_create_lot(actor=staff, spec=spec)
    assert lot.ref.startswith("EW-")
    assert lot.rules["price_weight_bp"] == 6_000
    assert ss.box_of(lot).status == "accepting"
    codes = ss.register_all(lot, w)
    _to(clock, lot.start_at)
    ra = ss.submit(lot, w.a, 50_000_000)
    rb = ss.submit(lot, w.b, 60_000_000)
    _to(clock, lot.end_at)
    lot.refresh_from_db()
    assert lot.phase == "opening"
    assert ss.box_of(lot).status == "accepting"

    before = footprint()
    assert _code(actions.do_open_sealed_prices, actor=staff, lot_id=lot.pk) == "auction.scores_missing"
    assert (
        _code(actions.do_record_scores, actor=w.a.actor, lot_id=lot.pk, scores={codes["a"]: 4_000})
        == "auction.staff_only"
    )
    assert (
        _code(actions.do_record_scores, actor=staff, lot_id=lot.pk, scores={codes["a"]: 4_001}) == "auction.bad_score"
    )
    assert _code(actions.do_record_scores, actor=staff, lot_id=lot.pk, scores={"Z9999": 1}) == "auction.not_registered"
    assert footprint() == before

    # a: 6000 × 50/60 + 4000 = 9000 points; b: 6000 + 1000 = 7000 points
    actions.do_record_scores(actor=staff, lot_id=lot.pk, scores={codes["a"]: 4_000, codes["b"]: 1_000})
    entry = apps.get_model("audit", "WitnessEntry").objects.filter(action="auction.record_scores").get()
    assert json.loads(entry.payload_text)["scores"] == {codes["a"]: 4_000, codes["b"]: 1_000}
    box = actions.do_open_sealed_prices(actor=staff, lot_id=lot.pk)
    assert box.status == "opening"
    # once the prices are being opened, scores are final
    before = footprint()
    assert (
        _code(actions.do_record_scores, actor=staff, lot_id=lot.pk, scores={codes["b"]: 4_000})
        == "auction.prices_opened"
    )
    assert footprint() == before
    ss.decrypt(w.a, ra)
    ss.decrypt(w.b, rb)
    lot = actions.do_decide_sealed_lot(actor=staff, lot_id=lot.pk)
    assert lot.outcome == "sold"
    assert lot.winner_code == codes["a"]
    assert lot.deal_price_fen == 50_000_000
    public = queries.public_state(lot, queries.engine_state(lot))
    assert {o["code"]: o["score"] for o in public["opened"]} == {codes["a"]: 4_000, codes["b"]: 1_000}
    assert queries.check_lot_for(staff, lot.pk).ok
