"""English for the on-site witness record pages (/onsite/): under the switch the list, the new-record form, a
record with its correction and the irregularities reported to supervision read in English (headings, labels,
buttons, record kinds, badges). What people wrote stays as written (descriptions, places, titles, the reason of a
correction, attachment names, the names of the people who recorded) and is named in the test. Without the switch
the same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.witness import actions
from yiwang.services.witness.tests import support

pytestmark = pytest.mark.django_db

WRITTEN = [
    "评标专家擅自离开隔离区",
    "评标专家经批准离开隔离区",
    "闵行交易大厅 评标室1",
    "某道路改建工程",
    "核实情况",
    "现场照片.png",
    "见证人员201",
    "监管300",
    "中文",
]


def test_the_onsite_record_pages_in_english(test_actors, client, staff, clock):
    record = actions.do_record_onsite_event(
        actor=staff,
        kind="irregularity",
        description="评标专家擅自离开隔离区",
        region_code="310112",
        place="闵行交易大厅 评标室1",
        title="某道路改建工程",
        owner_ref="tender.section:12",
        uploads=[support.png()],
    )
    fix = actions.do_correct_onsite_record(
        actor=staff, record_id=record.pk, reason="核实情况", description="评标专家经批准离开隔离区"
    )
    test_actors["staff"] = staff
    test_actors["regulator"] = support.regulator()
    as_staff = {"X-Test-Actor": "staff"}
    pages = {
        "/onsite/": "现场见证记录",
        "/onsite/new/": "新增现场见证记录",
        f"/onsite/{record.pk}/": "本记录已被更正",
        f"/onsite/{fix.pk}/": "更正本记录",
    }
    for url, chinese in pages.items():
        assert chinese in client.get(url, headers=as_staff).content.decode(), url
    use_english(client)
    english = {
        "/onsite/": ("On-site witness records", "All kinds", "Irregularity", "Reported to supervision", "Correction"),
        "/onsite/new/": ("New on-site witness record", "Kind of record", "Bid opening started", "Save the record"),
        f"/onsite/{record.pk}/": ("This record has been corrected", f"record {fix.pk}", "Attachments", "Recorded by"),
        f"/onsite/{fix.pk}/": ("This record corrects", "Reason: ", "Correct this record", "Submit the correction"),
    }
    for url, words in english.items():
        html = client.get(url, headers=as_staff).content.decode()
        for word in words:
            assert word in html, (url, word)
        assert chinese_left(html, *WRITTEN) == [], url
    html = client.get("/onsite/irregularities/", headers={"X-Test-Actor": "regulator"}).content.decode()
    for word in ("Reported irregularities", "1 reported", "Records are shown as corrected"):
        assert word in html, word
    assert chinese_left(html, *WRITTEN) == []
    again = client.post(
        f"/onsite/{record.pk}/correct/",
        {"kind": "irregularity", "description": "评标专家经批准离开隔离区", "reason": "核实情况"},
        headers=as_staff,
        follow=True,
    ).content.decode()
    assert "(onsite." in again  # refused (correct the newest record), in English with its code
    assert chinese_left(again, *WRITTEN) == []
