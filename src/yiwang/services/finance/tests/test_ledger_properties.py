"""Property test of the whole money path (hypothesis.stateful): random sequences of requirements, payments
(with duplicates and unknown accounts), releases (partial, over-asked), forfeits, late payments and clock runs;
e-guarantees issued, claimed (the issuer pays through the bank), released and expiring; a deal settlement
(plans refused or accepted by the equity rules, deposit conversion, buyer payments, transfer confirmation,
payouts). After every step: total debits = total credits, no account that must stay non-negative is below
zero, every deposit holds exactly what the model says, no refund ever exceeds what was paid, every guarantee's
off-balance memo matches its state, no payout to the seller exceeds what the buyer paid less the fee, and the
ledger reconciles with the bank's statement to zero."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from yiwang.kernel.errors import Conflict, RuleViolation
from yiwang.services.finance import actions, jobs, ledger, queries
from yiwang.services.finance.models import Deposit, Guarantee, JournalEntry, Refund, Settlement, SettlementPayout
from yiwang.services.finance.tests import guarantee_support, support

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
    env: guarantee_support.Env | None = None

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
        self.guarantees: dict[int, Guarantee] = {}  # bidder index → guarantee in force
        self.claimed = 0  # paid into the lot's forfeited account by issuers

    def teardown(self) -> None:
        self._atomic.__exit__(_Rollback, _Rollback(), None)

    @initialize(required=st.integers(1, 5_000_000))
    def setup_lot(self, required: int) -> None:
        self.clock.set(support.T0)
        opening = support.T0 + timedelta(days=20)
        lot = actions.do_set_deposit_requirement(
            actor=support.SYSTEM,
            lot_ref=f"tender.section:h{self.n}",
            regime="works",
            opening_at=opening,
            amount_fen=required,
            base_fen=10**10,
            owner_entity_id=self.env.owner_id,
            bid_validity_until=opening + timedelta(days=30),
        )
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
        now = self.clock.now()
        jobs.process_bank_inbox(now)
        jobs.run_refunds(now)
        jobs.run_guarantees(now)
        jobs.run_settlements(now)
        for who, g in list(self.guarantees.items()):
            if g.end_at <= now:
                del self.guarantees[who]  # the clock expired it

    # -- e-guarantees ------------------------------------------------------------------------------------------

    @precondition(lambda self: self.clock.now() < self.lot.opening_at and len(self.guarantees) < 2)
    @rule(who=st.integers(0, 1))
    def issue_guarantee(self, who: int) -> None:
        if self.clock.now() >= self.lot.opening_at or who in self.guarantees:
            return
        application = actions.do_apply_guarantee(
            actor=self.bidders[who].actor,
            lot_ref=self.lot.ref,
            entity_id=self.bidders[who].entity_id,
            issuer_id=self.env.bank.pk,
        )
        self.guarantees[who] = self.env.issue(application)
        assert queries.has_satisfied_deposit(self.bidders[who].actor, self.lot.ref, self.bidders[who].entity_id)

    @precondition(lambda self: bool(self.guarantees))
    @rule(who=st.integers(0, 1))
    def claim_guarantee(self, who: int) -> None:
        g = self.guarantees.get(who)
        if g is None:
            return
        claim = actions.do_claim_guarantee(actor=support.SYSTEM, guarantee_no=g.number, reason="reneged")
        del self.guarantees[who]
        assert actions.send_claim(claim.pk, actor=support.SYSTEM)
        assert actions.send_claim(claim.pk, actor=support.SYSTEM) is False  # never twice
        self.claimed += claim.amount_fen

    @precondition(lambda self: bool(self.guarantees))
    @rule()
    def release_guarantees(self) -> None:
        released = actions.do_release_guarantees(actor=support.SYSTEM, lot_ref=self.lot.ref, reason="terminated")
        assert {g.pk for g in released} == {g.pk for g in self.guarantees.values()}
        self.guarantees.clear()

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
        # guarantees: cover memo matches what is in force; claims paid once into the forfeited account
        for g in Guarantee.objects.filter(lot=self.lot):
            in_force = g.pk in {x.pk for x in self.guarantees.values()}
            assert ledger.balance_of(g.memo_account) == (g.amount_fen if in_force else 0)
            assert ledger.balance_of(g.contra_account) == ledger.balance_of(g.memo_account)
        claimed = JournalEntry.objects.filter(kind="guarantee_claimed", lot=self.lot)
        assert (claimed.aggregate(s=Sum("lines__debit_fen"))["s"] or 0) == 2 * self.claimed
        assert queries.build_reconciliation().reconciled


class SettlementMachine(RuleBasedStateMachine):
    """A deal's settlement: the buyer's deposit, plans within and outside the equity rules, payments in any
    amounts (over-payments included), the transfer confirmed at any point, the clock paying the seller."""

    buyer = None
    seller = None
    clock = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.n = next(_serial)
        self.refs: dict[str, int] = {}
        self.settlement: Settlement | None = None
        self.converted = 0
        self.buyer_paid = 0
        self.deposit_paid = 0

    def teardown(self) -> None:
        self._atomic.__exit__(_Rollback, _Rollback(), None)

    @initialize(required=st.integers(1, 5_000_000), deposit=st.integers(0, 30_000_000))
    def setup_lot(self, required: int, deposit: int) -> None:
        self.clock.set(support.T0)
        self.lot = support.make_lot(f"auction.lot:s{self.n}", regime="state_assets", amount_fen=required, base_fen=None)
        self.deposit = actions.do_open_deposit_account(
            actor=self.buyer.actor, lot_ref=self.lot.ref, entity_id=self.buyer.entity_id
        )
        if deposit:
            self.pay_deposit(deposit)

    @precondition(lambda self: self.settlement is None)
    @rule(amount=st.integers(1, 3_000_000))
    def pay_deposit(self, amount: int) -> None:
        support.pay(self.deposit, amount, self.buyer.basic_account, ref=f"D{self.n}-{self.deposit_paid}-{amount}")
        self.deposit_paid += amount

    @rule(hours=st.integers(0, 400))
    def clock_runs(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        now = self.clock.now()
        jobs.process_bank_inbox(now)
        jobs.run_settlements(now)
        jobs.run_invoices(now)

    # -- settlement ---------------------------------------------------------------------------------------------

    @precondition(lambda self: self.settlement is None)
    @rule(
        price=st.integers(100, 20_000_000),
        down_percent=st.integers(20, 100),
        days=st.integers(30, 400),
        fee=st.integers(0, 50_000),
    )
    def settle(self, price: int, down_percent: int, days: int, fee: int) -> None:
        now = self.clock.now()
        down = price * down_percent // 100
        schedule = (
            [(now + timedelta(days=1), price)]
            if down >= price
            else [
                (now + timedelta(days=1), down),
                (now + timedelta(days=days), price - down),
            ]
        )
        held = ledger.balance_of(Deposit.objects.get(pk=self.deposit.pk).account)
        try:
            s = actions.do_create_settlement(
                actor=support.SYSTEM,
                deal_ref=f"auction.deal:h{self.n}",
                regime="state_assets",
                buyer_entity_id=self.buyer.entity_id,
                seller_entity_id=self.seller.entity_id,
                price_fen=price,
                contract_effective_at=now,
                schedule=schedule,
                lot_ref=self.lot.ref,
                security="保函担保",
                fee_fen=min(fee, price),
            )
        except RuleViolation as err:
            refused = err.code
        else:
            refused = None
        if refused is not None:
            assert len(schedule) == 2
            if refused == "finance.down_payment_too_low":
                assert down * 100 < price * 30
            else:
                assert refused == "finance.instalment_period_exceeded"
                assert days > 364
            return
        assert len(schedule) == 1 or (down * 100 >= price * 30 and days <= 366)
        self.settlement = s
        self.converted = min(held, s.price_fen + s.interest_fen)
        assert s.deposit_converted_fen == self.converted

    @precondition(lambda self: self.settlement is not None)
    @rule(amount=st.integers(1, 15_000_000), ref=st.integers(0, 3), then_confirm=st.booleans())
    def buyer_pays(self, amount: int, ref: int, then_confirm: bool) -> None:
        key = f"S{self.n}-{ref}"
        if key in self.refs:
            return
        support.pay(None, amount, "6222000000007777", ref=key, virtual_account=self.settlement.virtual_account)
        self.refs[key] = amount
        self.buyer_paid += amount
        if then_confirm and self.settlement.transfer_confirmed_at is None:
            self.confirm_transfer()

    @precondition(lambda self: self.settlement is not None and self.settlement.transfer_confirmed_at is None)
    @rule()
    def confirm_transfer(self) -> None:
        self.settlement = actions.do_confirm_transfer(actor=support.SYSTEM, deal_ref=self.settlement.deal_ref)

    @invariant()
    def never_pays_more_than_received(self) -> None:
        debit, credit = ledger.totals()
        assert debit == credit
        assert ledger.negative_accounts() == []
        assert ledger.unbalanced_entries() == []
        if self.settlement is not None:
            s = Settlement.objects.get(pk=self.settlement.pk)
            fee = queries.ledger_accounts_by_code(f"fee:{s.deal_ref}")
            fee_taken = ledger.credited_total(fee) if fee else 0
            assert fee_taken <= s.fee_fen
            applied = sum(i.paid_fen for i in s.instalments.all())
            assert applied <= self.converted + self.buyer_paid
            assert applied == min(self.converted + self.buyer_paid, s.price_fen + s.interest_fen)
            released = ledger.credited_total(s.payable_account)
            assert released + fee_taken <= applied
            if s.transfer_confirmed_at is not None:
                assert released + fee_taken == applied  # everything received is passed on at once
            paid_out = sum(p.amount_fen for p in SettlementPayout.objects.filter(settlement=s, status="paid"))
            assert paid_out <= released
            assert ledger.balance_of(s.account) == self.converted + self.buyer_paid - released - fee_taken
        assert queries.build_reconciliation().reconciled


@pytest.mark.slow
def test_money_is_never_lost_or_double_refunded(db, clock, bidders):
    MoneyMachine.env = guarantee_support.make_env(bidders=bidders)
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


@pytest.mark.slow
def test_the_seller_never_gets_more_than_the_buyer_paid(db, clock, bidders):
    SettlementMachine.buyer, SettlementMachine.seller = bidders
    SettlementMachine.clock = clock
    run_state_machine_as_test(
        SettlementMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
