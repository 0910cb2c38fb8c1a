"""Reads of finance, restricted by the acting user.

Who sees what:

- **A bidder's deposit** (paid or not, how much, when): the bidder's own users always; the platform
  (opening process), staff, regulators and auditors only **from the lot's opening** on. Before it, everyone
  else — other bidders, the tenderer, the public — sees nothing, not even whether an account exists.
- **A lot's deposits**: staff, regulators and auditors see counts only before the opening, the rows after.
- **Reconciliation, suspense, late refunds, alerts**: staff, regulators and auditors.
- **The fee schedule** and **the list of guarantee issuers**: everyone.
- **A bidder's e-guarantee** (application, document, premium, claim): like its deposit — the bidder always, the
  issuer it applied to (which must know its customer), privileged viewers from the opening on.
- **Public verification of a guarantee by its number** (:func:`get_guarantee_verification`, anyone holding
  the number): status, form, issuer, amount, validity, the lot (reference and title), the beneficiary, the
  letter's digests (MD5/SHA-256, so the holder of the file can check it) and the platform's verification
  (when, signer certificate serial). **Before the opening** the bidder (applicant) is never shown, nor the
  premium and rate (the bidder's and the issuer's business), nor the application time; the same 404 answers
  an unknown number and an application not yet issued. **From the opening** the applicant's name is added
  (bidders are public from the opening record on). Numbers are the issuers' own: the platform never lists
  guarantees by lot to the public, so the count of bidders stays secret before the opening as long as issuers
  do not hand out sequential numbers (documented for issuers; a residual risk we cannot close alone).
- **A settlement**: its buyer and seller and privileged viewers; the buyer's virtual account to the buyer and
  privileged viewers only.
- **Invoices**: the entity invoiced, and privileged viewers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Count, Q, Sum

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from yiwang.platform.clock import now
from yiwang.services.finance import bank, ledger
from yiwang.services.finance.domain import fees as fee_rules
from yiwang.services.finance.domain import invoices as invoice_rules
from yiwang.services.finance.domain import settlement as plan_rules
from yiwang.services.finance.domain.deposits import REGIME_LABELS, Regime, mask_account, normalise_lot_ref
from yiwang.services.finance.domain.guarantees import (
    FORM_LABELS,
    ISSUER_KIND_LABELS,
    STATUS_LABELS,
    GuaranteeForm,
    GuaranteeStatus,
    IssuerKind,
)
from yiwang.services.finance.domain.ledger import AccountKind
from yiwang.services.finance.domain.refunds import REASON_LABELS, Reason
from yiwang.services.finance.models import (
    Alert,
    AlertKind,
    BankNotice,
    ClaimStatus,
    Deposit,
    DepositStatus,
    Guarantee,
    GuaranteeIssuer,
    Instalment,
    Invoice,
    IssuerStatus,
    Lot,
    NoticeStatus,
    PayoutStatus,
    Refund,
    RefundStatus,
    Settlement,
    SettlementPayout,
)

PRIVILEGED = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)
MAX_ROWS = 500


def is_privileged(actor: Actor) -> bool:
    return actor.is_system or actor.has_role(*PRIVILEGED)


def _require_privileged(actor: Actor) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")
    if not is_privileged(actor):
        raise PermissionDenied(
            "finance.forbidden", "仅交易中心工作人员、监管和审计人员可以查看", "Staff, regulators and auditors only"
        )


def _secret() -> NotFound:
    # the same answer whether or not the bidder has an account: existence itself is secret before opening
    return NotFound(
        "finance.deposit_not_visible",
        "无权查看或不存在该保证金信息（开标前仅投标人本人可见）",
        "No such deposit visible to you (before the opening only the bidder sees it)",
    )


def opening_passed(lot: Lot, at: datetime | None = None) -> bool:
    return (at or now()) >= lot.opening_at


def may_see_deposit(actor: Actor, lot: Lot, entity_id: int) -> bool:
    return actor.acts_for(entity_id) or (is_privileged(actor) and opening_passed(lot))


def _lot(ref: str) -> Lot:
    lot = Lot.objects.filter(ref=normalise_lot_ref(ref)).first()
    if lot is None:
        raise NotFound(
            "finance.lot_not_found", "该标段尚未设置保证金要求", "No deposit requirement for this lot", {"lot_ref": ref}
        )
    return lot


# -- views -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotView:
    ref: str
    title: str
    regime: str
    regime_label: str
    required_fen: int
    base_fen: int | None
    rate: str | None
    opening_at: datetime
    bank_code: str
    bank_name: str
    rules: dict


def lot_view(lot: Lot) -> LotView:
    return LotView(
        lot.ref,
        lot.title,
        lot.regime,
        REGIME_LABELS[Regime(lot.regime)],
        lot.required_fen,
        lot.base_fen,
        str(lot.rate) if lot.rate is not None else None,
        lot.opening_at,
        lot.bank_code,
        bank.bank_name(lot.bank_code),
        lot.rules,
    )


def get_lot(lot_ref: str) -> LotView:
    """The public part of a lot's deposit requirement (amount, caps used, opening): anyone."""
    return lot_view(_lot(lot_ref))


@dataclass(frozen=True)
class RefundView:
    id: int
    reason: str
    reason_label: str
    amount_fen: int
    interest_fen: int
    anchor_at: datetime
    due_at: datetime | None
    rule_id: str
    status: str
    status_label: str
    paid_at: datetime | None
    late: bool
    overdue: bool


