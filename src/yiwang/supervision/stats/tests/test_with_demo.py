"""The statistics over real trades: after ``seed-demo`` and ``demo-tender`` (a works tender and a government
procurement in 闵行, each from the notice to the contract), the indicators equal what the tender context
records, a 闵行 regulator sees them and a 徐汇 regulator does not, the drill-down shows each section's timeline
and witness entries, and the periodic report (HTML and PDF) carries the period and the numbers."""

from __future__ import annotations

import io
import re
import zlib
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from yiwang.kernel.actors import Actor
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.audit import queries as audit
from yiwang.supervision.stats import queries
from yiwang.trading.tender import queries as tender

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("yiwang.trading.tender.evaluation"), reason="the evaluation app is not installed"
    ),
]


@pytest.fixture
def demo(settings, tmp_path, people):
    settings.DATA_DIR = tmp_path  # the demo CA's files
    settings.YIWANG_TENDER = {**settings.YIWANG_TENDER, "EVALUATION_GATEWAY": "app"}
    call_command("seed_demo", stdout=io.StringIO())
    call_command(
        "demo_tender", acceleration=1440, stdout=io.StringIO()
    )  # a legal day is a minute: slack on a loaded machine
    system = Actor.system("test")
    facts = tender.list_section_facts_for(system)
    assert len(facts) == 2
    return facts


