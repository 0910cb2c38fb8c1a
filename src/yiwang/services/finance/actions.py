"""State changes of finance: the only door to deposits, the ledger, bank notices and refunds.

Every function here is an action (``yiwang.platform.actions.action``): one transaction with its journal
entries, a witness entry and (where others need to know) a feed event. Deposit and refund events are
**restricted**: who paid a deposit is secret before the opening, and the feed shows restricted events'
data to regulators, auditors and sub-platform clients only.

The contexts above (tender, auction) call:

- :func:`do_set_deposit_requirement` when a lot is published or amended (before its opening);
- :func:`do_open_deposit_account` when a bidder registers for a lot (gives the virtual sub-account);
- :func:`do_release_deposits` / :func:`do_release_deposit` at the award (losers), the contract (winner), a
  withdrawal before the deadline, or a termination;
- :func:`do_forfeit_deposit` by rule (悔拍, withdrawal after the deadline, refusing the contract).

Who may call: finance refuses anonymous callers; whether *this* caller may award or forfeit *this* lot is
decided by the context that owns the lot before it calls. Staff-only acts (suspense assignment, fees) check
the staff role here.

E-guarantees, deal settlement and invoices have their own modules (:mod:`.guarantee_actions`,
:mod:`.settlement_actions`, :mod:`.invoice_actions`); their actions are importable from here as well
(``actions.do_apply_guarantee`` …). Receipts into a guarantee claim's or a settlement's virtual account are
posted by the same bank-notice path as deposits.

Bank notices arrive through :func:`receive_bank_notice` (store raw, then post) and are posted by
:func:`do_post_bank_notice`, which the clock job also runs for anything received but not yet posted — so a
crash between "received" and "posted" is recovered without posting twice (the notice row is locked and its
status checked; the journal entry's key is unique).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from django.db import IntegrityError

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from yiwang.kernel.periods import local_date
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry
from yiwang.services.finance import bank, ledger, lock_objects
from yiwang.services.finance import rules as finance_rules
from yiwang.services.finance.domain import fees as fee_rules
from yiwang.services.finance.domain.deposits import (
    compute_requirement,
    mask_account,
    normalise_account_number,
    normalise_lot_ref,
    parse_rate,
    require_regime,
)
from yiwang.services.finance.domain.ledger import AccountKind, JournalKind
from yiwang.services.finance.domain.notices import NoticeData, parse_notice
from yiwang.services.finance.domain.refunds import (
    EXPECTED_RULE,
    ForfeitReason,
    Interest,
    Reason,
    interest_mode,
    quote_interest,
    retry_delay,
)
from yiwang.services.finance.ledger import cr, dr
from yiwang.services.finance.models import (
    Alert,
    AlertKind,
    BankNotice,
    Deposit,
    DepositStatus,
    JournalEntry,
    Lot,
    NoticeStatus,
    Refund,
    RefundStatus,
)
from yiwang.services.finance.queries import fee_item

log = logging.getLogger("yiwang.finance")
T = TypeVar("T")
RESTRICTED = Visibility.RESTRICTED
CALLER_REASONS = (Reason.LOSER, Reason.WINNER, Reason.WITHDRAWAL, Reason.TERMINATED)


# -- helpers -----------------------------------------------------------------------------------------------------------


class _NoChange(Exception):
    """Raised inside an action that finds nothing to do: the (empty) transaction is rolled back and the
    object is returned."""

    def __init__(self, obj: Any):
        super().__init__("no change")
        self.obj = obj


def _unchanged_is_fine(fn: Callable[..., T]) -> Callable[..., T]:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except _NoChange as nothing:
            return nothing.obj

    return run


def _require_caller(actor: Actor) -> None:
    if not (actor.is_system or actor.is_authenticated):
        raise NotAuthenticated("finance.sign_in_required", "请先登录", "Sign in first")


def _require_staff(actor: Actor) -> None:
    _require_caller(actor)
    if not (actor.is_system or actor.has_role(Role.STAFF)):
        raise PermissionDenied(
            "finance.staff_only", "仅交易中心工作人员可以办理", "Only trading-centre staff may do this"
        )


def _aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            "finance.time_invalid",
            f"{field} 须为带时区的时间",
            f"{field} must be a timezone-aware instant",
            {"field": field},
        )
    return value


def _lot_or_404(ref: str, *, lock: bool = False) -> Lot:
    qs = lock_objects.lot_qs_for_update(ref) if lock else Lot.objects.filter(ref=ref)
    lot = qs.first()
    if lot is None:
        raise NotFound(
            "finance.lot_not_found", "该标段尚未设置保证金要求", "No deposit requirement for this lot", {"lot_ref": ref}
        )
    return lot


def _deposit_or_404(lot: Lot, entity_id: int, *, lock: bool = False) -> Deposit:
    found = Deposit.objects.filter(lot=lot, entity_id=entity_id).values_list("pk", flat=True).first()
    deposit = None
    if found is not None:
        deposit = (lock_objects.deposit_qs_for_update(found) if lock else Deposit.objects.filter(pk=found)).first()
    if deposit is None:
        raise NotFound(
            "finance.deposit_not_found",
            "该投标人在本标段没有保证金子账户",
            "This bidder has no deposit account for the lot",
            {"lot_ref": lot.ref, "entity_id": entity_id},
        )
    return deposit


def _raise_alert(
    act: ActionRecorder,
    key: str,
    kind: str,
    *,
    lot: Lot | None = None,
    entity_id: int | None = None,
    notice: BankNotice | None = None,
    refund: Refund | None = None,
    details: dict | None = None,
    guarantee: Any = None,
    settlement: Any = None,
) -> Alert:
    """Raise an alert once (idempotent by ``key``); it is witnessed and announced (restricted) with the action."""
    existing = Alert.objects.filter(key=key).first()
    if existing is not None:
        return existing
    alert = Alert.objects.create(
        key=key,
        kind=kind,
        lot=lot,
        entity_id=entity_id,
        notice=notice,
        refund=refund,
        guarantee=guarantee,
        settlement=settlement,
        details=details or {},
        raised_at=act.now,
    )
    payload = {"kind": kind, "lot_ref": lot.ref if lot else None, "entity_id": entity_id, **(details or {})}
    act.witness(alert, payload)
    act.emit("finance.alert_raised.v1", alert, payload, visibility=RESTRICTED)
    return alert


def _deposit_balance(deposit: Deposit) -> int:
    return ledger.balance_of(deposit.account)


def _update_satisfaction(deposit: Deposit, lot: Lot, at: datetime) -> None:
    """Open ↔ satisfied as the balance crosses the requirement (closed deposits are left alone)."""
    if deposit.status not in (DepositStatus.OPEN, DepositStatus.SATISFIED) or deposit.closed_at is not None:
        return
    enough = _deposit_balance(deposit) >= lot.required_fen
    if enough and deposit.status == DepositStatus.OPEN:
        deposit.status = DepositStatus.SATISFIED
        deposit.satisfied_at = at
    elif not enough and deposit.status == DepositStatus.SATISFIED:
        deposit.status = DepositStatus.OPEN
        deposit.satisfied_at = None


def _save(deposit: Deposit, *fields: str) -> None:
    deposit.version += 1
    deposit.save(update_fields=[*fields, "version"])


# -- requirements ----------------------------------------------------------------------------------------------------


def do_set_deposit_requirement(
    *,
    actor: Actor,
    lot_ref: str | tuple[str, str],
    regime: str,
    opening_at: datetime,
    amount_fen: int | None = None,
    rate: str | Decimal | None = None,
    base_fen: int | None = None,
    title: str = "",
    region_code: str = "",
    owner_entity_id: int | None = None,
    bank_code: str | None = None,
    bid_validity_until: datetime | None = None,
) -> Lot:
    """Set (or amend, before the opening) the deposit requirement of a lot.

    ``regime``: ``works`` | ``goods`` | ``survey_design`` | ``gp`` | ``land`` | ``state_assets`` | ``judicial``
    (picks the caps from the rules catalogue). Give ``amount_fen`` or ``rate`` (per cent, e.g. ``"2"``) and,
    where a per-cent rule applies, ``base_fen`` (estimate, budget or start price). ``opening_at`` is the
    opening (bid deadline) instant: before it, who paid is secret. Refusals: the errors of
    :func:`~yiwang.services.finance.domain.deposits.compute_requirement`, ``finance.opening_passed``,
    ``finance.requirement_locked`` (amending at or after the opening), ``finance.regime_changed``.
    """
    _require_caller(actor)
    ref = normalise_lot_ref(lot_ref)
    reg = require_regime(regime)
    rate_value = parse_rate(rate) if rate is not None else None
    _aware(opening_at, "opening_at")
    bank_used = bank.require_bank(bank_code or bank.default_bank())
    with action(actor, "finance.set_deposit_requirement") as act:
        caps, missing = finance_rules.cap_rules(reg, act.now)
        required = compute_requirement(reg, caps, amount_fen=amount_fen, rate=rate_value, base_fen=base_fen)
        snapshot = {"caps": caps.used(), "missing": missing}
        lot = lock_objects.lot_qs_for_update(ref).first()
        fields = {
            "title": title[:200],
            "regime": reg.value,
            "region_code": region_code[:12],
            "owner_entity_id": owner_entity_id,
            "base_fen": base_fen,
            "rate": rate_value,
            "required_fen": required,
            "opening_at": opening_at,
            "rules": snapshot,
        }
        if bid_validity_until is not None:
            fields["bid_validity_until"] = bid_validity_until
        if owner_entity_id is None:
            del fields["owner_entity_id"]  # keep the owner named before
        if lot is None:
            if opening_at <= act.now:
                raise InvalidInput(
                    "finance.opening_passed",
                    "开标（截止）时间已过，不能再设置保证金要求",
                    "The opening instant has passed; a deposit requirement can no longer be set",
                    {"field": "opening_at"},
                )
            lot = Lot.objects.create(ref=ref, bank_code=bank_used, created_at=act.now, updated_at=act.now, **fields)
        else:
            if act.now >= lot.opening_at:
                raise Conflict(
                    "finance.requirement_locked",
                    "已过开标（截止）时间，保证金要求不能再变更",
                    "The lot's opening has passed; its deposit requirement can no longer change",
                    {"lot_ref": ref},
                )
            if lot.regime != reg.value:
                raise Conflict(
                    "finance.regime_changed",
                    "标段的交易类别不能变更",
                    "A lot's regime cannot change",
                    {"lot_ref": ref, "regime": lot.regime},
                )
            for name, value in fields.items():
                setattr(lot, name, value)
            lot.version += 1
            lot.updated_at = act.now
            lot.save()
            for deposit in lock_objects.lot_deposits_for_update(lot.pk):
                before = deposit.status
                _update_satisfaction(deposit, lot, act.now)
                if deposit.status != before:
                    _save(deposit, "status", "satisfied_at")
        payload = {
            "lot_ref": ref,
            "regime": reg.value,
            "required_fen": required,
            "base_fen": base_fen,
            "rate": str(rate_value) if rate_value is not None else None,
            "opening_at": opening_at.isoformat(),
            "bid_validity_until": lot.bid_validity_until.isoformat() if lot.bid_validity_until else None,
            "owner_entity_id": lot.owner_entity_id,
            "rules": snapshot,
            "version": lot.version,
        }
        act.witness(lot, payload)
        act.emit("finance.deposit_requirement_set.v1", lot, payload)
        return lot


# -- deposit accounts ------------------------------------------------------------------------------------------------


@_unchanged_is_fine
def do_open_deposit_account(*, actor: Actor, lot_ref: str | tuple[str, str], entity_id: int) -> Deposit:
    """Open the bidder's deposit sub-account (with its virtual account number) for a lot; idempotent.

    The bidder's own users, staff and the platform may. Refusals: ``finance.lot_not_found``,
    ``finance.entity_not_found``, ``finance.entity_inactive``, ``finance.lot_closed`` (after the opening),
    ``finance.forbidden``."""
    _require_caller(actor)
    ref = normalise_lot_ref(lot_ref)
    if not (actor.is_system or actor.acts_for(entity_id) or actor.has_role(Role.STAFF)):
        raise PermissionDenied(
            "finance.forbidden",
            "只能为本单位开立保证金子账户",
            "You may open deposit accounts for your own entity only",
            {"entity_id": entity_id},
        )
    entity = registry.get_entity_ref(entity_id)
    if entity is None:
        raise NotFound(
            "finance.entity_not_found", "未找到该市场主体", "No such market entity", {"entity_id": entity_id}
        )
    if not entity.is_active:
        raise Conflict(
            "finance.entity_inactive",
            "该市场主体状态异常，不能缴纳保证金",
            "This market entity is not active",
            {"entity_id": entity_id, "status": entity.status},
        )
    with action(actor, "finance.open_deposit_account") as act:
        lot = _lot_or_404(ref, lock=True)
        existing = Deposit.objects.filter(lot=lot, entity_id=entity_id).first()
        if existing is not None:
            raise _NoChange(existing)
        if act.now >= lot.opening_at:
            raise Conflict(
                "finance.lot_closed",
                "已过投标截止时间，不能再开立保证金子账户",
                "The lot's deadline has passed; no new deposit accounts",
                {"lot_ref": ref},
            )
        account = ledger.ensure_account(
            ledger.deposit_code(ref, entity_id), AccountKind.DEPOSIT, act.now, lot=lot, entity_id=entity_id
        )
        refund_account = ledger.ensure_account(
            ledger.refund_code(ref, entity_id), AccountKind.REFUND_PENDING, act.now, lot=lot, entity_id=entity_id
        )
        deposit = Deposit.objects.create(
            lot=lot,
            entity_id=entity_id,
            bank_code=lot.bank_code,
            account=account,
            refund_account=refund_account,
            opened_at=act.now,
        )
        deposit.virtual_account = bank.gateway().virtual_account_number(lot.bank_code, deposit.pk)
        deposit.save(update_fields=["virtual_account"])
        payload = {
            "lot_ref": ref,
            "entity_id": entity_id,
            "bank_code": lot.bank_code,
            "virtual_account": deposit.virtual_account,
        }
        act.witness(deposit, payload)
        act.emit("finance.deposit_account_opened.v1", deposit, payload, visibility=RESTRICTED)
        return deposit


# -- bank notices ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    notice: BankNotice
    duplicate: bool


def do_receive_bank_notice(*, bank_code: str, body: bytes, signature: str) -> Received:
    """Verify, parse and store a bank notice exactly as received (the inbox). Idempotent by (bank, bank
    reference): the same notice again is a duplicate and stores nothing. Refusals (nothing stored):
    ``finance.bad_signature``, ``finance.bank_unknown``, ``finance.notice_invalid``,
    ``finance.notice_bank_mismatch``, ``finance.notice_ref_reused`` (same reference, different content)."""
    bank.verify_notice_signature(bank_code, body, signature)
    data = parse_notice(body)
    if data.bank != bank_code:
        raise InvalidInput(
            "finance.notice_bank_mismatch",
            "通知中的银行与发送方不一致",
            "The notice names another bank than its sender",
            {"field": "bank"},
        )
    digest = hashlib.sha256(body).hexdigest()
    actor = Actor.system(f"bank:{bank_code}")

    def existing_or_conflict() -> Received | None:
        found = BankNotice.objects.filter(bank_code=bank_code, bank_ref=data.ref).first()
        if found is None:
            return None
        if found.body_sha256 != digest:
            raise Conflict(
                "finance.notice_ref_reused",
                "银行流水号重复但内容不同，已拒收",
                "This bank reference was already received with different content",
                {"bank_code": bank_code, "bank_ref": data.ref},
            )
        return Received(found, True)

    seen = existing_or_conflict()
    if seen is not None:
        return seen
    try:
        with action(actor, "finance.receive_bank_notice") as act:
            notice = BankNotice.objects.create(
                bank_code=bank_code,
                bank_ref=data.ref,
                kind=data.kind,
                body=body.decode("utf-8"),
                body_sha256=digest,
                signature=signature.strip()[:200],
                received_at=act.now,
                virtual_account=data.virtual_account,
                instruction_ref=data.instruction_ref,
                amount_fen=data.amount_fen,
                currency=data.currency,
                payer_account=normalise_account_number(data.payer_account),
                payer_name=data.payer_name,
                booked_at=data.booked_at,
            )
            act.witness(
                notice,
                {
                    "bank_code": bank_code,
                    "bank_ref": data.ref,
                    "kind": data.kind,
                    "amount_fen": data.amount_fen,
                    "sha256": digest,
                },
            )
            return Received(notice, False)
    except IntegrityError:
        # a concurrent delivery of the same notice won the unique (bank, ref) race
        seen = existing_or_conflict()
        if seen is None:
            raise
        return seen


def receive_bank_notice(*, bank_code: str, body: bytes, signature: str, post: bool = True) -> Received:
    """Store a notice, then post it at once (its own transaction). If posting fails unexpectedly the notice
    stays in the inbox, and the clock job posts it later."""
    received = do_receive_bank_notice(bank_code=bank_code, body=body, signature=signature)
    if post and received.notice.status == NoticeStatus.RECEIVED:
        try:
            notice = do_post_bank_notice(actor=Actor.system(f"bank:{bank_code}"), notice_id=received.notice.pk)
            return Received(notice, received.duplicate)
        except Exception:
            log.exception("posting bank notice %s failed; the clock job retries it", received.notice.pk)
    return received


def _notice_data(notice: BankNotice) -> NoticeData:
    return parse_notice(notice.body.encode("utf-8"))


def _check_payer(act: ActionRecorder, notice: BankNotice, deposit: Deposit, lot: Lot) -> list[str]:
    """Flag a payment that did not leave the bidder's registered basic account (条例 Art. 26), and one that
    left the same account as another bidder's deposit in the same lot (条例 Art. 40 collusion indicator)."""
    flags: list[str] = []
    basic = registry.get_basic_account(deposit.entity_id, on=notice.booked_at)
    payer = notice.payer_account
    if basic is None or normalise_account_number(basic.account_number) != payer:
        flags.append(AlertKind.PAYER_MISMATCH)
        deposit.payer_mismatch = True
        _raise_alert(
            act,
            f"payer:{notice.pk}",
            AlertKind.PAYER_MISMATCH,
            lot=lot,
            entity_id=deposit.entity_id,
            notice=notice,
            details={
                "payer_account": mask_account(payer),
                "payer_name": notice.payer_name,
                "basic_account": mask_account(basic.account_number) if basic else None,
            },
        )
    if payer:
        others = (
            BankNotice.objects.filter(kind="credit", deposit__lot=lot, payer_account=payer)
            .exclude(deposit__entity_id=deposit.entity_id)
            .values_list("deposit__entity_id", flat=True)
            .distinct()
        )
        other_ids = sorted(set(others))
        if other_ids:
            flags.append(AlertKind.SHARED_PAYER)
            _raise_alert(
                act,
                f"shared:{lot.pk}:{payer}:{deposit.entity_id}",
                AlertKind.SHARED_PAYER,
                lot=lot,
                entity_id=deposit.entity_id,
                notice=notice,
                details={"payer_account": mask_account(payer), "other_entity_ids": other_ids},
            )
    return flags


