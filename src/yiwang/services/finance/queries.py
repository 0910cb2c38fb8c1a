"""Reads of finance, restricted by the acting user.

Who sees what:

- **A bidder's deposit** (paid or not, how much, when): the bidder's own users always; the platform
  (opening process), staff, regulators and auditors only **from the lot's opening** on. Before it, everyone
  else — other bidders, the tenderer, the public — sees nothing, not even whether an account exists.
- **A lot's deposits**: staff, regulators and auditors see counts only before the opening, the rows after.
- **Reconciliation, suspense, late refunds, alerts**: staff, regulators and auditors.
- **The fee schedule**: everyone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
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
from yiwang.services.finance.domain.deposits import REGIME_LABELS, Regime, mask_account, normalise_lot_ref
from yiwang.services.finance.domain.ledger import AccountKind
from yiwang.services.finance.domain.refunds import REASON_LABELS, Reason
from yiwang.services.finance.models import (
    Alert,
    AlertKind,
    BankNotice,
    Deposit,
    DepositStatus,
    Lot,
    NoticeStatus,
    Refund,
    RefundStatus,
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


# -- views ---------------------------------------------------------------------------------------------------------


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
    held_fen: int  # held in the deposit account at ``at`` (by the banks' booking times)
    satisfied: bool


def get_deposit_satisfaction_for(
    actor: Actor, lot_ref: str, entity_id: int, at: datetime | None = None
) -> SatisfactionView:
    """Has the bidder satisfied the deposit of the lot at instant ``at`` (default now)? For the bid gate
    (asked with the bidder's actor) and for the opening (the platform, from the opening on). Money counts from
    the bank's booking time; a bidder without an account simply has not satisfied it."""
    lot = Lot.objects.filter(ref=normalise_lot_ref(lot_ref)).first()
    if lot is None or not may_see_deposit(actor, lot, entity_id):
        raise _secret()
    moment = at or now()
    deposit = Deposit.objects.filter(lot=lot, entity_id=entity_id).select_related("account").first()
    held = ledger.balance_of(deposit.account, at=moment) if deposit is not None else 0
    return SatisfactionView(lot.ref, entity_id, moment, lot.required_fen, held, held >= lot.required_fen)


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


def get_lot_deposits_for(actor: Actor, lot_ref: str) -> LotDepositsView:
    """A lot's deposits for staff, regulators and auditors: counts before the opening, every row after."""
    _require_privileged(actor)
    lot = _lot(lot_ref)
    qs = Deposit.objects.filter(lot=lot)
    accounts = qs.count()
    satisfied = qs.filter(Q(status=DepositStatus.SATISFIED) | Q(satisfied_at__isnull=False)).count()
    if not opening_passed(lot):
        return LotDepositsView(lot_view(lot), False, accounts, satisfied, None, None)
    deposits = list(qs.select_related("lot", "account").order_by("pk")[:MAX_ROWS])
    names = _entity_names([d.entity_id for d in deposits])
    rows = tuple(_deposit_view(d, names=names) for d in deposits)
    return LotDepositsView(lot_view(lot), True, accounts, satisfied, sum(r.balance_fen for r in rows), rows)


def list_lots_for(actor: Actor, *, limit: int = 100) -> list[tuple[LotView, int]]:
    """Lots with their number of deposit accounts (staff, regulators, auditors)."""
    _require_privileged(actor)
    rows = Lot.objects.annotate(n=Count("deposits")).order_by("-opening_at", "-pk")[:limit]
    return [(lot_view(lot), lot.n) for lot in rows]


# -- staff: suspense, refunds, alerts, reconciliation -----------------------------------------------------------------


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
    for code in sorted(bank.banks()):
        statement = gateway.statement(code)
        stmt_in = sum(s.amount_fen for s in statement if s.direction == "in")
        stmt_out = 0
        for s in statement:
            if s.direction == "in" and s.virtual_account in va_lot:
                lot_bank.setdefault(va_lot[s.virtual_account], [0, 0])[0] += s.amount_fen
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
