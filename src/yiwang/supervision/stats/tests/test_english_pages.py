"""English under the switch: the statistics pages beyond the dashboard (the trades behind a number, the
evaluation report's page) read in English; the report's PDF is rendered in Chinese whatever the page's language
(report.render_pdf). An alert's drill-down is checked over the seeded alert (redflags' test_english_pages).
Without the switch the pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.supervision.stats import queries

pytestmark = pytest.mark.django_db


def test_the_trades_list_and_the_report_page_in_english(client, clock, people):
    who = {"X-Test-Actor": "mh"}
    assert "没有符合条件的交易" in client.get("/supervision/trades/?kind=deals", headers=who).content.decode()
    assert "本期生成预警 <strong>0</strong> 条" in client.get("/supervision/report/", headers=who).content.decode()

    use_english(client)
    categories = list(queries.category_names().values())  # the trading catalogue's names: data
    html = client.get("/supervision/trades/?kind=deals", headers=who).content.decode()
    for english in ("Deals", "Deal price", "No trades match", "One-screen supervision"):
        assert english in html, english
    assert chinese_left(html, "闵行监管", "闵行区", "上海市", *categories, "中文") == []
    html = client.get("/supervision/report/", headers=who).content.decode()
    for english in ("Public-resource trading supervision report", "1. Supervision indicators", "5. Alerts"):
        assert english in html, english
    assert "In the period <strong>0</strong> alerts were raised." in html
    assert chinese_left(html, "闵行监管", "闵行区", "上海市", *categories, "中文") == []
