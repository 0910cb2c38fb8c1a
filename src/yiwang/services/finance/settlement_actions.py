"""State changes of deal settlement (交易价款结算): the plan, the buyer's payments, the release to the seller,
payouts and overdue instalments. Re-exported by :mod:`yiwang.services.finance.actions`.

For the auction and transfer contexts:

- :func:`do_create_settlement` when a deal's contract takes effect: buyer, seller, price, the payment plan
  (a lump sum, or instalments where the regime's rules allow them), the service fee by the public fee
  schedule, and — with ``lot_ref`` — the buyer's cash deposit for the lot converted into price (保证金转价款).
  The buyer pays into the settlement's own virtual sub-account; the bank's notices post the payments.
- :func:`do_confirm_transfer` when the transfer is confirmed (产权交割/过户): from then on, everything the
  buyer has paid towards the price is released to the seller — the platform's fee deducted first — and paid
  to the seller's basic account by the bank (the clock sends the payouts; later payments follow on their own).

Money never leaves faster than it came: a release is bounded by what was received towards the plan and by
the settlement account's balance, and ledger accounts that must not go negative refuse anything else.
Settlement events are restricted (the deal is public, its payments are the parties' business).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import F, Sum

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound
from yiwang.platform.actions import ActionRecorder, action
from yiwang.registry import queries as registry
from yiwang.services.finance import bank, ledger, lock_objects
from yiwang.services.finance import rules as finance_rules
from yiwang.services.finance.actions import (
    RESTRICTED,
    _aware,
    _lot_or_404,
    _NoChange,
    _raise_alert,
    _require_staff,
    _unchanged_is_fine,
    _update_satisfaction,
)
from yiwang.services.finance.domain import settlement as plan_rules
from yiwang.services.finance.domain.deposits import (
    LOT_REF,
    MAX_LOT_REF,
    normalise_account_number,
    normalise_lot_ref,
    require_regime,
)
from yiwang.services.finance.domain.ledger import AccountKind, JournalKind
from yiwang.services.finance.domain.refunds import retry_delay
from yiwang.services.finance.ledger import cr, dr
from yiwang.services.finance.models import (
    AlertKind,
    BankNotice,
    Deposit,
    DepositStatus,
    Instalment,
    JournalEntry,
    NoticeStatus,
    PayoutStatus,
    Settlement,
    SettlementPayout,
)
from yiwang.services.finance.queries import compute_fee, fee_item

PAYOUT_PREFIX = "YWSP"


def normalise_deal_ref(ref: str | tuple[str, str] | list[str]) -> str:
    """``("auction.deal", "12")`` or ``"auction.deal:12"``; else ``finance.deal_ref_invalid``."""
    if isinstance(ref, tuple | list) and len(ref) == 2:
        text = f"{ref[0]}:{ref[1]}"
    elif isinstance(ref, str):
        text = ref.strip()
    else:
        text = repr(ref)
    if len(text) > MAX_LOT_REF or not LOT_REF.match(text):
        raise InvalidInput(
            "finance.deal_ref_invalid",
            f"成交引用“{text[:60]}”格式不正确（应如 auction.deal:12）",
            f"deal reference {text[:60]!r} is malformed (expected e.g. auction.deal:12)",
            {"field": "deal_ref"},
        )
    return text


def _party(entity_id: int, field: str):
    ref = registry.get_entity_ref(entity_id)
    if ref is None:
        raise NotFound(
            "finance.entity_not_found",
            "未找到该市场主体",
            "No such market entity",
            {"field": field, "entity_id": entity_id},
        )
    if not ref.is_active:
        raise Conflict(
            "finance.entity_inactive", "该市场主体状态异常", "This market entity is not active", {"field": field}
        )
    return ref


def _rule_ref(rule_id: str, on: datetime) -> plan_rules.RuleRef | None:
    value = finance_rules.rule_or_none(rule_id, on)
    if value is None:
        return None
    return plan_rules.RuleRef(rule_id, finance_rules._decimal(value.value), value.unit, value.source)


def _instalment_rules(regime: str, on: datetime) -> tuple[plan_rules.InstalmentRules | None, list[str]]:
    ids = plan_rules.INSTALMENT_RULES.get(regime)
    if ids is None:
        return None, []
    down, period = _rule_ref(ids[0], on), _rule_ref(ids[1], on)
    missing = [rule_id for rule_id, found in zip(ids, (down, period), strict=True) if found is None]
    if down is None or period is None:
        return None, missing
    return plan_rules.InstalmentRules(down, period), []


def _fee(fee_code: str | None, fee_fen: int | None, price_fen: int) -> tuple[int, str]:
    if fee_code and fee_fen is not None:
        raise InvalidInput(
            "finance.fee_ambiguous",
            "服务费须按收费项目计算或直接给出金额，二者择一",
            "give a fee code or a fee amount, not both",
            {"field": "fee_fen"},
        )
    if fee_code:
        return compute_fee(fee_code, price_fen), fee_item(fee_code).basis[:200]
    if fee_fen is None:
        return 0, ""
    if isinstance(fee_fen, bool) or not isinstance(fee_fen, int) or fee_fen < 0:
        raise InvalidInput(
            "finance.amount_invalid",
            "服务费须为非负整数（分）",
            "the fee must be a whole number of fen",
            {"field": "fee_fen"},
        )
    return fee_fen, "约定"


def do_create_settlement(
    *,
    actor: Actor,
    deal_ref: str | tuple[str, str],
    regime: str,
    buyer_entity_id: int,
    seller_entity_id: int,
    price_fen: int,
    contract_effective_at: datetime,
    schedule: Sequence[tuple[datetime, int]] | None = None,
    due_at: datetime | None = None,
    lot_ref: str | tuple[str, str] | None = None,
    convert_deposit: bool = True,
    fee_code: str | None = None,
    fee_fen: int | None = None,
    security: str = "",
    title: str = "",
) -> Settlement:
    """Create the settlement plan of a deal (platform or staff).

    Give ``due_at`` for a lump sum, or ``schedule`` — ``[(due_at, amount_fen), …]``, the first item the down
    payment — for instalments (checked against the regime's rules; deferred items carry interest at the
    listed loan rate; ``security`` describes the security given). The fee is ``fee_code`` of the public fee
    schedule (computed on the price) or an agreed ``fee_fen``; it is deducted when money is released to the
    seller. With ``lot_ref``, the buyer's cash deposit held for the lot is converted into price (up to what is
    owed). Refusals: ``finance.deal_ref_invalid``, ``finance.settlement_exists`` (409),
    ``finance.same_party``, ``finance.entity_not_found``, ``finance.fee_exceeds_price``, and those of
    :func:`~yiwang.services.finance.domain.settlement.plan_instalments` (``finance.down_payment_too_low``,
    ``finance.instalment_period_exceeded``, ``finance.instalments_not_allowed`` …)."""
    _require_staff(actor)
    ref = normalise_deal_ref(deal_ref)
    reg = require_regime(regime)
    anchor = _aware(contract_effective_at, "contract_effective_at")
    if schedule is None:
        if due_at is None:
            raise InvalidInput(
                "finance.schedule_invalid",
                "须给出一次性付款期限或分期付款计划",
                "give a due date (lump sum) or a schedule (instalments)",
                {"field": "schedule"},
            )
        schedule = [(due_at, price_fen)]
    if buyer_entity_id == seller_entity_id:
        raise InvalidInput(
            "finance.same_party",
            "受让方与转让方不能为同一主体",
            "buyer and seller must differ",
            {"field": "buyer_entity_id"},
        )
    _party(buyer_entity_id, "buyer_entity_id")
    _party(seller_entity_id, "seller_entity_id")
    plan_rules.check_amount(price_fen, "price_fen")
    fee, fee_basis = _fee(fee_code, fee_fen, price_fen)
    if fee > price_fen:
        raise InvalidInput(
            "finance.fee_exceeds_price", "服务费不能超过成交价款", "the fee cannot exceed the price", {"fee_fen": fee}
        )
    with action(actor, "finance.create_settlement") as act:
        rules, missing = _instalment_rules(reg.value, act.now)
        rate_ref = _rule_ref(plan_rules.INTEREST_RULE, act.now)
        planned = plan_rules.plan_instalments(
            price_fen=price_fen,
            schedule=schedule,
            anchor_at=anchor,
            regime=reg.value,
            rules=rules,
            interest_rate=rate_ref.value if rate_ref else None,
            secured=bool(security.strip()),
        )
        mode = plan_rules.Mode.INSTALMENTS if len(planned) > 1 else plan_rules.Mode.LUMP_SUM
        lot = _lot_or_404(normalise_lot_ref(lot_ref), lock=True) if lot_ref is not None else None
        if Settlement.objects.filter(deal_ref=ref).exists():
            raise Conflict(
                "finance.settlement_exists",
                "该成交已有结算计划",
                "This deal already has a settlement",
                {"deal_ref": ref},
            )
        bank_code = lot.bank_code if lot else bank.default_bank()

        def account(prefix: str, kind: AccountKind, entity_id: int):
            return ledger.ensure_account(f"{prefix}:{ref}", kind, act.now, lot=lot, entity_id=entity_id)

        interest = sum(p.interest_fen for p in planned)
        snapshot = {
            "instalments": (
                {"down_payment_min": rules.down_payment_min.as_json(), "period_max": rules.period_max.as_json()}
                if rules
                else None
            ),
            "interest_rate": rate_ref.as_json() if rate_ref else None,
            "missing": missing + ([] if rate_ref else [plan_rules.INTEREST_RULE]),
        }
        settlement = Settlement.objects.create(
            deal_ref=ref,
            lot=lot,
            regime=reg.value,
            title=title[:200],
            buyer_entity_id=buyer_entity_id,
            seller_entity_id=seller_entity_id,
            price_fen=price_fen,
            interest_fen=interest,
            fee_fen=fee,
            fee_code=fee_code or "",
            fee_basis=fee_basis,
            mode=mode.value,
            interest_rate=rate_ref.value if rate_ref and mode is plan_rules.Mode.INSTALMENTS else None,
            rules=snapshot,
            security=security.strip()[:300],
            anchor_at=anchor,
            bank_code=bank_code,
            account=account("settlement", AccountKind.SETTLEMENT, buyer_entity_id),
            payable_account=account("seller_payable", AccountKind.SELLER_PAYABLE, seller_entity_id),
            receivable_account=account("receivable", AccountKind.INSTALMENT_RECEIVABLE, buyer_entity_id),
            contra_account=account("receivable_contra", AccountKind.INSTALMENT_CONTRA, buyer_entity_id),
            created_at=act.now,
            created_by=actor.ref,
        )
        settlement.virtual_account = bank.gateway().virtual_account_number(
            bank_code, bank.SETTLEMENT_SERIALS + settlement.pk
        )
        settlement.save(update_fields=["virtual_account"])
        Instalment.objects.bulk_create(
            Instalment(
                settlement=settlement,
                seq=p.seq,
                due_at=p.due_at,
                principal_fen=p.principal_fen,
                interest_fen=p.interest_fen,
            )
            for p in planned
        )
        total = price_fen + interest
        schedule_entry = ledger.post(
            kind=JournalKind.INSTALMENT_SCHEDULED,
            key=f"schedule:{settlement.pk}",
            legs=[dr(settlement.receivable_account, total), cr(settlement.contra_account, total)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=actor.ref,
            lot=lot,
            memo=f"价款支付计划（备查）{ref}",
            source=("finance.settlement", str(settlement.pk)),
        )
        if mode is plan_rules.Mode.INSTALMENTS and rate_ref is None:
            _raise_alert(
                act,
                f"rule:settlement:{settlement.pk}",
                AlertKind.RULE_MISSING,
                lot=lot,
                entity_id=buyer_entity_id,
                settlement=settlement,
                details={"missing": [plan_rules.INTEREST_RULE], "deal_ref": ref},
            )
        converted = 0
        if lot is not None and convert_deposit:
            converted = _convert_deposit(act, settlement, lot, total)
        payload = {
            "deal_ref": ref,
            "regime": reg.value,
            "buyer_entity_id": buyer_entity_id,
            "seller_entity_id": seller_entity_id,
            "price_fen": price_fen,
            "interest_fen": interest,
            "fee_fen": fee,
            "mode": mode.value,
            "schedule": [
                {
                    "seq": p.seq,
                    "due_at": iso_utc(p.due_at),
                    "principal_fen": p.principal_fen,
                    "interest_fen": p.interest_fen,
                }
                for p in planned
            ],
            "deposit_converted_fen": converted,
            "rules": snapshot,
            "entry": schedule_entry.key,
        }
        act.witness(settlement, payload)
        act.emit("finance.settlement_created.v1", settlement, payload, visibility=RESTRICTED)
        return settlement


def _owed(settlement: Settlement) -> list[Instalment]:
    return list(lock_objects.instalments_for_update(settlement.pk))


def _apply(act: ActionRecorder, instalments: list[Instalment], amount: int) -> tuple[int, int]:
    """Apply ``amount`` to the instalments in order; ``(applied, excess)``."""
    owed = [plan_rules.Owed(i.seq, i.total_fen, i.paid_fen) for i in instalments]
    applied, excess = plan_rules.allocate(owed, amount)
    for item in instalments:
        take = applied.get(item.seq, 0)
        if take:
            item.paid_fen += take
            if item.paid_fen >= item.total_fen:
                item.paid_at = act.now
            item.save(update_fields=["paid_fen", "paid_at"])
    return amount - excess, excess


def _convert_deposit(act: ActionRecorder, settlement: Settlement, lot, owed_total: int) -> int:
    deposit_id = (
        Deposit.objects.filter(lot=lot, entity_id=settlement.buyer_entity_id).values_list("pk", flat=True).first()
    )
    if deposit_id is None:
        return 0
    deposit = lock_objects.deposit_qs_for_update(deposit_id).get()
    held = ledger.balance_of(deposit.account)
    amount = min(held, owed_total)
    if amount <= 0 or deposit.status == DepositStatus.FORFEITED:
        return 0
    instalments = _owed(settlement)
    _apply(act, instalments, amount)
    entry = ledger.post(
        kind=JournalKind.DEPOSIT_CONVERTED,
        key=f"convert:{settlement.pk}",
        legs=[
            dr(deposit.account, amount),
            cr(settlement.account, amount),
            dr(settlement.contra_account, amount),
            cr(settlement.receivable_account, amount),
        ],
        effective_at=act.now,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=lot,
        memo=f"保证金转价款 {settlement.deal_ref}",
        source=("finance.settlement", str(settlement.pk)),
    )
    if ledger.balance_of(deposit.account) == 0:
        deposit.status = DepositStatus.CONVERTED
        deposit.closed_at = act.now
    else:
        _update_satisfaction(deposit, lot, act.now)
    deposit.version += 1
    deposit.save(update_fields=["status", "closed_at", "satisfied_at", "version"])
    settlement.deposit_converted_fen = amount
    settlement.save(update_fields=["deposit_converted_fen"])
    payload = {"deal_ref": settlement.deal_ref, "lot_ref": lot.ref, "amount_fen": amount, "entry": entry.key}
    act.witness(deposit, payload)
    act.emit("finance.deposit_converted.v1", deposit, payload, visibility=RESTRICTED)
    return amount


def _fee_account(act: ActionRecorder, settlement: Settlement):
    return ledger.ensure_account(f"fee:{settlement.deal_ref}", AccountKind.FEE_INCOME, act.now, lot=settlement.lot)


def _release_to_seller(act: ActionRecorder, settlement: Settlement) -> SettlementPayout | None:
    """After the transfer is confirmed: release what the buyer paid towards the plan and is not yet released,
    the platform's fee first, the rest to the seller (a payout the clock sends)."""
    from yiwang.services.finance import invoice_actions

    paid_total = Instalment.objects.filter(settlement=settlement).aggregate(s=Sum("paid_fen"))["s"] or 0
    debited = ledger.debited_total(settlement.account)
    releasable = min(paid_total - debited, ledger.balance_of(settlement.account))
    if releasable <= 0:
        return None
    fee_account = _fee_account(act, settlement)
    fee_now = min(settlement.fee_fen - ledger.credited_total(fee_account), releasable)
    # entries of this settlement so far (the settlement row is locked): a fresh number for this release's keys
    serial = JournalEntry.objects.filter(source_type="finance.settlement", source_id=str(settlement.pk)).count() + 1
    if fee_now > 0:
        fee_entry = ledger.post(
            kind=JournalKind.FEE_COLLECTED,
            key=f"settlement_fee:{settlement.pk}:{serial}",
            legs=[dr(settlement.account, fee_now), cr(fee_account, fee_now)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=act.actor.ref,
            lot=settlement.lot,
            memo=f"交易服务费 {settlement.deal_ref}",
            source=("finance.settlement", str(settlement.pk)),
        )
        invoice_actions.request_invoice(
            act,
            fee_entry,
            buyer_entity_id=settlement.seller_entity_id,
            item_name=f"交易服务费（{settlement.title or settlement.deal_ref}）",
            amount_fen=fee_now,
            lot=settlement.lot,
            settlement=settlement,
        )
        act.witness(settlement, {"fee_fen": fee_now, "entry": fee_entry.key})
    rest = releasable - fee_now
    if rest <= 0:
        return None
    entry = ledger.post(
        kind=JournalKind.SETTLEMENT_RELEASED,
        key=f"settlement_release:{settlement.pk}:{serial}",
        legs=[dr(settlement.account, rest), cr(settlement.payable_account, rest)],
        effective_at=act.now,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=settlement.lot,
        memo=f"价款解付 {settlement.deal_ref}",
        source=("finance.settlement", str(settlement.pk)),
    )
    basic = registry.get_basic_account(settlement.seller_entity_id, on=act.now)
    seller = registry.get_entity_ref(settlement.seller_entity_id)
    payout = SettlementPayout.objects.create(
        settlement=settlement,
        amount_fen=rest,
        payee_account=normalise_account_number(basic.account_number) if basic else "",
        payee_name=basic.account_name if basic else (seller.name if seller else ""),
        next_attempt_at=act.now,
        created_at=act.now,
        release_entry=entry,
    )
    payload = {"deal_ref": settlement.deal_ref, "payout_id": payout.pk, "amount_fen": rest, "entry": entry.key}
    act.witness(payout, payload)
    act.emit("finance.settlement_released.v1", settlement, payload, visibility=RESTRICTED)
    return payout


def _maybe_complete(act: ActionRecorder, settlement: Settlement) -> None:
    if settlement.status == plan_rules.Status.COMPLETED:
        return
    unpaid = Instalment.objects.filter(settlement=settlement, paid_fen__lt=F("principal_fen") + F("interest_fen"))
    if unpaid.exists() or settlement.payouts.exclude(status=PayoutStatus.PAID).exists():
        return
    if settlement.transfer_confirmed_at is None or ledger.balance_of(settlement.payable_account) != 0:
        return
    settlement.status = plan_rules.Status.COMPLETED
    settlement.completed_at = act.now
    settlement.version += 1
    settlement.save(update_fields=["status", "completed_at", "version"])
    act.witness(settlement, {"status": settlement.status})
    act.emit("finance.settlement_completed.v1", settlement, {"deal_ref": settlement.deal_ref}, visibility=RESTRICTED)


def post_settlement_credit(act: ActionRecorder, notice: BankNotice, settlement_id: int, bank_account) -> bool:
    """Post a buyer's payment into the settlement's virtual account (called while posting the bank notice).
    False (the caller holds it in suspense) for another currency."""
    settlement = lock_objects.settlement_qs_for_update(pk=settlement_id).get()
    if notice.currency != "CNY":
        return False
    instalments = _owed(settlement)
    applied, excess = _apply(act, instalments, notice.amount_fen)
    legs = [dr(bank_account, notice.amount_fen), cr(settlement.account, notice.amount_fen)]
    if applied:
        legs += [dr(settlement.contra_account, applied), cr(settlement.receivable_account, applied)]
    entry = ledger.post(
        kind=JournalKind.SETTLEMENT_RECEIVED,
        key=f"notice:{notice.bank_code}:{notice.bank_ref}",
        legs=legs,
        effective_at=notice.booked_at,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=settlement.lot,
        memo=f"成交价款到账 {settlement.deal_ref}",
        source=("finance.banknotice", str(notice.pk)),
    )
    notice.status = NoticeStatus.POSTED
    notice.entry = entry
    if excess:
        notice.flags = [AlertKind.SETTLEMENT_OVERPAID]
        _raise_alert(
            act,
            f"overpaid:{notice.pk}",
            AlertKind.SETTLEMENT_OVERPAID,
            lot=settlement.lot,
            entity_id=settlement.buyer_entity_id,
            notice=notice,
            settlement=settlement,
            details={"deal_ref": settlement.deal_ref, "excess_fen": excess, "bank_ref": notice.bank_ref},
        )
    payload = {
        "deal_ref": settlement.deal_ref,
        "amount_fen": notice.amount_fen,
        "applied_fen": applied,
        "excess_fen": excess,
        "entry": entry.key,
    }
    act.witness(settlement, payload)
    act.emit("finance.settlement_payment_received.v1", settlement, payload, visibility=RESTRICTED)
    if settlement.transfer_confirmed_at is not None:
        _release_to_seller(act, settlement)
    _maybe_complete(act, settlement)
    return True


def _settlement_or_404(deal_ref: str, *, lock: bool = False) -> Settlement:
    ref = normalise_deal_ref(deal_ref)
    qs = lock_objects.settlement_qs_for_update(deal_ref=ref) if lock else Settlement.objects.filter(deal_ref=ref)
    found = qs.first()
    if found is None:
        raise NotFound("finance.settlement_not_found", "未找到该结算", "No such settlement", {"deal_ref": ref})
    return found


def do_confirm_transfer(*, actor: Actor, deal_ref: str | tuple[str, str], note: str = "") -> Settlement:
    """The transfer of the deal's object is confirmed (产权交割/过户确认; platform or staff): what the buyer paid
    is released to the seller (fee first), and later payments follow as they arrive.
    ``finance.transfer_already_confirmed`` (409)."""
    _require_staff(actor)
    with action(actor, "finance.confirm_transfer") as act:
        settlement = _settlement_or_404(deal_ref, lock=True)
        if settlement.transfer_confirmed_at is not None:
            raise Conflict(
                "finance.transfer_already_confirmed",
                "已确认交割",
                "The transfer was already confirmed",
                {"deal_ref": settlement.deal_ref},
            )
        settlement.transfer_confirmed_at = act.now
        settlement.version += 1
        settlement.save(update_fields=["transfer_confirmed_at", "version"])
        act.witness(settlement, {"transfer_confirmed_at": iso_utc(act.now), "note": note[:200]})
        act.emit("finance.transfer_confirmed.v1", settlement, {"deal_ref": settlement.deal_ref}, visibility=RESTRICTED)
        _release_to_seller(act, settlement)
        _maybe_complete(act, settlement)
        return settlement


# -- payouts -----------------------------------------------------------------------------------------------------------


@_unchanged_is_fine
def do_instruct_settlement_payout(*, actor: Actor, payout_id: int) -> bank.PayoutInstruction | None:
    """Prepare (or re-send after its delay) the bank instruction of a payout to the seller."""
    with action(actor, "finance.instruct_settlement_payout") as act:
        payout = lock_objects.payout_qs_for_update(pk=payout_id).first()
        if payout is None or payout.status == PayoutStatus.PAID or payout.next_attempt_at > act.now:
            raise _NoChange(None)
        if payout.status == PayoutStatus.PENDING:
            payout.instruction_ref = f"{PAYOUT_PREFIX}{payout.pk:012d}"
            payout.status = PayoutStatus.INSTRUCTED
            payout.instructed_at = act.now
        payout.attempts += 1
        payout.next_attempt_at = act.now + retry_delay(payout.attempts)
        payout.save()
        act.witness(
            payout,
            {"instruction_ref": payout.instruction_ref, "attempt": payout.attempts, "amount_fen": payout.amount_fen},
        )
        settlement = payout.settlement
        return bank.PayoutInstruction(
            bank_code=settlement.bank_code,
            ref=payout.instruction_ref or "",
            amount_fen=payout.amount_fen,
            payee_account=payout.payee_account,
            payee_name=payout.payee_name,
            memo=f"成交价款划转 {settlement.deal_ref}",
        )


def pay_settlement_payout(payout_id: int, *, actor: Actor | None = None) -> bool:
    """Send one due payout to the bank and post the confirmations it returns. True when it was sent."""
    from yiwang.services.finance.actions import receive_bank_notice

    instruction = do_instruct_settlement_payout(actor=actor or Actor.system("clock"), payout_id=payout_id)
    if instruction is None:
        return False
    for confirmation in bank.gateway().send_payout(instruction):
        receive_bank_notice(bank_code=confirmation.bank_code, body=confirmation.body, signature=confirmation.signature)
    return True


def post_settlement_payout(act: ActionRecorder, notice: BankNotice) -> None:
    """Post the bank's confirmation of a payout to a seller (exactly once; a mismatch is held with an alert)."""
    payout = lock_objects.payout_qs_for_update(instruction_ref=notice.instruction_ref).first()
    settlement = payout.settlement if payout else None
    if (
        payout is None
        or settlement is None
        or settlement.bank_code != notice.bank_code
        or payout.status == PayoutStatus.PAID
        or payout.amount_fen != notice.amount_fen
    ):
        duplicate = payout is not None and payout.status == PayoutStatus.PAID
        notice.status = NoticeStatus.IGNORED if duplicate else NoticeStatus.HELD
        notice.flags = [AlertKind.PAYOUT_MISMATCH]
        _raise_alert(
            act,
            f"payout:{notice.pk}",
            AlertKind.PAYOUT_MISMATCH,
            lot=settlement.lot if settlement else None,
            notice=notice,
            settlement=settlement,
            details={
                "instruction_ref": notice.instruction_ref,
                "amount_fen": notice.amount_fen,
                "expected_fen": payout.amount_fen if payout else None,
                "duplicate": duplicate,
            },
        )
        act.witness(notice, {"status": notice.status, "instruction_ref": notice.instruction_ref})
        return
    settlement = lock_objects.settlement_qs_for_update(pk=settlement.pk).get()
    bank_account = ledger.ensure_account(
        ledger.bank_code_of(settlement.bank_code), AccountKind.BANK_CLEARING, act.now, bank_code=settlement.bank_code
    )
    entry = ledger.post(
        kind=JournalKind.SETTLEMENT_PAID,
        key=f"settlement_payout:{payout.pk}",
        legs=[dr(settlement.payable_account, payout.amount_fen), cr(bank_account, payout.amount_fen)],
        effective_at=notice.booked_at,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=settlement.lot,
        memo=f"价款划转出让方 {settlement.deal_ref}",
        source=("finance.banknotice", str(notice.pk)),
    )
    payout.status = PayoutStatus.PAID
    payout.paid_at = entry.effective_at
    payout.payout_entry = entry
    payout.save(update_fields=["status", "paid_at", "payout_entry"])
    notice.status = NoticeStatus.POSTED
    notice.entry = entry
    payload = {
        "deal_ref": settlement.deal_ref,
        "payout_id": payout.pk,
        "amount_fen": payout.amount_fen,
        "entry": entry.key,
    }
    act.witness(payout, payload)
    act.emit("finance.settlement_paid.v1", settlement, payload, visibility=RESTRICTED)
    _maybe_complete(act, settlement)


# -- overdue instalments -----------------------------------------------------------------------------------------------


def do_flag_overdue_instalments(*, actor: Actor, now: datetime, limit: int = 500) -> int:
    """Raise an alert (once) for every instalment past its due date and not fully paid; returns how many."""
    from yiwang.services.finance.models import Alert

    candidates = list(
        Instalment.objects.filter(
            due_at__lte=now,
            paid_fen__lt=F("principal_fen") + F("interest_fen"),
            settlement__status=plan_rules.Status.ACTIVE,
        )
        .select_related("settlement")
        .order_by("due_at", "pk")[: limit * 2]
    )
    known = set(
        Alert.objects.filter(key__in=[f"instalment_overdue:{i.pk}" for i in candidates]).values_list("key", flat=True)
    )
    overdue = [i for i in candidates if f"instalment_overdue:{i.pk}" not in known][:limit]
    if not overdue:
        return 0
    with action(actor, "finance.flag_overdue_instalments") as act:
        for item in overdue:
            settlement = item.settlement
            _raise_alert(
                act,
                f"instalment_overdue:{item.pk}",
                AlertKind.INSTALMENT_OVERDUE,
                lot=settlement.lot,
                entity_id=settlement.buyer_entity_id,
                settlement=settlement,
                details={
                    "deal_ref": settlement.deal_ref,
                    "seq": item.seq,
                    "due_at": iso_utc(item.due_at),
                    "owed_fen": item.total_fen,
                    "paid_fen": item.paid_fen,
                },
            )
        return len(overdue)
