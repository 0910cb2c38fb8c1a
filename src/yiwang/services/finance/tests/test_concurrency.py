"""Clocks racing: three threads run the guarantee, settlement and invoice jobs at once. Every claim is paid
once, every payout to a seller once, every invoice issued once, and the books reconcile (SQLite: BEGIN
IMMEDIATE; PostgreSQL: the row locks of lock_objects)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from yiwang.platform.clock import use_clock
from yiwang.services.finance import actions, bank, jobs, queries
from yiwang.services.finance.models import (
    GuaranteeClaim,
    Invoice,
    JournalEntry,
    SettlementPayout,
    SimInvoice,
    SimIssuerMessage,
)
from yiwang.services.finance.tests import guarantee_support as gs
from yiwang.services.finance.tests import support


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_jobs_run_concurrently_pay_and_issue_once(clock):
    env = gs.make_env()
    guarantees = [env.guarantee(0), env.guarantee(1, issuer=env.insurer, form="policy")]
    buyer, seller = env.bidders
    deposit = actions.do_open_deposit_account(actor=buyer.actor, lot_ref=env.lot.ref, entity_id=buyer.entity_id)
    support.pay(deposit, env.lot.required_fen, buyer.basic_account)
    for _ in range(2):
        actions.do_collect_fee(
            actor=support.SYSTEM,
            lot_ref=env.lot.ref,
            entity_id=buyer.entity_id,
            fee_code="agency.reference.works",
            base_fen=1_000_000,
        )
    clock.advance(timedelta(days=21))
    for g in guarantees:
        actions.do_claim_guarantee(actor=support.SYSTEM, guarantee_no=g.number, reason="reneged")
    s = actions.do_create_settlement(
        actor=support.SYSTEM,
        deal_ref="auction.deal:race",
        regime="land",
        buyer_entity_id=buyer.entity_id,
        seller_entity_id=seller.entity_id,
        price_fen=5_000_000,
        contract_effective_at=clock.now(),
        due_at=clock.now() + timedelta(days=5),
        fee_fen=10_000,
    )
    support.pay(None, 5_000_000, "6222000000001111", ref="RACE-1", virtual_account=s.virtual_account)
    actions.do_confirm_transfer(actor=support.SYSTEM, deal_ref=s.deal_ref)
    clock.advance(timedelta(minutes=5))
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        try:
            with use_clock(clock):
                start.wait()
                for _ in range(3):
                    jobs.run_guarantees(clock.now())
                    jobs.run_settlements(clock.now())
                    jobs.run_invoices(clock.now())
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
    assert GuaranteeClaim.objects.filter(status="paid").count() == 2
    assert JournalEntry.objects.filter(kind="guarantee_claimed").count() == 2
    assert SimIssuerMessage.objects.filter(kind="claim").count() == 2
    assert SettlementPayout.objects.filter(status="paid").count() == 1
    assert JournalEntry.objects.filter(kind="settlement_paid").count() == 1
    invoices = Invoice.objects.all()
    assert invoices.count() == 3  # two deposit fees, one settlement fee
    assert {i.status for i in invoices} == {"issued"}
    assert SimInvoice.objects.count() == 3
    outs = [line for line in bank.SimulatedBank().statement("SIMBANK") if line.direction == "out"]
    assert len(outs) == 1
    assert queries.build_reconciliation().reconciled
