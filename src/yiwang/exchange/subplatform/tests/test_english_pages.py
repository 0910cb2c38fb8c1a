"""English under the switch: a sub-platform operator's monthly data-quality report and the staff's exchange
pages (quality by sub-platform, records received, a record, refusals, the register) read in English. What the
sub-platforms sent and what the spec and the rules catalogue name stays as written: platform and dataset names,
record titles and field names, the findings' messages (composed with the dataset names), the sources of the
thresholds. Without the switch the same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.exchange.subplatform import queries
from yiwang.exchange.subplatform.domain.datasets import all_datasets
from yiwang.exchange.subplatform.tests.support import WORKS
from yiwang.exchange.subplatform.tests.test_quality_report import _march, _operator
from yiwang.platform.web.testing import chinese_left, use_english

pytestmark = pytest.mark.django_db

OPERATOR = "工程建设分平台运营机构"


def test_the_quality_report_and_the_exchange_pages_in_english(hub, client, clock):
    _march(hub)
    client.force_login(_operator(hub, "op-works", WORKS, OPERATOR))
    assert "数据质量月报 · 2026-03" in client.get("/exchange/quality/mine/", {"month": "2026-03"}).content.decode()

    use_english(client)
    html = client.get("/exchange/quality/mine/", {"month": "2026-03"}).content.decode()
    for english in ("Monthly data-quality report · 2026-03", "Stage-order consistency", "Below threshold", "Threshold"):
        assert english in html, english
    rep = queries.monthly_report_for(hub.staff_actor, platform_code=WORKS, month="2026-03")
    data = [rep.platform.name, OPERATOR, *(f.message_zh for f in rep.findings)]
    data += [m.threshold.source for m in rep.measures if m.threshold]
    assert chinese_left(html, *data, "中文") == []

    client.force_login(hub.staff)
    datasets = [d.name_zh for d in all_datasets()]
    certificate = "上海市建设工程招标投标服务机构"  # the signing certificate's subject
    names = [rep.platform.name, hub.staff.display_name, certificate, *datasets]
    html = client.get("/exchange/quality/").content.decode()
    assert "Data quality by sub-platform" in html
    assert chinese_left(html, *names, "中文") == []
    html = client.get("/exchange/records/").content.decode()
    assert "Records received" in html
    rows = queries.list_records_for(hub.staff_actor)
    assert chinese_left(html, *names, *(r.title for r in rows), "中文") == []
    one = queries.get_record_view(hub.staff_actor, rows[0].id)
    html = client.get(f"/exchange/records/{one.id}/").content.decode()
    assert "Data timestamp" in html
    values = [str(f.value) for f in one.fields] + [f.name_zh for f in one.fields]  # as sent; the spec's names
    assert chinese_left(html, *names, one.title, *values, "中文") == []
    html = client.get("/exchange/refusals/").content.decode()
    assert "Records refused" in html
    assert chinese_left(html, *names, "中文") == []
    html = client.get("/exchange/").content.decode()
    assert "Register a sub-platform" in html
    assert chinese_left(html, *names, "中文") == []