def _pct(numerator: int, denominator: int) -> str:
    return str((Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def test_indicators_pages_report_and_drill_down_over_the_demo_trades(demo, api, client, people):
    facts = demo
    year = facts[0].awarded_at.astimezone(SHANGHAI).year
    assert all(f.deal_fen and f.region_code == "310112" for f in facts)
    budget = sum(f.budget_fen for f in facts)
    deal = sum(f.deal_fen for f in facts)

    # the API: what the tender context records, computed by hand
    body = api.with_token("mh").get("/stats/indicators", {"period": str(year)}).json()
    by = {i["code"]: i for i in body["indicators"]}
    assert by["volume"]["value"] == 2
    assert by["value"]["value"] == deal
    assert by["savings_rate"]["value"] == _pct(budget - deal, budget)
    assert by["bidders_per_section"]["value"] == str(
        (Decimal(sum(f.bidders for f in facts)) / 2).quantize(Decimal("0.01"))
    )
    assert by["single_bid_share"]["value"] == _pct(sum(1 for f in facts if f.bidders == 1), 2)
    assert by["electronic_rate"]["value"] == _pct(sum(1 for f in facts if f.electronic), 2)
    assert by["rule_coverage"]["value"] == "100.0"
    assert by["days_to_award"]["computable"] is True
    assert [g["key"] for g in body["by_region"]] == ["310112"]
    assert {g["key"] for g in body["by_category"]} == {f.category for f in facts}
    # the same trades are not computable for one category alone (a single deal)
    one = api.with_token("mh").get("/stats/indicators", {"period": str(year), "category": facts[0].category}).json()
    if sum(1 for f in facts if f.category == facts[0].category) == 1:
        savings = next(i for i in one["indicators"] if i["code"] == "savings_rate")
        assert savings["computable"] is False
        assert savings["reason"] == "single"

    # region scoping: 徐汇's regulator sees none of 闵行's trades, the city's sees them
    xh = api.with_token("xh").get("/stats/indicators", {"period": str(year)}).json()
    assert next(i for i in xh["indicators"] if i["code"] == "volume")["value"] == 0
    assert api.with_token("xh").get("/stats/totals").json()["in_progress"] == 0
    city = api.with_token("city").get("/stats/indicators", {"period": str(year)}).json()
    assert next(i for i in city["indicators"] if i["code"] == "volume")["value"] == 2
    trend = api.with_token("mh").get("/stats/trend", {"period": str(year)}).json()
    assert sum(p["volume"] for p in trend["points"]) == 2
    assert sum(p["value_fen"] for p in trend["points"]) == deal

    # the dashboard and the drill-down to a project's full timeline with its witness entries
    page = client.get(f"/supervision/?period={year}", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "闵行区" in page
    assert "节资率" in page
    project_id = facts[0].project_id
    timeline = queries.project_timeline_for(people["mh"], project_id)
    section = timeline.sections[0]
    assert section.bidders == facts[0].bidders
    assert section.deal_fen == facts[0].deal_fen
    assert {i.stage for i in section.items} >= {"notice", "deadline", "opening", "award", "contract"}
    assert len(timeline.witness) >= len(audit.entries_about(("tender.project", project_id)))
    assert any(w.object_type == "tender.section" for w in timeline.witness)
    html = client.get(f"/supervision/projects/{project_id}/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert timeline.name in html
    assert 'data-testid="witness"' in html
    assert client.get(f"/supervision/projects/{project_id}/", headers={"X-Test-Actor": "xh"}).status_code == 404

    # from a number to the trades behind it, and from there to the project
    page = client.get(f"/supervision/?period={year}", headers={"X-Test-Actor": "mh"}).content.decode()
    assert f"/supervision/trades/?period={year}&kind=deals" in page
    deals = client.get(f"/supervision/trades/?period={year}&kind=deals", headers={"X-Test-Actor": "mh"})
    html = deals.content.decode()
    assert 'data-testid="trade-total">2<' in html
    assert all(f"/supervision/projects/{f.project_id}/" in html for f in facts)
    single = client.get(f"/supervision/trades/?period={year}&kind=single_bid", headers={"X-Test-Actor": "mh"})
    assert f'data-testid="trade-total">{sum(1 for f in facts if f.bidders == 1)}<' in single.content.decode()
    assert client.get("/supervision/trades/?kind=nonsense", headers={"X-Test-Actor": "mh"}).status_code == 404
    assert client.get("/supervision/trades/?region=310104", headers={"X-Test-Actor": "mh"}).status_code == 403
    assert client.get("/supervision/trades/", headers={"X-Test-Actor": "bidder"}).status_code == 403
    xh = client.get(f"/supervision/trades/?period={year}&kind=deals", headers={"X-Test-Actor": "xh"})
    assert 'data-testid="trade-total">0<' in xh.content.decode()

    # the periodic evaluation report: numbers in the HTML, the period in the PDF
    html = client.get(f"/supervision/report/?period={year}", headers={"X-Test-Actor": "mh"}).content.decode()
    assert f"公共资源交易监管评估报告（{year}年）" in html
    assert re.search(r'data-indicator="volume">.*?data-value>2 宗<', html, re.S)
    assert f"{_pct(budget - deal, budget)}%" in html
    assert "本期生成预警 <strong>0</strong> 条" in html
    response = client.get(f"/supervision/report.pdf?period={year}", headers={"X-Test-Actor": "mh"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert f"yiwang-report-{year}-all.pdf" in response["Content-Disposition"]
    text = _pdf_text(pdf)
    assert f"yiwang-stats-report period={year} region=all" in text  # the PDF's subject (metadata)


def _pdf_text(pdf: bytes) -> str:
    """The metadata and the decompressed content streams of a PDF, as text (enough to find ASCII strings)."""
    out = [pdf.decode("latin-1")]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def test_auction_lots_count_as_deals_without_a_savings_rate(people, api, clock):
    from yiwang.trading.auction import demo as auction_demo

    judicial, land = auction_demo.run(out=lambda line: None)
    assert judicial.outcome == land.outcome == "sold"
    body = api.with_token("city").get("/stats/indicators", {"period": "2026"}).json()
    by = {i["code"]: i for i in body["indicators"]}
    assert by["volume"]["value"] == 2
    assert by["value"]["value"] == judicial.deal_price_fen + land.deal_price_fen
    assert by["savings_rate"]["computable"] is False  # auctions sell: no budget, no savings
    assert by["electronic_rate"]["value"] == "100.0"
    assert {g["key"] for g in body["by_category"]} == {judicial.category, land.category}
    # a district regulator does not see the city's lots
    mh = api.with_token("mh").get("/stats/indicators", {"period": "2026"}).json()
    assert next(i for i in mh["indicators"] if i["code"] == "volume")["value"] == 0
