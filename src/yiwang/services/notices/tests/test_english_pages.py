"""English for the notices pages (issue 11): under the switch the notices list (filters, types, states),
my subscriptions and the disclosure-rate page read in English. A notice's own page, with its versions, is
tested with the portal's (portal/tests/test_english_pages.py). What people entered or the catalogues hold stays
as written and is named in each test: notice titles, category and region names, subscription names and keywords,
the titles of the disclosure list's requirements. Without the switch the same pages are Chinese."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.catalog import queries as catalog
from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.notices import actions, queries
from yiwang.services.notices.tests import support

pytestmark = pytest.mark.django_db


def _catalogue_data() -> list[str]:
    """Category and region names in the filters (catalogue data)."""
    names = [c.title_zh for c in catalog.list_trading_categories()]
    names += [r.name for r in catalog.list_regions()]
    names += [r.name for r in catalog.list_regions(parent="310000")]
    return names


def _get(client, test_actors, url: str, actor=None, **params) -> str:
    headers = {}
    if actor is not None:
        test_actors[f"en-{actor.ref}"] = actor
        headers["X-Test-Actor"] = f"en-{actor.ref}"
    response = client.get(url, params, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_notices_list_in_english(client, test_actors, clock, system):
    notice = support.tender_notice(system)
    chinese = _get(client, test_actors, "/notices/")
    assert "共 1 条公告" in chinese
    assert "公告类型" in chinese
    use_english(client)
    html = _get(client, test_actors, "/notices/")
    for english in ("Notices found: 1", "Trading category", "Notice type", "Tender notice", "Award result", "Alerts"):
        assert english in html, english
    assert chinese_left(html, notice.title, "中文", *_catalogue_data()) == []
    partial = client.get("/notices/", {"type": "award_result"}, headers={"HX-Request": "true"}).content.decode()
    assert "Notices found: 0" in partial
    assert chinese_left(partial) == []


def test_my_subscriptions_in_english(client, test_actors, clock):
    me = support.visitor()
    actions.do_create_subscription(
        actor=me, name="闵行道路", query="道路", categories=[], notice_types=["tender_notice"], region="310112",
        email="me@example.org",
    )  # fmt: skip
    chinese = _get(client, test_actors, "/notices/subscriptions/", me)
    assert "新增订阅" in chinese
    assert "提醒中" in chinese
    use_english(client)
    html = _get(client, test_actors, "/notices/subscriptions/", me)
    for english in ("My subscriptions", "New subscription", "Also e-mail to (optional)", "Active", "Pause", "Delete"):
        assert english in html, english
    # the example keywords in the placeholders stay Chinese, like the search box's
    examples = ("闵行道路工程", "道路 施工")
    data = ["闵行道路", "道路", me.label, "中文", *examples, *_catalogue_data()]
    assert chinese_left(html, *data) == []


def test_the_disclosure_rate_in_english(client, test_actors, clock, staff):
    actions.do_register_disclosure_obligation(
        actor=staff, owner="gp.package:1", category="gp", stage="result",
        anchor_at=clock.now() - timedelta(days=10), region_code="310112",
    )  # fmt: skip
    period = {"from": "2026-02-01", "to": "2026-03-02"}
    chinese = _get(client, test_actors, "/notices/disclosure/", staff, **period)
    assert "应公开未公开" in chinese
    use_english(client)
    html = _get(client, test_actors, "/notices/disclosure/", staff, **period)
    for english in ("Disclosure rate", "Not published", "By trading category", "Late and missing (for supervision)"):
        assert english in html, english
    report = queries.disclosure_report_for(staff, period=(date(2026, 2, 1), date(2026, 3, 2)))
    titles = [row.obligation.requirement_title for row in report.missing]
    titles += [g.label for g in report.by_requirement]
    assert chinese_left(html, *titles, staff.label, "中文", *_catalogue_data()) == []