def _post_suspense(
    act: ActionRecorder,
    notice: BankNotice,
    bank_account,
    *,
    kind: str = AlertKind.SUSPENSE,
    memo: str = "无法识别的到账款项",
    details: dict | None = None,
) -> None:
    """Hold a receipt that cannot be posted where it was sent (never lost): bank → suspense, with an alert."""
    suspense = ledger.ensure_account(
        ledger.suspense_code(notice.bank_code), AccountKind.SUSPENSE, act.now, bank_code=notice.bank_code
    )
    entry = ledger.post(
        kind=JournalKind.SUSPENSE_RECEIVED,
        key=f"notice:{notice.bank_code}:{notice.bank_ref}",
        legs=[dr(bank_account, notice.amount_fen), cr(suspense, notice.amount_fen)],
        effective_at=notice.booked_at,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        memo=memo,
        source=("finance.banknotice", str(notice.pk)),
    )
    notice.status = NoticeStatus.SUSPENSE
    notice.entry = entry
    notice.flags = list(dict.fromkeys([AlertKind.SUSPENSE, kind]))
    _raise_alert(
        act,
        f"suspense:{notice.pk}",
        AlertKind.SUSPENSE,
        notice=notice,
        details={
            "bank_ref": notice.bank_ref,
            "virtual_account": notice.virtual_account,
            "amount_fen": notice.amount_fen,
            "currency": notice.currency,
        },
    )
    if kind != AlertKind.SUSPENSE:
        _raise_alert(act, f"{kind}:{notice.pk}", kind, notice=notice, details=details or {})
    act.witness(notice, {"status": notice.status, "entry": entry.key, "amount_fen": notice.amount_fen})


