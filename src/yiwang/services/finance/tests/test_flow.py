"""The whole journey: requirement → virtual account → payment through the simulated bank → satisfied (to the
bidder only) → award → loser refunded automatically within the legal limit → reconciled to zero."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.errors import NotFound
from yiwang.services.finance import actions, jobs, queries
from yiwang.services.finance.models import DepositStatus, RefundStatus
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db


def test_deposit_paid_satisfied_and_loser_refunded_in_time(clock, bidders, lot):
    winner, loser = bidders
    d_win = actions.do_open_deposit_account(actor=winner.actor, lot_ref=lot.ref, entity_id=winner.entity_id)
    d_lose = actions.do_open_deposit_account(actor=loser.actor, lot_ref=lot.ref, entity_id=loser.entity_id)
    assert d_win.virtual_account
    assert d_win.virtual_account != d_lose.virtual_account

    support.pay(d_win, 10_000_000, winner.basic_account, ref="B1")
    support.pay(d_lose, 10_000_000, loser.basic_account, ref="B2")

    assert queries.has_satisfied_deposit(winner.actor, lot.ref, winner.entity_id)
    # the other bidder, the public and staff (before the opening) see nothing
    with pytest.raises(NotFound):
        queries.has_satisfied_deposit(loser.actor, lot.ref, winner.entity_id)
    with pytest.raises(NotFound):
        queries.get_deposit_for(support.staff(), lot.ref, winner.entity_id)

    clock.advance(timedelta(days=21))  # past the opening
    assert queries.has_satisfied_deposit(support.SYSTEM, lot.ref, loser.entity_id)
    award = clock.now()
    refunds = actions.do_release_deposits(
        actor=support.SYSTEM, lot_ref=lot.ref, reason="loser", anchor_at=award, entity_ids=[loser.entity_id]
    )
    assert len(refunds) == 1
    assert refunds[0].due_at is not None
    assert jobs.run_refunds(clock.now()) >= 1
    refund = refunds[0]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PAID
    assert refund.paid_at < refund.due_at
    assert not refund.late
    # bank interest on the deposit (条例 Art.57, at the listed demand-deposit rate) follows as its own payment
    jobs.run_refunds(clock.now())
    d_lose.refresh_from_db()
    assert d_lose.status == DepositStatus.REFUNDED

    report = queries.build_reconciliation()
    assert report.balanced
    assert report.reconciled, report
    assert report.suspense_fen == 0