def _refund_view(r: Refund, at: datetime) -> RefundView:
    overdue = r.status != RefundStatus.PAID and r.due_at is not None and at >= r.due_at
    return RefundView(
        r.pk,
        r.reason,
        REASON_LABELS[Reason(r.reason)],
        r.amount_fen,
        r.interest_fen,
        r.anchor_at,
        r.due_at,
        r.rule_id,
        r.status,
        RefundStatus(r.status).label,
        r.paid_at,
        r.late,
        overdue,
    )


@dataclass(frozen=True)
class DepositView:
    id: int
    lot: LotView
    entity_id: int
    entity_name: str
    virtual_account: str
    bank_code: str
    bank_name: str
    required_fen: int
    paid_fen: int  # everything paid in
    balance_fen: int  # held now
    status: str
    status_label: str
    satisfied: bool
    opened_at: datetime
    first_paid_at: datetime | None
    satisfied_at: datetime | None
    closed_at: datetime | None
    payer_mismatch: bool
    refunds: tuple[RefundView, ...] = field(default=())
    flags: tuple[str, ...] = field(default=())


def _deposit_view(d: Deposit, *, names: dict[int, str] | None = None) -> DepositView:
    at = now()
    lot = d.lot
    flags = tuple(
        AlertKind(k).label
        for k in Alert.objects.filter(notice__deposit=d).values_list("kind", flat=True).distinct().order_by("kind")
    )
    refunds = tuple(_refund_view(r, at) for r in d.refunds.order_by("created_at", "pk"))
    balance = ledger.balance_of(d.account)
    return DepositView(
        id=d.pk,
        lot=lot_view(lot),
        entity_id=d.entity_id,
        entity_name=(names or {}).get(d.entity_id, ""),
        virtual_account=d.virtual_account or "",
        bank_code=d.bank_code,
        bank_name=bank.bank_name(d.bank_code),
        required_fen=lot.required_fen,
        paid_fen=ledger.credited_total(d.account),
        balance_fen=balance,
        status=d.status,
        status_label=DepositStatus(d.status).label if d.closed_at is None or d.first_paid_at else "未缴纳（已关闭）",
        satisfied=d.status == DepositStatus.SATISFIED,
        opened_at=d.opened_at,
        first_paid_at=d.first_paid_at,
        satisfied_at=d.satisfied_at,
        closed_at=d.closed_at,
        payer_mismatch=d.payer_mismatch,
        refunds=refunds,
        flags=flags,
    )


def _entity_names(ids: list[int]) -> dict[int, str]:
    from yiwang.registry import queries as registry

    return {i: ref.name for i, ref in registry.get_entity_refs(ids).items()}


def list_my_deposits_for(actor: Actor, entity_id: int | None = None) -> list[DepositView]:
    """我的保证金与退款: the deposits of the entities the actor acts for (or of one of them)."""
    if not actor.is_authenticated:
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")
    if entity_id is not None:
        if not actor.acts_for(entity_id):
            raise PermissionDenied(
                "finance.forbidden",
                "只能查看本单位的保证金",
                "You may see your own entity's deposits only",
                {"entity_id": entity_id},
            )
        ids = [entity_id]
    else:
        ids = sorted(actor.entity_ids())
    rows = Deposit.objects.filter(entity_id__in=ids).select_related("lot", "account").order_by("-opened_at", "-pk")
    names = _entity_names(ids)
    return [_deposit_view(d, names=names) for d in rows[:MAX_ROWS]]


def get_deposit_for(actor: Actor, lot_ref: str, entity_id: int) -> DepositView:
    """One bidder's deposit for a lot: the bidder, or privileged viewers after the opening
    (``finance.deposit_not_visible`` otherwise, the same answer as for a deposit that does not exist)."""
    lot = Lot.objects.filter(ref=normalise_lot_ref(lot_ref)).first()
    if lot is None or not may_see_deposit(actor, lot, entity_id):
        raise _secret()
    deposit = Deposit.objects.filter(lot=lot, entity_id=entity_id).select_related("lot", "account").first()
    if deposit is None:
        raise _secret()
    return _deposit_view(deposit, names=_entity_names([entity_id]))


@dataclass(frozen=True)
class SatisfactionView:
    lot_ref: str
    entity_id: int
    at: datetime
    required_fen: int
    held_fen: int  # cash held in the deposit account at ``at`` (by the banks' booking times)
    satisfied: bool
    via: str = ""  # cash | letter | policy | "" (not satisfied)
    guarantee_no: str | None = None  # the e-guarantee (or policy) that satisfies it
    guarantee_fen: int = 0


def covering_guarantee(lot: Lot, entity_id: int, at: datetime) -> Guarantee | None:
    """The bidder's guarantee that stands for the lot's deposit at ``at``: accepted by then, not closed
    (released, claimed, expired) by then, still within its validity, at least the requirement, and lasting to
    the end of the bid validity the lot states now (an extended bid validity needs an extended guarantee)."""
    qs = Guarantee.objects.filter(
        lot=lot,
        entity_id=entity_id,
        accepted_at__lte=at,
        end_at__gt=at,
        amount_fen__gte=lot.required_fen,
    ).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=at))
    if lot.bid_validity_until is not None:
        qs = qs.filter(end_at__gte=lot.bid_validity_until)
    return qs.order_by("accepted_at", "pk").first()


