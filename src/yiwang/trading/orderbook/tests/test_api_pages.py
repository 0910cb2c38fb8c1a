"""The carbon market over HTTP: the API (idempotency keys, If-Match, error codes) and the pages."""

from __future__ import annotations

import pytest

from yiwang.trading.orderbook.domain import engines
from yiwang.trading.orderbook.models import Order, Trade
from yiwang.trading.orderbook.tests.support import make_market, staff

pytestmark = pytest.mark.django_db
BASE = "/orderbook/markets/SHEA"


@pytest.fixture
def market(clock, test_actors):
    people = make_market()
    for t in people:
        test_actors[f"t{t.entity_id}"] = t.actor
    test_actors["staff"] = staff()
    return people


def token(t) -> str:
    return f"t{t.entity_id}"


def test_orders_over_http_with_idempotency_keys(api, market):
    a, b, _ = market
    body = {"side": "sell", "price_fen": 6000, "quantity_t": 100, "client_order_id": "A-1"}
    r = api.with_token(token(a)).post(f"{BASE}/orders", body, headers={"Idempotency-Key": "k-1"})
    assert r.status_code == 201, r.json()
    order = r.json()
    assert (order["status"], order["open_t"], order["price_fen"]) == ("open", 100, 6000)
    assert r["Location"].endswith(f"/orders/{order['order_id']}")
    again = api.with_token(token(a)).post(f"{BASE}/orders", body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.json()["order_id"] == order["order_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    # the same client order id under a new key is a duplicate order: refused with its code
    dup = api.with_token(token(a)).post(f"{BASE}/orders", body, headers={"Idempotency-Key": "k-2"})
    assert dup.status_code == 409
    assert dup.json()["code"] == "orderbook.duplicate_client_order_id"
    depth = api.get(f"{BASE}/depth").json()
    assert depth["asks"] == [{"price_fen": 6000, "quantity_t": 100, "orders": 1}]
    listings = api.with_token(token(b)).get(f"{BASE}/listings").json()
    assert listings["asks"][0]["order_id"] == order["order_id"]
    assert listings["asks"][0]["mine"] is False
    take = api.with_token(token(b)).post(f"{BASE}/takes", {"order_id": order["order_id"], "quantity_t": 40})
    assert take.status_code == 201
    assert take.json()["filled_t"] == 40
    trades = api.get(f"{BASE}/trades").json()
    assert [(t["price_fen"], t["quantity_t"], t["kind"]) for t in trades] == [(6000, 40, "listing")]
    assert "buyer_entity_id" not in trades[0]  # public market data names nobody


def test_refusals_over_http_carry_the_engine_codes(api, market):
    a, b, _ = market
    for path, body in (
        (f"{BASE}/accounts/{a.entity_id}/allowances", {"direction": "out", "quantity_t": 199_990}),
        (f"{BASE}/accounts/{a.entity_id}/cash", {"direction": "out", "amount_fen": 999_990_000}),
    ):
        assert api.with_token("staff").post(path, body).status_code == 200
    cases = [
        ({"side": "sell", "price_fen": 6601, "quantity_t": 1}, 422, "orderbook.price_out_of_band"),
        ({"side": "sell", "price_fen": 6000, "quantity_t": 300_000}, 422, "orderbook.listing_too_large"),
        ({"side": "sell", "price_fen": 6000, "quantity_t": 11}, 409, "orderbook.insufficient_allowances"),
        ({"side": "buy", "price_fen": 6000, "quantity_t": 2}, 409, "orderbook.insufficient_cash"),
        ({"side": "buy", "price_fen": 6000, "quantity_t": 0}, 422, "orderbook.quantity_invalid"),
        ({"side": "buy", "price_fen": 6000, "quantity_t": 1, "order_type": "ioc"}, 409, "orderbook.wrong_mode"),
    ]
    for body, status, code in cases:
        r = api.with_token(token(a)).post(f"{BASE}/orders", body)
        assert (r.status_code, r.json().get("code")) == (status, code), (body, r.json())
    own = api.with_token(token(a)).post(f"{BASE}/orders", {"side": "sell", "price_fen": 6000, "quantity_t": 5})
    oid = own.json()["order_id"]
    other = api.with_token(token(b)).post(f"{BASE}/orders/{oid}/cancel", {})
    assert (other.status_code, other.json()["code"]) == (403, "orderbook.not_your_order")
    anon = api.post(f"{BASE}/orders", {"side": "sell", "price_fen": 6000, "quantity_t": 5})
    assert anon.status_code == 401
    staff_only = api.with_token(token(a)).post(
        f"{BASE}/accounts/{a.entity_id}/cash", {"direction": "in", "amount_fen": 1}
    )
    assert (staff_only.status_code, staff_only.json()["code"]) == (403, "orderbook.staff_only")
    assert Order.objects.count() == 1


def test_amend_needs_if_match_and_cancel_releases(api, market):
    a, *_ = market
    r = api.with_token(token(a)).post(f"{BASE}/orders", {"side": "sell", "price_fen": 6000, "quantity_t": 50})
    oid = r.json()["order_id"]
    path = f"{BASE}/orders/{oid}"
    assert api.with_token(token(a)).patch(path, {"quantity_t": 40}).status_code == 428
    etag = api.with_token(token(a)).get(path)["ETag"]
    ok = api.with_token(token(a)).patch(path, {"quantity_t": 40}, headers={"If-Match": etag})
    assert ok.status_code == 200
    assert ok.json()["open_t"] == 40
    stale = api.with_token(token(a)).patch(path, {"quantity_t": 30}, headers={"If-Match": etag})
    assert stale.status_code == 412
    cancelled = api.with_token(token(a)).post(f"{path}/cancel", {})
    assert cancelled.json()["status"] == "cancelled"
    account = api.with_token(token(a)).get(f"{BASE}/accounts/{a.entity_id}").json()
    assert account["holdings"]["allowance_frozen_t"] == 0
    assert account["holdings"]["allowance_available_t"] == 200_000
    assert api.with_token(token(market[1])).get(f"{BASE}/accounts/{a.entity_id}").status_code == 403


def test_batch_blocks_repos_and_the_close_over_http(api, market):
    a, b, _ = market
    batch = api.with_token(token(a)).post(
        f"{BASE}/orders/batch",
        {
            "orders": [
                {"side": "sell", "price_fen": 6000, "quantity_t": 10},
                {"side": "sell", "price_fen": 7000, "quantity_t": 10},
            ]
        },
    )
    items = batch.json()
    assert items[0]["order"]["status"] == "open"
    assert items[1]["error"]["code"] == "orderbook.price_out_of_band"
    pid = (
        api.with_token(token(a))
        .post(
            f"{BASE}/blocks",
            {"side": "sell", "counterparty_entity_id": b.entity_id, "price_fen": 6500, "quantity_t": 100_000},
        )
        .json()["id"]
    )
    confirmed = api.with_token(token(b)).post(f"{BASE}/blocks/{pid}/confirm", {})
    assert confirmed.status_code == 200
    assert confirmed.json()["trade_id"]
    rid = (
        api.with_token(token(a))
        .post(
            f"{BASE}/repos",
            {
                "counterparty_entity_id": b.entity_id,
                "quantity_t": 10_000,
                "price_open_fen": 6000,
                "price_close_fen": 6050,
                "repurchase_day": "2026-03-04",
                "margin_fen": 100_000,
            },
        )
        .json()["id"]
    )
    assert api.with_token(token(b)).post(f"{BASE}/repos/{rid}/confirm", {}).status_code == 200
    closed = api.with_token("staff").post(f"{BASE}/day/close", {})
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert body["close_fen"] == 6000
    assert body["eligible_volume_t"] == 0
    assert body["reconciliation"]["ok"] is True
    rec = api.with_token("staff").get(f"{BASE}/reconciliation").json()
    assert rec["ok"] is True
    assert rec["trades"] == Trade.objects.count() == 2
    days = api.get(f"{BASE}/days").json()
    assert days[-1]["volume_t"]["block"] == 100_000
    # no on-screen trade today: no reference price yet, so the index has no base day yet (minimum-volume guard)
    assert api.get("/orderbook/index").json() == []


def test_pages(client, market):
    a, b, _ = market
    page = client.get("/orderbook/")
    assert page.status_code == 200
    assert "碳排放权交易" in page.content.decode()
    anon = client.get("/orderbook/SHEA/")
    assert anon.status_code == 200
    assert "五档行情" in anon.content.decode()
    assert f"撮合引擎：{'编译版' if engines.IMPLEMENTATION == 'compiled' else '解释版'}" in anon.content.decode()
    assert "挂牌申报" not in anon.content.decode()
    headers = {"X-Test-Actor": token(a)}
    assert "挂牌申报" in client.get("/orderbook/SHEA/", headers=headers).content.decode()
    posted = client.post(
        "/orderbook/SHEA/",
        {"action": "place", "side": "sell", "order_type": "limit", "price": "60.50", "quantity_t": "30"},
        headers=headers,
    )
    assert posted.status_code == 302
    order = Order.objects.get()
    assert (order.price_fen, order.open_t, order.entity_id) == (6050, 30, a.entity_id)
    bad = client.post(
        "/orderbook/SHEA/",
        {"action": "place", "side": "sell", "price": "60.505", "quantity_t": "30"},
        headers=headers,
        follow=True,
    )
    assert "orderbook.price_invalid" in bad.content.decode()
    panel = client.get("/orderbook/SHEA/panel/", headers={"X-Test-Actor": token(b)}).content.decode()
    assert "买入摘牌" in panel
    assert "60.50" in panel
    took = client.post(
        "/orderbook/SHEA/",
        {"action": "take", "order_id": str(order.oid), "quantity_t": "10"},
        headers={"X-Test-Actor": token(b)},
    )
    assert took.status_code == 302
    account = client.get("/orderbook/SHEA/account/", headers={"X-Test-Actor": token(b)}).content.decode()
    assert "200,010" in account
    assert "买入" in account
    mine = client.get("/orderbook/SHEA/account/", headers=headers).content.decode()
    assert "撤单" in mine
    cancel = client.post(
        "/orderbook/SHEA/account/",
        {"action": "cancel", "order_id": str(order.oid), "entity": str(a.entity_id)},
        headers=headers,
    )
    assert cancel.status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled"
    peek = client.get(f"/orderbook/SHEA/account/?entity={a.entity_id}", headers={"X-Test-Actor": token(b)})
    assert peek.status_code == 404
    assert client.get("/orderbook/NOPE/").status_code == 404
