"""Who paid a lot's deposit stays secret until the real close: a soft-close extension moves finance's opening
instant (first set to the scheduled end) past the new end, once per extension period rather than per bid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.services.finance import queries as finance_queries
from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.tests.support import judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db

FIVE = timedelta(minutes=5)


def _requirement_updates() -> int:
    return apps.get_model("audit", "WitnessEntry").objects.filter(action="finance.set_deposit_requirement").count()


def test_extensions_keep_who_paid_secret_until_the_real_close(clock, people):
    a, b = people[0], people[1]
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    for p in (a, b):
        pay_deposit(lot, p)
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    scheduled = lot.end_at
    assert finance_queries.get_lot(lot.finance_ref).opening_at == scheduled
    # a bid long before the end: no extension, finance is not touched
    updates = _requirement_updates()
    actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=lot.start_price_fen)
    assert _requirement_updates() == updates
    # a bid in the last minute moves the end to bid time + 5 min, and finance's opening one extension beyond it
    clock.set(scheduled - timedelta(minutes=1))
    first = actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=lot.start_price_fen + lot.step_fen)
    assert first.end_at == clock.now() + FIVE
    assert finance_queries.get_lot(lot.finance_ref).opening_at == first.end_at + FIVE
    assert _requirement_updates() == updates + 1
    # past the scheduled end the lot still runs: staff see counts, not who paid
    clock.set(scheduled + timedelta(minutes=1))
    view = finance_queries.get_lot_deposits_for(staff(), lot.finance_ref)
    assert view.opened is False
    assert view.rows is None
    # the next extension stays within the moved opening: no second update
    second = actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=lot.start_price_fen + 2 * lot.step_fen)
    assert second.end_at == clock.now() + FIVE
    assert second.end_at <= first.end_at + FIVE
    assert _requirement_updates() == updates + 1
    # a bid past the moved opening's reach moves it again
    clock.set(second.end_at - timedelta(seconds=10))
    third = actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=lot.start_price_fen + 3 * lot.step_fen)
    assert third.end_at > first.end_at + FIVE
    assert finance_queries.get_lot(lot.finance_ref).opening_at == third.end_at + FIVE
    assert _requirement_updates() == updates + 2
    # the lot closes at its real end; finance never showed who paid before it
    clock.set(third.end_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    assert lot.phase == "closed"
    assert lot.closed_at == third.end_at
    assert lot.problems == []  # the close's follow-ups released the loser's deposit before finance's opening
    assert lot.deposits_released_at is not None
    assert finance_queries.get_lot_deposits_for(staff(), lot.finance_ref).opened is False
    clock.set(third.end_at + FIVE)
    assert finance_queries.get_lot_deposits_for(staff(), lot.finance_ref).opened is True