def get_deposit_satisfaction_for(
    actor: Actor, lot_ref: str, entity_id: int, at: datetime | None = None
) -> SatisfactionView:
    """Has the bidder satisfied the deposit of the lot at instant ``at`` (default now)? For the bid gate
    (asked with the bidder's actor) and for the opening (the platform, from the opening on). Money counts from
    the bank's booking time; a bidder without an account simply has not satisfied it. A verified e-guarantee
    or guarantee insurance policy (:func:`covering_guarantee`) satisfies it exactly like cash."""
    lot = Lot.objects.filter(ref=normalise_lot_ref(lot_ref)).first()
    if lot is None or not may_see_deposit(actor, lot, entity_id):
        raise _secret()
    moment = at or now()
    deposit = Deposit.objects.filter(lot=lot, entity_id=entity_id).select_related("account").first()
    held = ledger.balance_of(deposit.account, at=moment) if deposit is not None else 0
    if held >= lot.required_fen:
        return SatisfactionView(lot.ref, entity_id, moment, lot.required_fen, held, True, "cash")
    cover = covering_guarantee(lot, entity_id, moment)
    if cover is not None:
        return SatisfactionView(
            lot.ref, entity_id, moment, lot.required_fen, held, True, cover.form, cover.number, cover.amount_fen
        )
    return SatisfactionView(lot.ref, entity_id, moment, lot.required_fen, held, False)


def has_satisfied_deposit(actor: Actor, lot_ref: str, entity_id: int, at: datetime | None = None) -> bool:
    """Shorthand of :func:`get_deposit_satisfaction_for` for the bid gate."""
    return get_deposit_satisfaction_for(actor, lot_ref, entity_id, at).satisfied


@dataclass(frozen=True)
class LotDepositsView:
    lot: LotView
    opened: bool  # has the opening passed? (rows are shown only then)
    accounts: int
    satisfied: int
    held_fen: int | None  # total held, after the opening only
    rows: tuple[DepositView, ...] | None
    guarantees: int = 0  # e-guarantees and policies accepted for the lot
    guarantee_rows: tuple[GuaranteeView, ...] | None = None  # after the opening only


def get_lot_deposits_for(actor: Actor, lot_ref: str) -> LotDepositsView:
    """A lot's deposits for staff, regulators and auditors: counts before the opening, every row after."""
    _require_privileged(actor)
    lot = _lot(lot_ref)
    qs = Deposit.objects.filter(lot=lot)
    accounts = qs.count()
    satisfied = qs.filter(Q(status=DepositStatus.SATISFIED) | Q(satisfied_at__isnull=False)).count()
    accepted = _guarantee_qs().filter(lot=lot, accepted_at__isnull=False)
    n_guarantees = accepted.count()
    if not opening_passed(lot):
        return LotDepositsView(lot_view(lot), False, accounts, satisfied, None, None, n_guarantees)
    deposits = list(qs.select_related("lot", "account").order_by("pk")[:MAX_ROWS])
    names = _entity_names([d.entity_id for d in deposits])
    rows = tuple(_deposit_view(d, names=names) for d in deposits)
    guarantees = tuple(_guarantee_views(list(accepted.order_by("pk")[:MAX_ROWS])))
    return LotDepositsView(
        lot_view(lot), True, accounts, satisfied, sum(r.balance_fen for r in rows), rows, n_guarantees, guarantees
    )


def list_lots_for(actor: Actor, *, limit: int = 100) -> list[tuple[LotView, int]]:
    """Lots with their number of deposit accounts (staff, regulators, auditors)."""
    _require_privileged(actor)
    rows = Lot.objects.annotate(n=Count("deposits")).order_by("-opening_at", "-pk")[:limit]
    return [(lot_view(lot), lot.n) for lot in rows]


# -- staff: suspense, refunds, alerts, reconciliation ------------------------------------------------------------------


@dataclass(frozen=True)
class SuspenseView:
    notice_id: int
    bank_code: str
    bank_ref: str
    virtual_account: str
    amount_fen: int
    currency: str
    payer_account: str
    payer_name: str
    booked_at: datetime
    received_at: datetime


def list_suspense_for(actor: Actor) -> list[SuspenseView]:
    _require_privileged(actor)
    rows = BankNotice.objects.filter(status=NoticeStatus.SUSPENSE).order_by("booked_at", "pk")[:MAX_ROWS]
    return [
        SuspenseView(
            n.pk,
            n.bank_code,
            n.bank_ref,
            n.virtual_account,
            n.amount_fen,
            n.currency,
            mask_account(n.payer_account),
            n.payer_name,
            n.booked_at,
            n.received_at,
        )
        for n in rows
    ]


@dataclass(frozen=True)
class LateRefundView:
    refund: RefundView
    lot_ref: str
    entity_id: int


def list_late_refunds_for(actor: Actor) -> list[LateRefundView]:
    """Refunds paid after their deadline, and unpaid ones already past it."""
    _require_privileged(actor)
    at = now()
    qs = Refund.objects.filter(Q(late=True) | (Q(due_at__lte=at) & ~Q(status=RefundStatus.PAID))).select_related("lot")
    return [LateRefundView(_refund_view(r, at), r.lot.ref, r.entity_id) for r in qs.order_by("due_at", "pk")[:MAX_ROWS]]


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    kind_label: str
    lot_ref: str | None
    entity_id: int | None
    details: dict[str, Any]
    raised_at: datetime
    resolved_at: datetime | None


def list_alerts_for(actor: Actor, *, kind: str | None = None, open_only: bool = False) -> list[AlertView]:
    """Alerts for supervision and staff (payer mismatch, shared payer account, suspense, late refunds …)."""
    _require_privileged(actor)
    qs = Alert.objects.select_related("lot").order_by("-raised_at", "-pk")
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return [
        AlertView(
            a.pk,
            a.kind,
            AlertKind(a.kind).label,
            a.lot.ref if a.lot else None,
            a.entity_id,
            a.details,
            a.raised_at,
            a.resolved_at,
        )
        for a in qs[:MAX_ROWS]
    ]


