"""The rules-catalogue pages under the English switch: the overview of the six lists, a list with its versions
and items, a draft with its staff forms, an item's form, the code tables, the region codes, the holidays and
the time-limit calculator read in English in their headings, labels, buttons and table heads. Rule titles,
legal citations, item contents, holiday names and notices, region names and the code tables' own Chinese
labels are data and stay as they are. Without the switch the same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.web.testing import CHROME, chinese_left, use_english

pytestmark = pytest.mark.django_db

SWITCH = "中文"  # the language switch's own label


def test_the_public_catalogue_pages_in_english(client, clock):
    assert "法定期限计算器" in client.get("/catalog/").content.decode()

    use_english(client)
    overview = client.get("/catalog/").content.decode()
    for english in ("Lists and catalogues (1+6+N)", "Rules catalogue", "Legal time-limit calculator", "in force from"):
        assert english in overview, english
    assert chinese_left(overview, SWITCH) == []
    pages = {
        "/catalog/lists/rules/": ("Rules catalogue", "Legal number", "Version history", "Content and source"),
        "/catalog/codes/": ("Code tables", "Enterprise nature", "Chinese"),
        "/catalog/regions/": ("Administrative region codes", "Valid from", "Province"),
        "/catalog/holidays/": ("Public holidays and make-up working days", "Confirmed"),
        "/catalog/holidays/2026/": ("Public holidays 2026", "Mon", "Days off and make-up working days"),
        "/catalog/periods/?rule=tender.bid_period_min&start=2024-03-01T10:00": (
            "Legal time-limit calculator",
            "Shanghai time",
        ),
    }
    for url, words in pages.items():
        html = client.get(url).content.decode()
        for english in words:
            assert english in html, (url, english)
        assert chinese_left(html, SWITCH, only=CHROME) == [], url
    refused = client.get("/catalog/periods/", {"rule": "tender.bid_period_min", "start": "soon"}).content.decode()
    assert "The start time is malformed" in refused


def test_a_draft_and_an_item_form_in_english(as_admin, clock):
    client = as_admin  # 目录管理员, named in the navigation
    assert "新建版本草稿" in client.get("/catalog/lists/rules/").content.decode()

    use_english(client)
    created = client.post("/catalog/staff/lists/rules/new/", {"effective_from": "2026-03-03", "title": "修订"})
    assert created.status_code == 302
    draft = client.get(created["Location"]).content.decode()
    for english in ("Publish this version", "Discard the draft", "Add: Legal number", "Draft"):
        assert english in draft, english
    assert chinese_left(draft, "修订", "目录管理员", SWITCH, only=CHROME) == []
    form = client.get(created["Location"] + "items/tender.bid_period_min/").content.decode()
    for english in ("Edit: Legal number", "Key", "Unit", "Back to the draft"):
        assert english in form, english
    assert chinese_left(form, "目录管理员", SWITCH, only=CHROME) == []