def _post_credit(act: ActionRecorder, notice: BankNotice) -> None:
    from yiwang.services.finance import guarantee_actions, settlement_actions
    from yiwang.services.finance.models import GuaranteeClaim, Settlement

    bank_account = ledger.ensure_account(
        ledger.bank_code_of(notice.bank_code), AccountKind.BANK_CLEARING, act.now, bank_code=notice.bank_code
    )
    claim_id = (
        GuaranteeClaim.objects.filter(virtual_account=notice.virtual_account, bank_code=notice.bank_code)
        .values_list("pk", flat=True)
        .first()
    )
    if claim_id is not None:
        if not guarantee_actions.post_claim_credit(act, notice, claim_id, bank_account):
            _post_suspense(
                act,
                notice,
                bank_account,
                kind=AlertKind.CLAIM_MISMATCH,
                memo="保函索赔款项与指令不符",
                details={"claim_id": claim_id, "amount_fen": notice.amount_fen, "bank_ref": notice.bank_ref},
            )
        return
    settlement_id = (
        Settlement.objects.filter(virtual_account=notice.virtual_account, bank_code=notice.bank_code)
        .values_list("pk", flat=True)
        .first()
    )
    if settlement_id is not None:
        if not settlement_actions.post_settlement_credit(act, notice, settlement_id, bank_account):
            _post_suspense(act, notice, bank_account)
        return
    deposit_id = (
        Deposit.objects.filter(virtual_account=notice.virtual_account, bank_code=notice.bank_code)
        .values_list("pk", flat=True)
        .first()
    )
    deposit = lock_objects.deposit_qs_for_update(deposit_id).first() if deposit_id else None
    key = f"notice:{notice.bank_code}:{notice.bank_ref}"
    if deposit is None or notice.currency != deposit.lot.currency:
        _post_suspense(act, notice, bank_account)
        return
    lot = deposit.lot
    entry = ledger.post(
        kind=JournalKind.DEPOSIT_RECEIVED,
        key=key,
        legs=[dr(bank_account, notice.amount_fen), cr(deposit.account, notice.amount_fen)],
        effective_at=notice.booked_at,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=lot,
        memo="保证金到账",
        source=("finance.banknotice", str(notice.pk)),
    )
    notice.status = NoticeStatus.POSTED
    notice.entry = entry
    notice.deposit = deposit
    _credit_deposit(act, notice, deposit, lot, entry)


