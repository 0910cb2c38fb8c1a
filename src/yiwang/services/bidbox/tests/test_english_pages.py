"""English for the bid-box pages (issue 11): under the switch a bidder's sealed upload, receipt and submissions,
the opening hall with its decryption form, the staff console and the opening record read in English: headings,
labels, buttons, table heads, states and reasons. What people entered or the catalogues hold stays as written
and is named in each test: the box's title, company and people's names, the legal citations of the rules
catalogue (the opening time's and the minimum bidders' sources), notices already sent. Without the switch the
same pages are Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.platform.clock import get_clock
from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.models import Submission
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, seal_for

pytestmark = pytest.mark.django_db


def _client(account, *, english: bool = False) -> Client:
    client = Client()
    client.force_login(account)
    if english:
        use_english(client)
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _data(world, box) -> list[str]:
    """What the pages show that is data: names, the box's title, the catalogue's legal citations."""
    view = queries.get_box_for(world.staff_actor, box.pk)
    people = [world.staff, *world.custodians, world.a.account, world.b.account, world.c.account]
    names = ["上海浦江数智建设工程有限公司", "上海闵行绿源环保科技有限公司", "上海徐汇城市建设发展集团有限公司"]
    files = ["投标文件.json"]  # the file name sealed in the envelope
    return [
        *files,
        box.title,
        view.opening_rule_source,
        view.min_bidders_source,
        *names,
        *(p.display_name for p in people),
    ]


def test_a_bidder_submits_and_decrypts_in_english(world, box1):
    data = [*_data(world, box1), "中文"]
    chinese = _client(world.a.account)
    assert "递交投标文件" in _page(chinese, f"/bidbox/{box1.pk}/submit/")
    bidder = _client(world.a.account, english=True)
    for url, englishes in {
        "/bidbox/": ("Electronic bid box", "Accepting bids", "My submissions"),
        f"/bidbox/{box1.pk}/": ("Submit a bid", "Bid deadline", "Decryption window", "Opening key (PEM"),
        f"/bidbox/{box1.pk}/submit/": ("Submit a bid", "Bid file (.ywenv digital envelope)", "Beijing time"),
        f"/bidbox/{box1.pk}/hall/": ("Opening hall", "Not opened yet"),
    }.items():
        html = _page(bidder, url)
        for english in englishes:
            assert english in html, (url, english)
        assert chinese_left(html, *data) == [], url
    sealed = seal_for(box1, world.a, bid_document(77))
    done = bidder.post(
        f"/bidbox/{box1.pk}/submit/", {"entity_id": world.a.entity_id, "file": SimpleUploadedFile("b.ywenv", sealed)}
    )
    receipt = _page(bidder, done["Location"])
    sub = Submission.objects.get()
    for english in ("Submission receipt", "Bid received; receipt number", "Withdraw the bid", "Envelope SM3"):
        assert english in receipt, english
    assert chinese_left(receipt, *data) == []
    mine = _page(bidder, "/bidbox/mine/")
    assert "Receipt number" in mine
    assert chinese_left(mine, *data, *(n.text for n in queries.list_notices_for(world.a.actor))) == []
    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box1.pk)
    assert "解密状态" in _page(chinese, f"/bidbox/{box1.pk}/hall/")
    hall = _page(bidder, f"/bidbox/{box1.pk}/hall/")
    for english in ("Opening hall", "Opening: decrypting", "To decrypt", "mine", "Decrypt", "Content key"):
        assert english in hall, english
    assert chinese_left(hall, *data) == []
    wrong = bidder.post(f"/bidbox/submissions/{sub.pk}/decrypt/", {"content_key": ""}, follow=True)
    assert "Please enter the content key" in wrong.content.decode()


def test_the_staff_console_and_the_opening_record_in_english(world, ceremony, box1):
    data = [*_data(world, box1), "中文"]
    sealed = seal_for(box1, world.a, bid_document(77))
    _client(world.a.account).post(
        f"/bidbox/{box1.pk}/submit/", {"entity_id": world.a.entity_id, "file": SimpleUploadedFile("b.ywenv", sealed)}
    )
    sub = Submission.objects.get()
    assert "截止时间顺延" in _page(_client(world.staff), f"/bidbox/{box1.pk}/manage/")
    staff = _client(world.staff, english=True)
    html = _page(staff, f"/bidbox/{box1.pk}/manage/")
    for english in ("Manage the box", "Deadline extensions", "New bid deadline (Beijing time)", "Extend", "Submitted"):
        assert english in html, english
    assert chinese_left(html, *data) == []
    get_clock().set(DEADLINE)
    staff.post(f"/bidbox/{box1.pk}/manage/", {"do": "start"})
    staff.post(f"/bidbox/submissions/{sub.pk}/fallback/", {"reason": "ca_failure", "note": ""})
    html = _page(staff, f"/bidbox/{box1.pk}/manage/")
    for english in ("allowed (Certificate (CA) service failure)", "Custodians enter their shares", "Enter share"):
        assert english in html, english
    assert chinese_left(html, *data) == []
    get_clock().advance(timedelta(minutes=30))
    staff.post(f"/bidbox/{box1.pk}/manage/", {"do": "close"})
    record = _page(staff, f"/bidbox/{box1.pk}/record/")
    assert "Opening record" in record
    assert "withdrawn, may claim" in record
    assert "Too few valid bids" in record
    assert chinese_left(record, *data) == []
    assert "非投标人原因" in _page(_client(world.b.account), f"/bidbox/{box1.pk}/record/")
