"""The credit API (``/api/v1/credit``) and pages (``/credit/``): shapes, codes, permissions, nothing left behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yiwang.supervision.credit.models import CreditRecord
from yiwang.supervision.credit.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(test_actors, company, other_company):
    test_actors.update(
        {
            "mh": support.regulator("310112", 301),
            "xh": support.regulator("310104", 303),
            "staff": support.staff("310112", 201),
            "own": support.user_of(company, 601),
            "other": support.user_of(other_company, 602),
        }
    )
    return test_actors


def body(entity: int, **over) -> dict:
    data = {
        "entity_id": entity,
        "kind": "penalty",
        "severity": "general",
        "title": "串通投标",
        "facts": "与其他投标人相互约定投标报价。",
        "decision_number": "闵建罚〔2026〕1号",
        "authority": "闵行区建设和管理委员会",
        "basis": "《招标投标法实施条例》第六十七条",
        "decided_on": "2026-03-02",
        "ends_on": "2026-09-01",
        "confined_actions": ["bidding"],
        "region_code": "310112",
    }
    return {**data, **over}


def test_record_lifecycle_over_the_api(api, clock, rules, company, people):
    mh = api.with_token("mh")
    r = mh.post("/credit/records", body(company), headers={"Idempotency-Key": "rec-1"})
    assert r.status_code == 201, r.content
    record = r.json()
    assert r["Location"] == f"/api/v1/credit/records/{record['id']}"
    assert record["public_until"] == "2027-03-02"
    assert record["repairable_from"] == "2026-06-02"
    assert record["publication_rules"]["shortest"]["rule_id"] == "credit.penalty_publication_min_general"
    again = mh.post("/credit/records", body(company), headers={"Idempotency-Key": "rec-1"})
    assert again.status_code == 201
    assert again.json()["id"] == record["id"]
    assert CreditRecord.objects.count() == 1
    # public lookups
    hit = api.get("/credit/search", {"q": "闵行建设"}).json()
    assert hit[0]["entity_id"] == company
    assert hit[0]["published"] == 1
    profile = api.get(f"/credit/entities/{company}").json()
    assert profile["full"] is False
    assert profile["grade"] is None
    assert len(profile["records"]) == 1
    own = api.with_token("own").get(f"/credit/entities/{company}").json()
    assert own["full"]
    assert own["grade"]["grade"] == "B"
    assert own["restrictions"]["bidding"][0]["record_id"] == record["id"]
    # restrictions
    r = api.with_token("xh").get(f"/credit/entities/{company}/restrictions", {"action": "bidding", "on": "2026-09-02"})
    assert r.status_code == 200
    assert r.json()["restricted"] is False
    r = api.with_token("own").get(f"/credit/entities/{company}/restrictions")
    assert r.json()["restricted"]
    assert r.json()["reasons"][0]["basis"] == "《招标投标法实施条例》第六十七条"
    assert api.with_token("other").get(f"/credit/entities/{company}/restrictions").status_code == 403
    assert api.get(f"/credit/entities/{company}/restrictions").status_code == 401
    bad = api.with_token("mh").get(f"/credit/entities/{company}/restrictions", {"action": "fly"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "credit.action_invalid"
    bad = api.with_token("mh").get(f"/credit/entities/{company}/restrictions", {"on": "soon"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "credit.date_invalid"
    # end it, with If-Match
    one = mh.get(f"/credit/records/{record['id']}")
    assert one["ETag"] == '"1"'
    stale = mh.post(
        f"/credit/records/{record['id']}/end", {"how": "revoked", "reason": "x"}, headers={"If-Match": '"5"'}
    )
    assert stale.status_code == 412
    ended = mh.post(
        f"/credit/records/{record['id']}/end", {"how": "revoked", "reason": "复议撤销"}, headers={"If-Match": '"1"'}
    )
    assert ended.status_code == 200
    assert ended.json()["status"] == "revoked"
    assert api.get(f"/credit/records/{record['id']}").status_code == 404  # no longer published


@pytest.mark.parametrize(
    ("who", "over", "status", "code"),
    [
        ("xh", {}, 403, "credit.region_not_covered"),
        ("own", {}, 403, "credit.forbidden"),
        (None, {}, 401, None),
        ("mh", {"kind": "bogus"}, 422, "credit.kind_invalid"),
        ("mh", {"decided_on": "2026-02-30"}, 422, "credit.date_invalid"),
        ("mh", {"entity_id": 999999}, 404, "credit.entity_not_found"),
    ],
)
def test_refusals_over_the_api_leave_nothing(api, clock, rules, company, people, who, over, status, code):
    before = support.state()
    r = api.with_token(who).post("/credit/records", body(company, **over))
    assert r.status_code == status, r.content
    if code:
        assert r.json()["code"] == code
        assert r.json()["message_zh"]
        assert r.json()["message_en"]
    assert support.state() == before


def test_missing_rule_over_the_api(api, clock, company, people):
    from datetime import date

    support.unlist_credit_rules(date(2026, 3, 2))
    r = api.with_token("mh").post("/credit/records", body(company))
    assert r.status_code == 422
    assert r.json()["code"] == "catalog.rule_not_listed"
    assert r.json()["details"]["rule_id"] == "credit.penalty_publication_min_general"


def test_repair_over_the_api(api, clock, rules, company, people):
    rec = api.with_token("mh").post("/credit/records", body(company)).json()
    early = api.with_token("own").post(
        "/credit/repairs", {"record_id": rec["id"], "reason": "已整改", "commitment": "承诺"}
    )
    assert early.status_code == 422
    assert early.json()["code"] == "credit.repair_too_early"
    clock.set(datetime(2026, 6, 2, 1, 0, tzinfo=UTC))
    r = api.with_token("own").post(
        "/credit/repairs", {"record_id": rec["id"], "reason": "已整改", "commitment": "承诺"}
    )
    assert r.status_code == 201, r.content
    repair = r.json()
    assert repair["status"] == "pending"
    assert repair["due_rule"]["rule_id"] == "credit.repair_review_max"
    assert api.with_token("other").get(f"/credit/repairs/{repair['id']}").status_code == 404
    assert [x["id"] for x in api.with_token("mh").get("/credit/repairs").json()] == [repair["id"]]
    assert api.with_token("staff").post(f"/credit/repairs/{repair['id']}/decide", {"approve": True}).status_code == 403
    ok = api.with_token("mh").post(f"/credit/repairs/{repair['id']}/decide", {"approve": True})
    assert ok.status_code == 200
    assert ok.json()["status"] == "approved"
    assert not ok.json()["decided_late"]
    again = api.with_token("mh").post(f"/credit/repairs/{repair['id']}/decide", {"approve": False, "reason": "x"})
    assert again.status_code == 409
    assert again.json()["code"] == "credit.repair_decided"


# -- pages ------------------------------------------------------------------------------------------------------------


def test_public_lookup_pages(client, clock, rules, company, people):
    from yiwang.supervision.credit import actions

    rec = actions.do_record_credit(actor=people["mh"], data=body(company))
    internal = actions.do_record_credit(actor=people["mh"], data=body(company, kind="violation", title="内部记录"))
    page = client.get("/credit/", {"q": "闵行建设"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "上海闵行建设工程有限公司" in text
    assert f"/credit/entities/{company}/" in text
    profile = client.get(f"/credit/entities/{company}/").content.decode()
    assert "串通投标" in profile
    assert "内部记录" not in profile
    assert "信用等级" not in profile
    own = client.get(f"/credit/entities/{company}/", headers={"X-Test-Actor": "own"}).content.decode()
    assert "内部记录" in own
    assert "信用等级" in own
    assert client.get(f"/credit/records/{rec.pk}/").status_code == 200
    assert client.get(f"/credit/records/{internal.pk}/").status_code == 404
    assert client.get("/credit/entities/999999/").status_code == 404


def test_staff_record_entry_page(client, clock, rules, company, people):
    assert client.get("/credit/records/new/").status_code == 302  # sign in first
    assert client.get("/credit/records/new/", headers={"X-Test-Actor": "own"}).status_code == 403
    form = client.get("/credit/records/new/", {"entity_id": company}, headers={"X-Test-Actor": "staff"})
    assert form.status_code == 200
    assert 'value="310112"' in form.content.decode()
    data = {k: v for k, v in body(company).items() if k != "confined_actions"}
    before = support.state()
    bad = client.post(
        "/credit/records/new/", {**data, "title": "", "ends_on": "2026-01-01"}, headers={"X-Test-Actor": "staff"}
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "credit.field_required" in html
    assert 'value="闵行区建设和管理委员会"' in html
    assert support.state() == before
    ok = client.post(
        "/credit/records/new/", {**data, "confined_actions": ["bidding"]}, headers={"X-Test-Actor": "staff"}
    )
    assert ok.status_code == 302
    record = CreditRecord.objects.get()
    assert ok["Location"] == f"/credit/records/{record.pk}/"
    assert record.confined_actions == ["bidding"]
    page = client.get(ok["Location"], headers={"X-Test-Actor": "staff"}).content.decode()
    assert "撤销记录" in page
    assert "提交申请" not in page
    end = client.post(
        f"/credit/records/{record.pk}/end/",
        {"how": "revoked", "reason": "录入错误", "version": "1"},
        headers={"X-Test-Actor": "staff"},
    )
    assert end.status_code == 302
    record.refresh_from_db()
    assert record.status == "revoked"


def test_repair_pages(client, clock, rules, company, people):
    from yiwang.supervision.credit import actions

    rec = actions.do_record_credit(actor=people["mh"], data=body(company))
    clock.set(datetime(2026, 6, 2, 1, 0, tzinfo=UTC))
    page = client.get(f"/credit/records/{rec.pk}/", headers={"X-Test-Actor": "own"}).content.decode()
    assert "提交申请" in page
    assert "最短 3 个月，最长 1 年" in page
    r = client.post(
        f"/credit/records/{rec.pk}/repair/", {"reason": "已整改", "commitment": "承诺"}, headers={"X-Test-Actor": "own"}
    )
    assert r.status_code == 302
    assert r["Location"] == "/credit/repairs/"
    listing = client.get("/credit/repairs/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "同意修复" in listing
    assert "国办发〔2025〕22号" in listing
    repair = rec.repairs.get()
    r = client.post(
        f"/credit/repairs/{repair.pk}/decide/", {"approve": "0", "reason": ""}, headers={"X-Test-Actor": "mh"}
    )
    assert r.status_code == 302
    repair.refresh_from_db()
    assert repair.status == "pending"  # refused: a refusal needs a reason
    client.post(
        f"/credit/repairs/{repair.pk}/decide/", {"approve": "0", "reason": "未履行"}, headers={"X-Test-Actor": "mh"}
    )
    repair.refresh_from_db()
    assert repair.status == "rejected"