def _credit_deposit(act: ActionRecorder, notice: BankNotice, deposit: Deposit, lot: Lot, entry: JournalEntry) -> None:
    """After money reached a deposit account: flags, satisfaction, and a prompt refund if it was closed."""
    notice.flags = _check_payer(act, notice, deposit, lot)
    if deposit.first_paid_at is None:
        deposit.first_paid_at = entry.effective_at
    _update_satisfaction(deposit, lot, entry.effective_at)
    _save(deposit, "first_paid_at", "status", "satisfied_at", "payer_mismatch")
    payload = {
        "lot_ref": lot.ref,
        "entity_id": deposit.entity_id,
        "amount_fen": notice.amount_fen,
        "entry": entry.key,
        "status": deposit.status,
        "flags": notice.flags,
    }
    act.witness(deposit, payload)
    act.emit("finance.deposit_received.v1", deposit, payload, visibility=RESTRICTED)
    if deposit.closed_at is not None:
        # money arriving after the deposit was closed is never kept: refund it at once
        _release(act, lot, deposit, notice.amount_fen, Reason.UNEXPECTED, act.now)


def _post_payout(act: ActionRecorder, notice: BankNotice) -> None:
    from yiwang.services.finance import settlement_actions

    if notice.instruction_ref.startswith(settlement_actions.PAYOUT_PREFIX):
        settlement_actions.post_settlement_payout(act, notice)
        return
    refund = lock_objects.refund_by_instruction_for_update(notice.instruction_ref).first()
    expected = refund.amount_fen if refund else None
    if (
        refund is None
        or refund.lot.bank_code != notice.bank_code
        or refund.status == RefundStatus.PAID
        or (expected != notice.amount_fen)
    ):
        duplicate = refund is not None and refund.status == RefundStatus.PAID
        notice.status = NoticeStatus.IGNORED if duplicate else NoticeStatus.HELD
        notice.flags = [AlertKind.PAYOUT_MISMATCH]
        _raise_alert(
            act,
            f"payout:{notice.pk}",
            AlertKind.PAYOUT_MISMATCH,
            lot=refund.lot if refund else None,
            notice=notice,
            refund=refund,
            details={
                "instruction_ref": notice.instruction_ref,
                "amount_fen": notice.amount_fen,
                "expected_fen": expected,
                "duplicate": duplicate,
            },
        )
        act.witness(notice, {"status": notice.status, "instruction_ref": notice.instruction_ref})
        return
    lot = refund.lot
    deposit = lock_objects.deposit_qs_for_update(refund.deposit_id).get()
    bank_account = ledger.ensure_account(
        ledger.bank_code_of(lot.bank_code), AccountKind.BANK_CLEARING, act.now, bank_code=lot.bank_code
    )
    if refund.reason == Reason.INTEREST:  # interest is paid from the platform's own funds
        source = ledger.ensure_account(
            ledger.operating_code(lot.bank_code), AccountKind.OPERATING_FUNDS, act.now, bank_code=lot.bank_code
        )
    else:
        source = bank_account
    legs = [dr(deposit.refund_account, refund.amount_fen), cr(source, refund.amount_fen)]
    entry = ledger.post(
        kind=JournalKind.REFUND_PAID,
        key=f"payout:{refund.pk}",
        legs=legs,
        effective_at=notice.booked_at,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=lot,
        memo="保证金退还",
        source=("finance.banknotice", str(notice.pk)),
    )
    refund.status = RefundStatus.PAID
    refund.paid_at = entry.effective_at
    refund.payout_entry = entry
    refund.late = refund.due_at is not None and refund.paid_at >= refund.due_at
    refund.save(update_fields=["status", "paid_at", "payout_entry", "late"])
    if refund.late:
        _raise_alert(
            act,
            f"late:{refund.pk}",
            AlertKind.LATE_REFUND,
            lot=lot,
            entity_id=refund.entity_id,
            refund=refund,
            details={
                "due_at": refund.due_at.isoformat() if refund.due_at else None,
                "rule_id": refund.rule_id,
                "amount_fen": refund.amount_fen,
            },
        )
    notice.status = NoticeStatus.POSTED
    notice.entry = entry
    notice.deposit = deposit
    if refund.reason != Reason.INTEREST:
        _add_interest(act, refund, lot)
    if (
        deposit.status == DepositStatus.RELEASED
        and not deposit.refunds.exclude(status=RefundStatus.PAID).exists()
        and _deposit_balance(deposit) == 0
    ):
        deposit.status = DepositStatus.REFUNDED
        _save(deposit, "status")
    payload = {
        "lot_ref": lot.ref,
        "entity_id": refund.entity_id,
        "refund_id": refund.pk,
        "amount_fen": refund.amount_fen,
        "interest_fen": refund.interest_fen,
        "paid_at": refund.paid_at.isoformat(),
        "due_at": refund.due_at.isoformat() if refund.due_at else None,
        "late": refund.late,
        "entry": entry.key,
    }
    act.witness(refund, payload)
    act.emit("finance.refund_posted.v1", refund, payload, visibility=RESTRICTED)


