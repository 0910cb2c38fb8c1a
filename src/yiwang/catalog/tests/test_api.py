"""The catalog API: public reads, staff writes, error codes."""

from __future__ import annotations

import pytest

from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed

pytestmark = pytest.mark.django_db


def test_rule_endpoint(api, clock) -> None:
    r = api.get("/catalog/rules/tender.bid_period_min")
    assert r.status_code == 200
    body = r.json()
    assert (body["value"], body["unit"], body["kind"], body["value_text"]) == (20, "day", "min_gap", "20 日")
    assert "招标投标法" in body["source"]
    r = api.get("/catalog/rules/tender.committee_expert_share_min")
    assert r.json()["value"] == "2/3"
    r = api.get("/catalog/rules/tender.no_such_rule")
    assert r.status_code == 422
    assert r.json()["code"] == "catalog.rule_not_listed"
    rules = api.get("/catalog/rules", {"prefix": "gp."}).json()
    assert rules
    assert all(x["rule_id"].startswith("gp.") for x in rules)


def test_regions_endpoint(api, clock) -> None:
    assert api.get("/catalog/regions/310108", {"on": "2014-05-01"}).json()["name"] == "闸北区"
    cases = {
        "/catalog/regions/310108": "catalog.region_not_valid",
        "/catalog/regions/310199": "catalog.region_unknown",
        "/catalog/regions/31A108": "region.format",
    }
    for path, code in cases.items():
        r = api.get(path)
        assert r.status_code == 422, path
        assert r.json()["code"] == code
    assert r.json()["details"]["value"] == "31A108"
    children = api.get("/catalog/regions", {"parent": "310000"}).json()
    assert len(children) == 16
    assert len(api.get("/catalog/regions", {"parent": "310000", "on": "2010-01-01"}).json()) == 18


def test_code_tables_and_holidays(api, clock) -> None:
    table = api.get("/catalog/codes/enterprise_nature").json()
    assert [e["code"] for e in table["entries"]] == ["1", "2", "3", "4", "5", "6", "9"]
    assert api.get("/catalog/codes/nope").json()["code"] == "catalog.code_table_unknown"
    year = api.get("/catalog/holidays/2026")
    assert year.status_code == 200
    assert year["ETag"] == '"1"'
    days = {d["day"]: d["kind"] for d in year.json()["days"]}
    assert days["2026-02-17"] == "off"
    assert days["2026-02-14"] == "makeup"
    assert [y["provisional"] for y in api.get("/catalog/holidays").json()] == [False, False, False, True]


def test_periods_endpoint(api, clock) -> None:
    r = api.get(
        "/catalog/periods", {"start": "2024-03-01T10:00:00+08:00", "amount": 20, "unit": "day", "kind": "min_gap"}
    )
    assert r.status_code == 200
    assert r.json()["result"].startswith("2024-03-21T00:00:00")
    # 5 days within, from 2025-09-28: the last day 10-03 is a holiday and rolls to 10-09
    r = api.get("/catalog/periods", {"start": "2025-09-28T09:00:00+08:00", "amount": 5, "unit": "day"})
    assert r.json()["last_day"] == "2025-10-09"
    r = api.get("/catalog/periods", {"start": "2026-02-10T10:00:00", "rule": "gp.challenge_period_max"})
    assert (r.json()["unit"], r.json()["last_day"]) == ("workday", "2026-02-26")
    assert (
        api.get("/catalog/periods", {"start": "2026-02-10T10:00:00", "rule": "tender.deposit_rate_cap"}).json()["code"]
        == "catalog.rule_not_a_period"
    )
    assert (
        api.get("/catalog/periods", {"start": "2026-02-10T10:00:00", "amount": 3, "unit": "week"}).json()["code"]
        == "catalog.rule_unit_unknown"
    )
    r = api.get("/catalog/periods", {"start": "2031-02-10T10:00:00", "amount": 3, "unit": "workday"})
    assert r.status_code == 503
    assert r.json()["code"] == "calendar.year_not_loaded"