@dataclass(frozen=True)
class LotReconciliation:
    lot_ref: str
    ledger_in_fen: int  # received into the lot's deposit accounts from the bank (incl. suspense assigned)
    ledger_out_fen: int  # principal paid back through the bank
    bank_in_fen: int
    bank_out_fen: int

    @property
    def difference_fen(self) -> int:
        return (self.ledger_in_fen - self.ledger_out_fen) - (self.bank_in_fen - self.bank_out_fen)


@dataclass(frozen=True)
class BankReconciliation:
    bank_code: str
    ledger_balance_fen: int  # the custody account in the ledger
    statement_balance_fen: int  # the bank's statement: in − out (principal)
    interest_paid_fen: int  # paid from the platform's operating funds

    @property
    def difference_fen(self) -> int:
        return self.ledger_balance_fen - (self.statement_balance_fen + self.interest_paid_fen)


@dataclass(frozen=True)
class DealReconciliation:
    deal_ref: str
    ledger_in_fen: int  # buyer payments posted to the settlement account from the bank
    ledger_out_fen: int  # paid out to the seller through the bank
    bank_in_fen: int
    bank_out_fen: int

    @property
    def difference_fen(self) -> int:
        return (self.ledger_in_fen - self.ledger_out_fen) - (self.bank_in_fen - self.bank_out_fen)


@dataclass(frozen=True)
class ReconciliationReport:
    at: datetime
    total_debit_fen: int
    total_credit_fen: int
    trial_balance: list[ledger.TrialRow]
    negative_accounts: list[tuple[str, int]]
    suspense_fen: int
    suspense_items: int
    unposted_notices: int
    held_notices: int
    banks: list[BankReconciliation]
    lots: list[LotReconciliation]
    late_refunds: int
    overdue_unpaid: int
    deals: list[DealReconciliation] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.total_debit_fen == self.total_credit_fen

    @property
    def reconciled(self) -> bool:
        """Debits = credits, nothing negative, ledger = bank statement for every bank and lot."""
        return (
            self.balanced
            and not self.negative_accounts
            and all(b.difference_fen == 0 for b in self.banks)
            and all(lot.difference_fen == 0 for lot in self.lots)
            and all(deal.difference_fen == 0 for deal in self.deals)
        )


def _kind_total(kind: AccountKind, bank_code: str) -> int:
    rows = ledger.balances(ledger_accounts(kind, bank_code))
    return sum(rows.values())


def ledger_accounts(kind: AccountKind, bank_code: str = "") -> list:
    from yiwang.services.finance.models import Account

    qs = Account.objects.filter(kind=kind.value)
    if bank_code:
        qs = qs.filter(bank_code=bank_code)
    return list(qs)


def build_reconciliation() -> ReconciliationReport:
    """The reconciliation report (no permission check: the staff page, the benchmark and tests use it)."""
    from yiwang.services.finance.models import JournalLine

    at = now()
    debit, credit = ledger.totals()
    gateway = bank.gateway()
    bank_rows = []
    lot_bank: dict[str, list[int]] = {}
    va_lot = dict(Deposit.objects.exclude(virtual_account=None).values_list("virtual_account", "lot__ref"))
    instr_lot = dict(Refund.objects.exclude(instruction_ref=None).values_list("instruction_ref", "lot__ref"))
    va_deal = dict(Settlement.objects.exclude(virtual_account=None).values_list("virtual_account", "deal_ref"))
    instr_deal = dict(
        SettlementPayout.objects.exclude(instruction_ref=None).values_list("instruction_ref", "settlement__deal_ref")
    )
    deal_bank: dict[str, list[int]] = {}
    for code in sorted(bank.banks()):
        statement = gateway.statement(code)
        stmt_in = sum(s.amount_fen for s in statement if s.direction == "in")
        stmt_out = 0
        for s in statement:
            if s.direction == "in" and s.virtual_account in va_lot:
                lot_bank.setdefault(va_lot[s.virtual_account], [0, 0])[0] += s.amount_fen
            if s.direction == "in" and s.virtual_account in va_deal:
                deal_bank.setdefault(va_deal[s.virtual_account], [0, 0])[0] += s.amount_fen
            if s.direction == "out" and s.instruction_ref in instr_deal:
                deal_bank.setdefault(instr_deal[s.instruction_ref], [0, 0])[1] += s.amount_fen
        interest_refs = set(
            Refund.objects.filter(
                reason=Reason.INTEREST.value,
                instruction_ref__in=[s.instruction_ref for s in statement if s.direction == "out"],
            ).values_list("instruction_ref", flat=True)
        )
        interest = 0
        for s in statement:
            if s.direction != "out":
                continue
            if s.instruction_ref in interest_refs:
                interest += s.amount_fen
                continue
            stmt_out += s.amount_fen
            if s.instruction_ref in instr_lot:
                lot_bank.setdefault(instr_lot[s.instruction_ref], [0, 0])[1] += s.amount_fen
        # interest left the bank too, but was funded from the operating account: count it on its own line
        ledger_bank = _kind_total(AccountKind.BANK_CLEARING, code)
        bank_rows.append(BankReconciliation(code, ledger_bank, stmt_in - stmt_out - interest, interest))
    # per lot, from the ledger: money that came into its deposit accounts from the bank or from suspense, and
    # principal paid back out of its refund accounts
    lot_rows = []
    ins = dict(
        JournalLine.objects.filter(
            account__kind=AccountKind.DEPOSIT.value, entry__kind__in=["deposit_received", "suspense_assigned"]
        )
        .values("account__lot__ref")
        .annotate(c=Sum("credit_fen"))
        .values_list("account__lot__ref", "c")
    )
    outs = dict(
        Refund.objects.filter(status=RefundStatus.PAID)
        .exclude(reason=Reason.INTEREST.value)
        .values("lot__ref")
        .annotate(s=Sum("amount_fen"))
        .values_list("lot__ref", "s")
    )
    assigned = dict(
        JournalLine.objects.filter(account__kind=AccountKind.DEPOSIT.value, entry__kind="suspense_assigned")
        .values("account__lot__ref")
        .annotate(c=Sum("credit_fen"))
        .values_list("account__lot__ref", "c")
    )
    for ref in sorted(set(ins) | set(outs) | set(lot_bank)):
        bank_in, bank_out = lot_bank.get(ref, [0, 0])
        # money assigned from suspense arrived at the bank under another (unknown) virtual account
        lot_rows.append(
            LotReconciliation(
                ref, int(ins.get(ref) or 0) - int(assigned.get(ref) or 0), int(outs.get(ref) or 0), bank_in, bank_out
            )
        )
    deal_ins = dict(
        JournalLine.objects.filter(account__kind=AccountKind.SETTLEMENT.value, entry__kind="settlement_received")
        .values("account__settlement__deal_ref")
        .annotate(c=Sum("credit_fen"))
        .values_list("account__settlement__deal_ref", "c")
    )
    deal_outs = dict(
        JournalLine.objects.filter(account__kind=AccountKind.SELLER_PAYABLE.value, entry__kind="settlement_paid")
        .values("account__settlement_payable__deal_ref")
        .annotate(d=Sum("debit_fen"))
        .values_list("account__settlement_payable__deal_ref", "d")
    )
    deal_rows = []
    for ref in sorted(set(deal_ins) | set(deal_outs) | set(deal_bank)):
        bank_in, bank_out = deal_bank.get(ref, [0, 0])
        deal_rows.append(
            DealReconciliation(ref, int(deal_ins.get(ref) or 0), int(deal_outs.get(ref) or 0), bank_in, bank_out)
        )
    suspense_qs = BankNotice.objects.filter(status=NoticeStatus.SUSPENSE)
    return ReconciliationReport(
        at=at,
        total_debit_fen=debit,
        total_credit_fen=credit,
        trial_balance=ledger.trial_balance(),
        negative_accounts=ledger.negative_accounts(),
        suspense_fen=sum(ledger.balances(ledger_accounts(AccountKind.SUSPENSE)).values()),
        suspense_items=suspense_qs.count(),
        unposted_notices=BankNotice.objects.filter(status=NoticeStatus.RECEIVED).count(),
        held_notices=BankNotice.objects.filter(status=NoticeStatus.HELD).count(),
        banks=bank_rows,
        lots=lot_rows,
        late_refunds=Refund.objects.filter(late=True).count(),
        overdue_unpaid=Refund.objects.filter(due_at__lte=at).exclude(status=RefundStatus.PAID).count(),
        deals=deal_rows,
    )


