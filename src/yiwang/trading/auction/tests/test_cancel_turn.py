"""Reverse auction (ProZorro): the bidder whose turn it is withdraws the bid it made in this turn, while the turn
lasts — through the action, the API (Idempotency-Key) and the lot page's button. Each refusal has its code and
leaves nothing behind: not your turn, turn over, nothing to cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.errors import YiwangError
from yiwang.trading.auction import actions, jobs, queries
from yiwang.trading.auction.models import Bid
from yiwang.trading.auction.tests.support import footprint, staff

pytestmark = pytest.mark.django_db


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


@pytest.fixture
def reverse_lot(clock, people):
    """Three bidders with sealed opening bids 900/950/980 thousand fen; the first turn (the worst price: c) has
    begun. Turns of 30 s, pauses of 30 s."""
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
    for p, fen in ((a, 900_000), (b, 950_000), (c, 980_000)):
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id, initial_fen=fen)
    clock.set(start + timedelta(seconds=60))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.phase == "turn"
    return lot


def _cancel(p, lot, **kw):
    return actions.do_cancel_turn_bid(actor=p.actor, lot_id=lot.pk, **kw)


def test_the_bidder_in_turn_withdraws_its_bid_and_may_bid_again(clock, people, reverse_lot):
    a, _b, c = people
    lot = reverse_lot
    before = footprint()
    assert _code(lambda: _cancel(c, lot)) == "auction.nothing_to_cancel"  # no bid in this turn yet
    assert _code(lambda: _cancel(a, lot)) == "auction.not_your_turn"
    assert footprint() == before
    actions.do_place_bid(actor=c.actor, lot_id=lot.pk, amount_fen=880_000)
    lot.refresh_from_db()
    assert lot.price_fen == 880_000
    clock.advance(timedelta(seconds=5))
    receipt = _cancel(c, lot, idempotency_key="k-cancel")
    assert receipt.amount_fen == 980_000  # the bid standing at the start of the turn stands again
    assert receipt.accepted_at == clock.now()
    lot.refresh_from_db()
    assert lot.price_fen == 900_000
    state = queries.engine_state(lot)
    assert state.amounts[receipt.code][0] == 980_000
    row = Bid.objects.get(lot=lot, seq=receipt.seq)
    assert (row.how, row.amount_fen, row.code) == ("cancel", 980_000, receipt.code)
    # a retry with the same key gets the first acceptance; without a key there is nothing left to cancel
    again = _cancel(c, lot, idempotency_key="k-cancel")
    assert again.duplicate
    assert again.seq == receipt.seq
    after = footprint()
    assert _code(lambda: _cancel(c, lot)) == "auction.nothing_to_cancel"
    assert footprint() == after
    # the turn still lasts: c bids again
    actions.do_place_bid(actor=c.actor, lot_id=lot.pk, amount_fen=870_000)
    # c's turn ends: b's turn; c may no longer withdraw, a's turn has not come
    clock.advance(timedelta(seconds=30))
    jobs.run_due_lots(clock.now())
    before = footprint()
    assert _code(lambda: _cancel(c, lot)) == "auction.turn_over"
    assert _code(lambda: _cancel(a, lot)) == "auction.not_your_turn"
    assert footprint() == before
    for _ in range(40):  # nobody else bids: the clock runs the rounds to the end
        clock.advance(timedelta(seconds=30))
        jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert (lot.outcome, lot.winner_entity_id, lot.deal_price_fen) == ("sold", c.entity_id, 870_000)
    assert _code(lambda: _cancel(c, lot)) == "auction.closed"
    assert queries.check_lot_for(staff(), lot.pk).ok  # the log (cancel included) replays to the read model


def test_cancel_is_refused_on_other_lots_and_to_strangers(clock, people, reverse_lot):
    from yiwang.trading.auction.tests.support import judicial_spec, make_bidder

    stranger = make_bidder(3)
    assert _code(lambda: _cancel(stranger, reverse_lot)) == "auction.not_registered"
    judicial = actions.do_create_lot(actor=staff(), spec=judicial_spec(deposit_fen=0))
    actions.do_register_bidder(actor=people[0].actor, lot_id=judicial.pk, entity_id=people[0].entity_id)
    assert _code(lambda: _cancel(people[0], judicial)) == "auction.not_started"


def test_cancel_over_http(api, test_actors, clock, people, reverse_lot):
    for i, p in enumerate(people):
        test_actors[f"p{i}"] = p.actor
    url = f"/auction/lots/{reverse_lot.pk}/turn-bid/cancel"
    r = api.with_token("p2").post(url, {})
    assert r.status_code == 409
    assert r.json()["code"] == "auction.nothing_to_cancel"
    r = api.with_token("p0").post(url, {})
    assert (r.status_code, r.json()["code"]) == (409, "auction.not_your_turn")
    bid = api.with_token("p2").post(f"/auction/lots/{reverse_lot.pk}/bids", {"amount_fen": 880_000})
    assert bid.status_code == 201, bid.json()
    r = api.with_token("p2").post(url, {}, headers={"Idempotency-Key": "cancel-1"})
    assert r.status_code == 200, r.json()
    assert r.json()["amount_fen"] == 980_000
    again = api.with_token("p2").post(url, {}, headers={"Idempotency-Key": "cancel-1"})
    assert again.status_code == 200
    assert again.json()["seq"] == r.json()["seq"]
    assert api.get(f"/auction/lots/{reverse_lot.pk}/bids").json()[0]["how"] == "cancel"
    spec = api.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/auction/lots/{lot_id}/turn-bid/cancel"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(op["responses"])


def test_the_lot_page_offers_the_button_to_the_bidder_in_turn_after_its_bid(
    client, test_actors, clock, people, reverse_lot
):
    for i, p in enumerate(people):
        test_actors[f"p{i}"] = p.actor
    url = f"/auction/{reverse_lot.pk}/"
    as_c, as_a = {"X-Test-Actor": "p2"}, {"X-Test-Actor": "p0"}
    assert 'data-testid="cancel-turn-bid"' not in client.get(url, headers=as_c).content.decode()
    actions.do_place_bid(actor=people[2].actor, lot_id=reverse_lot.pk, amount_fen=880_000)
    page = client.get(url, headers=as_c).content.decode()
    assert 'data-testid="cancel-turn-bid"' in page
    assert "撤销本轮次的报价" in page
    assert 'data-testid="cancel-turn-bid"' not in client.get(url, headers=as_a).content.decode()
    r = client.post(url, {"action": "cancel_turn"}, headers=as_c)
    assert r.status_code == 302
    page = client.get(url, headers=as_c).content.decode()
    assert "已撤销本轮次的报价" in page
    assert 'data-testid="cancel-turn-bid"' not in page
    client.post(url, {"action": "cancel_turn"}, headers=as_c)
    assert "auction.nothing_to_cancel" in client.get(url, headers=as_c).content.decode()
