"""Sub-platform records as OCDS: a simulated sub-platform pushes a whole works tender in national-spec JSON over
the signed push API; its OCDS releases, record and the day's package validate against the OCDS 1.1 schemas, with
one ocid per section; updates and deletes yield releases that reflect them; publishing again adds nothing;
personal data (评标专家) is never published."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from yiwang.exchange.ocds import actions, queries
from yiwang.exchange.ocds.domain.spec import spec_amount, spec_time
from yiwang.exchange.ocds.models import Release
from yiwang.exchange.subplatform.tests import support
from yiwang.kernel.actors import Actor

pytestmark = pytest.mark.django_db
PUBLISHER = Actor.system("ocds-test")
TP = "E3101120001000001"
S1, S2 = f"{TP}001", f"{TP}002"
WINNER = "91310115MA1FL2X37F"
SECOND = "91310104MA1FR0JQ3X"


@pytest.fixture
def hub(db, clock, system, api):
    return support.make_hub(system, api, clock)


def publish_all() -> list[str]:
    added: list[str] = []
    for _ in range(50):
        result = actions.do_publish_releases(actor=PUBLISHER)
        added += result.added
        if result.read == 0:
            break
    return added


def full_works_tender(ts: str = support.TS) -> list[tuple[str, dict]]:
    common = support.common(ts)
    return [
        ("PROJECT", support.project(**common)),
        (
            "TENDER_PROJECT",
            support.tender_project(
                **common,
                TENDERER_CODE="11310112002486019K",
                TENDER_AGENCY_NAME="上海申元工程咨询有限公司",
                TENDER_AGENCY_CODE="913101047034532927",
            ),
        ),
        ("SECTION", support.section(**common, BID_SECTION_CONTENT="土建、安装及室外总体")),
        (
            "SECTION",
            support.section(**common, BID_SECTION_CODE=S2, BID_SECTION_NAME="监理", CONTRACT_RECKON_PRICE="96"),
        ),
        ("TENDER_ANN_QUA_INQUERY_ANN", support.tender_notice(**common, URL="https://ggzy.example.cn/n/1")),
        ("BID_OPENING_RECORD", support.opening(**common, BID_OPENING_CONTENT="共 3 家投标人递交投标文件")),
        (
            "TENDER_CANDIDATE_ANNOUNCE",
            {
                "DATA_TYPE": "1",
                **common,
                "TENDER_PROJECT_CODE": TP,
                "BID_SECTION_CODE": S1,
                "PUBLICITY_NAME": "施工总承包中标候选人公示",
                "PUBLICITY_START_TIME": "20260302084000",
                "PUBLICITY_END_TIME": "20260305084000",
                "FIRST_BIDDER_NAME": "上海浦江数智建设工程有限公司",
                "FIRST_BIDDER_CODE": WINNER,
                "SECOND_BIDDER_NAME": "上海黄浦建工集团有限公司",
                "SECOND_BIDDER_CODE": SECOND,
            },
        ),
        ("WIN_RESULT_ANNO", support.result(**common)),
        (
            "CONTRACT_PERFORMANCE",
            {
                "DATA_TYPE": "1",
                **common,
                "TENDER_PROJECT_CODE": TP,
                "BID_SECTION_CODE": S1,
                "CONTRACT_CODE": "HT-2026-018",
                "CONTRACT_NAME": "莘庄镇社区文化中心新建工程施工总承包合同",
                "BIDDER_NAME": "上海浦江数智建设工程有限公司",
                "BIDDER_CODE": WINNER,
                "CONTRACT_PRICE": "4712.3",
                "PRICE_UNIT": "1",
                "CURRENCY_CODE": "CNY",
                "CONTRACT_SIGN_TIME": "20260302085000",
            },
        ),
    ]


def _clean(items: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    return [(d, {k: v for k, v in r.items() if v is not None}) for d, r in items]


def test_a_pushed_works_tender_is_published_as_valid_ocds_in_the_package_of_the_day(hub, ocds_schema, api):
    response = hub.works.batch(_clean(full_works_tender()))
    assert response.status_code == 200, response.content
    assert response.json()["refused"] == 0, response.json()
    added = publish_all()
    ocid = f"ocds-yw0001-{S1}"
    releases = queries.releases_of(ocid)
    tags = [r["tag"] for r in releases]
    assert tags == [["planning"], ["tender"], ["tenderUpdate"], ["award"], ["award"], ["contract"]], tags
    for release in releases:
        assert ocds_schema.release_errors(release) == [], (release["id"], ocds_schema.release_errors(release))
    assert len(added) == 8  # six for section 1; the section and the notice for section 2
    # one process per section; the project-level notice reaches both
    ocid2 = f"ocds-yw0001-{S2}"
    assert [r["tag"] for r in queries.releases_of(ocid2)] == [["planning"], ["tender"]]

    compiled = queries.compiled_release(ocid)
    assert ocds_schema.release_errors(compiled) == []
    assert compiled["buyer"]["name"] == "上海市闵行区莘庄镇人民政府"
    assert compiled["tender"]["title"] == "莘庄镇社区文化中心新建工程施工招标 施工总承包"
    assert compiled["tender"]["status"] == "active"
    assert compiled["tender"]["procurementMethod"] == "open"
    assert compiled["tender"]["procuringEntity"]["name"] == "上海申元工程咨询有限公司"
    assert compiled["tender"]["tenderPeriod"]["endDate"] == "2026-03-23T09:30:00+08:00"
    assert compiled["planning"]["budget"]["amount"] == {"amount": 48_605_000, "currency": "CNY"}  # 4860.5 万元
    awards = {a["id"]: a for a in compiled["awards"]}
    assert awards[f"{S1}-c1"]["status"] == "active"
    assert awards[f"{S1}-c1"]["value"] == {"amount": 47_123_000, "currency": "CNY"}
    assert awards[f"{S1}-c1"]["suppliers"] == [{"id": f"CN-USCC-{WINNER}", "name": "上海浦江数智建设工程有限公司"}]
    assert awards[f"{S1}-c2"]["status"] == "unsuccessful"
    (contract,) = compiled["contracts"]
    assert contract["awardID"] == f"{S1}-c1"
    assert contract["dateSigned"] == "2026-03-02T08:50:00+08:00"
    assert {p["id"] for p in compiled["parties"]} >= {f"CN-USCC-{WINNER}", f"CN-USCC-{SECOND}"}

    # the record (every release, compiled, versioned) and the day's package, also over the API
    record = queries.record_of(ocid)
    assert ocds_schema.release_errors(record["compiledRelease"]) == []
    package = json.loads(api.client.get("/api/v1/ocds/packages/2026-03-02").content)
    assert ocds_schema.package_errors(package) == []
    ids = {r["id"] for r in package["releases"]}
    assert {r["id"] for r in releases} <= ids
    bulk = api.client.get("/api/v1/ocds/bulk/releases.jsonl").content.decode().splitlines()
    assert {json.loads(line)["id"] for line in bulk} >= ids
    assert api.client.get(f"/api/v1/ocds/records/{ocid}").status_code == 200

    # publishing again (even from the start) stores nothing new
    assert publish_all() == []
    again = actions.do_publish_releases(actor=PUBLISHER, from_start=True)
    assert again.added == []


def test_updates_and_deletes_yield_releases_that_reflect_them(hub, clock, ocds_schema):
    assert hub.works.batch(_clean(full_works_tender())).json()["refused"] == 0
    publish_all()
    before = Release.objects.count()
    later = "20260302090000"
    correction = support.tender_notice(
        **support.common(later),
        NOTICE_BID_NUM=2,
        NOTICE_NATURE="2",
        NOTICE_NAME="施工招标更正公告",
        NOTICE_SEND_TIME="20260302090000",
        BID_DOC_REFER_END_TIME="20260327093000",
        BID_SECTION_CODES=S1,
    )
    items = [
        ("TENDER_ANN_QUA_INQUERY_ANN", correction),
        ("WIN_RESULT_ANNO", support.result(**support.common(later), DATA_TYPE="2", BID_AMOUNT="4700")),
        (
            "CONTRACT_PERFORMANCE",
            {
                "DATA_TYPE": "3",
                **support.common(later),
                "BID_SECTION_CODE": S1,
                "CONTRACT_CODE": "HT-2026-018",
                "TENDER_PROJECT_CODE": TP,
            },
        ),
    ]
    body = hub.works.batch(items).json()
    assert [r["outcome"] for r in body["results"]] == ["created", "updated", "deleted"], body
    added = publish_all()
    assert len(added) == 3  # the correction names only section 1
    assert Release.objects.count() == before + 3
    releases = queries.releases_of(f"ocds-yw0001-{S1}")
    for release in releases:
        assert ocds_schema.release_errors(release) == [], release["id"]
    assert [r["tag"] for r in releases[-3:]] == [["tenderAmendment"], ["awardUpdate"], ["contractUpdate"]]
    compiled = queries.compiled_release(f"ocds-yw0001-{S1}")
    assert compiled["tender"]["tenderPeriod"]["endDate"] == "2026-03-27T09:30:00+08:00"
    assert compiled["tender"]["amendments"][0]["rationale"] == "施工招标更正公告"
    award = next(a for a in compiled["awards"] if a["id"] == f"{S1}-c1")
    assert award["value"]["amount"] == 47_000_000
    (contract,) = compiled["contracts"]
    assert contract["status"] == "cancelled"  # the deleted contract: cancelled, its history kept
    assert contract["value"]["amount"] == 47_123_000
    assert [r["tag"] for r in queries.releases_of(f"ocds-yw0001-{S2}")] == [["planning"], ["tender"]]

    # deleting the result cancels its award
    delete = {"DATA_TYPE": "3", **support.common("20260302090100"), "BID_SECTION_CODE": S1, "TENDER_PROJECT_CODE": TP}
    clock.advance(timedelta(minutes=2))
    assert hub.works.batch([("WIN_RESULT_ANNO", delete)]).json()["results"][0]["outcome"] == "deleted"
    publish_all()
    last = queries.releases_of(f"ocds-yw0001-{S1}")[-1]
    assert last["tag"] == ["awardCancellation"]
    assert last["awards"] == [{"id": f"{S1}-c1", "status": "cancelled"}]
    assert ocds_schema.release_errors(last) == []


def test_a_notice_before_its_section_and_personal_data_never_published(hub, ocds_schema):
    items = full_works_tender()
    first = [items[0], items[1], items[4]]  # project, tender project, notice: no section yet
    assert hub.works.batch(_clean(first)).json()["refused"] == 0
    assert publish_all() == []  # no section, no process yet
    expert = {
        "DATA_TYPE": "1",
        **support.common(),
        "TENDER_PROJECT_CODE": TP,
        "BID_SECTION_CODE": S1,
        "EXPERT_NAME": "张三",
        "ID_CARD": "310104198001011234",
    }
    body = hub.works.batch(_clean([items[2], ("BID_EVALUATION_EXPERT", expert)])).json()
    assert body["refused"] == 0, body
    publish_all()
    (release,) = queries.releases_of(f"ocds-yw0001-{S1}")
    assert release["tag"] == ["planning", "tender"]  # the section arrives after its notice: the tender is on
    assert release["tender"]["documents"][0]["documentType"] == "tenderNotice"
    assert ocds_schema.release_errors(release) == []
    everything = b"".join(json.dumps(r.data, ensure_ascii=False).encode() for r in Release.objects.all())
    assert "张三".encode() not in everything
    assert b"310104198001011234" not in everything


def test_gp_land_and_state_asset_records_become_processes(ocds_schema):
    from yiwang.exchange.ocds.domain.spec import build_spec_releases

    date_ = "2026-03-02T01:00:00.000000Z"
    facts = {
        "dataset": "BID_DEAL_ANNOUNCE",
        "operation": "add",
        "first": True,
        "record": {
            "PURCHASE_PROJECT_CODE": "SHCG-2026-01",
            "PURCHASE_SECTION_CODE": "1",
            "NOTICE_NAME": "成交公告",
            "NOTICE_SEND_TIME": "20260302083000",
            "WINNINGBIDDER_NAME": "上海某科技有限公司",
            "WIN_BID_PRICE": "128000",
            "PRICE_UNIT": "0",
        },
        "purchase_project": {"PURCHASER_NAME": "上海市某局", "PURCHASER_CODE": "11310000002420361Y"},
    }
    (gp,) = build_spec_releases(facts, prefix="ocds-yw0001", seq=7, date=date_)
    assert gp["ocid"] == "ocds-yw0001-SHCG-2026-01-1"
    assert gp["awards"][0]["value"] == {"amount": 128000, "currency": "CNY"}
    land = {
        "dataset": "DEAL_LAND_INFO",
        "operation": "add",
        "first": True,
        "record": {
            "UNIFIED_DEAL_CODE": "3101122026TD0001",
            "LAND_CODE": "MH-01",
            "DEAL_PRICE": "52000",
            "PRICE_UNIT": "1",
            "LENDING_NAME": "上海某置业有限公司",
            "DEAL_TIME": "20260302090000",
        },
    }
    (land_release,) = build_spec_releases(land, prefix="ocds-yw0001", seq=8, date=date_)
    assert land_release["ocid"] == "ocds-yw0001-3101122026TD0001"
    assert land_release["awards"][0]["value"]["amount"] == 520_000_000
    asset = {
        "dataset": "LISTING_PUB_INFO",
        "operation": "delete",
        "first": False,
        "record": {"UNIFIED_DEAL_CODE": "3101122026CQ0001", "PROJECT_NAME": "某公司 100% 股权"},
    }
    (withdrawn,) = build_spec_releases(asset, prefix="ocds-yw0001", seq=9, date=date_)
    assert withdrawn["tag"] == ["tenderCancellation"]
    assert withdrawn["tender"]["status"] == "withdrawn"
    for release in (gp, land_release, withdrawn):
        assert ocds_schema.release_errors(release) == [], release


def test_spec_values():
    assert spec_time("20260302083000") == "2026-03-02T08:30:00+08:00"
    assert spec_time("20260302") == "2026-03-02T00:00:00+08:00"
    assert spec_time("x") is None
    assert spec_amount("4860.5", "1") == {"amount": 48_605_000, "currency": "CNY"}
    assert spec_amount("12.345", "0", "USD") == {"amount": 12.35, "currency": "USD"}
    assert spec_amount(None) is None
