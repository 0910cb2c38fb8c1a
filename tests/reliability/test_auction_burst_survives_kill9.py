"""Kill the server during a bidding burst on an auction lot (issue 11, reliability suite item 3): the site runs as a
separate process (gunicorn, workers × threads, the bid-submission test's ``Server``) on the test database; an
English lot is open (its start and end set relative to the real time the server reads: bidding ends in ten
minutes, the test never waits for the close); several bidders, each a real account acting for its registry entity
and signed in with a personal token, bid concurrently through the real bidding API
(``POST /api/v1/auction/lots/{id}/bids`` with ``{"amount_fen": …}`` and an ``Idempotency-Key`` each). Their
amounts climb one ladder, so bids overtake one another: some are accepted, others refused (below the increment,
already leading) while the burst runs. At a seeded point the whole server is killed with SIGKILL. It is started
again on the same database; every bidder then sends *every* one of its requests again with the same key — the
acknowledged, the refused, the cut-off and the never-sent ones alike.

What must hold afterwards:

* every acknowledged bid (a 201) is stored exactly once, under the acknowledged sequence number, bidder number and
  amount; its resend answers the same acceptance (replayed: ``Idempotent-Replayed``, or ``duplicate`` from the
  command log) and adds no command;
* no stored bid was never acknowledged: a bid stored before the kill whose answer was lost with the server is
  acknowledged (as a replay) when its request is resent; a request never sent before the kill is never a replay;
* the commands the restart added are exactly the new acceptances of the resend wave; every bid command carries
  an idempotency key, once;
* the lot's read model equals a replay of its command log (``queries.check_lot_for(staff, lot).ok``), and the
  price is strictly increasing in sequence order, the lot's price being the last bid's.

Determinism: the kill point is drawn from a seed (``YIWANG_KILL_SEED`` to replay one) and waits for a number of
answers (acceptances and refusals); every wait is bounded; every failure message names the seed. Runs on SQLite
(the test database file) and on PostgreSQL (``make test-reliability``).
"""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from tests.reliability.test_bid_submission_survives_kill9 import Server

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor, Role
from yiwang.platform.clock import now
from yiwang.platform.commands import engine as commands
from yiwang.platform.commands import log as command_log
from yiwang.trading.auction import actions, queries
from yiwang.trading.auction.models import Bid, Lot
from yiwang.trading.auction.tests import support

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
log = logging.getLogger("yiwang.tests.kill9")

BIDDERS = 5
BIDS_EACH = 40  # 200 requests on one lot
START_FEN = 1_000_000
STEP_FEN = 100
PASSWORD = "Kill9-Auction-Burst-2026"
REQUEST_SECONDS = 60
# what the engine may answer to a bid overtaken by others on an open English lot
REFUSALS = {"auction.below_increment", "auction.already_leading"}


@dataclass
class Bidder:
    entity_id: int
    token: str
    requests: list[tuple[str, int]] = field(default_factory=list)  # (idempotency key, amount), in sending order


@dataclass(frozen=True)
class Reply:
    status: int
    data: dict
    replayed: bool  # the HTTP layer's ``Idempotent-Replayed`` header or the command log's ``duplicate``


def _world() -> tuple[Actor, int, list[Bidder]]:
    system = Actor.system("test")
    staff = support.staff()
    start = now() + timedelta(seconds=1)
    lot = actions.do_create_lot(
        actor=staff,
        spec=actions.LotSpec(
            preset="english",
            title="断电测试增价拍卖标的",
            start_price_fen=START_FEN,
            step_fen=STEP_FEN,
            start_at=start,
            end_at=start + timedelta(minutes=10),  # real time on the server: open for the whole test
        ),
    )
    bidders = []
    for i in range(BIDDERS):
        entity_id = support.make_bidder(i).entity_id
        account = identity.do_create_account(
            actor=Actor.anonymous(), username=f"au-k9-{i}", display_name=f"竞买人{i}", password=PASSWORD
        )
        identity.do_grant_role(actor=system, role=Role.MARKET_ENTITY_USER, account=account, entity_id=entity_id)
        actor = actor_for_account(account)
        _, token = identity.do_issue_personal_token(actor=actor, account=account, name="竞价工具", expires_in_days=1)
        actions.do_register_bidder(actor=actor, lot_id=lot.pk, entity_id=entity_id)
        bidder = Bidder(entity_id, token)
        for k in range(BIDS_EACH):
            # one ladder for everyone, every amount distinct: concurrent bids overtake one another
            bidder.requests.append((f"au-k9-{i}-{k:03d}", START_FEN + STEP_FEN * (k * BIDDERS + i)))
        bidders.append(bidder)
    wait = (start - now()).total_seconds()
    if wait > 0:
        time.sleep(wait + 0.05)
    assert actions.do_advance_lot(lot_id=lot.pk), "the lot did not open"
    assert Lot.objects.get(pk=lot.pk).phase == "open"
    return staff, lot.pk, bidders


