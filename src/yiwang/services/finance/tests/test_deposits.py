"""Deposit requirements (legal caps from the rules catalogue), virtual sub-accounts, secrecy before the
opening, payer checks and suspense."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RuleViolation
from yiwang.services.finance import actions, queries
from yiwang.services.finance.models import Alert, BankNotice, Deposit, DepositStatus, Lot, NoticeStatus
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db

WAN = 1_000_000  # 1 万元 in fen


# -- requirement and caps ---------------------------------------------------------------------------------------------


def test_works_rate_cap_two_percent_of_estimate(clock):
    # estimate 1000 万: 2 % = 20 万 is the cap
    lot = support.make_lot("tender.section:w1", amount_fen=20 * WAN, base_fen=1000 * WAN)
    assert lot.required_fen == 20 * WAN
    assert lot.rules["caps"]["rate_cap"]["rule_id"] == "tender.deposit_rate_cap"
    with pytest.raises(RuleViolation) as err:
        support.make_lot("tender.section:w2", amount_fen=20 * WAN + 1, base_fen=1000 * WAN)
    assert err.value.code == "finance.deposit_over_cap"
    assert err.value.details["rule_id"] == "tender.deposit_rate_cap"


def test_works_absolute_cap_eighty_wan(clock):
    # estimate 10 亿: 2 % = 2000 万, but works and goods are capped at 80 万
    lot = support.make_lot("tender.section:w3", rate="2", amount_fen=None, base_fen=100_000 * WAN) if False else None
    assert lot is None
    with pytest.raises(RuleViolation) as err:
        support.make_lot("tender.section:w3", rate="2", amount_fen=None, base_fen=100_000 * WAN)
    assert err.value.details["rule_id"] == "tender.deposit_cap_works_goods"
    assert err.value.details["limit_fen"] == 80 * WAN
    ok = support.make_lot("tender.section:w4", amount_fen=80 * WAN, base_fen=100_000 * WAN)
    assert ok.required_fen == 80 * WAN


def test_survey_design_cap_ten_wan(clock):
    with pytest.raises(RuleViolation) as err:
        support.make_lot("tender.section:s1", regime="survey_design", amount_fen=10 * WAN + 100, base_fen=10_000 * WAN)
    assert err.value.details["rule_id"] == "tender.deposit_cap_survey_design"
    assert (
        support.make_lot(
            "tender.section:s2", regime="survey_design", amount_fen=10 * WAN, base_fen=10_000 * WAN
        ).required_fen
        == 10 * WAN
    )


def test_rate_requirement_rounds_down_to_the_fen(clock):
    lot = support.make_lot("gp.package:1", regime="gp", rate="1.5", amount_fen=None, base_fen=333_333)
    assert lot.required_fen == 4999  # 1.5 % of 3,333.33 yuan = 49.99995 → 49.99


def test_judicial_band_five_to_twenty_percent(clock):
    base = 100 * WAN
    assert (
        support.make_lot("auction.lot:j1", regime="judicial", rate="5", amount_fen=None, base_fen=base).required_fen
        == 5 * WAN
    )
    assert (
        support.make_lot("auction.lot:j2", regime="judicial", rate="20", amount_fen=None, base_fen=base).required_fen
        == 20 * WAN
    )
    with pytest.raises(RuleViolation) as low:
        support.make_lot("auction.lot:j3", regime="judicial", rate="4.99", amount_fen=None, base_fen=base)
    assert low.value.code == "finance.deposit_under_min"
    assert low.value.details["rule_id"] == "judicial.deposit_rate_min"
    with pytest.raises(RuleViolation) as high:
        support.make_lot("auction.lot:j4", regime="judicial", amount_fen=20 * WAN + 1, base_fen=base)
    assert high.value.details["rule_id"] == "judicial.deposit_rate_max"


def test_land_has_no_cap_but_needs_a_positive_amount(clock):
    assert (
        support.make_lot("land.parcel:1", regime="land", amount_fen=5000 * WAN, base_fen=None).required_fen
        == 5000 * WAN
    )
    with pytest.raises(InvalidInput) as err:
        support.make_lot("land.parcel:2", regime="land", amount_fen=0, base_fen=None)
    assert err.value.code == "finance.requirement_invalid"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"regime": "works", "amount_fen": 100, "base_fen": None}, "finance.base_required"),
        ({"regime": "works", "amount_fen": 100, "rate": "1"}, "finance.requirement_invalid"),
        ({"regime": "nonsense"}, "finance.regime_unknown"),
        ({"regime": "gp", "amount_fen": None, "rate": "abc"}, "finance.rate_invalid"),
        ({"regime": "gp", "amount_fen": None, "rate": "0"}, "finance.rate_invalid"),
        ({"regime": "works", "opening_in": timedelta(hours=-1)}, "finance.opening_passed"),
    ],
)
def test_bad_requirements_leave_nothing(clock, kwargs, code):
    witnesses = len(support.witness("finance.set_deposit_requirement"))
    with pytest.raises(InvalidInput) as err:
        support.make_lot("tender.section:bad", **kwargs)
    assert err.value.code == code
    assert not Lot.objects.exists()
    assert len(support.witness("finance.set_deposit_requirement")) == witnesses


def test_bad_lot_ref_refused(clock):
    with pytest.raises(InvalidInput) as err:
        support.make_lot("no colon here")
    assert err.value.code == "finance.lot_ref_invalid"
    assert support.make_lot(("tender.section", "77")).ref == "tender.section:77"


def test_anonymous_cannot_set_requirements(clock):
    with pytest.raises(NotAuthenticated):
        support.make_lot(actor=Actor.anonymous())


def test_amend_before_opening_recomputes_satisfaction_and_locks_after(clock, bidders, lot):
    bidder = bidders[0]
    deposit = actions.do_open_deposit_account(actor=bidder.actor, lot_ref=lot.ref, entity_id=bidder.entity_id)
    support.pay(deposit, lot.required_fen, bidder.basic_account)
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.SATISFIED
    support.make_lot(lot.ref, amount_fen=lot.required_fen + 100)  # raised: no longer enough
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.OPEN
    assert not queries.has_satisfied_deposit(bidder.actor, lot.ref, bidder.entity_id)
    clock.advance(timedelta(days=21))
    with pytest.raises(Conflict) as err:
        support.make_lot(lot.ref, amount_fen=100)
    assert err.value.code == "finance.requirement_locked"


# -- virtual sub-accounts ---------------------------------------------------------------------------------------------


def test_open_account_idempotent_and_only_for_own_entity(clock, bidders, lot):
    a, b = bidders
    first = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    again = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    assert first.pk == again.pk
    assert len(support.witness("finance.open_deposit_account")) == 1
    with pytest.raises(PermissionDenied):
        actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=b.entity_id)
    with pytest.raises(NotFound) as missing:
        actions.do_open_deposit_account(actor=support.SYSTEM, lot_ref=lot.ref, entity_id=999_999)
    assert missing.value.code == "finance.entity_not_found"
    clock.advance(timedelta(days=21))
    with pytest.raises(Conflict) as closed:
        actions.do_open_deposit_account(actor=b.actor, lot_ref=lot.ref, entity_id=b.entity_id)
    assert closed.value.code == "finance.lot_closed"
    assert Deposit.objects.count() == 1


# -- secrecy before the opening -------------------------------------------------------------------------------------


def test_payment_status_is_secret_before_opening(clock, bidders, lot):
    a, b = bidders
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    support.pay(deposit, lot.required_fen, a.basic_account)
    tenderer = support.person("tenderer")
    outsiders = [b.actor, tenderer, Actor.anonymous(), support.staff(), support.regulator()]
    for who in outsiders:
        with pytest.raises(NotFound):
            queries.get_deposit_for(who, lot.ref, a.entity_id)
        with pytest.raises(NotFound):
            queries.has_satisfied_deposit(who, lot.ref, a.entity_id)
    # the same answer as for a deposit that does not exist
    with pytest.raises(NotFound) as none:
        queries.get_deposit_for(b.actor, lot.ref, b.entity_id)
    assert none.value.code == "finance.deposit_not_visible"
    assert queries.get_deposit_for(a.actor, lot.ref, a.entity_id).satisfied
    # staff: counts only
    view = queries.get_lot_deposits_for(support.staff(), lot.ref)
    assert (view.opened, view.accounts, view.satisfied, view.rows, view.held_fen) == (False, 1, 1, None, None)
    with pytest.raises(PermissionDenied):
        queries.get_lot_deposits_for(b.actor, lot.ref)
    with pytest.raises(NotAuthenticated):
        queries.get_lot_deposits_for(Actor.anonymous(), lot.ref)
    # the feed carries deposit events as restricted only
    for event in support.events("finance.deposit_received.v1") + support.events("finance.deposit_account_opened.v1"):
        assert event.visibility == "restricted"
    clock.advance(timedelta(days=21))
    assert queries.has_satisfied_deposit(support.SYSTEM, lot.ref, a.entity_id)
    assert queries.get_deposit_for(support.staff(), lot.ref, a.entity_id).paid_fen == lot.required_fen
    after = queries.get_lot_deposits_for(support.staff(), lot.ref)
    assert after.opened
    assert [r.entity_id for r in after.rows] == [a.entity_id]
    # other bidders still see nothing of a's deposit
    with pytest.raises(NotFound):
        queries.get_deposit_for(b.actor, lot.ref, a.entity_id)


def test_satisfaction_counts_the_bank_booking_time(clock, bidders, lot):
    a = bidders[0]
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    half = lot.required_fen // 2
    support.pay(deposit, half, a.basic_account, ref="P1")
    t1 = clock.advance(timedelta(hours=1))
    support.pay(deposit, lot.required_fen - half, a.basic_account, ref="P2")
    assert not queries.has_satisfied_deposit(a.actor, lot.ref, a.entity_id, at=t1 - timedelta(minutes=1))
    assert queries.has_satisfied_deposit(a.actor, lot.ref, a.entity_id, at=t1)


# -- payer checks and suspense ----------------------------------------------------------------------------------------


def test_payer_mismatch_is_credited_and_flagged(clock, bidders, lot):
    a = bidders[0]
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    received = support.pay(deposit, lot.required_fen, "6222000011112222", payer_name="某个人")
    assert received.notice.status == NoticeStatus.POSTED
    assert "payer_mismatch" in received.notice.flags
    deposit.refresh_from_db()
    assert deposit.payer_mismatch
    assert deposit.status == DepositStatus.SATISFIED  # money is never refused
    alert = Alert.objects.get(kind="payer_mismatch")
    assert alert.entity_id == a.entity_id
    assert alert.details["payer_account"] == "****2222"
    view = queries.get_deposit_for(a.actor, lot.ref, a.entity_id)
    assert view.payer_mismatch


def test_one_account_paying_for_two_bidders_is_a_collusion_signal(clock, bidders, lot):
    a, b = bidders
    da = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    db_ = actions.do_open_deposit_account(actor=b.actor, lot_ref=lot.ref, entity_id=b.entity_id)
    support.pay(da, lot.required_fen, a.basic_account)
    support.pay(db_, lot.required_fen, a.basic_account)  # b's deposit leaves a's account
    shared = Alert.objects.get(kind="shared_payer")
    assert shared.entity_id == b.entity_id
    assert shared.details["other_entity_ids"] == [a.entity_id]
    assert Alert.objects.filter(kind="payer_mismatch", entity_id=b.entity_id).exists()


def test_unknown_virtual_account_goes_to_suspense_and_can_be_assigned(clock, bidders, lot):
    a = bidders[0]
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    received = support.pay(deposit, 12345, a.basic_account, virtual_account="95000000009999")
    assert received.notice.status == NoticeStatus.SUSPENSE
    report = queries.build_reconciliation()
    assert report.suspense_fen == 12345
    assert report.suspense_items == 1
    assert report.reconciled  # held in suspense, never lost
    assert [s.notice_id for s in queries.list_suspense_for(support.staff())] == [received.notice.pk]
    with pytest.raises(PermissionDenied):
        actions.do_assign_suspense(actor=a.actor, notice_id=received.notice.pk, lot_ref=lot.ref, entity_id=a.entity_id)
    actions.do_assign_suspense(
        actor=support.staff(),
        notice_id=received.notice.pk,
        lot_ref=lot.ref,
        entity_id=a.entity_id,
        note="付款人来电核实",
    )
    notice = BankNotice.objects.get(pk=received.notice.pk)
    assert notice.status == NoticeStatus.ASSIGNED
    assert queries.get_deposit_for(a.actor, lot.ref, a.entity_id).balance_fen == 12345
    report = queries.build_reconciliation()
    assert report.suspense_fen == 0
    assert report.reconciled
    with pytest.raises(Conflict):
        actions.do_assign_suspense(actor=support.staff(), notice_id=notice.pk, lot_ref=lot.ref, entity_id=a.entity_id)