def get_reconciliation_for(actor: Actor) -> ReconciliationReport:
    _require_privileged(actor)
    return build_reconciliation()


# -- fees (public) -----------------------------------------------------------------------------------------------------


@cache
def _fee_data() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "data" / "fees.json").read_text(encoding="utf-8"))


def fee_items() -> list[fee_rules.FeeItem]:
    return [fee_rules.fee_item_from_json(i) for i in _fee_data()["items"]]


def fee_note() -> str:
    return str(_fee_data().get("note", ""))


def fee_item(code: str) -> fee_rules.FeeItem:
    for item in fee_items():
        if item.code == code:
            return item
    raise NotFound(
        "finance.fee_unknown", f"收费项目“{code[:40]}”不存在", f"no fee item {code[:40]!r}", {"field": "fee_code"}
    )


def compute_fee(code: str, base_fen: int | None = None) -> int:
    return fee_rules.compute_fee(fee_item(code), base_fen)


@dataclass(frozen=True)
class ServiceFee:
    key: str
    title_zh: str
    provider: str
    fee: str
    basis: str


def catalogue_service_fees() -> list[ServiceFee]:
    """The fees the 服务清单 in effect states for each platform service (public)."""
    version = catalog.version_in_effect("services")
    if version is None:
        return []
    return [
        ServiceFee(i.key, i.title_zh, i.data.get("provider", ""), i.data.get("fee", ""), i.data.get("basis", ""))
        for i in catalog.version_items(version, item_type="service")
    ]


def fee_invoice_data() -> dict[str, Any]:
    """The operator's invoicing data from the fee schedule file (tax rate and its basis)."""
    return dict(_fee_data().get("invoice") or {})


# -- e-guarantees ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerView:
    id: int
    entity_id: int
    name: str
    uscc: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    status_reason: str
    certificates: int
    forms: tuple[str, ...]


def _issuer_view(issuer: GuaranteeIssuer, certificates: int) -> IssuerView:
    kind = IssuerKind(issuer.kind)
    forms = tuple(f.value for f in GuaranteeForm if kind in _forms_for(f))
    return IssuerView(
        issuer.pk,
        issuer.entity_id,
        issuer.name,
        issuer.uscc,
        issuer.kind,
        ISSUER_KIND_LABELS[kind],
        issuer.status,
        IssuerStatus(issuer.status).label,
        issuer.status_reason,
        certificates,
        forms,
    )


def _forms_for(form: GuaranteeForm):
    from yiwang.services.finance.domain.guarantees import FORM_ISSUERS

    return FORM_ISSUERS[form]


def list_guarantee_issuers(*, active_only: bool = False) -> list[IssuerView]:
    """The issuers whose e-guarantees the platform accepts (public, so bidders can choose)."""
    qs = GuaranteeIssuer.objects.annotate(n=Count("certificates")).order_by("kind", "name", "pk")
    if active_only:
        qs = qs.filter(status=IssuerStatus.ACTIVE)
    return [_issuer_view(i, i.n) for i in qs]


