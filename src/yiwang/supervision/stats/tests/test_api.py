"""The statistics API and pages without trades: who may read, region scoping, bad filters, and indicators over
an empty population that say 'not computable' instead of 0."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_indicators_over_an_empty_population_are_not_computable(api, people, clock):
    r = api.with_token("city").get("/stats/indicators", {"period": "2026-Q1"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["filters"]["period"] == "2026-Q1"
    assert body["filters"]["first_day"] == "2026-01-01"
    by = {i["code"]: i for i in body["indicators"]}
    assert by["volume"] == {**by["volume"], "computable": True, "value": 0, "n": 0}
    for code in (
        "savings_rate",
        "single_bid_share",
        "days_to_award",
        "electronic_rate",
        "disclosure_rate",
        "rule_coverage",
    ):
        assert by[code]["computable"] is False, code
        assert by[code]["value"] is None
        assert by[code]["reason"] == "empty"
        assert by[code]["reason_zh"] == "样本为空，无法计算"
    assert body["by_region"] == []


def test_only_regulators_and_auditors_read(api, people, clock):
    assert api.with_token("audit").get("/stats/indicators").status_code == 200
    for who in ("bidder", "staff"):
        r = api.with_token(who).get("/stats/indicators")
        assert r.status_code == 403
        assert r.json()["code"] == "stats.forbidden"
    assert api.get("/stats/indicators").status_code == 401
    assert api.with_token("bidder").get("/stats/trend").status_code == 403
    assert api.with_token("bidder").get("/stats/totals").status_code == 403


def test_a_district_regulator_reads_only_his_district(api, people, clock):
    r = api.with_token("mh").get("/stats/indicators", {"region": "310104"})
    assert r.status_code == 403
    assert r.json()["code"] == "stats.region_not_covered"
    assert api.with_token("mh").get("/stats/indicators", {"region": "310112"}).status_code == 200
    assert api.with_token("mh").get("/stats/indicators").json()["filters"]["region_label"] == "闵行区"
    assert api.with_token("city").get("/stats/indicators", {"region": "310104"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"period": "2026-13"}, "stats.period_invalid"),
        ({"period": "last year"}, "stats.period_invalid"),
        ({"region": "31011"}, "region.format"),
        ({"category": "nonsense"}, "stats.category_unknown"),
    ],
)
def test_bad_filters_are_refused_with_their_codes(api, people, clock, params, code):
    r = api.with_token("city").get("/stats/indicators", params)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == code


def test_trend_buckets_and_granularity(api, people, clock):
    r = api.with_token("city").get("/stats/trend", {"period": "2026-Q1"})
    assert r.status_code == 200
    assert [p["key"] for p in r.json()["points"]] == ["2026-01", "2026-02", "2026-03"]
    r = api.with_token("city").get("/stats/trend", {"period": "2026", "granularity": "quarter"})
    assert [p["label"] for p in r.json()["points"]] == [f"2026年第{q}季度" for q in (1, 2, 3, 4)]
    r = api.with_token("city").get("/stats/trend", {"period": "2026", "granularity": "hour"})
    assert r.status_code == 422
    assert r.json()["code"] == "stats.granularity_invalid"


def test_totals(api, people, clock):
    r = api.with_token("mh").get("/stats/totals")
    assert r.status_code == 200
    assert r.json()["in_progress"] == 0
    assert r.json()["open_alerts"] == 0


def test_pages_are_for_regulators_and_auditors(client, people, clock):
    assert client.get("/supervision/").status_code == 302  # sign in first
    assert client.get("/supervision/", headers={"X-Test-Actor": "bidder"}).status_code == 403
    assert client.get("/supervision/report/", headers={"X-Test-Actor": "staff"}).status_code == 403
    page = client.get("/supervision/", headers={"X-Test-Actor": "mh"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "一屏管交易" in html
    assert "不可计算（样本为空）" in html
    assert "vendor/echarts-6.1.0/echarts.min.js" in html
    assert client.get("/supervision/", headers={"X-Test-Actor": "audit"}).status_code == 200
    assert client.get("/supervision/report/?region=310104", headers={"X-Test-Actor": "mh"}).status_code == 403
    assert client.get("/supervision/projects/999999/", headers={"X-Test-Actor": "mh"}).status_code == 404


def test_the_alert_drill_down_explains_and_is_scoped(client, people, clock):
    from yiwang.supervision.redflags.demo import MACHINE_MAC, SECTION, seed_collusion_scenario
    from yiwang.supervision.redflags.queries import list_alerts_for

    seed_collusion_scenario(people["mh"])
    (alert,) = list_alerts_for(people["mh"]).rows
    page = client.get(f"/supervision/alerts/{alert.id}/", headers={"X-Test-Actor": "mh"})
    assert page.status_code == 200
    html = page.content.decode()
    assert MACHINE_MAC.replace("-", "") in html
    assert SECTION in html
    assert "redflags.run_screens" in html  # the witness entry of the run that raised it
    assert client.get(f"/supervision/alerts/{alert.id}/", headers={"X-Test-Actor": "city"}).status_code == 200
    assert client.get(f"/supervision/alerts/{alert.id}/", headers={"X-Test-Actor": "xh"}).status_code == 404
    assert client.get(f"/supervision/alerts/{alert.id}/", headers={"X-Test-Actor": "bidder"}).status_code == 403
    # the dashboard counts it, in the tiles too
    dashboard = client.get("/supervision/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "预警 1" in dashboard
    assert client.get("/api/v1/stats/totals", headers={"Authorization": "Bearer mh"}).json()["open_alerts"] == 1
    assert client.get("/api/v1/stats/totals", headers={"Authorization": "Bearer xh"}).json()["open_alerts"] == 0
    city = {"Authorization": "Bearer city"}
    assert client.get("/api/v1/stats/indicators", headers=city).json()["alerts"] == {"new": 1}
    assert client.get("/api/v1/stats/indicators", {"region": "310112"}, headers=city).json()["alerts"] == {"new": 1}
    assert client.get("/api/v1/stats/indicators", {"region": "310104"}, headers=city).json()["alerts"] == {}
    # the report counts the alerts raised in the period
    report = client.get("/supervision/report/?period=2026-03", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "本期生成预警 <strong>1</strong> 条" in report
    assert "CN-40-1" in report


def test_the_dashboard_opens_the_regulators_private_alert_channel(client, people, clock, settings):
    from yiwang.platform.live import config as live_config

    settings.YIWANG_LIVE = {"BROADCASTER": "memory", "KINDS": {"redflags.region": {"private": True, "mode": "log"}}}
    live_config.reset()
    try:
        html = client.get("/supervision/", headers={"X-Test-Actor": "mh"}).content.decode()
        assert "/live/redflags.region:310112?token=v1." in html
        assert "redflags.region:310000" not in html  # a district regulator gets his district's channel only
        city = client.get("/supervision/", headers={"X-Test-Actor": "city"}).content.decode()
        assert "/live/redflags.region:310000?token=v1." in city
        audit = client.get("/supervision/", headers={"X-Test-Actor": "audit"}).content.decode()
        assert 'data-live-urls=""' in audit  # auditors read the list, which polls
    finally:
        live_config.reset()
