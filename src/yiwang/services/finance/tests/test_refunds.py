"""Releases, refunds with legal deadlines (working days over a holiday), the clock job, late refunds, interest,
forfeits and fees."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.platform.clock import use_clock
from yiwang.services.finance import actions, bank, jobs, ledger, queries
from yiwang.services.finance import rules as finance_rules
from yiwang.services.finance.models import Alert, DepositStatus, JournalEntry, NoticeStatus, Refund, RefundStatus
from yiwang.services.finance.tests import support

SH = ZoneInfo("Asia/Shanghai")


def _sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def _paid_deposit(bidder, lot, amount=None):
    deposit = actions.do_open_deposit_account(actor=bidder.actor, lot_ref=lot.ref, entity_id=bidder.entity_id)
    support.pay(deposit, amount or lot.required_fen, bidder.basic_account)
    deposit.refresh_from_db()
    return deposit


@pytest.mark.django_db
class TestDeadlines:
    def test_gp_loser_refund_counts_working_days_over_spring_festival(self, clock, bidders):
        clock.set(_sh(2026, 2, 10, 9))
        lot = support.make_lot(
            "gp.package:sf", regime="gp", amount_fen=50_000, base_fen=10_000_000, opening_in=timedelta(days=2)
        )
        a = bidders[1]
        _paid_deposit(a, lot)
        clock.set(_sh(2026, 2, 13, 10))  # Friday: the award letter goes out
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now(), entity_ids=[a.entity_id]
        )
        # 5 working days: Sat 02-14 (make-up day), then 02-15…02-23 off, then 02-24, 25, 26, 27
        assert refund.rule_id == "gp.deposit_refund_losers_max"
        assert refund.due_at == _sh(2026, 2, 28, 0)

    def test_works_withdrawal_within_five_days_rolls_over_national_day(self, clock, bidders):
        clock.set(_sh(2026, 9, 28, 9))
        lot = support.make_lot("tender.section:nd", opening_in=timedelta(days=20))
        a = bidders[0]
        _paid_deposit(a, lot)
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="withdrawal", anchor_at=clock.now()
        )
        # 5 days → 10-03 (holiday 10-01…10-07) → the next working day 10-08 is the last day
        assert refund.rule_id == "tender.withdrawal_refund_max"
        assert refund.due_at == _sh(2026, 10, 9, 0)

    def test_judicial_others_released_within_24_hours(self, clock, bidders):
        lot = support.make_lot("auction.lot:jd", regime="judicial", rate="10", amount_fen=None, base_fen=1_000_000)
        a = bidders[0]
        _paid_deposit(a, lot)
        clock.advance(timedelta(days=21))
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now()
        )
        assert refund.rule_id == "judicial.deposit_release_max"
        assert refund.due_at == clock.now() + timedelta(hours=24)

    def test_missing_rule_refunds_at_once_and_is_flagged(self, clock, bidders):
        lot = support.make_lot("equity.project:1", regime="state_assets", amount_fen=100_000, base_fen=None)
        a = bidders[0]
        _paid_deposit(a, lot)
        clock.advance(timedelta(days=21))
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now()
        )
        assert refund.due_at is None
        alert = Alert.objects.get(kind="rule_missing")
        assert alert.details["missing"] == ["equity.deposit_refund_max"]
        jobs.run_refunds(clock.now())
        refund.refresh_from_db()
        assert refund.status == RefundStatus.PAID

    def test_bad_release_requests(self, clock, bidders, lot):
        with pytest.raises(InvalidInput) as reason:
            actions.do_release_deposits(actor=support.SYSTEM, lot_ref=lot.ref, reason="whatever", anchor_at=clock.now())
        assert reason.value.code == "finance.reason_unknown"
        with pytest.raises(InvalidInput) as future:
            actions.do_release_deposits(
                actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now() + timedelta(days=1)
            )
        assert future.value.code == "finance.anchor_in_future"
        with pytest.raises(InvalidInput):
            actions.do_release_deposits(
                actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=datetime(2026, 3, 1)
            )  # naive
        assert Refund.objects.count() == 0


@pytest.mark.django_db
class TestRefunding:
    def test_job_posts_due_refunds_exactly_once_when_run_twice(self, clock, bidders, lot):
        a, b = bidders
        _paid_deposit(a, lot)
        _paid_deposit(b, lot)
        clock.advance(timedelta(days=21))
        actions.do_release_deposits(actor=support.SYSTEM, lot_ref=lot.ref, reason="terminated", anchor_at=clock.now())
        assert jobs.run_refunds(clock.now()) == 2
        assert jobs.run_refunds(clock.now()) == 0
        clock.advance(timedelta(hours=2))
        assert jobs.run_refunds(clock.now()) == 0
        assert JournalEntry.objects.filter(kind="refund_paid").count() == 2
        assert len(bank.SimulatedBank().statement("SIMBANK")) == 4  # two in, two out
        assert queries.build_reconciliation().reconciled

    def test_resent_instruction_is_paid_once(self, clock, bidders, lot, monkeypatch):
        a = bidders[0]
        _paid_deposit(a, lot)
        clock.advance(timedelta(days=21))
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="terminated", anchor_at=clock.now()
        )
        # the instruction reaches the bank, but the confirmation is lost on the way back
        sim = bank.SimulatedBank()
        real_send = sim.send_payout
        monkeypatch.setattr(
            bank.SimulatedBank, "send_payout", lambda self, instruction: (real_send(instruction), [])[1]
        )
        jobs.run_refunds(clock.now())
        refund.refresh_from_db()
        assert refund.status == RefundStatus.INSTRUCTED
        monkeypatch.undo()
        clock.advance(timedelta(minutes=1))  # after the retry delay the instruction goes again
        jobs.run_refunds(clock.now())
        refund.refresh_from_db()
        assert refund.status == RefundStatus.PAID
        assert refund.attempts == 2
        assert len([s for s in sim.statement("SIMBANK") if s.direction == "out"]) == 1
        assert JournalEntry.objects.filter(kind="refund_paid").count() == 1

    def test_late_refund_surfaces_as_an_alert(self, clock, bidders, monkeypatch):
        clock.set(_sh(2026, 2, 10, 9))
        lot = support.make_lot(
            "gp.package:late", regime="gp", amount_fen=50_000, base_fen=10_000_000, opening_in=timedelta(days=2)
        )
        a = bidders[0]
        _paid_deposit(a, lot)
        clock.set(_sh(2026, 2, 13, 10))
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now()
        )

        def bank_down(self, instruction):
            raise ConnectionError("bank unreachable")

        monkeypatch.setattr(bank.SimulatedBank, "send_payout", bank_down)
        jobs.run_refunds(clock.now())
        clock.set(_sh(2026, 2, 28, 9))  # past the deadline, still unpaid
        jobs.run_refunds(clock.now())
        alert = Alert.objects.get(kind="late_refund")
        assert alert.refund_id == refund.pk
        late = queries.list_late_refunds_for(support.regulator())
        assert [x.refund.id for x in late] == [refund.pk]
        assert late[0].refund.overdue
        assert support.events("finance.alert_raised.v1")[-1].visibility == "restricted"
        monkeypatch.undo()
        clock.advance(timedelta(hours=2))
        jobs.run_refunds(clock.now())
        refund.refresh_from_db()
        assert refund.status == RefundStatus.PAID
        assert refund.late
        # the base rates are listed in the rules catalogue (finance.pboc_loan_rate + gp markup): nothing is flagged
        assert not Alert.objects.filter(kind="interest_rate_missing").exists()
        assert Alert.objects.filter(kind="late_refund").count() == 1
        assert queries.build_reconciliation().reconciled

    def test_late_gp_refund_carries_interest_when_the_rates_are_listed(self, clock, bidders, monkeypatch):
        clock.set(_sh(2026, 2, 10, 9))
        lot = support.make_lot(
            "gp.package:int", regime="gp", amount_fen=10_000_000, base_fen=1_000_000_000, opening_in=timedelta(days=2)
        )
        a = bidders[0]
        _paid_deposit(a, lot)
        clock.set(_sh(2026, 2, 13, 10))
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now()
        )
        rates = {"finance.pboc_loan_rate": Decimal("4.35"), "gp.late_refund_interest_markup": Decimal("20")}
        monkeypatch.setattr(finance_rules, "interest_rates", lambda mode, on: dict(rates))
        clock.set(_sh(2026, 3, 9, 10))  # due 02-28 00:00; paid on 03-09: 10 days late (02-28 … 03-09)
        jobs.run_refunds(clock.now())
        refund.refresh_from_db()
        # 100,000 yuan × 4.35 % × 1.2 × 10 / 365 = 143.01 yuan, paid right after as its own payment
        assert refund.interest_fen == 14301
        assert refund.status == RefundStatus.PAID
        assert refund.late
        jobs.run_refunds(clock.now())
        interest = Refund.objects.get(reason="interest")
        assert interest.status == RefundStatus.PAID
        assert interest.amount_fen == 14301
        out = [s.amount_fen for s in bank.SimulatedBank().statement("SIMBANK") if s.direction == "out"]
        assert out == [10_000_000, 14301]
        assert queries.get_deposit_for(a.actor, lot.ref, a.entity_id).status == DepositStatus.REFUNDED
        report = queries.build_reconciliation()
        assert report.reconciled
        assert report.banks[0].interest_paid_fen == 14301

    def test_refund_cannot_exceed_what_was_paid(self, clock, bidders, lot):
        a = bidders[0]
        _paid_deposit(a, lot, amount=3000)
        clock.advance(timedelta(days=21))
        with pytest.raises(Conflict) as err:
            actions.do_release_deposit(
                actor=support.SYSTEM,
                lot_ref=lot.ref,
                entity_id=a.entity_id,
                reason="loser",
                anchor_at=clock.now(),
                amount_fen=3001,
            )
        assert err.value.code == "finance.refund_exceeds_paid"
        part = actions.do_release_deposit(
            actor=support.SYSTEM,
            lot_ref=lot.ref,
            entity_id=a.entity_id,
            reason="loser",
            anchor_at=clock.now(),
            amount_fen=1000,
        )
        assert part.reason == "partial"
        rest = actions.do_release_deposit(
            actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, reason="loser", anchor_at=clock.now()
        )
        assert rest.amount_fen == 2000
        with pytest.raises(Conflict) as none:
            actions.do_release_deposit(
                actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, reason="loser", anchor_at=clock.now()
            )
        assert none.value.code == "finance.nothing_to_release"
        assert Refund.objects.count() == 2

    def test_payout_confirmation_not_matching_the_instruction_is_held(self, clock, bidders, lot):
        a = bidders[0]
        _paid_deposit(a, lot)
        clock.advance(timedelta(days=21))
        (refund,) = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="terminated", anchor_at=clock.now()
        )
        instruction = actions.do_instruct_refund(actor=support.SYSTEM, refund_id=refund.pk)
        import json

        body = json.dumps(
            {
                "bank": "SIMBANK",
                "ref": "ODD-1",
                "kind": "payout",
                "instruction_ref": instruction.ref,
                "amount_fen": instruction.amount_fen + 1,
                "currency": "CNY",
                "booked_at": clock.now().isoformat(),
            }
        ).encode()
        received = actions.receive_bank_notice(
            bank_code="SIMBANK", body=body, signature=bank.sign_notice("SIMBANK", body)
        )
        assert received.notice.status == NoticeStatus.HELD
        assert Alert.objects.filter(kind="payout_mismatch").exists()
        refund.refresh_from_db()
        assert refund.status == RefundStatus.INSTRUCTED


@pytest.mark.django_db
class TestForfeitsAndLatePayments:
    def test_forfeit_by_rule_then_release_skips_it(self, clock, bidders, lot):
        a, b = bidders
        _paid_deposit(a, lot)
        _paid_deposit(b, lot)
        clock.advance(timedelta(days=21))
        with pytest.raises(PermissionDenied):
            actions.do_forfeit_deposit(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id, reason="reneged")
        with pytest.raises(InvalidInput):
            actions.do_forfeit_deposit(actor=support.staff(), lot_ref=lot.ref, entity_id=a.entity_id, reason="bored")
        actions.do_forfeit_deposit(
            actor=support.staff(), lot_ref=lot.ref, entity_id=a.entity_id, reason="reneged", note="竞得后未按期付款"
        )
        refunds = actions.do_release_deposits(
            actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=clock.now()
        )
        assert [r.entity_id for r in refunds] == [b.entity_id]
        view = queries.get_deposit_for(a.actor, lot.ref, a.entity_id)
        assert view.status == DepositStatus.FORFEITED
        assert view.balance_fen == 0
        with pytest.raises(Conflict) as twice:
            actions.do_forfeit_deposit(actor=support.staff(), lot_ref=lot.ref, entity_id=a.entity_id, reason="reneged")
        assert twice.value.code == "finance.nothing_to_forfeit"
        tb = {row.kind: row.balance_fen for row in queries.build_reconciliation().trial_balance}
        assert tb["forfeited"] == lot.required_fen

    def test_money_arriving_after_the_deposit_closed_is_refunded_at_once(self, clock, bidders, lot):
        a, b = bidders
        late = actions.do_open_deposit_account(actor=b.actor, lot_ref=lot.ref, entity_id=b.entity_id)
        _paid_deposit(a, lot)
        clock.advance(timedelta(days=21))
        actions.do_release_deposits(actor=support.SYSTEM, lot_ref=lot.ref, reason="terminated", anchor_at=clock.now())
        support.pay(late, 500, b.basic_account, ref="LATE-PAY")
        refund = Refund.objects.get(entity_id=b.entity_id)
        assert refund.reason == "unexpected"
        assert refund.due_at is None
        jobs.run_refunds(clock.now())
        assert ledger.balance_of(late.account) == 0
        assert queries.build_reconciliation().reconciled

    def test_fee_from_the_deposit_by_the_public_schedule(self, clock, bidders, lot):
        a = bidders[0]
        _paid_deposit(a, lot, amount=10_000_000)
        with pytest.raises(Conflict) as free:
            actions.do_collect_fee(
                actor=support.staff(), lot_ref=lot.ref, entity_id=a.entity_id, fee_code="platform.deposit_custody"
            )
        assert free.value.code == "finance.fee_zero"
        # agency reference fee for works on 300 万: 100 万 × 1 % + 200 万 × 0.7 % = 2.4 万
        entry = actions.do_collect_fee(
            actor=support.staff(),
            lot_ref=lot.ref,
            entity_id=a.entity_id,
            fee_code="agency.reference.works",
            base_fen=300_000_000,
        )
        assert sum(line.credit_fen for line in entry.lines.all()) == 2_400_000
        with pytest.raises(Conflict) as too_much:
            actions.do_collect_fee(
                actor=support.staff(),
                lot_ref=lot.ref,
                entity_id=a.entity_id,
                fee_code="agency.reference.works",
                base_fen=10**13,
            )
        assert too_much.value.code == "finance.insufficient_balance"
        assert queries.get_deposit_for(a.actor, lot.ref, a.entity_id).balance_fen == 7_600_000


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_refund_job_run_concurrently_pays_each_refund_once(clock):
    bidders = [
        support.make_bidder(support.PUJIANG, "1001200300400501"),
        support.make_bidder(support.MINHANG, "1001200300400502"),
    ]
    lot = support.make_lot()
    for b in bidders:
        _paid_deposit(b, lot)
    clock.advance(timedelta(days=21))
    actions.do_release_deposits(actor=support.SYSTEM, lot_ref=lot.ref, reason="terminated", anchor_at=clock.now())
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        try:
            with use_clock(clock):
                start.wait()
                for _ in range(3):
                    jobs.run_refunds(clock.now())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert JournalEntry.objects.filter(kind="refund_paid").count() == 2
    assert Refund.objects.filter(status=RefundStatus.PAID).count() == 2
    assert len([s for s in bank.SimulatedBank().statement("SIMBANK") if s.direction == "out"]) == 2
    assert queries.build_reconciliation().reconciled
    assert datetime.now(UTC)  # the real clock is untouched by the test clock