def get_guarantee_issuer(issuer_id: int) -> IssuerView:
    issuer = GuaranteeIssuer.objects.annotate(n=Count("certificates")).filter(pk=issuer_id).first()
    if issuer is None:
        raise NotFound(
            "finance.issuer_not_found", "未找到该保函出具机构", "No such guarantee issuer", {"issuer_id": issuer_id}
        )
    return _issuer_view(issuer, issuer.n)


@dataclass(frozen=True)
class GuaranteeView:
    id: int
    application_no: str
    number: str | None
    form: str
    form_label: str
    status: str
    status_label: str
    lot_ref: str
    lot_title: str
    required_fen: int
    opening_at: datetime
    bid_validity_until: datetime | None
    entity_id: int
    entity_name: str
    beneficiary_entity_id: int
    beneficiary_name: str
    issuer_id: int
    issuer_name: str
    issuer_kind_label: str
    amount_fen: int
    cost_fen: int | None
    rate: str | None
    begin_at: datetime | None
    end_at: datetime | None
    letter_time: datetime | None
    md5: str
    sha256: str
    signer_serial: str
    applied_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    release_reason: str
    flagged: bool
    flag_reason: str
    claim_ref: str | None = None
    claim_status: str | None = None
    claim_amount_fen: int | None = None
    claim_paid_at: datetime | None = None
    issuer_notified_at: datetime | None = None


def _guarantee_views(rows: list[Guarantee]) -> list[GuaranteeView]:
    ids = {g.entity_id for g in rows} | {g.beneficiary_entity_id for g in rows}
    names = _entity_names(sorted(ids))
    out = []
    for g in rows:
        claim = g.claim if hasattr(g, "claim") else None
        out.append(
            GuaranteeView(
                id=g.pk,
                application_no=g.application_no,
                number=g.number,
                form=g.form,
                form_label=FORM_LABELS[GuaranteeForm(g.form)],
                status=g.status,
                status_label=STATUS_LABELS[GuaranteeStatus(g.status)],
                lot_ref=g.lot.ref,
                lot_title=g.lot.title,
                required_fen=g.lot.required_fen,
                opening_at=g.lot.opening_at,
                bid_validity_until=g.lot.bid_validity_until,
                entity_id=g.entity_id,
                entity_name=names.get(g.entity_id, ""),
                beneficiary_entity_id=g.beneficiary_entity_id,
                beneficiary_name=names.get(g.beneficiary_entity_id, ""),
                issuer_id=g.issuer_id,
                issuer_name=g.issuer.name,
                issuer_kind_label=ISSUER_KIND_LABELS[IssuerKind(g.issuer.kind)],
                amount_fen=g.amount_fen,
                cost_fen=g.cost_fen,
                rate=str(g.rate) if g.rate is not None else None,
                begin_at=g.begin_at,
                end_at=g.end_at,
                letter_time=g.letter_time,
                md5=g.md5,
                sha256=g.sha256,
                signer_serial=g.signer_serial,
                applied_at=g.applied_at,
                accepted_at=g.accepted_at,
                closed_at=g.closed_at,
                release_reason=g.release_reason,
                flagged=g.flagged,
                flag_reason=g.flag_reason,
                claim_ref=claim.ref if claim else None,
                claim_status=ClaimStatus(claim.status).label if claim else None,
                claim_amount_fen=claim.amount_fen if claim else None,
                claim_paid_at=claim.paid_at if claim else None,
                issuer_notified_at=g.issuer_notified_at,
            )
        )
    return out


def _guarantee_qs():
    return Guarantee.objects.select_related("lot", "issuer", "claim")


def may_see_guarantee(actor: Actor, g: Guarantee) -> bool:
    return (
        actor.acts_for(g.entity_id)
        or actor.acts_for(g.issuer.entity_id)
        or (is_privileged(actor) and opening_passed(g.lot))
    )


def list_my_guarantees_for(actor: Actor, entity_id: int | None = None) -> list[GuaranteeView]:
    """我的保函: the guarantees and applications of the entities the actor acts for (or of one of them)."""
    if not actor.is_authenticated:
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")
    if entity_id is not None and not actor.acts_for(entity_id):
        raise PermissionDenied(
            "finance.forbidden", "只能查看本单位的保函", "You may see your own entity's guarantees only"
        )
    ids = [entity_id] if entity_id is not None else sorted(actor.entity_ids())
    rows = list(_guarantee_qs().filter(entity_id__in=ids).order_by("-applied_at", "-pk")[:MAX_ROWS])
    return _guarantee_views(rows)


def list_issuer_applications_for(actor: Actor, *, pending_only: bool = False) -> list[GuaranteeView]:
    """For an issuer's users (or machine client): the applications and guarantees addressed to it."""
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")
    issuer_ids = list(
        GuaranteeIssuer.objects.filter(entity_id__in=list(actor.entity_ids())).values_list("pk", flat=True)
    )
    if not issuer_ids:
        raise PermissionDenied(
            "finance.not_an_issuer", "仅保函出具机构可以查看", "Only guarantee issuers may see applications"
        )
    qs = _guarantee_qs().filter(issuer_id__in=issuer_ids)
    if pending_only:
        qs = qs.filter(status=GuaranteeStatus.APPLIED)
    return _guarantee_views(list(qs.order_by("-applied_at", "-pk")[:MAX_ROWS]))


