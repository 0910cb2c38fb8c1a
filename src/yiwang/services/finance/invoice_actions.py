"""State changes of e-invoices (电子发票): one blue invoice per fee, one red-letter invoice per reversed fee.
Re-exported by :mod:`yiwang.services.finance.actions`.

- Every action that collects a fee calls :func:`request_invoice` inside its own transaction: a pending
  :class:`~yiwang.services.finance.models.Invoice` (unique per fee entry and kind — so never two) and the task
  :func:`~yiwang.services.finance.tasks.issue_invoice_task`, stored with the action (database task backend).
- The task (and, as a safety net, the clock job ``finance.invoices``) runs :func:`issue_invoice`: it asks the
  invoice port (idempotent by the request key) and records the answer with :func:`do_record_invoice`, which
  stores the invoice document in the document store. Running it twice, or in two workers, issues one invoice.
- :func:`do_reverse_fee` (staff) reverses a fee with a mirroring journal entry and requests the red-letter
  invoice that negates the blue one (issued after it).
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, NotFound
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.storage import actions as storage_actions
from yiwang.registry import queries as registry
from yiwang.services.finance import invoicing, ledger, lock_objects
from yiwang.services.finance.actions import (
    RESTRICTED,
    _NoChange,
    _require_staff,
    _unchanged_is_fine,
    _update_satisfaction,
)
from yiwang.services.finance.domain.invoices import InvoiceData, Kind, Status, split_tax
from yiwang.services.finance.domain.ledger import JournalKind
from yiwang.services.finance.domain.refunds import retry_delay
from yiwang.services.finance.models import Deposit, Invoice, JournalEntry, Lot, Settlement

log = logging.getLogger("yiwang.finance")
OWNER_CONTEXT = "services.finance"
TASK_GRACE = timedelta(minutes=1)  # the clock job leaves a new invoice to its task this long


def request_invoice(
    act: ActionRecorder,
    entry: JournalEntry,
    *,
    buyer_entity_id: int | None,
    item_name: str,
    amount_fen: int,
    lot: Lot | None = None,
    settlement: Settlement | None = None,
) -> Invoice:
    """Inside a fee action: the pending blue invoice of ``entry`` and its issuing task (once per fee)."""
    from yiwang.services.finance.tasks import issue_invoice_task

    existing = Invoice.objects.filter(entry=entry, kind=Kind.BLUE).first()
    if existing is not None:
        return existing
    rate = invoicing.invoice_settings().tax_rate_percent
    net, tax = split_tax(amount_fen, rate)
    invoice = Invoice.objects.create(
        request_key=f"fee:{entry.key}",
        kind=Kind.BLUE,
        entry=entry,
        lot=lot,
        settlement=settlement,
        buyer_entity_id=buyer_entity_id,
        item_name=item_name[:200],
        amount_fen=amount_fen,
        tax_rate=rate,
        net_fen=net,
        tax_fen=tax,
        created_at=act.now,
        next_attempt_at=act.now + TASK_GRACE,
    )
    act.witness(invoice, {"request_key": invoice.request_key, "kind": invoice.kind, "amount_fen": amount_fen})
    act.enqueue(issue_invoice_task, invoice.pk)
    return invoice


def _invoice_data(invoice: Invoice) -> InvoiceData:
    conf = invoicing.invoice_settings()
    buyer = registry.get_entity_ref(invoice.buyer_entity_id) if invoice.buyer_entity_id else None
    return InvoiceData(
        request_key=invoice.request_key,
        kind=Kind(invoice.kind),
        seller_name=conf.seller_name,
        seller_tax_id=conf.seller_tax_id,
        buyer_name=buyer.name if buyer else "",
        buyer_tax_id=(buyer.uscc or "") if buyer else "",
        item_name=invoice.item_name,
        amount_fen=invoice.amount_fen,
        tax_rate_percent=invoice.tax_rate,
        net_fen=invoice.net_fen,
        tax_fen=invoice.tax_fen,
        original_number=invoice.original.number or "" if invoice.original_id else "",
        note=f"冲红：{invoice.original.number}" if invoice.original_id else "",
    )


@_unchanged_is_fine
def do_record_invoice(*, actor: Actor, invoice_id: int, issued: invoicing.IssuedInvoice) -> Invoice:
    """Record what the invoice port issued (number, code, date, document) — once; a second answer for an
    issued invoice changes nothing. The document goes to the document store with its SHA-256."""
    with action(actor, "finance.record_invoice") as act:
        invoice = lock_objects.invoice_qs_for_update(pk=invoice_id).first()
        if invoice is None:
            raise NotFound("finance.invoice_not_found", "未找到该发票", "No such invoice", {"invoice_id": invoice_id})
        if invoice.status == Status.ISSUED:
            raise _NoChange(invoice)
        stored = storage_actions.do_store_document(
            actor=actor,
            owner=storage_actions.Owner(OWNER_CONTEXT, f"invoice:{invoice.pk}"),
            title=f"电子发票 {issued.number}",
            kind="attachment",
            stream=io.BytesIO(issued.body),
            filename=f"invoice-{issued.number}.xml",
        )
        invoice.status = Status.ISSUED
        invoice.number = issued.number
        invoice.code = issued.code
        invoice.issued_on = issued.issued_on
        invoice.issued_at = act.now
        invoice.document_id = stored.document.pk
        invoice.sha256 = stored.sha256
        invoice.signature = issued.signature[:200]
        invoice.save()
        payload = {
            "request_key": invoice.request_key,
            "kind": invoice.kind,
            "number": invoice.number,
            "code": invoice.code,
            "issued_on": invoice.issued_on.isoformat(),
            "amount_fen": invoice.amount_fen,
            "tax_fen": invoice.tax_fen,
            "sha256": invoice.sha256,
            "original": invoice.original.number if invoice.original_id else None,
        }
        act.witness(invoice, payload)
        act.emit("finance.invoice_issued.v1", invoice, payload, visibility=RESTRICTED)
        return invoice


@_unchanged_is_fine
def do_note_invoice_failure(*, actor: Actor, invoice_id: int, error: str) -> Invoice | None:
    """The port failed: try again after a delay (the clock job picks it up)."""
    with action(actor, "finance.note_invoice_failure") as act:
        invoice = lock_objects.invoice_qs_for_update(pk=invoice_id).first()
        if invoice is None or invoice.status == Status.ISSUED:
            raise _NoChange(invoice)
        invoice.attempts += 1
        invoice.next_attempt_at = act.now + retry_delay(invoice.attempts)
        invoice.save(update_fields=["attempts", "next_attempt_at"])
        act.witness(invoice, {"attempt": invoice.attempts, "error": error[:200]})
        return invoice


def issue_invoice(invoice_id: int, *, actor: Actor | None = None) -> bool:
    """Issue one pending invoice through the port (a red-letter one after its blue original). Idempotent:
    True when the invoice is issued afterwards."""
    runner = actor or Actor.system("invoices")
    invoice = Invoice.objects.select_related("original").filter(pk=invoice_id).first()
    if invoice is None:
        return False
    if invoice.status == Status.ISSUED:
        return True
    if invoice.original_id is not None and invoice.original.status != Status.ISSUED:
        if not issue_invoice(invoice.original_id, actor=runner):
            return False
        invoice.refresh_from_db()
    try:
        issued = invoicing.port().issue(_invoice_data(invoice))
    except Exception as exc:
        log.exception("invoice %s could not be issued; retried later", invoice_id)
        do_note_invoice_failure(actor=runner, invoice_id=invoice_id, error=str(exc))
        return False
    do_record_invoice(actor=runner, invoice_id=invoice_id, issued=issued)
    return True


def do_reverse_fee(*, actor: Actor, entry_id: int, reason: str) -> JournalEntry:
    """Staff reverse a collected fee (a mirroring entry: the money goes back where it came from) and the
    red-letter invoice negating its invoice is requested. ``finance.fee_entry_not_found``,
    ``finance.already_reversed`` (409)."""
    from yiwang.services.finance.tasks import issue_invoice_task

    _require_staff(actor)
    with action(actor, "finance.reverse_fee") as act:
        entry = JournalEntry.objects.filter(pk=entry_id, kind=JournalKind.FEE_COLLECTED).first()
        if entry is None:
            raise NotFound(
                "finance.fee_entry_not_found", "未找到该笔服务费", "No such fee collection", {"entry_id": entry_id}
            )
        if entry.lot_id is not None:
            lock_objects.lot_qs_for_update(entry.lot.ref).first()
        if JournalEntry.objects.filter(reverses=entry).exists():
            raise Conflict(
                "finance.already_reversed", "该笔服务费已冲正", "This fee was already reversed", {"entry_id": entry_id}
            )
        legs = [
            ledger.Leg(line.account, debit_fen=line.credit_fen, credit_fen=line.debit_fen)
            for line in entry.lines.select_related("account").order_by("pk")
        ]
        reversal = ledger.post(
            kind=JournalKind.REVERSAL,
            key=f"reversal:{entry.key}",
            legs=legs,
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=actor.ref,
            lot=entry.lot,
            memo=f"服务费冲正：{reason}"[:300],
            source=("finance.journalentry", str(entry.pk)),
            reverses=entry,
        )
        for deposit in Deposit.objects.filter(account__lines__entry=entry).distinct():
            locked = lock_objects.deposit_qs_for_update(deposit.pk).get()
            _update_satisfaction(locked, locked.lot, act.now)
            locked.version += 1
            locked.save(update_fields=["status", "satisfied_at", "version"])
        blue = Invoice.objects.filter(entry=entry, kind=Kind.BLUE).first()
        red = None
        if blue is not None:
            red = Invoice.objects.create(
                request_key=f"red:{entry.key}",
                kind=Kind.RED,
                entry=entry,
                original=blue,
                lot=blue.lot,
                settlement=blue.settlement,
                buyer_entity_id=blue.buyer_entity_id,
                item_name=blue.item_name,
                amount_fen=-blue.amount_fen,
                tax_rate=blue.tax_rate,
                net_fen=-blue.net_fen,
                tax_fen=-blue.tax_fen,
                created_at=act.now,
                next_attempt_at=act.now + TASK_GRACE,
            )
            act.enqueue(issue_invoice_task, red.pk)
        payload = {
            "entry": entry.key,
            "reversal": reversal.key,
            "reason": reason[:200],
            "red_invoice_request": red.request_key if red else None,
        }
        act.witness(entry, payload)
        act.emit("finance.fee_reversed.v1", entry, payload, visibility=RESTRICTED)
        return reversal


__all__ = [
    "do_note_invoice_failure",
    "do_record_invoice",
    "do_reverse_fee",
    "issue_invoice",
    "request_invoice",
]
