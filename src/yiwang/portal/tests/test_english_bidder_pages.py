"""English for the bidder's pages: under the switch the auction list, a lot's page with its panel and bid form
read in English (headings, labels, buttons, table heads, phase and preset names). What people entered or the
catalogues hold stays as written (the lot's title and description, legal citations, the flash messages the view
computes) and is named in each test. Without the switch the same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.api import auth
from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(settings, clock):
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.trading.auction.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    people = [support.make_bidder(i) for i in range(2)]
    support.ACTORS["staff"] = support.staff()
    for i, p in enumerate(people):
        support.ACTORS[f"p{i}"] = p.actor
    lot = actions.do_create_lot(actor=support.staff(), spec=support.judicial_spec())
    for p in people:
        support.pay_deposit(lot, p)
    yield lot
    support.ACTORS.clear()
    auth.resolver.cache_clear()


def _as(name: str) -> dict[str, str]:
    return {"X-Test-Actor": name}


def _legal(html: str) -> list[str]:
    """The legal rules listed under the bidding rules: their titles and sources are catalogue data."""
    import re

    return [m for m in re.findall(r"<li>(.*?)</li>", html, re.S) if "《" in m]


def test_the_auction_list_and_a_lot_in_english(client, room, clock):
    chinese = client.get("/auction/?tab=scheduled").content.decode()
    assert "即将开始" in chinese
    assert "起拍价" in chinese
    use_english(client)
    html = client.get("/auction/?tab=scheduled").content.decode()
    for english in ("Online auctions", "Upcoming", "Starting price", "Online judicial auction"):
        assert english in html, english
    assert chinese_left(html, room.title, "中文") == []

    html = client.get(f"/auction/{room.pk}/").content.decode()
    for english in ("Bidding rules", "Bid history", "Current price", "until the start", "Register to bid"):
        assert english in html, english
    data = [room.title, room.description or "", "中文", "测试用户", *_legal(html)]
    assert chinese_left(html, *data) == []


def test_a_bidder_bidding_in_english(client, room, clock):
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p0"))
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p1"))
    clock.set(room.start_at)
    jobs.run_due_lots(clock.now())
    client.post(
        f"/auction/{room.pk}/",
        {"action": "bid", "amount": "700,000.00", "expected_price_fen": "70000000"},
        headers=_as("p0"),
    )
    chinese = client.get(f"/auction/{room.pk}/", headers=_as("p0")).content.decode()
    assert "您当前领先" in chinese
    assert "出价金额（元）" in chinese
    use_english(client)
    html = client.get(f"/auction/{room.pk}/", headers=_as("p0")).content.decode()
    for english in ("My bidder number", "You are leading", "Bid amount (yuan)", "Place a bid", "Leading"):
        assert english in html, english
    data = [room.title, room.description or "", "中文", "测试用户", *_legal(html)]
    assert chinese_left(html, *data) == []
    panel = client.get(f"/auction/{room.pk}/panel/", headers=_as("p1")).content.decode()
    assert "Bid history" in panel
    assert chinese_left(panel) == []


def test_my_deposits_in_english(client, clock):
    from yiwang.identity.actions import do_create_account

    person = do_create_account(
        actor=support.SYSTEM, username="dep-en", display_name="保证金用户", password="Lang-test-2026"
    )
    client.force_login(person)
    chinese = client.get("/finance/mine/").content.decode()
    assert "我的保证金与退款" in chinese
    assert "暂无保证金记录" in chinese
    use_english(client)
    html = client.get("/finance/mine/").content.decode()
    for english in ("My deposits and refunds", "No deposits yet", "Invoices", "Invoice number", "Verify a guarantee"):
        assert english in html, english
    assert chinese_left(html, "保证金用户", "中文") == []


def test_the_simulated_bank_in_english(client, clock):
    from yiwang.identity.actions import do_create_account

    person = do_create_account(
        actor=support.SYSTEM, username="bank-en", display_name="转账用户", password="Lang-test-2026"
    )
    client.force_login(person)
    chinese = client.get("/finance/simbank/").content.decode()
    assert "模拟银行转账" in chinese
    assert "付款户名" in chinese
    use_english(client)
    html = client.get("/finance/simbank/").content.decode()
    for english in ("Simulated bank transfer", "Receiving virtual sub-account", "Paying account name", "Transfer"):
        assert english in html, english
    assert chinese_left(html, "转账用户", "中文") == []


def test_the_entity_search_in_english(client, clock):
    chinese = client.get("/registry/").content.decode()
    assert "市场主体查询" in chinese
    use_english(client)
    html = client.get("/registry/").content.decode()
    for english in ("Market entity lookup", "Register an entity", "Name or unified social credit code", "Search"):
        assert english in html, english
    # the results list (registry/_results.html) and the region and role names are not translated yet
    assert chinese_left(html, "中文", only=("title", "h1", "label", "button")) == []
