"""E-invoices: one blue invoice per fee (requested with the fee, issued by a task, idempotent), the invoice
document stored by digest and signed, red-letter invoices for reversed fees, retries when the port fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django_tasks_db.models import DBTaskResult

from yiwang.kernel.errors import Conflict, PermissionDenied
from yiwang.platform.storage import queries as storage
from yiwang.services.finance import actions, invoicing, jobs, ledger, queries
from yiwang.services.finance.models import Invoice, JournalEntry, SimInvoice
from yiwang.services.finance.tasks import issue_invoice_task
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db
FEE = "agency.reference.works"


def _paid(bidder, lot):
    deposit = actions.do_open_deposit_account(actor=bidder.actor, lot_ref=lot.ref, entity_id=bidder.entity_id)
    support.pay(deposit, lot.required_fen, bidder.basic_account)
    return deposit


def _tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith="issue_invoice_task").order_by("enqueued_at"))


def test_one_invoice_per_fee_issued_by_its_task(clock, bidders, lot):
    a = bidders[0]
    deposit = _paid(a, lot)
    entry = actions.do_collect_fee(
        actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, fee_code=FEE, base_fen=1_000_000
    )
    (invoice,) = Invoice.objects.all()
    assert (invoice.status, invoice.kind, invoice.entry_id, invoice.buyer_entity_id) == (
        "pending",
        "blue",
        entry.pk,
        a.entity_id,
    )
    assert invoice.net_fen + invoice.tax_fen == invoice.amount_fen == 10_000
    assert invoice.tax_fen == 566  # 6 % included: 10000 / 1.06 = 9433.96 → 9434 net
    (task,) = _tasks()
    assert task.args_kwargs == {"args": [invoice.pk], "kwargs": {}}
    assert issue_invoice_task.call(invoice.pk) is True
    assert issue_invoice_task.call(invoice.pk) is True  # the task runs twice: still one invoice
    assert jobs.run_invoices(clock.now() + timedelta(minutes=5)) == 0
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert len(invoice.number) == 20
    assert invoice.number.isdigit()
    assert invoice.code
    assert invoice.issued_on
    assert SimInvoice.objects.count() == 1
    document = storage.get_owned_document(
        storage.Owner("services.finance", f"invoice:{invoice.pk}"), invoice.document_id
    )
    version = storage.get_version(document)
    assert version.sha256 == invoice.sha256
    with storage.open_version(version) as handle:
        body = handle.read()
    assert invoice.number.encode() in body
    assert "上海浦江数智建设工程有限公司".encode() in body
    assert invoicing.verify_invoice_signature(body, invoice.signature)
    assert not invoicing.verify_invoice_signature(body + b" ", invoice.signature)
    # a second fee gets its own invoice
    actions.do_collect_fee(
        actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, fee_code=FEE, base_fen=1_000_000
    )
    assert Invoice.objects.count() == 2
    mine = queries.list_my_invoices_for(a.actor)
    assert [i.number for i in mine][1] == invoice.number
    assert queries.list_my_invoices_for(bidders[1].actor) == []
    assert ledger.balance_of(deposit.account) == lot.required_fen - 20_000


def test_a_failed_fee_requests_no_invoice(clock, bidders, lot):
    a = bidders[0]
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    support.pay(deposit, 100, a.basic_account)
    with pytest.raises(Conflict):
        actions.do_collect_fee(
            actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, fee_code=FEE, base_fen=10**8
        )
    assert Invoice.objects.count() == 0
    assert _tasks() == []


def test_reversal_gets_a_red_letter_invoice(clock, bidders, lot):
    a = bidders[0]
    deposit = _paid(a, lot)
    entry = actions.do_collect_fee(
        actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, fee_code=FEE, base_fen=1_000_000
    )
    with pytest.raises(PermissionDenied):
        actions.do_reverse_fee(actor=a.actor, entry_id=entry.pk, reason="误收")
    # reversed before the blue invoice was issued: the red one waits for it and follows
    reversal = actions.do_reverse_fee(actor=support.staff(), entry_id=entry.pk, reason="误收")
    assert reversal.reverses_id == entry.pk
    assert ledger.balance_of(deposit.account) == lot.required_fen
    deposit.refresh_from_db()
    assert deposit.status == "satisfied"
    with pytest.raises(Conflict) as twice:
        actions.do_reverse_fee(actor=support.staff(), entry_id=entry.pk, reason="误收")
    assert twice.value.code == "finance.already_reversed"
    blue, red = Invoice.objects.order_by("pk")
    assert (red.kind, red.amount_fen, red.original_id) == ("red", -blue.amount_fen, blue.pk)
    assert len(_tasks()) == 2
    assert issue_invoice_task.call(red.pk) is True
    blue.refresh_from_db()
    red.refresh_from_db()
    assert blue.status == red.status == "issued"
    assert red.number != blue.number
    view = next(i for i in queries.list_my_invoices_for(a.actor) if i.kind == "red")
    assert (view.original_number, view.amount_fen, view.tax_fen) == (blue.number, -blue.amount_fen, -blue.tax_fen)
    assert JournalEntry.objects.filter(kind="reversal").count() == 1
    assert queries.build_reconciliation().reconciled


def test_port_failure_is_retried_by_the_clock(clock, bidders, lot, monkeypatch):
    a = bidders[0]
    _paid(a, lot)
    actions.do_collect_fee(
        actor=support.SYSTEM, lot_ref=lot.ref, entity_id=a.entity_id, fee_code=FEE, base_fen=1_000_000
    )
    (invoice,) = Invoice.objects.all()

    def down(self, data):
        raise ConnectionError("tax service unavailable")

    monkeypatch.setattr(invoicing.SimulatedInvoicer, "issue", down)
    assert issue_invoice_task.call(invoice.pk) is False
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == ("pending", 1)
    monkeypatch.undo()
    assert jobs.run_invoices(clock.now()) == 0  # not before its retry delay
    clock.advance(timedelta(minutes=2))
    assert jobs.run_invoices(clock.now()) == 1
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert apps.get_model("finance", "SimInvoice").objects.count() == 1
