"""Auction lots as OCDS: the listing, the close (the buyer as the 成交公告 names it), the confirmed deal; never a
竞买号, a bid history or the reserve."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from yiwang.exchange.ocds import actions, queries
from yiwang.kernel.actors import Actor
from yiwang.platform.commands import engine as commands
from yiwang.trading.auction import actions as auction
from yiwang.trading.auction import jobs
from yiwang.trading.auction.tests.support import judicial_spec, make_bidder, pay_deposit, staff

pytestmark = pytest.mark.django_db
PUBLISHER = Actor.system("ocds-test")


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    commands.clear_cache()
    yield
    commands.clear_cache()


def test_a_judicial_auction_from_listing_to_confirmed_deal(clock, ocds_schema):
    people = [make_bidder(i) for i in range(2)]
    lot = auction.do_create_lot(actor=staff(), spec=judicial_spec())
    for p in people:
        pay_deposit(lot, p)
        auction.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    assert len(actions.do_publish_releases(actor=PUBLISHER).added) == 1
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    start = lot.start_price_fen
    auction.do_place_bid(actor=people[0].actor, lot_id=lot.pk, amount_fen=start)
    clock.advance(timedelta(hours=1))
    auction.do_place_bid(actor=people[1].actor, lot_id=lot.pk, amount_fen=start + lot.step_fen)
    lot.refresh_from_db()
    clock.set(lot.end_at + timedelta(seconds=1))
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.outcome == "sold"
    auction.do_confirm_deal(actor=staff(), lot_id=lot.pk)
    assert len(actions.do_publish_releases(actor=PUBLISHER).added) == 2
    ocid = f"ocds-yw0001-{lot.ref}"
    releases = queries.releases_of(ocid)
    assert [r["tag"] for r in releases] == [["tender"], ["award"], ["awardUpdate", "contract"]]
    for release in releases:
        assert ocds_schema.release_errors(release) == [], release["id"]
    compiled = queries.compiled_release(ocid)
    assert ocds_schema.release_errors(compiled) == []
    (award,) = compiled["awards"]
    assert award["status"] == "active"
    assert award["suppliers"][0]["name"] == people[1].name
    assert award["value"] == {"amount": (start + lot.step_fen) // 100, "currency": "CNY"}
    assert compiled["contracts"][0]["awardID"] == award["id"]
    assert compiled["tender"]["numberOfTenderers"] == 2
    text = json.dumps(queries.record_package(ocid), ensure_ascii=False)
    assert lot.winner_code not in text
    assert lot.leader_code not in text
    assert people[0].name not in text  # the loser is never named
