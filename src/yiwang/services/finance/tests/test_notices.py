"""The bank inbox: signatures, duplicates, crashes between "received" and "posted", and concurrent delivery."""

from __future__ import annotations

import json
import random
import threading

import pytest
from django.db import connection

from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from yiwang.platform.clock import use_clock
from yiwang.services.finance import actions, bank, jobs, ledger, queries
from yiwang.services.finance.models import BankNotice, JournalEntry, NoticeStatus
from yiwang.services.finance.tests import support


def _open(bidder, lot):
    return actions.do_open_deposit_account(actor=bidder.actor, lot_ref=lot.ref, entity_id=bidder.entity_id)


def _entries(kind: str = "deposit_received") -> int:
    return JournalEntry.objects.filter(kind=kind).count()


@pytest.mark.django_db
class TestInbox:
    def test_duplicate_notice_posts_once(self, clock, bidders, lot):
        a = bidders[0]
        deposit = _open(a, lot)
        first = support.pay(deposit, 5000, a.basic_account, ref="DUP-1")
        second = support.pay(deposit, 5000, a.basic_account, ref="DUP-1")  # the bank sends it again
        assert not first.duplicate
        assert second.duplicate
        assert second.notice.pk == first.notice.pk
        assert BankNotice.objects.count() == 1
        assert _entries() == 1
        assert ledger.balance_of(deposit.account) == 5000
        assert len(support.witness("finance.receive_bank_notice")) == 1
        assert len(support.witness("finance.post_bank_notice")) == 1

    def test_bad_signature_is_rejected_and_nothing_stored(self, clock, bidders, lot):
        a = bidders[0]
        deposit = _open(a, lot)
        good = bank.SimulatedBank().pay_in(
            virtual_account=deposit.virtual_account,
            amount_fen=100,
            payer_account=a.basic_account,
            payer_name="x",
            ref="SIG-1",
        )
        tampered = good.body.replace(b'"amount_fen":100', b'"amount_fen":100000')
        for body, signature in [
            (tampered, good.signature),
            (good.body, ""),
            (good.body, "hmac-sha256=00"),
            (good.body, bank.sign_notice("SIMBANK", good.body + b" ")),
        ]:
            with pytest.raises(NotAuthenticated) as err:
                actions.receive_bank_notice(bank_code="SIMBANK", body=body, signature=signature)
            assert err.value.code == "finance.bad_signature"
        with pytest.raises(NotFound) as unknown:
            actions.receive_bank_notice(bank_code="NOBANK", body=good.body, signature=good.signature)
        assert unknown.value.code == "finance.bank_unknown"
        assert BankNotice.objects.count() == 0
        assert JournalEntry.objects.count() == 0
        assert support.witness("finance.receive_bank_notice") == []

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"amount_fen": 0}, "amount_fen"),
            ({"amount_fen": "100"}, "amount_fen"),
            ({"kind": "debit"}, "kind"),
            ({"booked_at": "2026-03-02T09:00:00"}, "booked_at"),
            ({"currency": "rmb"}, "currency"),
            ({"ref": ""}, "ref"),
            ({"virtual_account": ""}, "virtual_account"),
        ],
    )
    def test_malformed_notice_is_refused(self, clock, change, field):
        fields = {
            "bank": "SIMBANK",
            "ref": "M-1",
            "kind": "credit",
            "virtual_account": "950000000000017",
            "amount_fen": 100,
            "currency": "CNY",
            "booked_at": "2026-03-02T09:00:00+08:00",
        }
        fields.update(change)
        body = json.dumps(fields).encode()
        with pytest.raises(InvalidInput) as err:
            actions.receive_bank_notice(bank_code="SIMBANK", body=body, signature=bank.sign_notice("SIMBANK", body))
        assert err.value.code == "finance.notice_invalid"
        assert err.value.details["field"] == field
        assert BankNotice.objects.count() == 0

    def test_not_json_is_refused(self, clock):
        body = b"\xff\xfe not json"
        with pytest.raises(InvalidInput):
            actions.receive_bank_notice(bank_code="SIMBANK", body=body, signature=bank.sign_notice("SIMBANK", body))

    def test_same_reference_different_content_is_refused(self, clock, bidders, lot):
        a = bidders[0]
        deposit = _open(a, lot)
        support.pay(deposit, 100, a.basic_account, ref="R-1")
        body = json.dumps(
            {
                "bank": "SIMBANK",
                "ref": "R-1",
                "kind": "credit",
                "virtual_account": deposit.virtual_account,
                "amount_fen": 999,
                "currency": "CNY",
                "booked_at": "2026-03-02T09:00:00+08:00",
            }
        ).encode()
        with pytest.raises(Conflict) as err:
            actions.receive_bank_notice(bank_code="SIMBANK", body=body, signature=bank.sign_notice("SIMBANK", body))
        assert err.value.code == "finance.notice_ref_reused"
        assert ledger.balance_of(deposit.account) == 100

    def test_crash_between_received_and_posted_recovers_once(self, clock, bidders, lot):
        a = bidders[0]
        deposit = _open(a, lot)
        received = support.pay(deposit, 7000, a.basic_account, ref="CRASH-1", post=False)  # the process dies here
        assert received.notice.status == NoticeStatus.RECEIVED
        assert _entries() == 0
        assert queries.build_reconciliation().unposted_notices == 1
        assert jobs.process_bank_inbox(clock.now()) == 1
        assert jobs.process_bank_inbox(clock.now()) == 0  # the clock runs again: nothing twice
        support.pay(deposit, 7000, a.basic_account, ref="CRASH-1")  # and the bank retries its delivery
        assert _entries() == 1
        assert ledger.balance_of(deposit.account) == 7000
        assert queries.build_reconciliation().reconciled

    def test_crash_in_the_middle_of_posting_rolls_back_and_recovers(self, clock, bidders, lot, monkeypatch):
        a = bidders[0]
        deposit = _open(a, lot)

        def boom(*args, **kwargs):
            raise RuntimeError("process killed after the journal lines were written")

        monkeypatch.setattr(actions, "_credit_deposit", boom)
        received = support.pay(deposit, 4200, a.basic_account, ref="CRASH-2")
        assert received.notice.status == NoticeStatus.RECEIVED  # stored; the posting rolled back whole
        assert _entries() == 0
        assert ledger.balance_of(deposit.account) == 0
        monkeypatch.undo()
        assert jobs.process_bank_inbox(clock.now()) == 1
        assert _entries() == 1
        deposit.refresh_from_db()
        assert deposit.first_paid_at is not None
        assert ledger.balance_of(deposit.account) == 4200


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_deliveries_with_duplicates_post_exactly_once(clock):
    a = support.make_bidder(support.PUJIANG, "1001200300400501")
    b = support.make_bidder(support.MINHANG, "1001200300400502")
    lot = support.make_lot()
    deposits = [_open(a, lot), _open(b, lot)]
    sim = bank.SimulatedBank()
    notices = [
        sim.pay_in(
            virtual_account=deposits[i % 2].virtual_account,
            amount_fen=100 + i,
            payer_account=(a, b)[i % 2].basic_account,
            payer_name="p",
            ref=f"CC-{i}",
        )
        for i in range(40)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def deliver(seed: int) -> None:
        order = notices * 2  # every notice twice from every thread
        random.Random(seed).shuffle(order)
        try:
            with use_clock(clock):
                start.wait()
                for n in order:
                    actions.receive_bank_notice(bank_code=n.bank_code, body=n.body, signature=n.signature)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    jobs.process_bank_inbox(clock.now())  # anything a lost race left received
    assert BankNotice.objects.count() == 40
    assert BankNotice.objects.filter(status=NoticeStatus.POSTED).count() == 40
    assert _entries() == 40
    expected = sum(100 + i for i in range(40))
    assert sum(ledger.balance_of(d.account) for d in deposits) == expected
    report = queries.build_reconciliation()
    assert report.balanced
    assert report.reconciled
