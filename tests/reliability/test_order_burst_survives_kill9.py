"""Kill the server during an order burst on the carbon market (issue 11, reliability suite item 3; issue 10,
must-have 5): the site runs as a separate process (gunicorn, workers × threads, the bid-submission test's
``Server``) on the test database; several participants send orders concurrently through the real order-entry API
(``POST /api/v1/orderbook/markets/{code}/orders`` with an ``Idempotency-Key`` and a client order id each); the
orders cross, so they trade, freeze and release while the burst runs, and every fifth order is cancelled as soon
as it is acknowledged (``POST …/orders/{id}/cancel``, with its own key). At a seeded point the whole server is
killed with SIGKILL. It is started again on the same database; every participant then sends *every* one of its
requests again with the same key — the acknowledged ones and the cut-off ones alike.

What must hold afterwards:

* every acknowledged order (a 201 with its order id) is in the read model exactly once, under the same id, and a
  retry of it answers with that id (no duplicate from a retry, no ``duplicate_client_order_id`` refusal);
* each idempotency key gave exactly one order and one ``place`` command in the log; nothing else was added;
* every acknowledged cancel (200, before or after the kill) left its order cancelled, with exactly one ``cancel``
  command in the log; a cancel refused as ``order_unknown`` found its order no longer open; a cancel
  acknowledged before the kill answers the same after it;
* holdings and cash are conserved and reconcile with zero difference (engine replayed from the command log,
  ledger, custody accounts, the read model's open orders and trades);
* the engine state a restart recovers (newest snapshot + the commands after it) equals a fresh replay of the
  whole command log byte for byte, ``verify`` finds no problem, and the restarted server's depth equals the
  replayed engine's.

Determinism: the kill point is drawn from a seed (``YIWANG_KILL_SEED`` to replay one) and waits for a number of
acknowledgements; every wait is bounded; every failure message names the seed. Runs on SQLite (the test
database file) and on PostgreSQL (``make test-reliability``).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pytest
from tests.reliability.test_bid_submission_survives_kill9 import Server

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor, Role
from yiwang.platform.commands import engine as commands
from yiwang.platform.commands import log as command_log
from yiwang.trading.orderbook import actions, queries
from yiwang.trading.orderbook.models import Market, Order, Trade
from yiwang.trading.orderbook.streams import ENGINE
from yiwang.trading.orderbook.tests.support import USCCS, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
log = logging.getLogger("yiwang.tests.kill9")

CODE = "KNINE"
DAY = date(2026, 3, 2)  # a working day with the carbon rules in the catalogue; the engine takes time as input
REFERENCE = 6000
PARTICIPANTS = 4
ORDERS_EACH = 60  # 240 orders: the log passes a snapshot (every 200 commands) during the burst
CASH_FEN = 1_000_000_000
ALLOWANCES_T = 100_000
PASSWORD = "Kill9-Order-Burst-2026"
REQUEST_SECONDS = 60


@dataclass
class Trader:
    entity_id: int
    token: str
    requests: list[tuple[str, dict]] = field(default_factory=list)  # (idempotency key, body), in sending order
    cancels: set[str] = field(default_factory=set)  # keys of the orders cancelled once acknowledged


def _world(rng: random.Random) -> list[Trader]:
    system = Actor.system("test")
    actions.do_create_market(actor=system, code=CODE, name="断电测试碳配额", mode="continuous", reference_fen=REFERENCE)
    traders = []
    for i, uscc in enumerate(USCCS[:PARTICIPANTS]):
        entity_id = register(uscc).entity_id
        account = identity.do_create_account(
            actor=Actor.anonymous(), username=f"ob-k9-{i}", display_name=f"碳交易员{i}", password=PASSWORD
        )
        identity.do_grant_role(actor=system, role=Role.MARKET_ENTITY_USER, account=account, entity_id=entity_id)
        _, token = identity.do_issue_personal_token(
            actor=actor_for_account(account), account=account, name="下单工具", expires_in_days=1
        )
        actions.do_open_account(actor=system, market_code=CODE, entity_id=entity_id)
        actions.do_deposit_cash(actor=system, market_code=CODE, entity_id=entity_id, amount_fen=CASH_FEN)
        actions.do_deposit_allowances(actor=system, market_code=CODE, entity_id=entity_id, quantity_t=ALLOWANCES_T)
        trader = Trader(entity_id, token)
        for k in range(ORDERS_EACH):
            key = f"k9-{i}-{k:03d}"
            side = rng.choice(("buy", "sell"))
            # around the reference, a few ticks either way: about half the orders cross and trade
            price = REFERENCE + rng.randint(-6, 6)
            body = {"side": side, "price_fen": price, "quantity_t": rng.randint(1, 50), "client_order_id": key}
            trader.requests.append((key, body))
            if k % 5 == 4:
                trader.cancels.add(key)
        traders.append(trader)
    actions.do_open_trading_day(actor=system, market_code=CODE, day=DAY)
    return traders


def _post(server: Server, trader: Trader, path: str, key: str, body: dict) -> tuple[int, dict] | None:
    """One request; ``None`` when the connection broke (the server died): no acknowledgement."""
    try:
        answer = server.request(
            "POST",
            f"/api/v1/orderbook/markets/{CODE}/{path}",
            json.dumps(body).encode(),
            {
                "Authorization": f"Bearer {trader.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
            timeout=REQUEST_SECONDS,
        )
    except (OSError, http.client.HTTPException):
        return None
    return answer.status, answer.json


def _place(server: Server, trader: Trader, key: str, body: dict) -> tuple[int, dict] | None:
    return _post(server, trader, "orders", key, body)


def _cancel(server: Server, trader: Trader, key: str, order_id: int) -> tuple[int, dict] | None:
    """Cancel the order placed under ``key``, with a key of its own. 200, or 404 ``order_unknown`` when the order
    had traded away (or was cancelled by self-trade prevention) before the cancel came."""
    return _post(server, trader, f"orders/{order_id}/cancel", f"{key}-x", {})


def test_every_acknowledged_order_survives_a_kill_9_exactly_once_and_the_books_reconcile(server_settings, tmp_path):
    started = time.monotonic()
    seed = int(os.environ.get("YIWANG_KILL_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    total = PARTICIPANTS * ORDERS_EACH
    kill_after = rng.randint(total // 10, total // 2)  # acknowledgements before the kill
    kill_delay = rng.uniform(0.0, 0.3)  # then this much more, so the kill lands anywhere in a request
    why = f"(seed {seed}: kill after {kill_after} orders + {kill_delay:.3f} s; replay with YIWANG_KILL_SEED={seed})"

    traders = _world(rng)
    server = Server(server_settings, tmp_path / "server.log")
    acknowledged: dict[str, int] = {}  # idempotency key → order id
    cancels_before: dict[str, int] = {}  # order key → status of its cancel before the kill (200 or 404)
    cancels_after: dict[str, int] = {}  # order key → status of its cancel sent again after the restart
    other: list[tuple[str, int, dict]] = []  # answers that are neither an acknowledgement nor a broken connection
    lock = threading.Lock()
    enough = threading.Event()
    marks = {"world": time.monotonic() - started}
    try:
        server.start()
        marks["boot"] = time.monotonic() - started

        def burst(trader: Trader) -> None:
            for key, body in trader.requests:
                answer = _place(server, trader, key, body)
                if answer is None:
                    return  # the server is gone: the rest of this trader's orders are cut off
                status, data = answer
                with lock:
                    if status == 201:
                        acknowledged[key] = data["order_id"]
                        if len(acknowledged) >= kill_after:
                            enough.set()
                    else:
                        other.append((key, status, data))
                if status == 201 and key in trader.cancels:
                    answer = _cancel(server, trader, key, data["order_id"])
                    if answer is None:
                        return
                    status, data = answer
                    with lock:
                        if status == 200 or (status == 404 and data.get("code") == "orderbook.order_unknown"):
                            cancels_before[key] = status
                        else:
                            other.append((f"{key}-x", status, data))

        with ThreadPoolExecutor(PARTICIPANTS) as pool:
            futures = [pool.submit(burst, t) for t in traders]
            fired = enough.wait(timeout=REQUEST_SECONDS * 2)
            time.sleep(kill_delay)
            server.kill()
            for f in futures:
                f.result(timeout=REQUEST_SECONDS * 2)
        assert fired, f"no {kill_after} acknowledgements before the kill {why}\n{server.tail()}"
        assert not other, f"answers other than 201 before the kill: {other[:3]} {why}\n{server.tail()}"
        first_wave = dict(acknowledged)
        marks["burst"] = time.monotonic() - started

        # the server comes back on the same database; every participant sends all of its requests again
        server.start()
        marks["reboot"] = time.monotonic() - started
        retried: dict[str, int] = {}

        def retry(trader: Trader) -> None:
            for key, body in trader.requests:
                answer = _place(server, trader, key, body)
                assert answer is not None, f"the restarted server broke the connection for {key} {why}"
                status, data = answer
                assert status == 201, f"{key} was refused after the restart: {status} {data} {why}"
                with lock:
                    retried[key] = data["order_id"]
                if key in trader.cancels:
                    answer = _cancel(server, trader, key, data["order_id"])
                    assert answer is not None, f"the restarted server broke the connection for {key}-x {why}"
                    status, data = answer
                    assert status == 200 or (status == 404 and data.get("code") == "orderbook.order_unknown"), (
                        f"the cancel {key}-x after the restart: {status} {data} {why}"
                    )
                    with lock:
                        cancels_after[key] = status

        with ThreadPoolExecutor(PARTICIPANTS) as pool:
            for f in [pool.submit(retry, t) for t in traders]:
                f.result(timeout=REQUEST_SECONDS * 4)
        marks["retries"] = time.monotonic() - started
        depth_served = server.request("GET", f"/api/v1/orderbook/markets/{CODE}/depth", timeout=REQUEST_SECONDS)
    finally:
        server.kill()

    # -- every acknowledged order exactly once, retries gave no duplicate ------------------------------------------
    keys = [key for t in traders for key, _ in t.requests]
    assert set(retried) == set(keys), why
    for key, oid in first_wave.items():
        assert retried[key] == oid, f"the retry of acknowledged {key} answered order {retried[key]}, not {oid} {why}"
    commands.clear_cache()  # the server wrote the log: read it afresh
    market = Market.objects.get(code=CODE)
    rows = list(Order.objects.filter(market=market))
    by_key: dict[str, list[Order]] = {}
    for row in rows:
        by_key.setdefault(row.client_order_id, []).append(row)
    assert sorted(by_key) == sorted(keys), f"orders without a request, or requests without an order {why}"
    for key in keys:
        assert len(by_key[key]) == 1, f"{key} is in the book {len(by_key[key])} times {why}"
        assert by_key[key][0].oid == retried[key], why
    places = [e.command for e in command_log.iter_entries(market.stream) if e.command.get("op") == "place"]
    assert sorted(c["client_order_id"] for c in places) == sorted(keys), f"the log holds other place commands {why}"
    # cancels: an acknowledged one answers the same when sent again, left its order cancelled, and is logged once
    for key, status in cancels_before.items():
        if status == 200:
            assert cancels_after[key] == 200, f"the cancel of {key} was acknowledged, its retry answered 404 {why}"
    cancelled_ack = {retried[key] for key, status in cancels_after.items() if status == 200}
    cancel_cmds = [
        e.command["order_id"] for e in command_log.iter_entries(market.stream) if e.command.get("op") == "cancel"
    ]
    assert sorted(cancel_cmds) == sorted(cancelled_ack), f"cancel commands do not match the acknowledged cancels {why}"
    for key, status in cancels_after.items():
        row = by_key[key][0]
        if status == 200:
            assert (row.status, row.reason, row.open_t) == ("cancelled", "cancelled", 0), f"{key}: {row.status} {why}"
        else:
            assert row.status != "open", f"{key}: the cancel found no order, but the order is open {why}"
    assert cancelled_ack, f"no cancel was acknowledged: nothing was tested about releasing freezes {why}"
    tids = list(Trade.objects.filter(market=market).values_list("tid", flat=True))
    assert len(tids) == len(set(tids)), f"a trade recorded twice {why}"
    assert tids, f"the burst traded nothing: nothing was tested about trades {why}"

    # -- conservation and reconciliation: zero difference ---------------------------------------------------------
    report = queries.reconcile(market)
    assert report["ok"], f"reconciliation differences: {report['differences']} {why}"
    recovered, head = commands.load_state(market.stream, ENGINE)  # what a restart loads: snapshot + suffix
    replayed, replayed_head = commands.replay(market.stream, ENGINE)  # the whole log from its first command
    assert head == replayed_head, why
    assert recovered.engine.totals() == (PARTICIPANTS * CASH_FEN, PARTICIPANTS * ALLOWANCES_T), why
    assert replayed.engine.totals() == recovered.engine.totals(), why

    # -- the recovered state is the replay; the restarted server agrees with it ------------------------------------
    assert commands.state_bytes(ENGINE, recovered) == commands.state_bytes(ENGINE, replayed), (
        f"the state recovered from snapshot + suffix differs from a fresh replay {why}"
    )
    verified = commands.verify(market.stream, ENGINE)
    assert verified.ok, f"{verified.problems} {why}"
    assert verified.snapshots_checked, f"no snapshot was taken during the burst: recovery from one is untested {why}"
    expected_depth = replayed.engine.depth(5)
    served = depth_served.json
    assert depth_served.status == 200, why
    for side in ("bids", "asks"):
        got = [(lv["price_fen"], lv["quantity_t"], lv["orders"]) for lv in served[side]]
        assert got == [tuple(lv) for lv in expected_depth[side]], f"{side}: server {got} {why}"
    log.info(
        f"order burst kill -9 {why}: {len(first_wave)} of {total} orders acknowledged before the kill, "
        f"{total - len(first_wave)} cut off and sent again, {len(tids)} trades, {len(cancelled_ack)} cancels, "
        f"{verified.snapshots_checked} snapshots checked, {time.monotonic() - started:.1f} s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in marks.items())})"
    )
