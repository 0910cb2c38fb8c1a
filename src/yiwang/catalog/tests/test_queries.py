"""The public reads other contexts rely on, against the shipped reference data."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from yiwang.catalog import queries
from yiwang.catalog.errors import RuleNotListed
from yiwang.catalog.reference import ensure_reference_data, shipped
from yiwang.kernel.errors import InvalidInput, RuleViolation
from yiwang.kernel.periods import earliest_allowed
from yiwang.kernel.tests.test_workdays import CAL_2025, HOLIDAYS_2025, MAKEUP_2025
from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed

pytestmark = pytest.mark.django_db


def test_loading_again_writes_nothing_and_is_fast() -> None:
    before_witness, before_feed = chain.verify().last_seq, feed.read(0, 1).last_seq
    started = time.perf_counter()
    assert ensure_reference_data() == 0
    assert time.perf_counter() - started < 0.1
    assert (chain.verify().last_seq, feed.read(0, 1).last_seq) == (before_witness, before_feed)


@pytest.mark.django_db(transaction=True)
def test_load_is_one_witnessed_action_with_one_event() -> None:
    # the fixture already loaded everything into the flushed database: one entry, one event
    events = feed.read(0, 100, ["catalog.reference_data_loaded.v1"]).events
    assert len(events) == 1
    assert set(events[0].data["files"]) == {"regions", "code_tables", "holidays", "rules", "trading"} | {
        "platforms",
        "disclosure",
        "services",
        "duties",
    }
    assert chain.verify().ok
    assert ensure_reference_data() == 0
    assert len(feed.read(0, 100, ["catalog.reference_data_loaded.v1"]).events) == 1


def test_rule_gives_value_unit_and_source(clock) -> None:
    r = queries.rule("tender.bid_period_min")
    assert (r.value, r.unit, r.kind) == (20, "day", "min_gap")
    assert "招标投标法" in r.source
    assert r.article == "第二十四条"
    assert r.document == "doc.cn.bidding_law"
    assert r.version == 1
    assert r.describe() == "20 日"
    assert queries.rule("tender.committee_expert_share_min").value == Fraction(2, 3)
    assert queries.rule("tender.deposit_rate_cap").value == 2
    assert queries.rule("gp.challenge_period_max").unit == "workday"
    assert queries.rule("judicial.soft_close_extension").value == 5
    assert isinstance(queries.rule("tender.deposit_cap_works_goods").value, int)
    assert Decimal("0.5") == Decimal("0.5")  # values may also be decimals (see domain tests)


def test_unlisted_rule_is_refused(clock) -> None:
    with pytest.raises(RuleNotListed) as info:
        queries.rule("tender.made_up_rule")
    assert isinstance(info.value, RuleViolation)
    assert info.value.code == "catalog.rule_not_listed"
    assert info.value.details["rule_id"] == "tender.made_up_rule"
    # documents are entries of the rules catalogue but not rules
    with pytest.raises(RuleNotListed):
        queries.rule("doc.cn.bidding_law")
    # nothing was in effect before the first version
    with pytest.raises(RuleNotListed):
        queries.rule("tender.bid_period_min", on=date(2020, 1, 1))


def test_rules_snapshot_is_json_and_complete(clock) -> None:
    snap = queries.rules_snapshot("judicial.")
    assert snap["judicial.soft_close_extension"]["value"] == 5
    assert snap["judicial.soft_close_extension"]["unit"] == "minute"
    assert all(key.startswith("judicial.") for key in snap)
    assert queries.rules_snapshot("tender.")["tender.committee_expert_share_min"]["value"] == "2/3"
    ids = {i["key"] for i in shipped("rules")["items"] if i["type"] == "rule"}
    assert {r.rule_id for r in queries.list_rules_in_effect()} == ids


def test_rule_accepts_datetime(clock) -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert queries.rule("tender.bid_period_min", on=moment).value == 20


@pytest.mark.parametrize(
    ("code", "on", "name"),
    [
        ("310108", date(2014, 6, 1), "闸北区"),
        ("310108", date(2016, 6, 1), None),
        ("310106", date(2016, 6, 1), "静安区"),
        ("310103", date(2010, 1, 1), "卢湾区"),
        ("310103", date(2012, 1, 1), None),
        ("310230", date(2015, 1, 1), "崇明县"),
        ("310230", date(2017, 1, 1), None),
        ("310151", date(2015, 1, 1), None),
        ("310151", date(2017, 1, 1), "崇明区"),
        ("310115", date(2026, 1, 1), "浦东新区"),
        ("320500", date(2026, 1, 1), "苏州市"),
        ("999999", date(2026, 1, 1), None),
    ],
)
def test_region_validity(code: str, on: date, name: str | None) -> None:
    found = queries.get_region(code, on=on)
    assert (found.name if found else None) == name


def test_region_defaults_to_today(clock) -> None:
    assert queries.get_region("310108") is None
    assert queries.get_region("310101").name == "黄浦区"


@pytest.mark.parametrize(
    ("code", "on", "error"),
    [
        ("31010", None, "region.format"),
        ("abcdef", None, "region.format"),
        ("990000", None, "region.province"),
        ("310199", None, "catalog.region_unknown"),
        ("310108", date(2016, 1, 1), "catalog.region_not_valid"),
    ],
)
def test_require_region_errors(clock, code: str, on: date | None, error: str) -> None:
    with pytest.raises(InvalidInput) as info:
        queries.require_region(code, on=on)
    assert info.value.code == error


def test_region_not_valid_details(clock) -> None:
    with pytest.raises(InvalidInput) as info:
        queries.require_region("310108", on=date(2016, 1, 1))
    assert info.value.details == {"code": "310108", "valid_from": None, "valid_to": "2015-11-04", "on": "2016-01-01"}
    assert queries.require_region("310108", on=date(2015, 11, 3)).name == "闸北区"


def test_region_lists(clock) -> None:
    provinces = queries.list_regions()
    assert len(provinces) == 34
    shanghai = queries.list_regions(parent="310000")
    assert [r.code for r in shanghai][:2] == ["310101", "310104"]
    assert len(shanghai) == 16
    assert "310108" not in {r.code for r in shanghai}
    assert "310108" in {r.code for r in queries.list_regions(parent="310000", on=date(2014, 1, 1))}
    assert len(queries.list_regions(parent="340000")) == 16  # 巢湖 dissolved in 2011


def test_code_tables() -> None:
    natures = queries.code_entries("enterprise_nature")
    assert [(e.code, e.label_zh) for e in natures] == [
        ("1", "国有"),
        ("2", "集体"),
        ("3", "联营"),
        ("4", "三资"),
        ("5", "私营"),
        ("6", "事业单位"),
        ("9", "其他"),
    ]
    assert queries.code_label("trade_category", "A11") == "城市轨道"
    assert queries.code_label("trade_category", "A15") is None
    assert queries.require_code("lot_class_letter", "E").label_zh == "土地"
    with pytest.raises(InvalidInput) as info:
        queries.require_code("tender_mode", "9")
    assert info.value.code == "catalog.code_unknown"
    assert info.value.details == {"table": "tender_mode", "code": "9", "allowed": ["1", "2"]}
    for table in ("gp_method", "id_document_type", "party_role", "qualification_type", "notice_type"):
        assert queries.code_entries(table), table


def test_calendar_agrees_with_kernel_2025() -> None:
    cal = queries.workday_calendar()
    assert {d for d in cal.holidays if d.year == 2025} >= set(HOLIDAYS_2025)
    assert {d for d in cal.makeup_workdays if d.year == 2025} == set(MAKEUP_2025)
    day = date(2025, 1, 1)
    while day.year == 2025:
        assert cal.is_workday(day) == CAL_2025.is_workday(day), day
        day += timedelta(days=1)


def test_calendar_knows_2026_and_2024() -> None:
    cal = queries.workday_calendar()
    assert not cal.is_workday(date(2026, 2, 17))  # 春节 (正月初一)
    assert cal.is_workday(date(2026, 2, 14))  # Saturday make-up working day
    assert cal.is_workday(date(2026, 2, 24))
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))
    assert not cal.is_workday(date(2024, 2, 12))
    assert cal.is_workday(date(2024, 2, 4))
    assert queries.workday_calendar() is cal  # cached while the data is unchanged


def test_provisional_years() -> None:
    assert queries.provisional_years() == frozenset({2027})
    assert queries.workday_calendar().is_loaded(2027)


def test_periods_with_the_catalog_calendar() -> None:
    rule = queries.rule("gp.challenge_period_max", on=date(2026, 2, 10))
    start = datetime(2026, 2, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    # 7 working days from Tue 02-10: 11, 12, 13, 14 (make-up Saturday), 24, 25, 26
    assert earliest_allowed(start, rule.value, rule.unit, queries.workday_calendar()).date() == date(2026, 2, 26)


def test_trading_catalogue(clock) -> None:
    item = queries.trading_item("works.construction")
    assert item.tier == "must"
    assert item.must_trade_on_platform
    assert item.tier_label == "应进必进"
    assert queries.trading_item("ext.data").tier == "may"
    assert queries.trading_item("nonexistent") is None
    with pytest.raises(InvalidInput) as info:
        queries.require_trading_item("nonexistent")
    assert info.value.code == "catalog.trading_item_unknown"
    categories = queries.list_trading_categories()
    must = [c for c in categories if any(i.tier == "must" for i in c.items)]
    assert len(must) == 11
    titles = {c.title_zh for c in categories}
    assert {"政府采购", "司法拍卖", "碳排放权交易", "国有产权交易"} <= titles


def test_platforms_follow_the_naming_rule(clock) -> None:
    platforms = queries.list_platforms()
    subs = [p for p in platforms if p.kind == "sub"]
    assert subs
    assert all(p.name.startswith("上海市公共资源交易平台（") and p.name.endswith("分平台）") for p in subs)
    assert [p.name for p in platforms if p.kind == "hub"] == ["上海市公共资源交易平台"]
    assert any(p.market_run for p in platforms)
    carbon = next(p for p in platforms if p.code == "sh.carbon")
    assert carbon.operator == "上海环境能源交易所"
    assert carbon.uscc_demo
    assert queries.platform_by_uscc(carbon.uscc).code == "sh.carbon"


def test_required_notices(clock) -> None:
    (req,) = queries.required_notices("works", "candidates")
    assert req.notice_types == ("candidates",)
    assert queries.rule(req.due_rule).value == 3
    assert queries.required_notices("works", "nonexistent") == []
    for code in (n for r in queries.required_notices("gp", "notice") for n in r.notice_types):
        assert queries.code_label("notice_type", code)


def test_every_due_rule_of_the_shipped_lists_is_listed(clock) -> None:
    listed = {r.rule_id for r in queries.list_rules_in_effect()}
    for kind, field in (("disclosure", "due_rule"), ("services", "time_limit_rule")):
        for item in shipped(kind)["items"]:
            if item.get(field):
                assert item[field] in listed, (kind, item["key"])
    notice_codes = {e.code for e in queries.code_entries("notice_type")}
    for item in shipped("disclosure")["items"]:
        assert set(item["notice_types"]) <= notice_codes, item["key"]
