"""English under the switch: the public credit lookup, an entity's credit page, a record with the repair form,
the repair requests and the record-entry form read in English (headings, labels, kinds, states, restrictions,
grades). What was decided and entered stays as written (the entity's name, the record's title, facts,
authority, decision number and basis) and so do the rules catalogue's citations and periods. Without the switch
the same pages are Chinese."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.supervision.credit import actions, queries
from yiwang.supervision.credit.tests import support
from yiwang.supervision.credit.tests.test_api_pages import body

pytestmark = pytest.mark.django_db

COMPANY = "上海闵行建设工程有限公司"


def test_the_credit_pages_in_english(client, clock, rules, company, test_actors):
    test_actors.update({"mh": support.regulator("310112", 301), "own": support.user_of(company, 601)})
    test_actors["staff"] = support.staff("310112", 201)
    rec = actions.do_record_credit(actor=test_actors["mh"], data=body(company))
    record = body(company)
    entered = [
        COMPANY,
        record["title"],
        record["facts"],
        record["decision_number"],
        record["authority"],
        record["basis"],
    ]
    own = {"X-Test-Actor": "own"}
    assert "公共信用信息查询" in client.get("/credit/").content.decode()

    use_english(client)
    html = client.get("/credit/", {"q": "闵行建设"}).content.decode()
    assert "Public credit information lookup" in html
    assert chinese_left(html, *entered, "闵行建设", "闵行区", "中文") == []
    html = client.get(f"/credit/entities/{company}/", headers=own).content.decode()
    for english in ("Credit grade (the platform's rating)", "Administrative penalty", "General", "In force"):
        assert english in html, english
    assert chinese_left(html, *entered, "主体用户601", "中文") == []

    clock.set(datetime(2026, 6, 2, 1, 0, tzinfo=UTC))
    html = client.get(f"/credit/records/{rec.pk}/", headers=own).content.decode()
    for english in (
        "Request credit repair",
        "Taking part in tendering and government procurement",
        "Credit commitment",
    ):
        assert english in html, english
    view = queries.get_record_for(test_actors["own"], rec.pk)
    rules = [view.publication_rules["shortest"][k] for k in ("source", "text")] + [
        view.publication_rules["longest"]["text"]
    ]
    assert chinese_left(html, *entered, "主体用户601", *rules, "中文") == []
    client.post(f"/credit/records/{rec.pk}/repair/", {"reason": "已整改", "commitment": "承诺"}, headers=own)
    html = client.get("/credit/repairs/", headers={"X-Test-Actor": "mh"}).content.decode()
    for english in ("Credit repair requests", "Pending", "Approve the repair", "Refuse the repair"):
        assert english in html, english
    sources = [r.due_rule["source"] for r in queries.list_repairs_for(test_actors["mh"])]
    assert chinese_left(html, *entered, "已整改", "监管301（310112）", *sources, "中文") == []

    html = client.get(
        "/credit/records/new/", {"entity_id": company}, headers={"X-Test-Actor": "staff"}
    ).content.decode()
    assert "Enter a credit record" in html
    assert chinese_left(html, "工作人员201", "中文") == []