def _bid(server: Server, lot_id: int, bidder: Bidder, key: str, amount: int) -> Reply | None:
    """One bid; ``None`` when the connection broke (the server died): no answer. The headers are read here
    (``Server.request`` keeps the body only) to tell a replayed answer from a fresh one."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_SECONDS)
    try:
        conn.request(
            "POST",
            f"/api/v1/auction/lots/{lot_id}/bids",
            body=json.dumps({"amount_fen": amount}).encode(),
            headers={
                "Authorization": f"Bearer {bidder.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        status, body = response.status, response.read()
        replayed = response.getheader("Idempotent-Replayed") == "true"
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    try:
        data = json.loads(body)
    except ValueError:
        data = {"body": body[:300].decode(errors="replace")}
    return Reply(status, data, replayed or (status == 201 and bool(data.get("duplicate"))))


def _refused(reply: Reply) -> bool:
    return reply.status in (409, 422) and reply.data.get("code") in REFUSALS


def test_every_acknowledged_bid_survives_a_kill_9_exactly_once_and_the_lot_replays(server_settings, tmp_path):
    started = time.monotonic()
    seed = int(os.environ.get("YIWANG_KILL_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    total = BIDDERS * BIDS_EACH
    kill_after = rng.randint(total // 10, total // 2)  # answers (acceptances and refusals) before the kill
    kill_delay = rng.uniform(0.0, 0.3)  # then this much more, so the kill lands anywhere in a request
    why = f"(seed {seed}: kill after {kill_after} answers + {kill_delay:.3f} s; replay with YIWANG_KILL_SEED={seed})"

    staff, lot_id, bidders = _world()
    stream = Lot.objects.get(pk=lot_id).stream
    setup_commands = len(list(command_log.iter_entries(stream)))  # the registrations and the opening tick
    server = Server(server_settings, tmp_path / "server.log")
    first: dict[str, Reply] = {}  # key → the answer before the kill (201 or a refusal)
    in_flight: set[str] = set()  # keys sent before the kill that got no answer
    other: list[tuple[str, int, dict]] = []  # answers that are neither an acceptance, a refusal nor a broken link
    lock = threading.Lock()
    enough = threading.Event()
    marks = {"world": time.monotonic() - started}
    try:
        server.start()
        marks["boot"] = time.monotonic() - started

        def burst(bidder: Bidder) -> None:
            for key, amount in bidder.requests:
                reply = _bid(server, lot_id, bidder, key, amount)
                with lock:
                    if reply is None:
                        in_flight.add(key)
                        return  # the server is gone: the rest of this bidder's bids are never sent
                    if reply.status == 201 or _refused(reply):
                        first[key] = reply
                        if len(first) >= kill_after:
                            enough.set()
                    else:
                        other.append((key, reply.status, reply.data))

        with ThreadPoolExecutor(BIDDERS) as pool:
            futures = [pool.submit(burst, b) for b in bidders]
            fired = enough.wait(timeout=REQUEST_SECONDS * 2)
            time.sleep(kill_delay)
            server.kill()
            for f in futures:
                f.result(timeout=REQUEST_SECONDS * 2)
        assert fired, f"no {kill_after} answers before the kill {why}\n{server.tail()}"
        assert not other, f"unexpected answers before the kill: {other[:3]} {why}\n{server.tail()}"
        marks["burst"] = time.monotonic() - started
        acked_first = {k: r for k, r in first.items() if r.status == 201}
        assert all(not r.replayed for r in first.values()), f"a first request was answered as a replay {why}"
        commands.clear_cache()  # the server wrote the log: read it afresh
        before_restart = len(list(command_log.iter_entries(stream)))

        # the server comes back on the same database; every bidder sends all of its requests again, same keys
        server.start()
        marks["reboot"] = time.monotonic() - started
        second: dict[str, Reply] = {}

        def resend(bidder: Bidder) -> None:
            for key, amount in bidder.requests:
                reply = _bid(server, lot_id, bidder, key, amount)
                assert reply is not None, f"the restarted server broke the connection for {key} {why}"
                assert reply.status == 201 or _refused(reply), f"{key} after the restart: {reply} {why}"
                with lock:
                    second[key] = reply

        with ThreadPoolExecutor(BIDDERS) as pool:
            for f in [pool.submit(resend, b) for b in bidders]:
                f.result(timeout=REQUEST_SECONDS * 4)
        # then two new bids above the whole ladder, one after the other: whichever bidder leads, at least one of
        # them is taken, so the restarted server is always seen accepting (the resend alone may find every
        # amount overtaken)
        for i, bidder in enumerate(bidders[:2]):
            key, amount = f"au-k9-{i}-after", START_FEN + STEP_FEN * (total + 1 + i)
            bidder.requests.append((key, amount))
            reply = _bid(server, lot_id, bidder, key, amount)
            assert reply is not None, f"the restarted server broke the connection for {key} {why}"
            assert reply.status == 201 or _refused(reply), f"{key} after the restart: {reply} {why}"
            second[key] = reply
        marks["resend"] = time.monotonic() - started
    finally:
        server.kill()

    # -- acknowledged before the kill: the resend answers the same acceptance ---------------------------------------
    keys = {key: amount for b in bidders for key, amount in b.requests}
    assert set(second) == set(keys), why
    for key, reply in acked_first.items():
        again = second[key]
        assert again.status == 201, f"the resend of acknowledged {key}: {again} {why}"
        assert again.replayed, f"the resend of acknowledged {key}: {again} {why}"
        for name in ("seq", "code", "amount_fen", "accepted_at"):
            assert again.data[name] == reply.data[name], f"{key}: {name} {again.data[name]} ≠ {reply.data[name]} {why}"
        assert reply.data["amount_fen"] == keys[key], why
    # a replay only for a request the server had taken before the kill, acknowledged or cut off in flight
    replays = {key for key, reply in second.items() if reply.replayed}
    assert replays >= set(acked_first), why
    lost_answers = replays - set(acked_first)
    assert lost_answers <= in_flight, f"replays of requests never accepted before the kill: {lost_answers} {why}"
    fresh = {key for key, reply in second.items() if reply.status == 201 and not reply.replayed}
    acked = {key: reply for key, reply in second.items() if reply.status == 201}  # every acceptance, as answered

    # -- every acknowledged bid stored exactly once; nothing stored that was never acknowledged ----------------------
    rows = list(Bid.objects.filter(lot_id=lot_id).order_by("seq"))
    by_seq = {row.seq: row for row in rows}
    assert len(by_seq) == len(rows), why
    assert sorted(r.data["seq"] for r in acked.values()) == sorted(by_seq), (
        f"stored bids {sorted(by_seq)} ≠ acknowledged {sorted(r.data['seq'] for r in acked.values())} {why}"
    )
    for key, reply in acked.items():
        row = by_seq[reply.data["seq"]]
        assert (row.amount_fen, row.code, row.how) == (keys[key], reply.data["code"], "bid"), f"{key}: {row} {why}"

    # -- the command log: one bid command per acceptance; the resend wave added only its fresh acceptances ----------
    commands.clear_cache()
    entries = list(command_log.iter_entries(stream))
    bid_entries = [e for e in entries if e.command.get("type") == "bid"]
    assert len(entries) == setup_commands + len(bid_entries), f"commands other than bids in the log {why}"
    assert len(entries) - before_restart == len(fresh), (
        f"the resend wave added {len(entries) - before_restart} commands for {len(fresh)} new acceptances {why}"
    )
    by_amount = {amount: key for key, amount in keys.items()}
    logged = sorted(by_amount[e.command["amount"]] for e in bid_entries)
    assert logged == sorted(acked), f"bid commands ≠ acknowledged bids {why}"
    log_keys = [e.idempotency_key for e in bid_entries]
    assert all(log_keys), f"a bid command without an idempotency key {why}"
    assert len(set(log_keys)) == len(log_keys), f"two bid commands under one key {why}"
    for e in bid_entries:
        assert acked[by_amount[e.command["amount"]]].data["seq"] == e.seq, why

    # -- the read model is the replay of the log; the price climbs strictly in sequence order -----------------------
    check = queries.check_lot_for(staff, lot_id)
    assert check.ok, f"{check.problems} {why}"
    amounts = [row.amount_fen for row in rows]
    assert all(a < b for a, b in itertools.pairwise(amounts)), f"the price fell: {amounts} {why}"
    lot = Lot.objects.get(pk=lot_id)
    assert lot.phase == "open", why
    assert lot.price_fen == amounts[-1], why
    assert lot.bid_count == len(rows), why
    assert len(first) >= kill_after, why
    assert acked_first, f"no bid was acknowledged before the kill {why}"
    assert fresh, f"the restarted server accepted no new bid: nothing was tested after the restart {why}"
    refused = sum(1 for r in [*first.values(), *second.values()] if r.status != 201)
    log.info(
        f"auction burst kill -9 {why}: {len(acked_first)} bids acknowledged before the kill, {len(lost_answers)} "
        f"stored with the answer lost, {len(fresh)} accepted after the restart, {refused} refusals, "
        f"{len(rows)} bids stored, {time.monotonic() - started:.1f} s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in marks.items())})"
    )
