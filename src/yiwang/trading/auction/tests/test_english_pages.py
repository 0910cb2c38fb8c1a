"""English under the switch for the auction pages beyond the bidder's (those are in
portal/tests/test_english_bidder_pages.py): the staff console with a lot, the flash messages the view writes,
and the words room.js writes into the live room, which the page gives it (#auction-room-words). What people
entered stays as written (the lot's title, the bidders' names) and is named in each test. Without the switch the
same pages and words are Chinese."""

from __future__ import annotations

import json
import re

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.tests.support import judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(test_actors, people, clock):
    test_actors["staff"] = staff()
    for i, p in enumerate(people[:2]):
        test_actors[f"p{i}"] = p.actor
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(description="带租约交付。"))
    for p in people[:2]:
        pay_deposit(lot, p)
    return lot


def _as(name: str) -> dict[str, str]:
    return {"X-Test-Actor": name}


def _words(html: str) -> dict:
    found = re.search(r'<script id="auction-room-words" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page gives room.js its words"
    return json.loads(found.group(1))


def _flash(client, url: str, headers: dict[str, str]) -> str:
    return client.get(url, headers=headers).content.decode()


def test_the_staff_console_in_english(client, room, people, clock):
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p0"))
    chinese = client.get("/auction/console/", headers=_as("staff")).content.decode()
    assert "网络竞价工作台" in chinese
    assert "新建标的（按规则预设）" in chinese
    use_english(client)
    html = client.get("/auction/console/", headers=_as("staff")).content.decode()
    for english in ("Online auction workbench", "New lot (from a rule preset)", "Auction type", "Upcoming", "Create"):
        assert english in html, english
    assert "Online judicial auction" in html  # a preset's name, translated from its Chinese label
    assert chinese_left(html, room.title, "中文", "交易中心工作人员") == []

    html = client.get(f"/auction/console/{room.pk}/", headers=_as("staff")).content.decode()
    for english in ("Bidders (staff only)", "Suspend bidding", "Command log check", "consistent", "Public page"):
        assert english in html, english
    data = [room.title, room.description, "中文", "交易中心工作人员", people[0].name]
    assert chinese_left(html, *data) == []

    response = client.post(
        f"/auction/console/{room.pk}/", {"action": "suspend", "reason": "系统维护"}, headers=_as("staff")
    )
    assert response.status_code == 302
    html = client.get(f"/auction/console/{room.pk}/", headers=_as("staff")).content.decode()
    assert "Bidding suspended" in html
    assert "Suspended: 系统维护" in html
    assert chinese_left(html, *data, "系统维护") == []


def test_flash_messages_and_the_room_words_in_english(client, room, clock):
    url = f"/auction/{room.pk}/"
    client.post(url, {"action": "register"}, headers=_as("p0"))
    chinese = _flash(client, url, _as("p0"))
    assert "报名成功，您的竞买号为" in chinese
    words = _words(chinese)
    assert (words["me"], words["leading"], words["outbid"]) == ("（我）", "领先", "出局")
    assert words["status"]["outbid"] == "您的出价已被超过"
    assert words["outbid_detail"] == "当前价 {price}，领先竞买号 {leader}"

    use_english(client)
    client.post(url, {"action": "register"}, headers=_as("p1"))
    html = _flash(client, url, _as("p1"))
    assert "Registered; your bidder number is" in html
    clock.set(room.start_at)
    jobs.run_due_lots(clock.now())
    client.post(url, {"action": "bid", "amount": "700,000.00", "expected_price_fen": "70000000"}, headers=_as("p1"))
    html = _flash(client, url, _as("p1"))
    assert "Bid accepted: 700,000.00 yuan (server time" in html
    client.post(url, {"action": "bid", "amount": "1.00", "expected_price_fen": "70000000"}, headers=_as("p1"))
    html = _flash(client, url, _as("p1"))
    assert re.search(r"\(auction\.[a-z_]+\)", html), "an error flash in English with its code"
    flashes = re.findall(r'<div class="alert[^"]*"[^>]*role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert flashes
    assert [chinese_left(f) for f in flashes] == [[] for _ in flashes], flashes

    words = _words(html)
    assert (words["me"], words["leading"], words["outbid"], words["no_bids"]) == (
        " (me)",
        "Leading",
        "Outbid",
        "No bids yet",
    )
    assert words["status"]["accepted"] == "Your bid was accepted"
    assert words["accepted"] == "Bid {amount}"
    assert chinese_left(json.dumps(words, ensure_ascii=False)) == []
