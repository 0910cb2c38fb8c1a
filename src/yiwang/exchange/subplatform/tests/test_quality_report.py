"""The monthly data-quality report (docs/exchange.md §8): stage order, duplicates under other keys, completeness,
timeliness and acceptance judged against thresholds; the page, the API, the CSV; recomputation of a past month;
who may read which sub-platform's report (operators: their own, another's is 404)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.catalog import actions as catalog_actions
from yiwang.exchange.subplatform import actions, queries
from yiwang.exchange.subplatform.domain import consistency, report
from yiwang.exchange.subplatform.domain.datasets import get_dataset
from yiwang.exchange.subplatform.tests.support import (
    GP,
    WORKS,
    counts,
    opening,
    project,
    result,
    section,
    tender_notice,
    tender_project,
)
from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import InvalidInput, NotFound

pytestmark = pytest.mark.django_db

DUPLICATE_CODE = "E3101120001000009"


def _march(hub) -> None:
    """A works tender pushed out of order, a duplicate tender project, a late section and a refused record."""
    first = hub.works.batch(
        [
            ("PROJECT", project()),
            ("TENDER_PROJECT", tender_project()),
            ("SECTION", section(CREATE_TIME="20260220090000")),  # ten days before its receipt: late
            ("WIN_RESULT_ANNO", result()),  # before any notice, opening or candidate publicity
        ]
    )
    assert first.status_code == 200, first.json()
    second = hub.works.batch(
        [
            ("TENDER_ANN_QUA_INQUERY_ANN", tender_notice()),
            ("BID_OPENING_RECORD", opening(BID_OPENING_TIME="20260302085000")),  # after the result was sent (08:45)
            ("TENDER_PROJECT", tender_project(TENDER_PROJECT_CODE=DUPLICATE_CODE)),  # same content, other key
            ("TENDER_PROJECT", tender_project(TENDER_PROJECT_CODE="E3101120001000003", REGION_CODE="999999")),
        ]
    )
    assert second.status_code == 200
    assert second.json()["refused"] == 1


def _measures(body: dict) -> dict[str, dict]:
    return {m["measure"]: m for m in body["measures"]}


# -- pure rules ------------------------------------------------------------------------------------------------------
SIGNIFICANT = st.text(alphabet="施工监理设计采购", min_size=1, max_size=12)


@given(name=SIGNIFICANT, code=st.from_regex(r"E31011200010000[0-9]{2}", fullmatch=True), ts=st.integers(0, 59))
def test_the_content_digest_ignores_keys_and_timestamps_but_not_content(name, code, ts):
    ds = get_dataset("TENDER_PROJECT")
    base = tender_project(TENDER_PROJECT_NAME=name)
    other_key = tender_project(
        TENDER_PROJECT_NAME=name,
        TENDER_PROJECT_CODE=code,
        DATA_TIMESTAMP=f"202603020859{ts:02d}",
        DATA_TYPE="2",
        DATA_KEY="k-1",
    )
    assert consistency.significant_digest(ds, base) == consistency.significant_digest(ds, other_key)
    changed = tender_project(TENDER_PROJECT_NAME=name + "二期")
    assert consistency.significant_digest(ds, base) != consistency.significant_digest(ds, changed)
    other_project = tender_project(TENDER_PROJECT_NAME=name, PROJECT_CODE="2026-310112-48-99")
    assert consistency.significant_digest(ds, base) != consistency.significant_digest(ds, other_project)


def test_the_same_section_name_in_two_tenders_is_not_a_duplicate():
    first = _rec(1, "SECTION", section(), 1)
    second = _rec(
        2, "SECTION", section(BID_SECTION_CODE="E3101120002000001001", TENDER_PROJECT_CODE="E3101120002000001"), 2
    )
    again = _rec(3, "SECTION", section(BID_SECTION_CODE="E3101120001000001009"), 3)  # same tender, same content
    findings = consistency.duplicate_findings([first, second, again], [first, second, again])
    assert [(f.key, f.related) for f in findings] == [("E3101120001000001009", (("SECTION", "E3101120001000001001"),))]


def _rec(rid, dataset, content, arrival):
    ds = get_dataset(dataset)
    parent_key = ds.parent and "|".join(str(content[c]) for c in ds.parent.fields)
    return consistency.ChainRecord(
        rid, dataset, ds.key_of(content), str(content[ds.chain_field]), parent_key or "", arrival, content
    )


def test_stage_order_names_the_missing_stages_and_the_records_out_of_time():
    records = [
        _rec(1, "TENDER_PROJECT", tender_project(), 1),
        _rec(2, "SECTION", section(), 2),
        _rec(3, "WIN_RESULT_ANNO", result(NOTICE_SEND_TIME="20260302084500"), 3),
        _rec(4, "TENDER_ANN_QUA_INQUERY_ANN", tender_notice(), 4),
        _rec(5, "BID_OPENING_RECORD", opening(BID_OPENING_TIME="20260302085000"), 5),
    ]
    findings = consistency.stage_findings(records, records)
    by_rule = {(f.rule, f.dataset): f for f in findings}
    assert set(by_rule) == {("quality.stage_missing", "WIN_RESULT_ANNO"), ("quality.stage_order", "WIN_RESULT_ANNO")}
    missing = by_rule["quality.stage_missing", "WIN_RESULT_ANNO"]
    assert "招标公告/资格预审公告" in missing.message_zh
    assert "中标候选人公示" in missing.message_zh
    assert ("BID_OPENING_RECORD", "E3101120001000001001") in missing.related  # it arrived later
    order = by_rule["quality.stage_order", "WIN_RESULT_ANNO"]
    assert order.related == (("BID_OPENING_RECORD", "E3101120001000001001"),)
    assert "20260302085000" in order.message_zh


def test_an_opening_of_another_section_does_not_count_for_a_result():
    other = section(BID_SECTION_CODE="E3101120001000001002")
    records = [
        _rec(1, "TENDER_PROJECT", tender_project(), 1),
        _rec(2, "SECTION", section(), 2),
        _rec(3, "SECTION", other, 3),
        _rec(4, "TENDER_ANN_QUA_INQUERY_ANN", tender_notice(), 4),
        _rec(5, "BID_OPENING_RECORD", opening(BID_SECTION_CODE="E3101120001000001002"), 5),
        _rec(6, "WIN_RESULT_ANNO", result(), 6),
    ]
    findings = consistency.stage_findings(records, records[-1:])
    assert [f.rule for f in findings] == ["quality.stage_missing"]
    assert "开标记录" in findings[0].message_zh


def test_months_and_verdicts():
    assert report.parse_month("2026-03") == report.parse_month(" 2026-03 ")
    for bad in ("2026-13", "2026-3", "26-03", "2026-03-01", ""):
        with pytest.raises(ValueError, match="not a month"):
            report.parse_month(bad)
    assert report.month_text(report.shift_month(report.parse_month("2026-01"), -1)) == "2025-12"
    cap = report.Threshold(
        "exchange.quality.duplicates_max", "重复数据率上限", Decimal("1"), "percent", "cap", "本中心自定", True
    )
    assert report.Measure("duplicates", "重复数据率", 1, 100, report.percent(1, 100), cap).passed is True
    assert report.Measure("duplicates", "重复数据率", 2, 100, report.percent(2, 100), cap).passed is False
    assert report.Measure("duplicates", "重复数据率", 0, 0, report.percent(0, 0), cap).passed is None
    eighty = report.Threshold("x", "x", Decimal("80.0"), "percent", "minimum", "本中心自定", centre_setting=True)
    assert eighty.as_json()["value"] == "80"
    assert eighty.describe() == "≥ 80%"


# -- the report through the API, the page and the CSV ----------------------------------------------------------------
def test_the_monthly_report_judges_every_measure_and_names_the_records(hub, api, clock):
    _march(hub)
    body = api.with_token(hub.works.token).get("/exchange/quality/report", {"month": "2026-03"}).json()
    assert body["platform_code"] == WORKS
    assert body["month"] == "2026-03"
    m = _measures(body)
    assert (m["acceptance"]["numerator"], m["acceptance"]["denominator"]) == (7, 8)
    assert m["acceptance"]["value"] == "87.50"
    assert m["acceptance"]["passed"] is False
    assert (m["consistency"]["numerator"], m["consistency"]["denominator"]) == (6, 7)
    assert m["consistency"]["passed"] is False
    assert (m["duplicates"]["numerator"], m["duplicates"]["denominator"]) == (1, 7)
    assert m["duplicates"]["value"] == "14.29"
    assert m["duplicates"]["passed"] is False
    assert (m["timeliness"]["numerator"], m["timeliness"]["denominator"]) == (6, 7)
    assert m["timeliness"]["passed"] is False
    assert m["completeness"]["value"] is not None
    threshold = m["consistency"]["threshold"]
    assert threshold["rule_id"] == "exchange.quality.consistency_min"
    assert threshold["value"] == "95"
    assert threshold["centre_setting"] is True
    assert "本中心自定" in threshold["source"]
    assert body["passed"] is False
    assert "信息公开率" in body["disclosure"]

    rules = {(f["rule"], f["dataset"], f["key"]) for f in body["findings"]}
    assert ("quality.stage_missing", "WIN_RESULT_ANNO", "E3101120001000001001") in rules
    assert ("quality.stage_order", "WIN_RESULT_ANNO", "E3101120001000001001") in rules
    assert ("quality.duplicate_content", "TENDER_PROJECT", DUPLICATE_CODE) in rules
    assert ("quality.late", "SECTION", "E3101120001000001001") in rules
    assert ("exchange.bad_code", "TENDER_PROJECT", "E3101120001000003") in rules
    duplicate = next(f for f in body["findings"] if f["rule"] == "quality.duplicate_content")
    assert duplicate["related"] == [["TENDER_PROJECT", "E3101120001000001"]]  # the original is named


def test_a_past_month_recomputes_to_the_same_report(hub, api, clock):
    _march(hub)
    staff = actor_for_account(hub.staff)
    before = api.with_token(hub.works.token).get("/exchange/quality/report", {"month": "2026-03"}).json()
    # April: more records for the same tender (through the same door as the push API), then March again
    clock.advance(timedelta(days=31))
    client = Actor(ActorKind.CLIENT, "sp-works", "sp-works", (RoleGrant(Role.SUBPLATFORM_CLIENT, region="310000"),))
    pusher = actions.Pusher(hub.platform, "test", "april-nonce-0001")
    april = clock.now().astimezone(queries.BEIJING).strftime("%Y%m%d%H%M%S")
    outcome = actions.do_push_records(
        actor=client,
        pusher=pusher,
        items=[
            ("TENDER_ANN_QUA_INQUERY_ANN", tender_notice(NOTICE_BID_NUM=2, DATA_TIMESTAMP=april)),
            ("TENDER_PROJECT", tender_project(TENDER_PROJECT_CODE="E3101120001000005", DATA_TIMESTAMP=april)),
        ],
        channel="batch",
    )
    assert [r.outcome for r in outcome.results] == ["created", "created"]
    again = queries.monthly_report_for(staff, platform_code=WORKS, month="2026-03")
    assert [m.as_json() for m in again.measures] == before["measures"]
    assert [
        {
            "measure": f.measure,
            "rule": f.rule,
            "dataset": f.dataset,
            "key": f.key,
            "record_id": f.record_id,
            "message_zh": f.message_zh,
            "related": [list(r) for r in f.related],
            "value": f.value,
        }
        for f in again.findings
    ] == before["findings"]
    # April's report has its own figures and March in its trend
    april_report = queries.monthly_report_for(staff, platform_code=WORKS, month="2026-04")
    april_measures = {m.measure: (m.numerator, m.denominator) for m in april_report.measures}
    assert april_measures["duplicates"] == (2, 2)  # notice 2 repeats notice 1 (other key, same content)
    assert [month for month, _ in april_report.trend] == ["2026-03"]
    assert [m.as_json() for m in april_report.trend[0][1]] == before["measures"]


def test_the_page_and_the_csv_show_the_findings(hub, client, clock):
    _march(hub)
    client.force_login(hub.staff)
    page = client.get(f"/exchange/quality/{WORKS}/", {"month": "2026-03"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "数据质量月报 · 2026-03" in html
    assert 'data-testid="verdict-consistency"><span class="badge text-bg-danger">未达标' in html
    assert "本中心自定" in html
    assert "quality.stage_missing" in html
    assert "E3101120001000001001" in html
    assert DUPLICATE_CODE in html
    download = client.get(f"/exchange/quality/{WORKS}/findings.csv", {"month": "2026-03"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    text = download.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["月份", "分平台", "考核项", "规则"]
    assert any(r[3] == "quality.duplicate_content" and r[5] == DUPLICATE_CODE for r in rows[1:])
    assert len(rows) - 1 == len(
        queries.monthly_report_for(hub.staff_actor, platform_code=WORKS, month="2026-03").findings
    )
    assert f'href="/exchange/quality/{WORKS}/"' in client.get("/exchange/quality/").content.decode()


def test_bad_months_and_unknown_platforms_are_refused_and_change_nothing(hub, api, client, clock):
    _march(hub)
    before = counts()
    reader = api.with_token(hub.works.token)
    for bad in ("2026-13", "march", "2026-04"):  # April is after this month
        answer = reader.get("/exchange/quality/report", {"month": bad})
        assert answer.status_code == 422, bad
        assert answer.json()["code"] == "exchange.bad_month"
    assert api.with_token(None).get("/exchange/quality/report").status_code == 401  # anonymous
    client.force_login(hub.staff)
    unsaid = api.with_token(None).get("/exchange/quality/report")  # staff (signed in) must say which
    assert unsaid.status_code == 422
    assert unsaid.json()["code"] == "exchange.platform_code_required"
    assert client.get(f"/exchange/quality/{GP}/").status_code == 404  # not registered
    assert client.get(f"/exchange/quality/{WORKS}/", {"month": "2026-99"}).status_code == 422
    with pytest.raises(NotFound):
        queries.monthly_report_for(hub.staff_actor, platform_code=GP, month="2026-03")
    with pytest.raises(InvalidInput):
        queries.monthly_report_for(hub.staff_actor, platform_code=WORKS, month="2026-3")
    assert counts() == before


def test_who_reads_which_report(hub, api, client, clock):
    _march(hub)
    # an auditor of another region: not found; an account without an official role: refused
    plain = identity.do_create_account(
        actor=Actor.anonymous(), username="plain-q", display_name="plain", password="Yiwang-test-2026"
    )
    client.force_login(plain)
    assert client.get(f"/exchange/quality/{WORKS}/").status_code == 403
    bidder = hub.account("bidder-q", Role.AUDITOR, region="320000")
    client.force_login(bidder)
    assert client.get(f"/exchange/quality/{WORKS}/").status_code == 404
    far = hub.account("staff-far", Role.STAFF, region="320000")
    client.force_login(far)
    assert client.get(f"/exchange/quality/{WORKS}/").status_code == 404


def _operator(hub, username: str, uscc: str, name: str):
    org = identity.do_create_organisation(
        actor=hub.system, kind="subplatform_operator", name=name, region_code="310000", uscc=uscc
    )
    account = identity.do_create_account(
        actor=Actor.anonymous(), username=username, display_name=username, password="Yiwang-test-2026"
    )
    identity.do_grant_role(actor=hub.system, role=Role.SUBPLATFORM_OPERATOR, account=account, organisation=org)
    return account


def test_an_operator_reads_its_own_report_and_not_anothers(hub, api, client, clock):
    _march(hub)
    works_op = _operator(hub, "op-works", WORKS, "工程建设分平台运营机构")
    gp_op = _operator(hub, "op-gp", GP, "政府采购分平台运营机构")
    client.force_login(works_op)
    mine = client.get("/exchange/quality/mine/", {"month": "2026-03"})
    assert mine.status_code == 200
    assert "数据质量月报 · 2026-03" in mine.content.decode()
    assert client.get(f"/exchange/quality/{WORKS}/", {"month": "2026-03"}).status_code == 200
    own = api.with_token(None).get("/exchange/quality/report", {"month": "2026-03"})  # signed in: the session
    assert own.status_code == 200
    assert own.json()["platform_code"] == WORKS
    foreign = api.with_token(None).get("/exchange/quality/report", {"month": "2026-03", "platform_code": GP})
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "exchange.subplatform_not_found"
    assert client.get("/exchange/quality/").status_code == 403  # the staff overview is not theirs
    assert client.get("/exchange/records/").status_code == 403
    # the GP operator: its platform is not registered; the works report does not exist for it
    client.force_login(gp_op)
    assert client.get(f"/exchange/quality/{WORKS}/", {"month": "2026-03"}).status_code == 404
    assert api.with_token(None).get("/exchange/quality/report", {"platform_code": WORKS}).status_code == 404
    assert client.get("/exchange/quality/mine/").status_code == 404
    with pytest.raises(NotFound):
        queries.monthly_report_for(actor_for_account(gp_op), platform_code=WORKS, month="2026-03")
    # in April, the works operator's workbench says March failed, naming the measures; the GP operator's says nothing
    clock.advance(timedelta(days=31))
    assert queries.failing_reports_for(actor_for_account(gp_op)) == []
    client.force_login(works_op)
    workbench = client.get("/workbench/").content.decode()
    assert "上月（2026-03）数据质量未达标：" in workbench
    assert "环节顺序一致率" in workbench
    assert "/exchange/quality/mine/?month=2026-03" in workbench


def test_the_operator_grant_needs_a_subplatform_operator_organisation_with_its_uscc(hub):
    account = identity.do_create_account(
        actor=Actor.anonymous(), username="op-none", display_name="op", password="Yiwang-test-2026"
    )
    centre = identity.do_create_organisation(
        actor=hub.system, kind="trading_centre", name="某交易中心", region_code="310000"
    )
    no_uscc = identity.do_create_organisation(
        actor=hub.system, kind="subplatform_operator", name="无代码运营机构", region_code="310000"
    )
    before = counts()
    for org in (None, centre, no_uscc):
        with pytest.raises(InvalidInput) as refused:
            identity.do_grant_role(actor=hub.system, role=Role.SUBPLATFORM_OPERATOR, account=account, organisation=org)
        assert refused.value.code == "identity.grant_operator_organisation"
    assert counts() == before


def test_a_threshold_changed_in_the_rules_catalogue_is_used_from_the_day_it_takes_effect(hub, api, clock):
    _march(hub)
    draft = catalog_actions.do_create_draft(actor=hub.staff_actor, kind="rules", effective_from=date(2026, 3, 20))
    rule = {
        "key": "exchange.quality.consistency_min",
        "type": "rule",
        "title_zh": "分平台数据环节顺序一致率下限",
        "value": "80",
        "unit": "percent",
        "kind": "minimum",
        "document": "doc.sh.exchange_quality_settings",
        "article": "本中心自定",
        "confidence": "✔",
    }
    catalog_actions.do_put_item(
        actor=hub.staff_actor, kind="rules", number=draft.number, item=rule, replace_key=rule["key"]
    )
    catalog_actions.do_publish_version(actor=hub.staff_actor, kind="rules", number=draft.number)
    body = api.with_token(hub.works.token).get("/exchange/quality/report", {"month": "2026-03"}).json()
    m = _measures(body)
    listed = m["consistency"]["threshold"]
    assert listed["value"] == "80"
    assert listed["centre_setting"] is True  # the catalogue's source says it is the centre's own figure
    assert "分平台数据质量考核设置" in listed["source"]
    assert m["consistency"]["passed"] is True  # 85.71 % ≥ 80 %
    assert "本中心自定" in m["duplicates"]["threshold"]["source"]  # the initial catalogue's rule, unchanged
    assert m["duplicates"]["threshold"]["value"] == "1"
    february = _measures(api.with_token(hub.works.token).get("/exchange/quality/report", {"month": "2026-02"}).json())
    assert february["consistency"]["threshold"]["value"] == "95"  # before the new version took effect
