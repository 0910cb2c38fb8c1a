"""The finance API: the signed bank endpoint, bidders' deposits, staff views, the public fee schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.services.finance import actions, bank
from yiwang.services.finance.models import BankNotice, Deposit, JournalEntry
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db


def _post_notice(api, body: bytes, signature: str, bank_code: str = "SIMBANK"):
    return api.client.post(
        f"/api/v1/finance/bank/{bank_code}/notices",
        data=body,
        content_type="application/json",
        headers={"X-Bank-Signature": signature},
    )


def test_bank_endpoint_is_signed_and_idempotent(api, clock, bidders, lot):
    a = bidders[0]
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    notice = bank.SimulatedBank().pay_in(
        virtual_account=deposit.virtual_account,
        amount_fen=lot.required_fen,
        payer_account=a.basic_account,
        payer_name=a.name,
        ref="API-1",
    )
    first = _post_notice(api, notice.body, notice.signature)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "posted"
    again = _post_notice(api, notice.body, notice.signature)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    bad = _post_notice(api, notice.body, "hmac-sha256=" + "0" * 64)
    assert bad.status_code == 401
    assert bad.json()["code"] == "finance.bad_signature"
    unknown = _post_notice(api, notice.body, notice.signature, bank_code="NOBANK")
    assert unknown.status_code == 404
    junk = b'{"kind": "credit"}'
    invalid = _post_notice(api, junk, bank.sign_notice("SIMBANK", junk))
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "finance.notice_invalid"
    assert BankNotice.objects.count() == 1
    assert JournalEntry.objects.filter(kind="deposit_received").count() == 1


def test_bidder_views_and_secrecy(api, test_actors, clock, bidders, lot):
    a, b = bidders
    test_actors.update({"a": a.actor, "b": b.actor, "staff": support.staff()})
    opened = api.with_token("a").post(f"/finance/lots/{lot.ref}/deposits", {"entity_id": a.entity_id})
    assert opened.status_code == 201, opened.content
    va = opened.json()["virtual_account"]
    assert va
    refused = api.with_token("b").post(f"/finance/lots/{lot.ref}/deposits", {"entity_id": a.entity_id})
    assert refused.status_code == 403
    deposit = Deposit.objects.get(virtual_account=va)
    support.pay(deposit, lot.required_fen, a.basic_account)
    mine = api.with_token("a").get("/finance/deposits/mine")
    assert mine.status_code == 200
    assert mine.json()[0]["satisfied"] is True
    assert api.with_token("a").get(f"/finance/lots/{lot.ref}/deposits/{a.entity_id}/satisfaction").json()["satisfied"]
    for who in ("b", "staff", None):
        client = api.with_token(who)
        assert client.get(f"/finance/lots/{lot.ref}/deposits/{a.entity_id}").status_code == 404
        assert client.get(f"/finance/lots/{lot.ref}/deposits/{a.entity_id}/satisfaction").status_code == 404
    counts = api.with_token("staff").get(f"/finance/lots/{lot.ref}/deposits").json()
    assert (counts["accounts"], counts["satisfied"], counts["rows"]) == (1, 1, None)
    assert api.with_token("b").get(f"/finance/lots/{lot.ref}/deposits").status_code == 403
    assert api.get(f"/finance/lots/{lot.ref}").json()["required_fen"] == lot.required_fen
    assert api.get("/finance/deposits/mine").status_code == 401
    clock.advance(timedelta(days=21))
    rows = api.with_token("staff").get(f"/finance/lots/{lot.ref}/deposits").json()["rows"]
    assert [r["entity_id"] for r in rows] == [a.entity_id]


def test_staff_reconciliation_suspense_and_alerts(api, test_actors, clock, bidders, lot):
    a = bidders[0]
    test_actors.update({"staff": support.staff(), "a": a.actor, "reg": support.regulator()})
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    received = support.pay(deposit, 100, a.basic_account, virtual_account="95000000000000")
    report = api.with_token("staff").get("/finance/reconciliation")
    assert report.status_code == 200
    assert report.json()["reconciled"] is True
    assert report.json()["suspense_fen"] == 100
    assert api.with_token("a").get("/finance/reconciliation").status_code == 403
    items = api.with_token("staff").get("/finance/suspense").json()
    assert [i["notice_id"] for i in items] == [received.notice.pk]
    denied = api.with_token("reg").post(
        f"/finance/suspense/{received.notice.pk}/assignment", {"lot_ref": lot.ref, "entity_id": a.entity_id}
    )
    assert denied.status_code == 403
    assigned = api.with_token("staff").post(
        f"/finance/suspense/{received.notice.pk}/assignment",
        {"lot_ref": lot.ref, "entity_id": a.entity_id, "note": "核实"},
    )
    assert assigned.status_code == 201
    assert assigned.json()["status"] == "assigned"
    alerts = api.with_token("reg").get("/finance/alerts", {"kind": "suspense"}).json()
    assert len(alerts) == 1
    assert alerts[0]["resolved_at"] is not None
    assert api.with_token("reg").get("/finance/refunds/late").json() == []


def test_public_fee_schedule_and_quote(api, clock):
    body = api.get("/finance/fees").json()
    assert any(s["key"] == "svc.deposit" and s["fee"] == "免费" for s in body["services"])
    assert any(i["code"] == "agency.reference.works" for i in body["items"])
    quote = api.get("/finance/fees/agency.reference.works/quote", {"base_fen": 300_000_000}).json()
    assert quote["fee_fen"] == 2_400_000
    missing = api.get("/finance/fees/agency.reference.works/quote")
    assert missing.status_code == 422
    assert api.get("/finance/fees/nope/quote").status_code == 404