@_unchanged_is_fine
def do_post_bank_notice(*, actor: Actor, notice_id: int) -> BankNotice:
    """Post a received notice to the ledger, exactly once (the notice row is locked and its status checked;
    a posted, suspended or held notice is returned unchanged)."""
    with action(actor, "finance.post_bank_notice") as act:
        notice = lock_objects.notice_qs_for_update(notice_id).first()
        if notice is None:
            raise NotFound(
                "finance.notice_not_found", "未找到该银行通知", "No such bank notice", {"notice_id": notice_id}
            )
        if notice.status != NoticeStatus.RECEIVED:
            raise _NoChange(notice)
        try:
            if notice.kind == "credit":
                _post_credit(act, notice)
            else:
                _post_payout(act, notice)
        except ledger.AlreadyPosted as done:  # posted by an earlier run whose status update was lost: adopt it
            if (done.entry.source_type, done.entry.source_id) != ("finance.banknotice", str(notice.pk)):
                raise  # a posting of something else collided: a bug, never to be papered over
            notice.status = NoticeStatus.POSTED
            notice.entry = done.entry
            act.witness(notice, {"status": notice.status, "entry": done.entry.key, "adopted": True})
        notice.processed_at = act.now
        notice.save(update_fields=["status", "processed_at", "entry", "deposit", "flags"])
        return notice


