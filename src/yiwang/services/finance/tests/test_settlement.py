"""Deal settlement (交易价款结算): the plan against the rules (down payment, instalment period, security,
interest), deposit conversion, buyer payments through the bank, release to the seller after the transfer with
the fee deducted, payouts, overdue instalments, and the books balancing throughout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from yiwang.services.finance import actions, jobs, ledger, queries
from yiwang.services.finance.domain.refunds import simple_interest
from yiwang.services.finance.models import (
    Alert,
    AlertKind,
    Deposit,
    DepositStatus,
    Invoice,
    PayoutStatus,
    Settlement,
    SettlementPayout,
)
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db
WAN = 1_000_000  # 1 万元 in fen
XUHUI = "91310104132203571A"


@pytest.fixture
def parties(clock):
    buyer = support.make_bidder(support.PUJIANG, "1001200300400501")
    seller = support.make_bidder(XUHUI, "1001200300400777")
    return buyer, seller


def _state() -> dict[str, int]:
    models = {
        "witness": ("audit", "WitnessEntry"),
        "events": ("outbox", "OutboxEvent"),
        "settlements": ("finance", "Settlement"),
        "entries": ("finance", "JournalEntry"),
        "accounts": ("finance", "Account"),
    }
    return {k: apps.get_model(*m).objects.count() for k, m in models.items()}


def _create(parties, clock, **kwargs):
    buyer, seller = parties
    values = {
        "actor": support.SYSTEM,
        "deal_ref": "auction.deal:1",
        "regime": "state_assets",
        "buyer_entity_id": buyer.entity_id,
        "seller_entity_id": seller.entity_id,
        "price_fen": 1000 * WAN,
        "contract_effective_at": clock.now(),
        "title": "某国有企业 40% 股权转让",
        **kwargs,
    }
    return actions.do_create_settlement(**values)


def _pay(settlement: Settlement, amount: int, ref: str):
    settlement.refresh_from_db()
    return support.pay(None, amount, "6222000000009999", ref=ref, virtual_account=settlement.virtual_account)


def test_lump_sum_with_deposit_conversion_fee_and_payout(parties, clock):
    buyer, seller = parties
    lot = support.make_lot("auction.lot:e1", regime="state_assets", amount_fen=100 * WAN, base_fen=None)
    deposit = actions.do_open_deposit_account(actor=buyer.actor, lot_ref=lot.ref, entity_id=buyer.entity_id)
    support.pay(deposit, 100 * WAN, buyer.basic_account)
    clock.advance(timedelta(days=21))
    s = _create(
        parties,
        clock,
        due_at=clock.now() + timedelta(days=5),
        lot_ref=lot.ref,
        fee_code="agency.reference.services",
    )
    assert s.mode == "lump_sum"
    assert s.deposit_converted_fen == 100 * WAN
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.CONVERTED
    assert ledger.balance_of(deposit.account) == 0
    assert s.fee_fen == queries.compute_fee("agency.reference.services", 1000 * WAN)
    view = queries.get_settlement_for(buyer.actor, s.deal_ref)
    assert (view.paid_fen, view.outstanding_fen) == (100 * WAN, 900 * WAN)
    assert view.virtual_account == s.virtual_account
    assert queries.get_settlement_for(seller.actor, s.deal_ref).virtual_account is None
    # the buyer pays the rest; nothing goes to the seller before the transfer is confirmed
    _pay(s, 900 * WAN, "DEAL-1")
    assert SettlementPayout.objects.count() == 0
    with pytest.raises(PermissionDenied):
        actions.do_confirm_transfer(actor=buyer.actor, deal_ref=s.deal_ref)
    actions.do_confirm_transfer(actor=support.staff(), deal_ref=s.deal_ref, note="产权交割完成")
    (payout,) = SettlementPayout.objects.all()
    assert payout.amount_fen == 1000 * WAN - s.fee_fen
    assert payout.payee_account == seller.basic_account
    assert jobs.run_settlements(clock.now()) == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    s.refresh_from_db()
    assert s.status == "completed"
    view = queries.get_settlement_for(seller.actor, s.deal_ref)
    assert (view.fee_taken_fen, view.paid_out_fen, view.held_fen) == (s.fee_fen, payout.amount_fen, 0)
    # the fee gets its invoice, made out to the seller
    (invoice,) = Invoice.objects.filter(settlement=s)
    assert (invoice.buyer_entity_id, invoice.amount_fen) == (seller.entity_id, s.fee_fen)
    report = queries.build_reconciliation()
    assert report.reconciled, report
    (deal,) = report.deals
    assert (deal.ledger_in_fen, deal.bank_in_fen, deal.ledger_out_fen) == (900 * WAN, 900 * WAN, payout.amount_fen)


def test_instalments_by_the_equity_rules(parties, clock):
    start = clock.now()
    six_months = start + timedelta(days=184)
    s = _create(
        parties,
        clock,
        schedule=[(start + timedelta(days=5), 300 * WAN), (six_months, 700 * WAN)],
        security="受让方提供银行保函 BH-2026-001 担保",
    )
    assert s.mode == "instalments"
    assert s.rules["instalments"]["down_payment_min"]["rule_id"] == "equity.down_payment_min"
    assert s.interest_rate == Decimal("4.35")
    first, second = s.instalments.order_by("seq")
    assert first.interest_fen == 0
    assert second.interest_fen == simple_interest(700 * WAN, Decimal("4.35"), 184) == 15_350_137
    assert s.interest_fen == second.interest_fen
    receivable = ledger.balance_of(s.receivable_account)
    assert receivable == 1000 * WAN + second.interest_fen


@pytest.mark.parametrize(
    ("schedule", "security", "code"),
    [
        ([(5, 299_999_999), (100, 700_000_001)], "保函", "finance.down_payment_too_low"),
        ([(5, 300 * WAN), (367, 700 * WAN)], "保函", "finance.instalment_period_exceeded"),
        ([(5, 300 * WAN), (100, 700 * WAN)], "", "finance.security_required"),
        ([(5, 300 * WAN), (100, 600 * WAN)], "保函", "finance.schedule_sum_mismatch"),
        ([(100, 300 * WAN), (5, 700 * WAN)], "保函", "finance.schedule_invalid"),
    ],
)
def test_plans_against_the_rules_are_refused(parties, clock, schedule, security, code):
    before = _state()
    start = clock.now()
    with pytest.raises((RuleViolation, InvalidInput)) as err:
        _create(parties, clock, schedule=[(start + timedelta(days=d), a) for d, a in schedule], security=security)
    assert err.value.code == code
    if code in ("finance.down_payment_too_low", "finance.instalment_period_exceeded"):
        assert err.value.details["rule_id"].startswith("equity.")
    assert _state() == before


def test_the_last_day_of_the_year_is_allowed(parties, clock):
    start = clock.now()  # 2026-03-02 09:00 Shanghai: the year ends at 24:00 on 2027-03-02
    last = start.replace(year=2027) + timedelta(hours=14)  # 2027-03-02 23:00 Shanghai
    s = _create(parties, clock, schedule=[(start + timedelta(days=1), 300 * WAN), (last, 700 * WAN)], security="抵押")
    assert s.instalments.count() == 2


def test_instalments_are_refused_where_the_rules_list_none(parties, clock):
    start = clock.now()
    with pytest.raises(RuleViolation) as err:
        _create(
            parties,
            clock,
            regime="land",
            schedule=[(start + timedelta(days=5), 500 * WAN), (start + timedelta(days=90), 500 * WAN)],
            security="保函",
        )
    assert err.value.code == "finance.instalments_not_allowed"


def test_payments_release_and_payouts_balance(parties, clock):
    _buyer, _seller = parties
    start = clock.now()
    s = _create(
        parties,
        clock,
        schedule=[(start + timedelta(days=5), 400 * WAN), (start + timedelta(days=200), 600 * WAN)],
        security="保函",
        fee_fen=5 * WAN,
    )
    actions.do_confirm_transfer(actor=support.SYSTEM, deal_ref=s.deal_ref)
    assert SettlementPayout.objects.count() == 0  # nothing received yet: nothing released
    _pay(s, 400 * WAN, "DOWN")
    (p1,) = SettlementPayout.objects.all()
    assert p1.amount_fen == 400 * WAN - 5 * WAN  # the fee first
    second_total = s.instalments.get(seq=2).total_fen
    _pay(s, second_total, "REST")
    payouts = list(SettlementPayout.objects.order_by("pk"))
    assert [p.amount_fen for p in payouts] == [395 * WAN, second_total]
    jobs.run_settlements(clock.now())
    s.refresh_from_db()
    assert s.status == "completed"
    paid_out = sum(p.amount_fen for p in SettlementPayout.objects.filter(status=PayoutStatus.PAID))
    received = 400 * WAN + second_total
    assert paid_out == received - 5 * WAN
    assert ledger.balance_of(s.account) == 0 == ledger.balance_of(s.payable_account)
    assert ledger.balance_of(s.receivable_account) == 0 == ledger.balance_of(s.contra_account)
    report = queries.build_reconciliation()
    assert report.reconciled
    assert report.balanced


def test_overpayment_is_flagged_and_never_paid_to_the_seller(parties, clock):
    s = _create(parties, clock, due_at=clock.now() + timedelta(days=5))
    actions.do_confirm_transfer(actor=support.SYSTEM, deal_ref=s.deal_ref)
    _pay(s, 1000 * WAN + 123, "OVER")
    assert Alert.objects.filter(kind=AlertKind.SETTLEMENT_OVERPAID, settlement=s).count() == 1
    assert sum(p.amount_fen for p in SettlementPayout.objects.all()) == 1000 * WAN
    assert ledger.balance_of(s.account) == 123  # held for the buyer
    jobs.run_settlements(clock.now())
    assert queries.build_reconciliation().reconciled


def test_overdue_instalment_raises_one_alert(parties, clock):
    start = clock.now()
    s = _create(
        parties,
        clock,
        schedule=[(start + timedelta(days=5), 300 * WAN), (start + timedelta(days=100), 700 * WAN)],
        security="保函",
    )
    _pay(s, 300 * WAN, "ON-TIME")
    clock.advance(timedelta(days=6))
    assert jobs.run_settlements(clock.now()) == 0
    clock.advance(timedelta(days=100))
    assert jobs.run_settlements(clock.now()) == 1
    assert jobs.run_settlements(clock.now()) == 0
    (alert,) = Alert.objects.filter(kind=AlertKind.INSTALMENT_OVERDUE)
    assert alert.details["seq"] == 2
    view = queries.get_settlement_for(support.staff(), s.deal_ref)
    assert [i.overdue for i in view.instalments] == [False, True]


def test_permissions_and_visibility(parties, clock):
    buyer, seller = parties
    with pytest.raises(PermissionDenied):
        _create(parties, clock, actor=buyer.actor, due_at=clock.now() + timedelta(days=5))
    with pytest.raises(InvalidInput) as same:
        _create(parties, clock, seller_entity_id=buyer.entity_id, due_at=clock.now() + timedelta(days=5))
    assert same.value.code == "finance.same_party"
    s = _create(parties, clock, due_at=clock.now() + timedelta(days=5))
    with pytest.raises(Conflict) as twice:
        _create(parties, clock, due_at=clock.now() + timedelta(days=5))
    assert twice.value.code == "finance.settlement_exists"
    outsider = support.make_bidder(support.MINHANG, "1001200300400502")
    with pytest.raises(NotFound):
        queries.get_settlement_for(outsider.actor, s.deal_ref)
    assert [v.deal_ref for v in queries.list_settlements_for(seller.actor)] == [s.deal_ref]
    assert queries.list_settlements_for(outsider.actor) == []
    assert len(queries.list_settlements_for(support.regulator())) == 1


def test_a_forfeited_deposit_is_not_converted(parties, clock):
    buyer, _ = parties
    lot = support.make_lot("auction.lot:e2", regime="state_assets", amount_fen=10 * WAN, base_fen=None)
    deposit = actions.do_open_deposit_account(actor=buyer.actor, lot_ref=lot.ref, entity_id=buyer.entity_id)
    support.pay(deposit, 10 * WAN, buyer.basic_account)
    actions.do_forfeit_deposit(actor=support.SYSTEM, lot_ref=lot.ref, entity_id=buyer.entity_id, reason="reneged")
    s = _create(parties, clock, due_at=clock.now() + timedelta(days=5), lot_ref=lot.ref)
    assert s.deposit_converted_fen == 0
    assert Deposit.objects.get(pk=deposit.pk).status == DepositStatus.FORFEITED