def test_lists_endpoints(api, clock) -> None:
    index = api.get("/catalog/lists").json()
    assert [x["list"] for x in index] == ["trading", "rules", "platforms", "disclosure", "services", "duties"]
    current = api.get("/catalog/lists/platforms/current")
    assert current.status_code == 200
    assert current["ETag"]
    assert any(i["key"] == "sh.carbon" for i in current.json()["items"])
    assert api.get("/catalog/lists/nope/versions").json()["code"] == "catalog.list_unknown"
    assert api.get("/catalog/lists/rules/versions/9").status_code == 404
    assert (
        api.get("/catalog/lists/rules/current", {"on": "2019-01-01"}).json()["code"] == "catalog.no_version_in_effect"
    )


def test_staff_draft_edit_publish(api, clock, admin_token) -> None:
    staff = api.with_token(admin_token)
    r = staff.post("/catalog/lists/services/drafts", {"effective_from": "2026-03-03", "note": "新增服务"})
    assert r.status_code == 201
    number, etag = r.json()["number"], r["ETag"]
    item = {
        "key": "svc.mobile",
        "item_type": "service",
        "title_zh": "移动端办事",
        "data": {"time_limit": "即时", "fee": "免费", "channel": ["移动端"]},
    }
    r = staff.post(f"/catalog/lists/services/versions/{number}/items", item)
    assert r.status_code == 201
    etag = r["ETag"]
    r = staff.patch(
        f"/catalog/lists/services/versions/{number}/items/svc.mobile", {**item, "title_zh": "移动端一网通办"}
    )
    assert r.status_code == 428
    r = staff.patch(
        f"/catalog/lists/services/versions/{number}/items/svc.mobile",
        {**item, "title_zh": "移动端一网通办"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 412
    r = staff.patch(
        f"/catalog/lists/services/versions/{number}/items/svc.mobile",
        {**item, "title_zh": "移动端一网通办"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200
    r = staff.post(f"/catalog/lists/services/versions/{number}/items", {**item, "data": {"fee": "免费"}})
    assert r.status_code == 422
    assert r.json()["code"] == "catalog.field_required"
    r = staff.post(f"/catalog/lists/services/versions/{number}/publish")
    assert r.status_code == 200
    assert r.json()["status"] == "published"
    diff = api.get("/catalog/lists/services/diff", {"old": 1, "new": number}).json()
    assert [(c["key"], c["change"]) for c in diff] == [("svc.mobile", "added")]
    r = staff.post(f"/catalog/lists/services/versions/{number}/items", item)
    assert r.status_code == 409
    assert r.json()["code"] == "catalog.version_not_draft"


def test_writes_need_staff_admin(api, clock, plain_token) -> None:
    before = (chain.verify().last_seq, feed.read(0, 1).last_seq)
    r = api.post("/catalog/lists/rules/drafts", {"effective_from": "2026-03-03"})
    assert r.status_code == 401
    r = api.with_token(plain_token).post("/catalog/lists/rules/drafts", {"effective_from": "2026-03-03"})
    assert r.status_code == 403
    assert r.json()["code"] == "catalog.forbidden"
    r = api.with_token(plain_token).put(
        "/catalog/holidays/2027", {"off": "2027-01-01 元旦"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 403
    assert (chain.verify().last_seq, feed.read(0, 1).last_seq) == before


def test_staff_sets_holiday_year(api, clock, admin_token) -> None:
    staff = api.with_token(admin_token)
    body = {"off": "2027-01-01..2027-01-03 元旦", "makeup": "", "provisional": False, "notice": "测试"}
    assert staff.put("/catalog/holidays/2027", body).status_code == 428
    r = staff.put("/catalog/holidays/2027", body, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert r["ETag"] == '"2"'
    assert r.json()["provisional"] is False
    r = staff.put("/catalog/holidays/2027", {**body, "makeup": "2027-01-06 元旦"}, headers={"If-Match": '"2"'})
    assert r.json()["code"] == "catalog.makeup_not_weekend"
    r = staff.put("/catalog/holidays/2028", body, headers={"If-Match": "*"})
    assert r.json()["code"] == "catalog.holiday_outside_year"
