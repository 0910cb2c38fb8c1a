"""Property test of the whole money path (hypothesis.stateful): random sequences of requirements, payments
(with duplicates and unknown accounts), releases (partial, over-asked), forfeits, late payments and clock runs.
After every step: total debits = total credits, no account that must stay non-negative is below zero, every
deposit holds exactly what the model says, and no refund ever exceeds what was paid."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from yiwang.kernel.errors import Conflict
from yiwang.services.finance import actions, jobs, ledger
from yiwang.services.finance.models import Deposit, JournalEntry, Refund
from yiwang.services.finance.tests import support

_serial = itertools.count()


class _Rollback(Exception):
    pass


def _attempt(fn):
    """``(result, None)``, or ``(None, code)`` when ``fn`` is refused with a Conflict."""
    try:
        return fn(), None
    except Conflict as err:
        return None, err.code


class MoneyMachine(RuleBasedStateMachine):
    bidders: tuple = ()
    clock = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # every example runs in a savepoint rolled back at teardown
        self.n = next(_serial)
        self.deposits: list[Deposit] = []
        self.paid: list[int] = []
        self.held: list[int] = []
        self.refs: dict[str, int] = {}
        self.suspense = 0

    def teardown(self) -> None:
        self._atomic.__exit__(_Rollback, _Rollback(), None)

    @initialize(required=st.integers(1, 5_000_000))
    def setup_lot(self, required: int) -> None:
        self.clock.set(support.T0)
        lot = support.make_lot(f"tender.section:h{self.n}", amount_fen=required, base_fen=10**10)
        self.lot = lot
        for bidder in self.bidders:
            deposit = actions.do_open_deposit_account(actor=bidder.actor, lot_ref=lot.ref, entity_id=bidder.entity_id)
            self.deposits.append(deposit)
            self.paid.append(0)
            self.held.append(0)

    @rule(who=st.integers(0, 1), amount=st.integers(1, 3_000_000), ref=st.integers(0, 6))
    def pay(self, who: int, amount: int, ref: int) -> None:
        key = f"H{self.n}-{ref}"
        deposit = Deposit.objects.get(pk=self.deposits[who].pk)
        if key in self.refs:
            received, code = _attempt(lambda: support.pay(deposit, amount, self.bidders[who].basic_account, ref=key))
            assert (received is not None and received.duplicate) or code == "finance.notice_ref_reused"
            return
        closed = deposit.closed_at is not None
        received = support.pay(deposit, amount, self.bidders[who].basic_account, ref=key)
        assert not received.duplicate
        self.refs[key] = amount
        self.paid[who] += amount
        if not closed:
            self.held[who] += amount

    @rule(amount=st.integers(1, 1_000_000))
    def pay_unknown_account(self, amount: int) -> None:
        support.pay(
            self.deposits[0],
            amount,
            "6222000000000001",
            ref=f"U{self.n}-{amount}-{len(self.refs)}",
            virtual_account="95999999999999",
        )
        self.refs[f"U{self.n}-{amount}-{len(self.refs)}"] = amount
        self.suspense += amount

    @rule(who=st.integers(0, 1), amount=st.one_of(st.none(), st.integers(1, 4_000_000)))
    def release(self, who: int, amount: int | None) -> None:
        bidder = self.bidders[who]
        refund, code = _attempt(
            lambda: actions.do_release_deposit(
                actor=support.SYSTEM,
                lot_ref=self.lot.ref,
                entity_id=bidder.entity_id,
                reason="withdrawal",
                anchor_at=self.clock.now(),
                amount_fen=amount,
            )
        )
        if code is not None:
            assert code in ("finance.refund_exceeds_paid", "finance.nothing_to_release")
            assert self.held[who] == 0 or (amount is not None and amount > self.held[who])
            return
        assert refund.amount_fen <= self.held[who]
        self.held[who] -= refund.amount_fen

    @rule(who=st.integers(0, 1))
    def forfeit(self, who: int) -> None:
        _entry, code = _attempt(
            lambda: actions.do_forfeit_deposit(
                actor=support.SYSTEM,
                lot_ref=self.lot.ref,
                entity_id=self.bidders[who].entity_id,
                reason="late_withdrawal",
            )
        )
        if code is not None:
            assert code == "finance.nothing_to_forfeit"
            assert self.held[who] == 0
            return
        self.held[who] = 0

    @rule(hours=st.integers(0, 200))
    def clock_runs(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        jobs.process_bank_inbox(self.clock.now())
        jobs.run_refunds(self.clock.now())

    @invariant()
    def books_balance(self) -> None:
        if not self.deposits:
            return
        debit, credit = ledger.totals()
        assert debit == credit
        assert ledger.negative_accounts() == []
        assert ledger.unbalanced_entries() == []
        for who, deposit in enumerate(self.deposits):
            assert ledger.balance_of(deposit.account) == self.held[who]
            assert ledger.credited_total(deposit.account) == self.paid[who]
            refunded = (
                Refund.objects.filter(deposit=deposit).exclude(reason="interest").aggregate(s=Sum("amount_fen"))["s"]
                or 0
            )
            assert refunded <= self.paid[who]
        received = JournalEntry.objects.filter(kind="suspense_received", lot=None, key__contains=f":U{self.n}-")
        assert (received.aggregate(s=Sum("lines__credit_fen"))["s"] or 0) == self.suspense


@pytest.mark.slow
def test_money_is_never_lost_or_double_refunded(db, clock, bidders):
    MoneyMachine.bidders = bidders
    MoneyMachine.clock = clock
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
