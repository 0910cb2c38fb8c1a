"""External credit platforms (simulated adapters): answers kept as evidence, an unreachable platform is recorded
as unavailable (never as clean), permissions, API."""

from __future__ import annotations

import json

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import digest_json
from yiwang.kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from yiwang.platform import testing
from yiwang.registry import queries as registry
from yiwang.supervision.credit import actions, queries
from yiwang.supervision.credit.tests import support

pytestmark = pytest.mark.django_db
XH = support.regulator("310104", 303)


@pytest.fixture
def platforms(settings, tmp_path, company):
    uscc = registry.get_entity_ref(company).uscc
    data = {
        "platforms": {
            "creditchina": {
                "name": "信用中国",
                "lists": {"serious_dishonesty": "严重失信主体名单"},
                "hits": {
                    uscc: [
                        {
                            "list": "serious_dishonesty",
                            "case_number": "（2025）沪0112执123号",
                            "authority": "上海市闵行区人民法院",
                            "reason": "拒不履行生效判决",
                            "starts_on": "2025-11-01",
                        }
                    ]
                },
            },
            "zxgk": {"name": "中国执行信息公开网", "unavailable": True},
        }
    }
    path = tmp_path / "external.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    settings.YIWANG_CREDIT = {"EXTERNAL_DATA_FILE": str(path)}
    return path


def test_a_check_keeps_every_answer_and_never_reads_unavailable_as_clean(clock, company, platforms):
    base = testing.base()
    check = actions.do_check_external(actor=XH, entity_id=company, checkpoint="tender.bid_deadline", owner_ref="x:1")
    assert (check.hit_count, check.unavailable) == (1, 1)
    by = {a["platform"]: a for a in check.answers}
    assert by["creditchina"]["status"] == "hits"
    assert by["creditchina"]["hits"][0]["case_number"] == "（2025）沪0112执123号"
    assert by["zxgk"] == {
        "platform": "zxgk",
        "name": "中国执行信息公开网",
        "status": "unavailable",
        "error": "credit.external_unavailable",
    }
    assert check.digest == digest_json(check.answers)
    (entry,) = support.witnessed(base, "credit.check_external")
    assert entry["digest"] == check.digest
    assert entry["owner_ref"] == "x:1"
    assert [e.event_type for e in support.events(base)] == ["credit.external_checked.v1"]
    assert [c.id for c in queries.list_checks_for(support.user_of(company), company)] == [check.pk]
    assert queries.list_checks_for(Actor.anonymous(), company) == []


def test_the_shipped_simulation_answers_nothing_found(clock, company):
    check = actions.do_check_external(actor=support.regulator(), entity_id=company)
    assert {a["status"] for a in check.answers} == {"none"}
    assert check.hit_count == 0
    assert check.unavailable == 0


def test_who_may_check(clock, company, platforms):
    before = support.state()
    with pytest.raises(PermissionDenied):
        actions.do_check_external(actor=support.user_of(company), entity_id=company)
    with pytest.raises(NotAuthenticated):
        actions.do_check_external(actor=Actor.anonymous(), entity_id=company)
    with pytest.raises(NotFound):
        actions.do_check_external(actor=XH, entity_id=company + 100)
    assert support.state() == before


def test_api(api, clock, company, platforms, test_actors):
    test_actors.update({"xh": XH, "own": support.user_of(company)})
    r = api.with_token("xh").post(f"/credit/entities/{company}/checks", {"checkpoint": "manual"})
    assert r.status_code == 201, r.content
    assert r.json()["hit_count"] == 1
    assert api.with_token("own").post(f"/credit/entities/{company}/checks", {}).status_code == 403
    listed = api.with_token("own").get(f"/credit/entities/{company}/checks").json()
    assert [c["id"] for c in listed] == [r.json()["id"]]


def test_page(client, clock, company, platforms, test_actors):
    test_actors.update({"mh": support.regulator()})
    assert client.post(f"/credit/entities/{company}/check/").status_code == 302  # sign in first
    r = client.post(f"/credit/entities/{company}/check/", headers={"X-Test-Actor": "mh"})
    assert r.status_code == 302
    page = client.get(f"/credit/entities/{company}/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "命中 1 条" in page
    assert "无法查询" in page
    assert "外部信用平台核查" not in client.get(f"/credit/entities/{company}/").content.decode()
