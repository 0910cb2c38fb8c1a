"""The close's follow-ups survive a crash: the 成交公告 and the losers' refunds follow the close in their own
actions; when the process dies between the close and them, the clock's job ``auction.close_follow_ups``
completes what is missing, once — and does nothing when the close, an earlier run or staff already did it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.kernel.errors import Conflict, YiwangError
from yiwang.platform.clock import due_jobs
from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.models import Lot
from yiwang.trading.auction.tests.support import judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db


def _witnessed(action: str) -> int:
    return apps.get_model("audit", "WitnessEntry").objects.filter(action=action).count()


def _footprint() -> tuple[int, ...]:
    return (
        apps.get_model("audit", "WitnessEntry").objects.count(),
        apps.get_model("outbox", "OutboxEvent").objects.count(),
        apps.get_model("notices", "Notice").objects.count(),
        apps.get_model("finance", "Refund").objects.count(),
    )


def _crash_after_close(monkeypatch) -> None:
    """The process dies right after the close committed: the follow-ups never run."""
    monkeypatch.setattr(actions, "_close_follow_up", lambda lot: None)


def _closed_lot(clock, people, *, bids: bool = True) -> Lot:
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    for p in people[:2]:
        pay_deposit(lot, p)
        actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    if bids:
        actions.do_place_bid(actor=people[0].actor, lot_id=lot.pk, amount_fen=lot.start_price_fen)
    clock.set(lot.start_at + timedelta(hours=24))
    assert jobs.run_due_lots(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.phase == "closed"
    return lot


def test_the_job_is_registered_with_the_clock():
    assert "auction.close_follow_ups" in {job.name for job in due_jobs()}


def test_a_crash_after_the_close_is_completed_by_the_clock_once(clock, people, monkeypatch):
    _crash_after_close(monkeypatch)
    lot = _closed_lot(clock, people)
    assert lot.outcome == "sold"
    assert lot.result_notice_id is None
    assert lot.deposits_released_at is None
    assert lot.follow_up_due == clock.now() + actions.FOLLOW_UP_GRACE
    before = _footprint()
    notices_witnessed = _witnessed("auction.publish_result_notice")
    releases_witnessed = _witnessed("auction.release_deposits")
    finance_witnessed = _witnessed("finance.release_deposits")
    # the close's own process may still be finishing them: the clock waits a moment
    assert jobs.run_close_follow_ups(clock.now()) == 0
    assert _footprint() == before
    clock.advance(actions.FOLLOW_UP_GRACE)
    assert jobs.run_close_follow_ups(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.result_notice_id is not None
    assert lot.deposits_released_at == clock.now()
    assert lot.follow_up_due is None
    assert lot.problems == []
    after = _footprint()
    assert after[2] == before[2] + 1  # one 成交公告
    assert after[3] == before[3] + 1  # one refund: the loser's (the winner's deposit waits for the confirmation)
    assert after[1] > before[1]  # the notice's feed event
    assert _witnessed("auction.publish_result_notice") == notices_witnessed + 1
    assert _witnessed("auction.release_deposits") == releases_witnessed + 1
    assert _witnessed("finance.release_deposits") > finance_witnessed  # finance's entries (the release, the refund)
    from yiwang.services.finance import queries as finance_queries

    deposits = {d.entity_id: d for d in finance_queries.get_lot_deposits_for(staff(), lot.finance_ref).rows}
    assert deposits[people[1].entity_id].status != deposits[people[0].entity_id].status
    # running it again changes nothing: no witness entry, no feed event, no notice, no refund
    clock.advance(timedelta(minutes=10))
    assert jobs.run_close_follow_ups(clock.now()) == 0
    assert actions.do_complete_close(lot_id=lot.pk) is False
    assert _footprint() == after


def test_staff_publish_by_hand_and_the_clock_then_only_refunds(clock, people, monkeypatch):
    _crash_after_close(monkeypatch)
    lot = _closed_lot(clock, people)
    notice_id = actions.do_publish_result_notice(actor=staff(), lot_id=lot.pk)
    lot.refresh_from_db()
    assert lot.result_notice_id == notice_id
    assert lot.follow_up_due is not None  # the refunds are still missing
    with pytest.raises(YiwangError) as info:
        actions.do_publish_result_notice(actor=staff(), lot_id=lot.pk)
    assert info.value.code == "auction.notice_exists"
    before = _footprint()
    clock.advance(actions.FOLLOW_UP_GRACE)
    assert jobs.run_close_follow_ups(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.result_notice_id == notice_id
    assert lot.follow_up_due is None
    after = _footprint()
    assert after[2] == before[2]  # no second notice
    assert after[3] == before[3] + 1
    assert jobs.run_close_follow_ups(clock.now()) == 0
    assert _footprint() == after


def test_the_close_does_its_follow_ups_itself_and_the_clock_finds_nothing(clock, people):
    lot = _closed_lot(clock, people)
    assert lot.result_notice_id is not None
    assert lot.deposits_released_at is not None
    assert lot.follow_up_due is None
    before = _footprint()
    clock.advance(timedelta(minutes=1))
    assert jobs.run_close_follow_ups(clock.now()) == 0
    assert _footprint() == before


def test_an_unsold_lot_gets_every_deposit_back_after_a_crash(clock, people, monkeypatch):
    _crash_after_close(monkeypatch)
    lot = _closed_lot(clock, people, bids=False)
    assert lot.outcome == "unsold"
    refunds = apps.get_model("finance", "Refund").objects.count()
    clock.advance(actions.FOLLOW_UP_GRACE)
    assert jobs.run_close_follow_ups(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.result_notice_id is None
    assert lot.follow_up_due is None
    assert apps.get_model("finance", "Refund").objects.count() == refunds + 2


def test_a_failed_follow_up_is_kept_for_staff_and_retried_later(clock, people, monkeypatch):
    from yiwang.services.notices import actions as notices

    real = notices.do_publish_notice

    def broken(**kwargs):
        raise Conflict("notices.unavailable", "公告服务不可用", "The notice service is unavailable")

    monkeypatch.setattr(notices, "do_publish_notice", broken)
    lot = _closed_lot(clock, people)
    assert lot.result_notice_id is None
    assert [p["what"] for p in lot.problems] == ["result_notice"]
    assert lot.deposits_released_at is not None  # the refunds do not wait for the notice
    assert lot.follow_up_due == clock.now() + actions.FOLLOW_UP_RETRY
    clock.advance(actions.FOLLOW_UP_RETRY - timedelta(seconds=1))
    assert jobs.run_close_follow_ups(clock.now()) == 0
    monkeypatch.setattr(notices, "do_publish_notice", real)
    clock.advance(timedelta(seconds=1))
    assert jobs.run_close_follow_ups(clock.now()) == 1
    lot.refresh_from_db()
    assert lot.result_notice_id is not None
    assert lot.follow_up_due is None
    assert _witnessed("auction.release_deposits") == 1
