"""The API and pages of e-guarantees, settlements and invoices: the issuer's signed answer over HTTP with its
refusal codes, public verification, bidders' and issuers' views, settlement pages, invoices on the bidder's
page."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from yiwang.services.finance import actions
from yiwang.services.finance.models import Guarantee, Invoice
from yiwang.services.finance.tasks import issue_invoice_task
from yiwang.services.finance.tests import guarantee_support as gs
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db
WAN = 1_000_000


@pytest.fixture
def env(clock, test_actors):
    env = gs.make_env()
    test_actors.update(
        {
            "a": env.bidders[0].actor,
            "b": env.bidders[1].actor,
            "bank": env.bank_user,
            "staff": support.staff(),
            "reg": support.regulator(),
        }
    )
    return env


def _issue_body(env, application_no: str, *, tamper: bool = False) -> dict:
    application = Guarantee.objects.get(application_no=application_no)
    doc = env.document(application)
    data = doc.to_bytes()
    signature = gs.sign_document(env.bank_cert, data + (b"!" if tamper else b""))
    return {
        "document": data.decode("utf-8"),
        "signature": base64.b64encode(signature).decode(),
        "certificate": env.bank_cert.pem,
        "letter": base64.b64encode(gs.LETTER).decode(),
        "letter_filename": "letter.pdf",
    }


def test_guarantee_over_the_api(api, env, clock):
    a = env.bidders[0]
    issuers_list = api.get("/finance/guarantee-issuers").json()
    assert {i["kind"] for i in issuers_list} == {"bank", "insurer"}
    applied = api.with_token("a").post(
        f"/finance/lots/{env.lot.ref}/guarantees", {"entity_id": a.entity_id, "issuer_id": env.bank.pk}
    )
    assert applied.status_code == 201, applied.content
    no = applied.json()["application_no"]
    assert applied["Location"].endswith(f"/guarantees/{no}")
    refused = api.with_token("b").post(
        f"/finance/lots/{env.lot.ref}/guarantees", {"entity_id": a.entity_id, "issuer_id": env.bank.pk}
    )
    assert refused.status_code == 403
    pending = api.with_token("bank").get("/finance/guarantee-applications", {"pending_only": True}).json()
    assert [p["application_no"] for p in pending] == [no]
    assert api.with_token("a").get("/finance/guarantee-applications").status_code == 403
    bad = api.with_token("bank").post(f"/finance/guarantee-applications/{no}/issue", _issue_body(env, no, tamper=True))
    assert bad.status_code == 422
    assert bad.json()["code"] == "ca.signature_invalid"
    junk = api.with_token("bank").post(
        f"/finance/guarantee-applications/{no}/issue", {**_issue_body(env, no), "letter": "%%%%%%"}
    )
    assert junk.status_code == 422
    assert junk.json()["code"] == "finance.base64_invalid"
    assert (
        api.with_token("a").post(f"/finance/guarantee-applications/{no}/issue", _issue_body(env, no)).status_code == 404
    )
    issued = api.with_token("bank").post(f"/finance/guarantee-applications/{no}/issue", _issue_body(env, no))
    assert issued.status_code == 200, issued.content
    number = issued.json()["number"]
    gate = api.with_token("a").get(f"/finance/lots/{env.lot.ref}/deposits/{a.entity_id}/satisfaction").json()
    assert (gate["satisfied"], gate["via"], gate["guarantee_no"]) == (True, "letter", number)
    mine = api.with_token("a").get("/finance/guarantees/mine").json()
    assert [g["number"] for g in mine] == [number]
    assert api.with_token("b").get(f"/finance/guarantees/{number}").status_code == 404
    public = api.get(f"/finance/guarantees/{number}/verification").json()
    assert public["applicant_name"] is None
    assert public["in_force"] is True
    counts = api.with_token("staff").get(f"/finance/lots/{env.lot.ref}/deposits").json()
    assert (counts["guarantees"], counts["guarantee_rows"]) == (1, None)
    # staff actions
    assert api.with_token("a").post(f"/finance/guarantees/{number}/claim", {"reason": "reneged"}).status_code == 403
    clock.advance(timedelta(days=21))
    claim = api.with_token("staff").post(f"/finance/guarantees/{number}/claim", {"reason": "reneged", "note": "悔标"})
    assert claim.status_code == 200, claim.content
    assert claim.json()["status"] == "pending"
    status = api.with_token("staff").post(
        f"/finance/guarantee-issuers/{env.bank.pk}/status", {"status": "suspended", "reason": "通报"}
    )
    assert status.status_code == 200
    assert status.json()["status"] == "suspended"


def test_issuer_registration_over_the_api(api, env):
    guarantor = gs.register_company(gs.GUARANTOR_USCC, "上海闵行融资担保有限公司", ["guarantor"], region="310112")
    cert = env.pki.issue(entity=gs.GUARANTOR_USCC, name="上海闵行融资担保有限公司")
    body = {"entity_id": guarantor, "kind": "guarantor", "certificates": [cert.pem]}
    assert api.with_token("a").post("/finance/guarantee-issuers", body).status_code == 403
    created = api.with_token("staff").post("/finance/guarantee-issuers", body)
    assert created.status_code == 201, created.content
    assert (created.json()["certificates"], created.json()["forms"]) == (1, ["letter"])
    again = api.with_token("staff").post("/finance/guarantee-issuers", body)
    assert again.status_code == 409


def test_settlement_and_invoices_over_the_api(api, env, clock):
    buyer, seller = env.bidders
    start = clock.now()
    body = {
        "deal_ref": "auction.deal:api1",
        "regime": "state_assets",
        "buyer_entity_id": buyer.entity_id,
        "seller_entity_id": seller.entity_id,
        "price_fen": 100 * WAN,
        "contract_effective_at": start.isoformat(),
        "schedule": [
            {"due_at": (start + timedelta(days=5)).isoformat(), "amount_fen": 20 * WAN},
            {"due_at": (start + timedelta(days=90)).isoformat(), "amount_fen": 80 * WAN},
        ],
        "security": "保函",
    }
    low = api.with_token("staff").post("/finance/settlements", body)
    assert low.status_code == 422
    assert low.json()["code"] == "finance.down_payment_too_low"
    assert low.json()["details"]["rule_id"] == "equity.down_payment_min"
    body["schedule"][0]["amount_fen"], body["schedule"][1]["amount_fen"] = 30 * WAN, 70 * WAN
    assert api.with_token("a").post("/finance/settlements", body).status_code == 403
    created = api.with_token("staff").post("/finance/settlements", {**body, "fee_fen": 10_000})
    assert created.status_code == 201, created.content
    assert created.json()["virtual_account"]
    assert api.with_token("b").get("/finance/settlements/auction.deal:api1").json()["virtual_account"] is None
    assert [s["deal_ref"] for s in api.with_token("a").get("/finance/settlements").json()] == ["auction.deal:api1"]
    confirmed = api.with_token("staff").post("/finance/settlements/auction.deal:api1/transfer-confirmation", {})
    assert confirmed.status_code == 200
    assert confirmed.json()["transfer_confirmed_at"]
    # invoices and the reversal of a fee
    deposit = actions.do_open_deposit_account(actor=buyer.actor, lot_ref=env.lot.ref, entity_id=buyer.entity_id)
    support.pay(deposit, env.lot.required_fen, buyer.basic_account)
    entry = actions.do_collect_fee(
        actor=support.SYSTEM,
        lot_ref=env.lot.ref,
        entity_id=buyer.entity_id,
        fee_code="agency.reference.works",
        base_fen=WAN,
    )
    issue_invoice_task.call(Invoice.objects.get(entry=entry).pk)
    mine = api.with_token("a").get("/finance/invoices/mine").json()
    assert mine[0]["number"]
    assert mine[0]["status"] == "issued"
    assert api.with_token("b").get("/finance/invoices/mine").json() == []
    assert (
        api.with_token("a").post(f"/finance/fee-collections/{entry.pk}/reversal", {"reason": "误收"}).status_code == 403
    )
    reversed_ = api.with_token("staff").post(f"/finance/fee-collections/{entry.pk}/reversal", {"reason": "误收"})
    assert reversed_.status_code == 200, reversed_.content
    assert reversed_.json()["red_invoice"]["amount_fen"] == -mine[0]["amount_fen"]


def _get(client, url, who=None):
    return client.get(url, headers={"X-Test-Actor": who} if who else {})


def test_pages(client, env, clock):
    g = env.guarantee()
    verify = _get(client, f"/finance/guarantees/verify/?no={g.number}").content.decode()
    assert g.number in verify
    assert "开标前不公开" in verify
    assert env.bidders[0].name not in verify
    assert "未查询到" in _get(client, "/finance/guarantees/verify/?no=NOPE-123456").content.decode()
    mine = _get(client, "/finance/mine/", "a").content.decode()
    assert g.number in mine
    assert "上海浦江银行股份有限公司" in mine
    assert g.number not in _get(client, "/finance/mine/", "b").content.decode()
    assert g.application_no in _get(client, "/finance/issuer/", "bank").content.decode()
    assert _get(client, "/finance/issuer/", "a").status_code == 403
    page = _get(client, f"/finance/guarantees/apply/?lot={env.lot.ref}", "b")
    assert page.status_code == 200
    assert "上海浦江银行股份有限公司" in page.content.decode()
    posted = client.post(
        "/finance/guarantees/apply/",
        {"lot_ref": env.lot.ref, "entity_id": env.bidders[1].entity_id, "issuer_id": env.insurer.pk, "form": "letter"},
        headers={"X-Test-Actor": "b"},
    )
    assert posted.status_code == 200
    assert "不能出具" in posted.content.decode()
    posted = client.post(
        "/finance/guarantees/apply/",
        {"lot_ref": env.lot.ref, "entity_id": env.bidders[1].entity_id, "issuer_id": env.insurer.pk, "form": "policy"},
        headers={"X-Test-Actor": "b"},
    )
    assert posted.status_code == 302
    staff_page = _get(client, "/finance/staff/issuers/", "staff").content.decode()
    assert "上海徐汇财产保险股份有限公司" in staff_page
    assert _get(client, "/finance/staff/issuers/", "a").status_code == 403
    suspended = client.post(
        f"/finance/staff/issuers/{env.bank.pk}/status/",
        {"status": "suspended", "reason": "测试"},
        headers={"X-Test-Actor": "staff"},
    )
    assert suspended.status_code == 302
    assert (
        client.post(
            f"/finance/staff/issuers/{env.bank.pk}/status/", {"status": "active"}, headers={"X-Test-Actor": "reg"}
        ).status_code
        == 403
    )


def test_settlement_pages(client, env, clock):
    buyer, seller = env.bidders
    s = actions.do_create_settlement(
        actor=support.SYSTEM,
        deal_ref="auction.deal:p1",
        regime="land",
        buyer_entity_id=buyer.entity_id,
        seller_entity_id=seller.entity_id,
        price_fen=100 * WAN,
        contract_effective_at=clock.now(),
        due_at=clock.now() + timedelta(days=10),
        title="某地块国有建设用地使用权",
    )
    listing = _get(client, "/finance/settlements/", "b").content.decode()
    assert "某地块国有建设用地使用权" in listing
    buyer_page = _get(client, f"/finance/settlements/{s.deal_ref}/", "a").content.decode()
    assert s.virtual_account in buyer_page
    seller_page = _get(client, f"/finance/settlements/{s.deal_ref}/", "b").content.decode()
    assert s.virtual_account not in seller_page
    assert "确认交割" not in seller_page
    assert _get(client, f"/finance/settlements/{s.deal_ref}/", "bank").status_code == 404
    staff_page = _get(client, f"/finance/settlements/{s.deal_ref}/", "staff").content.decode()
    assert "确认交割" in staff_page
    assert (
        client.post(f"/finance/settlements/{s.deal_ref}/confirm/", {}, headers={"X-Test-Actor": "a"}).status_code == 403
    )
    done = client.post(
        f"/finance/settlements/{s.deal_ref}/confirm/", {"note": "过户完成"}, headers={"X-Test-Actor": "staff"}
    )
    assert done.status_code == 302
    s.refresh_from_db()
    assert s.transfer_confirmed_at is not None
