"""English under the switch for the carbon market's pages: the market list with the index, a market's page with
its panel and order form, a participant's account (holdings, orders, trades, block trades, repos), the labels of
modes, phases, order types and states, trade kinds and block states (translated in the template from their
Chinese label) and the view's flash messages. What people entered stays as written (the market's and the
participants' names) and is named in each test. Without the switch the same pages are Chinese."""

from __future__ import annotations

import re

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.trading.orderbook.models import BlockProposal, Order
from yiwang.trading.orderbook.tests.support import make_market

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(clock, test_actors):
    people = make_market()
    for t in people:
        test_actors[f"t{t.entity_id}"] = t.actor
    return people


def _as(t) -> dict[str, str]:
    return {"X-Test-Actor": f"t{t.entity_id}"}


def _flashes(html: str) -> list[str]:
    return re.findall(r'<div class="alert[^"]*"[^>]*role="alert"[^>]*>(.*?)</div>', html, re.S)


def test_the_market_pages_in_english(client, market):
    a, b, _ = market
    data = ["测试品种 SHEA", "中文", "测试用户"]
    chinese = client.get("/orderbook/SHEA/", headers=_as(a)).content.decode()
    assert "五档行情" in chinese
    assert "挂牌申报" in chinese
    client.post(
        "/orderbook/SHEA/",
        {"action": "place", "side": "sell", "order_type": "limit", "price": "60.50", "quantity_t": "30"},
        headers=_as(a),
    )
    assert "委托 " in "".join(_flashes(client.get("/orderbook/", headers=_as(a)).content.decode()))

    use_english(client)
    html = client.get("/orderbook/").content.decode()
    for english in ("Carbon emissions trading", "Instrument", "Listing (click to trade)", "Open", "Index"):
        assert english in html, english
    assert chinese_left(html, *data) == []

    html = client.get("/orderbook/SHEA/", headers=_as(b)).content.decode()
    for english in ("Five-level depth", "Ask 1", "Enter a listing", "Sell listings", "Buy (take)", "Matching engine"):
        assert english in html, english
    assert chinese_left(html, *data) == []

    order = Order.objects.get()
    client.post("/orderbook/SHEA/", {"action": "take", "order_id": str(order.oid), "quantity_t": "10"}, headers=_as(b))
    client.post(
        "/orderbook/SHEA/",
        {"action": "place", "side": "sell", "price": "60.505", "quantity_t": "30"},
        headers=_as(b),
    )
    html = client.get("/orderbook/SHEA/panel/", headers=_as(b)).content.decode()
    assert "Latest trades" in html
    assert "Listing" in html  # the trade's kind
    assert chinese_left(html, *data) == []
    flashes = _flashes(client.get("/orderbook/SHEA/", headers=_as(b)).content.decode())
    assert any("Listing taken: 10 t × 60.50 yuan" in f for f in flashes), flashes
    assert any("(orderbook.price_invalid)" in f for f in flashes), flashes
    assert [chinese_left(f) for f in flashes] == [[] for _ in flashes]


def test_an_account_in_english(client, market):
    a, b, _ = market
    client.post(
        "/orderbook/SHEA/account/",
        {
            "action": "propose_block",
            "entity": str(a.entity_id),
            "side": "sell",
            "counterparty": str(b.entity_id),
            "price": "60.00",
            "quantity_t": "100000",
        },
        headers=_as(a),
    )
    chinese = client.get("/orderbook/SHEA/account/", headers=_as(a)).content.decode()
    assert "大宗协议申报已提交，等待对手方确认" in chinese
    assert "待确认" in chinese
    assert "可用资金" in chinese
    use_english(client)
    html = client.get("/orderbook/SHEA/account/", headers=_as(b)).content.decode()
    for english in ("Trading account", "Available cash", "Block trades", "Awaiting confirmation", "Confirm the deal"):
        assert english in html, english
    assert chinese_left(html, "测试品种 SHEA", b.name, "中文", "测试用户") == []
    client.post(
        "/orderbook/SHEA/account/",
        {"action": "reject_block", "entity": str(b.entity_id), "id": str(BlockProposal.objects.get().pid)},
        headers=_as(b),
    )
    html = client.get("/orderbook/SHEA/account/", headers=_as(b)).content.decode()
    assert "Block trade proposal answered" in html
    assert "Rejected by the counterparty" in html
    assert chinese_left(html, "测试品种 SHEA", b.name, "中文", "测试用户") == []
    assert "Order history" in html
