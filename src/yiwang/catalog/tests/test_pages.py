"""Public pages and staff screens of the catalog."""

from __future__ import annotations

import pytest

from yiwang.catalog import queries
from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_public_pages(client, clock) -> None:
    page = text(client.get("/catalog/"))
    for label in ("交易目录", "规则目录", "平台目录", "公开目录", "服务清单", "权责清单", "待确认"):
        assert label in page
    rules = text(client.get("/catalog/lists/rules/"))
    assert "tender.bid_period_min" in rules
    assert "20 日" in rules
    assert "《中华人民共和国招标投标法》" in rules
    trading = text(client.get("/catalog/lists/trading/"))
    assert "应进必进" in trading
    assert "能进则进" in trading
    platforms = text(client.get("/catalog/lists/platforms/"))
    assert "上海市公共资源交易平台（碳排放交易分平台）" in platforms
    assert "演示代码" in platforms
    for kind in ("disclosure", "services", "duties"):
        assert client.get(f"/catalog/lists/{kind}/").status_code == 200
    assert client.get("/catalog/lists/nope/").status_code == 404
    regions = text(client.get("/catalog/regions/", {"on": "2014-01-01"}))
    assert "闸北区" in regions
    assert "闸北区" not in text(client.get("/catalog/regions/"))
    assert "三资" in text(client.get("/catalog/codes/"))
    year = text(client.get("/catalog/holidays/2026/"))
    assert 'data-day="2026-02-17"' in year
    assert "国务院办公厅关于2026年部分节假日安排的通知" in year
    assert "待确认" in text(client.get("/catalog/holidays/2027/"))
    assert client.get("/catalog/holidays/2031/").status_code == 404


def test_period_calculator_with_htmx(client, clock) -> None:
    params = {"rule": "tender.bid_period_min", "start": "2024-03-01T10:00"}
    full = text(client.get("/catalog/periods/", params))
    assert "2024-03-21 00:00" in full
    partial = client.get("/catalog/periods/", params, headers={"HX-Request": "true"})
    assert "<html" not in text(partial)
    assert "2024-03-21 00:00" in text(partial)
    assert "格式不正确" in text(client.get("/catalog/periods/", {**params, "start": "soon"}))


@pytest.mark.parametrize(
    "path",
    [
        "/catalog/staff/lists/rules/new/",
        "/catalog/staff/lists/rules/v1/",
        "/catalog/staff/lists/rules/v1/items/new/",
        "/catalog/staff/holidays/2027/",
    ],
)
def test_staff_pages_refuse_others(client, clock, stand_in_auth, path: str) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 302  # sent to sign in, like every other page
    assert anonymous["Location"].startswith("/accounts/login/")
    client.cookies["catalog-test-actor"] = "staff-plain"
    response = client.get(path)
    assert response.status_code == 403
    assert "无权访问" in text(response)
    assert client.post(path, {}).status_code == 403


def test_staff_edit_and_publish_through_pages(as_admin, clock) -> None:
    client = as_admin
    response = client.post("/catalog/staff/lists/rules/new/", {"effective_from": "2026-03-01", "title": "x"})
    assert response.status_code == 422
    assert "早于今天" in text(response)
    assert queries.current_draft("rules") is None
    response = client.post("/catalog/staff/lists/rules/new/", {"effective_from": "2026-03-03", "title": "2026年修订"})
    assert response.status_code == 302
    assert response["Location"] == "/catalog/staff/lists/rules/v2/"
    page = text(client.get("/catalog/staff/lists/rules/v2/"))
    assert "发布本版本" in page
    form = text(client.get("/catalog/staff/lists/rules/v2/items/tender.bid_period_min/"))
    assert 'value="20"' in form
    before = (chain.verify().last_seq, feed.read(0, 1).last_seq)
    bad = {
        "key": "tender.bid_period_min",
        "title_zh": "等标期",
        "value": "二十",
        "unit": "day",
        "kind": "min_gap",
        "document": "doc.cn.bidding_law",
        "confidence": "◇",
    }
    response = client.post("/catalog/staff/lists/rules/v2/items/tender.bid_period_min/", bad)
    assert response.status_code == 422
    assert "不是数字" in text(response)
    assert 'data-code="catalog.rule_value_invalid"' in text(response)
    assert (chain.verify().last_seq, feed.read(0, 1).last_seq) == before
    response = client.post("/catalog/staff/lists/rules/v2/items/tender.bid_period_min/", {**bad, "value": "25"})
    assert response.status_code == 302
    response = client.post("/catalog/staff/lists/rules/v2/publish/", {})
    assert response.status_code == 302
    assert queries.rule("tender.bid_period_min", on=queries.today()).value == 20
    assert queries.rule("tender.bid_period_min", on=queries.get_version("rules", 2).effective_from).value == 25
    history = text(client.get("/catalog/lists/rules/"))
    assert "与第 1 版比较" in history
    diff = text(client.get("/catalog/lists/rules/diff/", {"old": 1, "new": 2}))
    assert "tender.bid_period_min" in diff
    assert "修改" in diff


def test_staff_edits_a_holiday_year(as_admin, clock) -> None:
    client = as_admin
    form = text(client.get("/catalog/staff/holidays/2026/"))
    assert "2026-02-15..2026-02-23 春节" in form
    response = client.post(
        "/catalog/staff/holidays/2027/",
        {"off": "2027-02-05..2027-02-11 春节", "makeup": "2027-02-03 春节", "revision": "1", "notice": "x"},
    )
    assert response.status_code == 422
    assert 'data-code="catalog.makeup_not_weekend"' in text(response)
    response = client.post(
        "/catalog/staff/holidays/2027/",
        {"off": "2027-02-05..2027-02-11 春节", "makeup": "2027-02-20 春节", "revision": "1", "notice": "x"},
    )
    assert response.status_code == 302
    assert queries.provisional_years() == frozenset()
    assert queries.workday_calendar().is_workday(date_(2027, 2, 20))


def date_(y: int, m: int, d: int):
    from datetime import date

    return date(y, m, d)