def get_guarantee_for(actor: Actor, key: str) -> GuaranteeView:
    """One guarantee (by its number or its application number) as the bidder, its issuer, or a privileged
    viewer after the opening sees it; ``finance.guarantee_not_visible`` otherwise."""
    g = _guarantee_qs().filter(Q(number=key) | Q(application_no=key)).first()
    if g is None or not may_see_guarantee(actor, g):
        raise NotFound(
            "finance.guarantee_not_visible",
            "无权查看或不存在该保函（开标前仅投标人及出具机构可见）",
            "No such guarantee visible to you",
        )
    return _guarantee_views([g])[0]


@dataclass(frozen=True)
class GuaranteeVerification:
    """What anyone holding a guarantee number may see (see the module docstring for the rules)."""

    number: str
    form: str
    form_label: str
    guarantee_type: str
    status: str
    status_label: str
    in_force: bool  # valid now: accepted, not closed, within its validity
    issuer_name: str
    issuer_kind_label: str
    issuer_status: str
    issuer_status_label: str
    amount_fen: int
    lot_ref: str
    lot_title: str
    beneficiary_name: str
    begin_at: datetime | None
    end_at: datetime | None
    letter_time: datetime | None
    md5: str
    sha256: str
    verified_at: datetime | None
    signer_serial: str
    flagged: bool
    opened: bool  # has the lot's opening passed?
    applicant_name: str | None  # after the opening only


def get_guarantee_verification(number: str) -> GuaranteeVerification:
    """Public verification of an e-guarantee or policy by its number (保函真伪查验)."""
    text = (number or "").strip()
    g = _guarantee_qs().filter(number=text).first() if text else None
    if g is None or g.accepted_at is None:
        raise NotFound(
            "finance.guarantee_not_found",
            "未查询到该编号的保函（保单）",
            "No guarantee with this number is registered on the platform",
        )
    at = now()
    opened = opening_passed(g.lot, at)
    names = _entity_names([g.beneficiary_entity_id, *([g.entity_id] if opened else [])])
    in_force = g.status == GuaranteeStatus.VALID and g.end_at is not None and g.end_at > at
    issuer_kind = IssuerKind(g.issuer.kind)
    return GuaranteeVerification(
        number=g.number or "",
        form=g.form,
        form_label=FORM_LABELS[GuaranteeForm(g.form)],
        guarantee_type=g.guarantee_type,
        status=g.status,
        status_label=STATUS_LABELS[GuaranteeStatus(g.status)],
        in_force=in_force,
        issuer_name=g.issuer.name,
        issuer_kind_label=ISSUER_KIND_LABELS[issuer_kind],
        issuer_status=g.issuer.status,
        issuer_status_label=IssuerStatus(g.issuer.status).label,
        amount_fen=g.amount_fen,
        lot_ref=g.lot.ref,
        lot_title=g.lot.title,
        beneficiary_name=names.get(g.beneficiary_entity_id, ""),
        begin_at=g.begin_at,
        end_at=g.end_at,
        letter_time=g.letter_time,
        md5=g.md5,
        sha256=g.sha256,
        verified_at=g.accepted_at,
        signer_serial=g.signer_serial,
        flagged=g.flagged,
        opened=opened,
        applicant_name=names.get(g.entity_id) if opened else None,
    )


# -- settlements -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentView:
    seq: int
    due_at: datetime
    principal_fen: int
    interest_fen: int
    total_fen: int
    paid_fen: int
    outstanding_fen: int
    paid_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class PayoutView:
    id: int
    amount_fen: int
    status: str
    status_label: str
    instruction_ref: str | None
    payee_account: str  # masked
    created_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True)
class InvoiceView:
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    number: str | None
    code: str
    issued_on: date | None
    item_name: str
    amount_fen: int
    net_fen: int
    tax_fen: int
    tax_rate: str
    buyer_entity_id: int | None
    lot_ref: str | None
    deal_ref: str | None
    original_number: str | None
    sha256: str
    entry_id: int


@dataclass(frozen=True)
class SettlementView:
    deal_ref: str
    title: str
    lot_ref: str | None
    regime: str
    regime_label: str
    buyer_entity_id: int
    buyer_name: str
    seller_entity_id: int
    seller_name: str
    price_fen: int
    interest_fen: int
    total_due_fen: int
    paid_fen: int  # paid towards the plan (incl. the converted deposit)
    outstanding_fen: int
    deposit_converted_fen: int
    fee_fen: int
    fee_taken_fen: int
    released_fen: int  # released to the seller (excl. the fee)
    paid_out_fen: int  # paid to the seller by the bank
    held_fen: int  # still in the settlement account
    mode: str
    mode_label: str
    interest_rate: str | None
    security: str
    anchor_at: datetime
    virtual_account: str | None  # the buyer and privileged viewers only
    bank_name: str
    status: str
    status_label: str
    transfer_confirmed_at: datetime | None
    created_at: datetime
    rules: dict[str, Any]
    instalments: tuple[InstalmentView, ...]
    payouts: tuple[PayoutView, ...]
    invoices: tuple[InvoiceView, ...]


def _invoice_view(i: Invoice) -> InvoiceView:
    return InvoiceView(
        i.pk,
        i.kind,
        invoice_rules.KIND_LABELS[invoice_rules.Kind(i.kind)],
        i.status,
        invoice_rules.STATUS_LABELS[invoice_rules.Status(i.status)],
        i.number,
        i.code,
        i.issued_on,
        i.item_name,
        i.amount_fen,
        i.net_fen,
        i.tax_fen,
        str(i.tax_rate.normalize()),
        i.buyer_entity_id,
        i.lot.ref if i.lot_id else None,
        i.settlement.deal_ref if i.settlement_id else None,
        i.original.number if i.original_id else None,
        i.sha256,
        i.entry_id,
    )