def do_assign_suspense(*, actor: Actor, notice_id: int, lot_ref: str, entity_id: int, note: str = "") -> BankNotice:
    """Staff attribute a suspense receipt to a bidder's deposit for a lot (after checking with the payer).

    The money counts from the assignment instant (it was not in the bidder's virtual account before).
    Refusals: ``finance.staff_only``, ``finance.notice_not_found``, ``finance.not_in_suspense``,
    ``finance.deposit_not_found`` (open the bidder's deposit account first)."""
    _require_staff(actor)
    ref = normalise_lot_ref(lot_ref)
    with action(actor, "finance.assign_suspense") as act:
        notice = lock_objects.notice_qs_for_update(notice_id).first()
        if notice is None:
            raise NotFound(
                "finance.notice_not_found", "未找到该银行通知", "No such bank notice", {"notice_id": notice_id}
            )
        if notice.status != NoticeStatus.SUSPENSE:
            raise Conflict(
                "finance.not_in_suspense",
                "该款项不在待查明状态",
                "This receipt is not in suspense",
                {"notice_id": notice_id, "status": notice.status},
            )
        lot = _lot_or_404(ref)
        deposit = _deposit_or_404(lot, entity_id, lock=True)
        if notice.currency != lot.currency:
            raise Conflict(
                "finance.currency_mismatch",
                "款项币种与标段不一致",
                "The receipt's currency differs from the lot's",
                {"currency": notice.currency},
            )
        suspense = ledger.ensure_account(
            ledger.suspense_code(notice.bank_code), AccountKind.SUSPENSE, act.now, bank_code=notice.bank_code
        )
        entry = ledger.post(
            kind=JournalKind.SUSPENSE_ASSIGNED,
            key=f"assign:{notice.pk}",
            legs=[dr(suspense, notice.amount_fen), cr(deposit.account, notice.amount_fen)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=actor.ref,
            lot=lot,
            memo=note or "待查明款项认领",
            source=("finance.banknotice", str(notice.pk)),
        )
        notice.status = NoticeStatus.ASSIGNED
        notice.deposit = deposit
        Alert.objects.filter(key=f"suspense:{notice.pk}", resolved_at__isnull=True).update(
            resolved_at=act.now, resolved_by=actor.ref
        )
        act.witness(
            notice,
            {"status": notice.status, "lot_ref": ref, "entity_id": entity_id, "entry": entry.key, "note": note[:200]},
        )
        _credit_deposit(act, notice, deposit, lot, entry)
        notice.save(update_fields=["status", "deposit", "flags"])
        return notice


# -- releases and refunds ----------------------------------------------------------------------------------------------


def _payee(deposit: Deposit, at: datetime) -> tuple[str, str]:
    """Refunds go back to the bidder's registered basic account; without one, to the latest paying account."""
    basic = registry.get_basic_account(deposit.entity_id, on=at)
    if basic is not None:
        return normalise_account_number(basic.account_number), basic.account_name
    last = deposit.notices.exclude(payer_account="").order_by("-booked_at", "-pk").first()
    if last is not None:
        return last.payer_account, last.payer_name
    entity = registry.get_entity_ref(deposit.entity_id)
    return "", entity.name if entity else ""


def _release(
    act: ActionRecorder, lot: Lot, deposit: Deposit, amount: int, reason: Reason, anchor_at: datetime
) -> Refund:
    sequence = deposit.refunds.count() + 1
    entry = ledger.post(
        kind=JournalKind.DEPOSIT_RELEASED,
        key=f"release:{deposit.pk}:{sequence}",
        legs=[dr(deposit.account, amount), cr(deposit.refund_account, amount)],
        effective_at=act.now,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=lot,
        memo=f"保证金解冻：{reason.value}",
        source=("finance.deposit", str(deposit.pk)),
    )
    deadline = finance_rules.refund_deadline(finance_rules.Regime(lot.regime), reason, anchor_at, act.now)
    payee_account, payee_name = _payee(deposit, act.now)
    refund = Refund.objects.create(
        deposit=deposit,
        lot=lot,
        entity_id=deposit.entity_id,
        reason=reason.value,
        amount_fen=amount,
        anchor_at=anchor_at,
        due_at=deadline.due_at,
        rule_id=deadline.rule_id,
        payee_account=payee_account,
        payee_name=payee_name,
        next_attempt_at=act.now,
        created_at=act.now,
        release_entry=entry,
        interest_detail={"deadline_rule": deadline.rule} if deadline.rule else {},
    )
    if deadline.missing and reason in EXPECTED_RULE:
        _raise_alert(
            act,
            f"rule:{refund.pk}",
            AlertKind.RULE_MISSING,
            lot=lot,
            entity_id=deposit.entity_id,
            refund=refund,
            details={"missing": list(deadline.missing), "reason": reason.value},
        )
    if _deposit_balance(deposit) == 0:
        if deposit.status in (DepositStatus.OPEN, DepositStatus.SATISFIED, DepositStatus.REFUNDED):
            deposit.status = DepositStatus.RELEASED
        deposit.closed_at = deposit.closed_at or act.now
    _save(deposit, "status", "closed_at")
    payload = {
        "lot_ref": lot.ref,
        "entity_id": deposit.entity_id,
        "refund_id": refund.pk,
        "amount_fen": amount,
        "reason": reason.value,
        "anchor_at": anchor_at.isoformat(),
        "due_at": deadline.due_at.isoformat() if deadline.due_at else None,
        "rule_id": deadline.rule_id,
    }
    act.witness(refund, payload)
    act.emit("finance.deposit_released.v1", refund, payload, visibility=RESTRICTED)
    return refund


def _check_reason(reason: str) -> Reason:
    try:
        value = Reason(reason)
    except ValueError:
        value = None
    if value not in CALLER_REASONS:
        raise InvalidInput(
            "finance.reason_unknown",
            f"退还原因“{reason}”无法识别",
            f"unknown release reason {reason!r}",
            {"field": "reason", "allowed": [r.value for r in CALLER_REASONS]},
        )
    assert value is not None
    return value


def _check_anchor(anchor_at: datetime, now: datetime) -> datetime:
    _aware(anchor_at, "anchor_at")
    if anchor_at > now:
        raise InvalidInput(
            "finance.anchor_in_future",
            "起算事件时间不能晚于当前时间",
            "The anchor event cannot lie in the future",
            {"field": "anchor_at"},
        )
    return anchor_at


def do_release_deposits(
    *,
    actor: Actor,
    lot_ref: str | tuple[str, str],
    reason: str,
    anchor_at: datetime,
    entity_ids: Iterable[int] | None = None,
    except_entity_ids: Iterable[int] = (),
) -> list[Refund]:
    """Release the deposits of a lot (all of them, or those of ``entity_ids``, minus ``except_entity_ids``):
    each paid balance moves to refund-pending and gets a refund task whose legal deadline is computed from
    ``anchor_at`` by the rule for the lot's regime and ``reason`` (``loser`` | ``winner`` | ``withdrawal`` |
    ``terminated``). The clock pays them through the bank at once. Deposits never paid are closed (money
    arriving later is refunded at once). The same bidders' e-guarantees in force are released too (their
    issuers are told by the clock). Returns the refund tasks created."""
    from yiwang.services.finance import guarantee_actions

    _require_caller(actor)
    ref = normalise_lot_ref(lot_ref)
    why = _check_reason(reason)
    excluded = set(except_entity_ids)
    if entity_ids is not None:
        entity_ids = list(entity_ids)
    with action(actor, "finance.release_deposits") as act:
        _check_anchor(anchor_at, act.now)
        lot = _lot_or_404(ref, lock=True)
        refunds = []
        closed = []
        for deposit in lock_objects.lot_deposits_for_update(lot.pk, entity_ids):
            if deposit.entity_id in excluded or deposit.status == DepositStatus.FORFEITED:
                continue
            balance = _deposit_balance(deposit)
            if balance > 0:
                refunds.append(_release(act, lot, deposit, balance, why, anchor_at))
            elif deposit.closed_at is None:
                deposit.closed_at = act.now
                _save(deposit, "closed_at")
                closed.append(deposit.entity_id)
        guarantees = guarantee_actions.release_lot_guarantees(act, lot, why.value, entity_ids, excluded)
        act.witness(
            lot,
            {
                "lot_ref": ref,
                "reason": why.value,
                "anchor_at": anchor_at.isoformat(),
                "refunds": [r.pk for r in refunds],
                "closed_unpaid": closed,
                "guarantees_released": [g.number for g in guarantees],
            },
        )
        return refunds


def do_release_deposit(
    *,
    actor: Actor,
    lot_ref: str | tuple[str, str],
    entity_id: int,
    reason: str,
    anchor_at: datetime,
    amount_fen: int | None = None,
) -> Refund:
    """Release one bidder's deposit (all of it, or ``amount_fen`` of it). A refund can never exceed what is
    held: ``finance.refund_exceeds_paid`` (409). Also ``finance.nothing_to_release``."""
    _require_caller(actor)
    ref = normalise_lot_ref(lot_ref)
    why = _check_reason(reason)
    if amount_fen is not None and (isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0):
        raise InvalidInput(
            "finance.amount_invalid",
            "金额须为正整数（分）",
            "the amount must be a positive number of fen",
            {"field": "amount_fen"},
        )
    with action(actor, "finance.release_deposit") as act:
        _check_anchor(anchor_at, act.now)
        lot = _lot_or_404(ref, lock=True)
        deposit = _deposit_or_404(lot, entity_id, lock=True)
        balance = _deposit_balance(deposit)
        if balance <= 0:
            raise Conflict(
                "finance.nothing_to_release",
                "该保证金没有可退还的余额",
                "Nothing is held on this deposit",
                {"lot_ref": ref, "entity_id": entity_id},
            )
        amount = balance if amount_fen is None else amount_fen
        if amount > balance:
            raise Conflict(
                "finance.refund_exceeds_paid",
                "退还金额不能超过实缴余额",
                "A refund cannot exceed what is held",
                {"lot_ref": ref, "entity_id": entity_id, "balance_fen": balance, "amount_fen": amount},
            )
        return _release(act, lot, deposit, amount, why if amount == balance else Reason.PARTIAL, anchor_at)


def do_forfeit_deposit(
    *, actor: Actor, lot_ref: str | tuple[str, str], entity_id: int, reason: str, note: str = ""
) -> JournalEntry:
    """Forfeit a bidder's whole held deposit by rule (``reneged`` 悔拍, ``late_withdrawal``,
    ``refused_contract``): it moves to the lot's forfeited account, to be paid to its legal recipient later.
    Platform or staff only. ``finance.nothing_to_forfeit`` when nothing is held."""
    _require_staff(actor)
    ref = normalise_lot_ref(lot_ref)
    try:
        why = ForfeitReason(reason)
    except ValueError:
        raise InvalidInput(
            "finance.reason_unknown",
            f"没收原因“{reason}”无法识别",
            f"unknown forfeit reason {reason!r}",
            {"field": "reason", "allowed": [r.value for r in ForfeitReason]},
        ) from None
    with action(actor, "finance.forfeit_deposit") as act:
        lot = _lot_or_404(ref, lock=True)
        deposit = _deposit_or_404(lot, entity_id, lock=True)
        balance = _deposit_balance(deposit)
        if balance <= 0:
            raise Conflict(
                "finance.nothing_to_forfeit",
                "该保证金没有可没收的余额",
                "Nothing is held on this deposit",
                {"lot_ref": ref, "entity_id": entity_id},
            )
        forfeit = ledger.ensure_account(ledger.forfeit_code(ref), AccountKind.FORFEITED, act.now, lot=lot)
        entry = ledger.post(
            kind=JournalKind.DEPOSIT_FORFEITED,
            key=f"forfeit:{deposit.pk}",
            legs=[dr(deposit.account, balance), cr(forfeit, balance)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=actor.ref,
            lot=lot,
            memo=f"保证金没收：{why.value} {note}"[:300],
            source=("finance.deposit", str(deposit.pk)),
        )
        deposit.status = DepositStatus.FORFEITED
        deposit.closed_at = act.now
        _save(deposit, "status", "closed_at")
        payload = {
            "lot_ref": ref,
            "entity_id": entity_id,
            "amount_fen": balance,
            "reason": why.value,
            "entry": entry.key,
            "note": note[:200],
        }
        act.witness(deposit, payload)
        act.emit("finance.deposit_forfeited.v1", deposit, payload, visibility=RESTRICTED)
        return entry


def do_collect_fee(
    *, actor: Actor, lot_ref: str | tuple[str, str], entity_id: int, fee_code: str, base_fen: int | None = None
) -> JournalEntry:
    """Collect a listed service fee from a bidder's held deposit (staff or platform), by the public fee
    schedule. An e-invoice for it is requested in the same transaction and issued by a task (one per fee).
    ``finance.fee_unknown``, ``finance.insufficient_balance`` (a fee cannot exceed what is held)."""
    from yiwang.services.finance import invoice_actions

    _require_staff(actor)
    ref = normalise_lot_ref(lot_ref)
    item = fee_item(fee_code)
    amount = fee_rules.compute_fee(item, base_fen)
    if amount <= 0:
        raise Conflict(
            "finance.fee_zero",
            "该项服务免费，无需收取",
            "This service is free; nothing to collect",
            {"fee_code": fee_code},
        )
    with action(actor, "finance.collect_fee") as act:
        lot = _lot_or_404(ref, lock=True)
        deposit = _deposit_or_404(lot, entity_id, lock=True)
        fee_account = ledger.ensure_account(ledger.fee_code(ref), AccountKind.FEE_INCOME, act.now, lot=lot)
        count = JournalEntry.objects.filter(kind=JournalKind.FEE_COLLECTED, lot=lot).count()
        entry = ledger.post(
            kind=JournalKind.FEE_COLLECTED,
            key=f"fee:{deposit.pk}:{fee_code}:{count + 1}",
            legs=[dr(deposit.account, amount), cr(fee_account, amount)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=actor.ref,
            lot=lot,
            memo=f"服务费：{item.title_zh}",
            source=("finance.fee", fee_code),
        )
        _update_satisfaction(deposit, lot, act.now)
        _save(deposit, "status", "satisfied_at")
        invoice = invoice_actions.request_invoice(
            act, entry, buyer_entity_id=entity_id, item_name=item.title_zh, amount_fen=amount, lot=lot
        )
        payload = {
            "lot_ref": ref,
            "entity_id": entity_id,
            "fee_code": fee_code,
            "amount_fen": amount,
            "base_fen": base_fen,
            "entry": entry.key,
            "invoice_request": invoice.request_key,
        }
        act.witness(deposit, payload)
        act.emit("finance.fee_collected.v1", deposit, payload, visibility=RESTRICTED)
        return entry


@_unchanged_is_fine
def do_instruct_refund(*, actor: Actor, refund_id: int) -> bank.PayoutInstruction | None:
    """Prepare (or re-send) the bank instruction of a due refund; ``None`` when there is nothing to send now.

    The first time, the refund gets its unique instruction reference; each attempt moves ``next_attempt_at``
    on, so two clocks racing send it once, and a re-sent instruction is paid once by the bank (same reference).
    Interest, where the rules require it, is added when the bank confirms the payment (see ``_add_interest``)."""
    with action(actor, "finance.instruct_refund") as act:
        refund = lock_objects.refund_qs_for_update(refund_id).first()
        if refund is None or refund.status not in (RefundStatus.PENDING, RefundStatus.INSTRUCTED):
            raise _NoChange(None)
        if refund.next_attempt_at > act.now:
            raise _NoChange(None)
        lot = refund.lot
        if refund.status == RefundStatus.PENDING:
            refund.instruction_ref = f"YWRF{refund.pk:012d}"
            refund.status = RefundStatus.INSTRUCTED
            refund.instructed_at = act.now
        refund.attempts += 1
        refund.next_attempt_at = act.now + retry_delay(refund.attempts)
        refund.save()
        act.witness(
            refund,
            {
                "instruction_ref": refund.instruction_ref,
                "attempt": refund.attempts,
                "amount_fen": refund.amount_fen,
                "reason": refund.reason,
                "payee_account": mask_account(refund.payee_account),
            },
        )
        return bank.PayoutInstruction(
            bank_code=lot.bank_code,
            ref=refund.instruction_ref or "",
            amount_fen=refund.amount_fen,
            payee_account=refund.payee_account,
            payee_name=refund.payee_name,
            memo=f"保证金退还 {lot.ref}",
        )


def _add_interest(act: ActionRecorder, refund: Refund, lot: Lot) -> None:
    """After a refund was paid: the interest the rules require for it (bank interest for the holding period,
    or late interest for the days past the deadline) becomes a follow-up payment of its own."""
    mode = interest_mode(finance_rules.Regime(lot.regime), Reason(refund.reason))
    if mode is Interest.NONE or refund.paid_at is None:
        return
    first_paid = refund.deposit.first_paid_at
    quote = quote_interest(
        mode,
        refund.amount_fen,
        paid_on=local_date(first_paid) if first_paid else None,
        due_on=local_date(refund.due_at) if refund.due_at else None,
        payout_on=local_date(refund.paid_at),
        rates=finance_rules.interest_rates(mode, act.now),
    )
    refund.interest_detail = {
        **refund.interest_detail,
        "mode": mode.value,
        "days": quote.days,
        "annual_rate_percent": str(quote.annual_rate_percent) if quote.annual_rate_percent is not None else None,
        "rule_ids": list(quote.rule_ids),
        "missing": list(quote.missing),
    }
    if quote.missing and quote.days:
        _raise_alert(
            act,
            f"interest:{refund.pk}",
            AlertKind.INTEREST_RATE_MISSING,
            lot=lot,
            entity_id=refund.entity_id,
            refund=refund,
            details={"missing": list(quote.missing), "mode": mode.value, "days": quote.days},
        )
    if quote.fen > 0:
        deposit = refund.deposit
        expense = ledger.ensure_account(ledger.INTEREST_EXPENSE, AccountKind.INTEREST_EXPENSE, act.now)
        entry = ledger.post(
            kind=JournalKind.REFUND_INTEREST,
            key=f"interest:{refund.pk}",
            legs=[dr(expense, quote.fen), cr(deposit.refund_account, quote.fen)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=act.actor.ref,
            lot=lot,
            memo=f"退还利息（{mode.value}）",
            source=("finance.refund", str(refund.pk)),
        )
        Refund.objects.create(
            deposit=deposit,
            lot=lot,
            entity_id=refund.entity_id,
            reason=Reason.INTEREST.value,
            amount_fen=quote.fen,
            anchor_at=refund.paid_at,
            due_at=None,
            payee_account=refund.payee_account,
            payee_name=refund.payee_name,
            next_attempt_at=act.now,
            created_at=act.now,
            release_entry=entry,
            interest_detail={"for_refund": refund.pk, **refund.interest_detail},
        )
        refund.interest_fen = quote.fen
    refund.save(update_fields=["interest_fen", "interest_detail"])


def do_flag_overdue_refunds(*, actor: Actor, now: datetime, limit: int = 500) -> int:
    """Raise a late-refund alert (once) for every unpaid refund past its legal deadline; returns how many."""
    overdue = list(
        Refund.objects.filter(due_at__lte=now)
        .exclude(status=RefundStatus.PAID)
        .exclude(alerts__kind=AlertKind.LATE_REFUND)
        .order_by("due_at", "pk")[:limit]
    )
    if not overdue:
        return 0
    with action(actor, "finance.flag_overdue_refunds") as act:
        for refund in overdue:
            _raise_alert(
                act,
                f"late:{refund.pk}",
                AlertKind.LATE_REFUND,
                lot=refund.lot,
                entity_id=refund.entity_id,
                refund=refund,
                details={
                    "due_at": refund.due_at.isoformat() if refund.due_at else None,
                    "rule_id": refund.rule_id,
                    "amount_fen": refund.amount_fen,
                    "status": refund.status,
                },
            )
        return len(overdue)


def pay_refund(refund_id: int, *, actor: Actor | None = None) -> bool:
    """Send one due refund to the bank and post the confirmations it returns. True when it was sent."""
    runner = actor or Actor.system("clock")
    instruction = do_instruct_refund(actor=runner, refund_id=refund_id)
    if instruction is None:
        return False
    for confirmation in bank.gateway().send_payout(instruction):
        receive_bank_notice(bank_code=confirmation.bank_code, body=confirmation.body, signature=confirmation.signature)
    return True


def do_resolve_alert(*, actor: Actor, alert_id: int, note: str = "") -> Alert:
    """Staff mark an alert as handled (the alert stays, with who resolved it and when)."""
    _require_staff(actor)
    with action(actor, "finance.resolve_alert") as act:
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound("finance.alert_not_found", "未找到该预警", "No such alert", {"alert_id": alert_id})
        if alert.resolved_at is not None:
            raise Conflict(
                "finance.alert_resolved", "该预警已处理", "This alert is already resolved", {"alert_id": alert_id}
            )
        alert.resolved_at = act.now
        alert.resolved_by = actor.ref
        alert.save(update_fields=["resolved_at", "resolved_by"])
        act.witness(alert, {"resolved": True, "note": note[:200]})
        return alert


# -- the other finance actions, importable from here too ---------------------------------------------------------------

_ELSEWHERE = {
    "guarantee_actions": (
        "ForfeitOutcome",
        "do_add_issuer_certificate",
        "do_apply_guarantee",
        "do_cancel_guarantee_application",
        "do_claim_guarantee",
        "do_expire_guarantees",
        "do_forfeit_security",
        "do_issue_guarantee",
        "do_register_guarantee_issuer",
        "do_release_guarantee",
        "do_release_guarantees",
        "do_set_issuer_status",
        "notify_issuer",
        "send_claim",
    ),
    "settlement_actions": (
        "do_confirm_transfer",
        "do_create_settlement",
        "do_flag_overdue_instalments",
        "pay_settlement_payout",
    ),
    "invoice_actions": ("do_reverse_fee", "issue_invoice"),
}
_EXPORTED = {name: module for module, names in _ELSEWHERE.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _EXPORTED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"yiwang.services.finance.{module}"), name)