def _invoice_qs():
    return Invoice.objects.select_related("lot", "settlement", "original")


def may_see_settlement(actor: Actor, s: Settlement) -> bool:
    return is_privileged(actor) or actor.acts_for(s.buyer_entity_id) or actor.acts_for(s.seller_entity_id)


def _settlement_view(actor: Actor, s: Settlement) -> SettlementView:
    at = now()
    names = _entity_names([s.buyer_entity_id, s.seller_entity_id])
    instalments = tuple(
        InstalmentView(
            i.seq,
            i.due_at,
            i.principal_fen,
            i.interest_fen,
            i.total_fen,
            i.paid_fen,
            max(i.total_fen - i.paid_fen, 0),
            i.paid_at,
            i.paid_fen < i.total_fen and i.due_at <= at,
        )
        for i in Instalment.objects.filter(settlement=s).order_by("seq")
    )
    payouts = tuple(
        PayoutView(
            p.pk,
            p.amount_fen,
            p.status,
            PayoutStatus(p.status).label,
            p.instruction_ref,
            mask_account(p.payee_account),
            p.created_at,
            p.paid_at,
        )
        for p in s.payouts.order_by("pk")
    )
    invoice_rows = _invoice_qs().filter(settlement=s).order_by("pk")
    if not is_privileged(actor):
        invoice_rows = invoice_rows.filter(buyer_entity_id__in=list(actor.entity_ids()))
    fee_account = ledger_accounts_by_code(f"fee:{s.deal_ref}")
    paid = sum(i.paid_fen for i in instalments)
    total = s.price_fen + s.interest_fen
    released = ledger.credited_total(s.payable_account)
    regime = Regime(s.regime)
    return SettlementView(
        deal_ref=s.deal_ref,
        title=s.title,
        lot_ref=s.lot.ref if s.lot_id else None,
        regime=s.regime,
        regime_label=REGIME_LABELS[regime],
        buyer_entity_id=s.buyer_entity_id,
        buyer_name=names.get(s.buyer_entity_id, ""),
        seller_entity_id=s.seller_entity_id,
        seller_name=names.get(s.seller_entity_id, ""),
        price_fen=s.price_fen,
        interest_fen=s.interest_fen,
        total_due_fen=total,
        paid_fen=paid,
        outstanding_fen=max(total - paid, 0),
        deposit_converted_fen=s.deposit_converted_fen,
        fee_fen=s.fee_fen,
        fee_taken_fen=ledger.credited_total(fee_account) if fee_account else 0,
        released_fen=released,
        paid_out_fen=ledger.debited_total(s.payable_account),
        held_fen=ledger.balance_of(s.account),
        mode=s.mode,
        mode_label=plan_rules.MODE_LABELS[plan_rules.Mode(s.mode)],
        interest_rate=str(s.interest_rate) if s.interest_rate is not None else None,
        security=s.security,
        anchor_at=s.anchor_at,
        virtual_account=s.virtual_account if (is_privileged(actor) or actor.acts_for(s.buyer_entity_id)) else None,
        bank_name=bank.bank_name(s.bank_code),
        status=s.status,
        status_label=plan_rules.STATUS_LABELS[plan_rules.Status(s.status)],
        transfer_confirmed_at=s.transfer_confirmed_at,
        created_at=s.created_at,
        rules=s.rules,
        instalments=instalments,
        payouts=payouts,
        invoices=tuple(_invoice_view(i) for i in invoice_rows),
    )


def ledger_accounts_by_code(code: str):
    from yiwang.services.finance.models import Account

    return Account.objects.filter(code=code).first()


def get_settlement_for(actor: Actor, deal_ref: str) -> SettlementView:
    """A deal's settlement: its buyer, its seller, privileged viewers (``finance.settlement_not_visible``)."""
    s = Settlement.objects.select_related("lot", "account", "payable_account").filter(deal_ref=deal_ref).first()
    if s is None or not may_see_settlement(actor, s):
        raise NotFound("finance.settlement_not_visible", "无权查看或不存在该结算", "No such settlement visible to you")
    return _settlement_view(actor, s)


def list_settlements_for(actor: Actor) -> list[SettlementView]:
    """Settlements of the entities the actor acts for (as buyer or seller); every settlement for privileged
    viewers."""
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")
    qs = Settlement.objects.select_related("lot", "account", "payable_account").order_by("-created_at", "-pk")
    if not is_privileged(actor):
        ids = list(actor.entity_ids())
        qs = qs.filter(Q(buyer_entity_id__in=ids) | Q(seller_entity_id__in=ids))
    return [_settlement_view(actor, s) for s in qs[:MAX_ROWS]]


# -- invoices ----------------------------------------------------------------------------------------------------------


def list_my_invoices_for(actor: Actor, entity_id: int | None = None) -> list[InvoiceView]:
    """我的发票: invoices made out to the entities the actor acts for."""
    if not actor.is_authenticated:
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")
    if entity_id is not None and not actor.acts_for(entity_id):
        raise PermissionDenied(
            "finance.forbidden", "只能查看本单位的发票", "You may see your own entity's invoices only"
        )
    ids = [entity_id] if entity_id is not None else sorted(actor.entity_ids())
    rows = _invoice_qs().filter(buyer_entity_id__in=ids).order_by("-created_at", "-pk")[:MAX_ROWS]
    return [_invoice_view(i) for i in rows]


def list_invoices_for(actor: Actor) -> list[InvoiceView]:
    """Every invoice, newest first (staff, regulators, auditors)."""
    _require_privileged(actor)
    return [_invoice_view(i) for i in _invoice_qs().order_by("-created_at", "-pk")[:MAX_ROWS]]
