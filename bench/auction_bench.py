"""Auction benchmarks (docs/auction.md): the pure engine in process, and bids through the whole action.

    .venv/bin/python bench/auction_bench.py engine            # no database: bids/s of Lot.bid and Lot.bid_batch
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/auction_bench.py actions --seconds 10
    tools/pg-test-server run -- .venv/bin/python bench/auction_bench.py actions --seconds 10 --threads 4
    tools/pg-test-server run -- .venv/bin/python bench/auction_bench.py refusals --seconds 10 --threads 4
    YIWANG_PG_PORT=55417 tools/pg-test-server run -- .venv/bin/python bench/auction_bench.py http --bidders 500

engine: a judicial lot with every rule on (soft close, pre-emption, increment grid), N bidders bidding in turn, a
share of the bids refused (below the increment); times rise through the last minutes so the soft close extends.
actions: ``do_place_bid`` on one lot (command log + read model + witness + feed + live event, one transaction and
one commit per bid) from T threads for S seconds; reports accepted bids/s and the p50/p99 latency of a call.
The app must be installed: set DJANGO_SETTINGS_MODULE to a settings module listing ``yiwang.trading.auction``.
refusals: bids only the engine can refuse (the leader raising its own bid) racing on one lot, with the lot
engine's ``refusal_keeps_state`` and without it (the state reloaded under the lock after every refusal).
http: the last-minute burst over HTTP. A fresh database (migrated here), ``--bidders`` registry entities registered
on one English lot (through the actions; the lot is suspended meanwhile, so the registrations take none of its
time), gunicorn serving the site on loopback (gthread, 2 workers × 8 threads, one keep-alive connection per
bidder; a throwaway resolver turns ``Bearer b<entity id>`` into a user acting for that entity), and the clock's
due job in a thread. Each bidder opens its connection, bids first at a random moment of the last ``--window``
seconds, then again after an exponential pause of mean ``--think`` s, at the highest price it has seen plus 1–3
steps (the live room's view, shared by the clients), with an ``Idempotency-Key`` (one retry with the same key if
unanswered), and goes on ``--after`` s past the end. Reported: answers/s, accepted/s, latency p50/p99 (bids sent
before the end, accepted ones, ones sent after the end), refusals by code, server and client CPU time; checked:
every acknowledged bid is stored with its amount (zero lost), every stored bid was acknowledged, none at or after
the close, and the log replays to the read model. Exit status 1 when a check fails.
Every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- the pure engine ---------------------------------------------------------------------------------------------------
def _judicial(n_bidders: int):
    from yiwang.trading.auction.domain.engine import Lot
    from yiwang.trading.auction.domain.rules import HOUR, MINUTE, RuleSet

    rules = RuleSet(
        kind="judicial",
        start_price=1_000_000,
        step=1_000,
        start_at=0,
        end_at=24 * HOUR,
        soft_close_window=5 * MINUTE,
        soft_close_extension=5 * MINUTE,
        preemption=True,
    )
    lot = Lot(rules)
    for i in range(n_bidders):
        lot.apply({"type": "register", "t": 0, "bidder": f"B{i:04d}", "priority": 1 if i == 0 else 0})
    lot.apply({"type": "tick", "t": 0})
    return lot


def _bids(n: int, n_bidders: int, refused_every: int) -> list[tuple]:
    from yiwang.trading.auction.domain.rules import HOUR

    out = []
    price = 1_000_000 - 1_000
    t = 24 * HOUR - 60_000_000  # the last minute: every accepted bid extends the end
    for k in range(n):
        t += 7
        if refused_every and k % refused_every == refused_every - 1:
            out.append((f"B{(k + 1) % n_bidders:04d}", price, t, None, None))  # below the increment
            continue
        price += 1_000
        out.append((f"B{k % n_bidders:04d}", price, t, None, None))
    return out


def bench_engine(n: int, bidders: int, refused_every: int) -> None:
    batch = _bids(n, bidders, refused_every)
    lot = _judicial(bidders)
    start = time.perf_counter()
    for bidder, amount, t, expected, key in batch:
        lot.bid(bidder, amount, t, expected, key)
    one = time.perf_counter() - start
    lot2 = _judicial(bidders)
    start = time.perf_counter()
    lot2.bid_batch(batch)
    many = time.perf_counter() - start
    assert lot.canonical() == lot2.canonical()
    print(f"engine, {platform.python_implementation()} {platform.python_version()}, {n:,} bids, {bidders} bidders")
    print(f"  Lot.bid        {n / one:,.0f} bids/s   (accepted {len(lot.history):,}, extensions {lot.ext_count:,})")
    print(f"  Lot.bid_batch  {n / many:,.0f} bids/s")


# -- through the action --------------------------------------------------------------------------------------------
def bench_actions(seconds: float, threads: int, bidders: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.platform.reference import ensure_all

    ensure_reference_data()
    ensure_all()
    from django.apps import apps
    from django.db import connection

    if not apps.is_installed("yiwang.trading.auction"):
        sys.exit("yiwang.trading.auction is not in INSTALLED_APPS of " + os.environ["DJANGO_SETTINGS_MODULE"])
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.clock import ManualClock
    from yiwang.kernel.errors import YiwangError
    from yiwang.platform.clock import now, use_clock
    from yiwang.registry import actions as registry_actions
    from yiwang.registry import queries as registry_queries
    from yiwang.trading.auction import actions

    system = Actor.system("bench")
    staff = Actor(ActorKind.ACCOUNT, "bench-staff", "工作人员", (RoleGrant(Role.STAFF, region="310000"),))
    clock = ManualClock(now())
    with use_clock(clock):
        start = clock.now() + timedelta(seconds=1)
        lot = actions.do_create_lot(
            actor=staff,
            spec=actions.LotSpec(
                preset="english",
                title=f"基准测试标的 {time.time_ns()}",
                start_price_fen=1_000_000,
                step_fen=100,
                start_at=start,
                end_at=start + timedelta(days=1),
            ),
        )
        usccs = ["91310115MA1FL2X37F", "91310112MA1G8K4P1Q", "91310104132203571A", "91310000132260947A"]
        people = []
        for uscc in usccs[:bidders]:
            ref = registry_queries.find_entity_by_uscc(uscc)
            entity_id = (
                ref.id
                if ref
                else registry_actions.do_register_entity(
                    actor=system,
                    data={
                        "kind": "legal_person",
                        "uscc": uscc,
                        "contact_name": "刘敏",
                        "contact_phone": "13812345678",
                        "roles": ["bidder"],
                    },
                ).pk
            )
            actor = Actor(
                ActorKind.ACCOUNT,
                f"bench-{entity_id}",
                "竞买人",
                (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),),
            )
            actions.do_register_bidder(actor=actor, lot_id=lot.pk, entity_id=entity_id)
            people.append(actor)
        clock.set(start)
        actions.do_advance_lot(lot_id=lot.pk)
    latencies: list[float] = []
    outcomes: dict[str, int] = {"ok": 0, "refused": 0}
    codes: dict[str, int] = {}
    guard = threading.Lock()
    price = [1_000_000 - 100]
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        k = i
        try:
            with use_clock(clock):
                while time.monotonic() < stop:
                    actor = people[k % len(people)]
                    k += 1
                    with guard:
                        amount = price[0] + 100
                    t0 = time.perf_counter()
                    try:
                        actions.do_place_bid(actor=actor, lot_id=lot.pk, amount_fen=amount)
                        ok = True
                    except YiwangError as error:
                        ok = False
                        with guard:
                            codes[error.code] = codes.get(error.code, 0) + 1
                    dt = time.perf_counter() - t0
                    with guard:
                        latencies.append(dt)
                        outcomes["ok" if ok else "refused"] += 1
                        if ok:
                            price[0] = max(price[0], amount)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 60)
    print(
        f"actions on {connection.vendor}, {os.cpu_count()} cores, {threads} threads, {len(people)} bidders,"
        f" {seconds:g} s"
    )
    print(f"  accepted {outcomes['ok'] / seconds:,.0f} bids/s, refused {outcomes['refused'] / seconds:,.0f}/s")
    print(f"  refusals {codes}")
    print(f"  call latency p50 {_pct(latencies, 0.5) * 1000:.1f} ms, p99 {_pct(latencies, 0.99) * 1000:.1f} ms")


# -- refusals under the stream lock: the state kept, or reloaded (before) ---------------------------------------------
def bench_refusals(seconds: float, threads: int, history: int) -> None:
    """The hot lot's refusals that only the engine can judge (here: the leader raising its own bid,
    ``auction.already_leading``, which the read-model check before the lock lets through), from ``threads``
    threads for ``seconds`` each, twice: with the lot engine's ``refusal_keeps_state`` (the cached state survives a
    refusal) and without it (every refusal drops the cache, so the next writer reloads the newest snapshot and
    folds the commands after it under the lock). ``history`` accepted bids come first (snapshots every 100)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.clock import ManualClock
    from yiwang.kernel.errors import YiwangError
    from yiwang.platform.clock import now, use_clock
    from yiwang.platform.commands import engine as commands_engine
    from yiwang.platform.reference import ensure_all
    from yiwang.registry import actions as registry_actions
    from yiwang.registry import queries as registry_queries
    from yiwang.trading.auction import actions
    from yiwang.trading.auction.lot_engine import ENGINE

    ensure_reference_data()
    ensure_all()
    system = Actor.system("bench")
    staff = Actor(ActorKind.ACCOUNT, "bench-staff", "工作人员", (RoleGrant(Role.STAFF, region="310000"),))
    clock = ManualClock(now())
    people = []
    with use_clock(clock):
        start = clock.now() + timedelta(seconds=1)
        lot = actions.do_create_lot(
            actor=staff,
            spec=actions.LotSpec(
                preset="english",
                title=f"基准测试标的 {time.time_ns()}",
                start_price_fen=1_000_000,
                step_fen=100,
                start_at=start,
                end_at=start + timedelta(days=1),
            ),
        )
        for uscc in ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q"):
            ref = registry_queries.find_entity_by_uscc(uscc)
            entity_id = (
                ref.id
                if ref
                else registry_actions.do_register_entity(
                    actor=system,
                    data={
                        "kind": "legal_person",
                        "uscc": uscc,
                        "contact_name": "刘敏",
                        "contact_phone": "13812345678",
                        "roles": ["bidder"],
                    },
                ).pk
            )
            actor = Actor(
                ActorKind.ACCOUNT,
                f"bench-{entity_id}",
                "竞买人",
                (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),),
            )
            actions.do_register_bidder(actor=actor, lot_id=lot.pk, entity_id=entity_id)
            people.append(actor)
        clock.set(start)
        actions.do_advance_lot(lot_id=lot.pk)
        price = 1_000_000
        for i in range(history):
            actions.do_place_bid(actor=people[i % 2], lot_id=lot.pk, amount_fen=price)
            price += 100
        leader = people[(history - 1) % 2]
    print(
        f"refusals under the lock on {connection.vendor}, {os.cpu_count()} cores, {threads} threads, "
        f"{history} commands of history, {seconds:g} s per run",
        flush=True,
    )

    def race(call) -> tuple[list[float], dict[str, int]]:
        latencies: list[float] = []
        codes: dict[str, int] = {}
        guard = threading.Lock()
        stop = time.monotonic() + seconds

        def worker() -> None:
            try:
                with use_clock(clock):
                    while time.monotonic() < stop:
                        t0 = time.perf_counter()
                        try:
                            call()
                            code = "accepted"
                        except YiwangError as error:
                            code = error.code
                        dt = time.perf_counter() - t0
                        with guard:
                            latencies.append(dt)
                            codes[code] = codes.get(code, 0) + 1
            finally:
                connection.close()

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=seconds + 60)
        return latencies, codes

    for keep in (True, False):
        ENGINE.refusal_keeps_state = keep  # this instance's answer (the class declares True)
        commands_engine.clear_cache()
        kept0, cpu0, wall0 = commands_engine.refusals_kept(), time.process_time(), time.perf_counter()
        latencies, codes = race(lambda: actions.do_place_bid(actor=leader, lot_id=lot.pk, amount_fen=price))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        n = len(latencies)
        p50, p99 = _pct(latencies, 0.5) * 1000, _pct(latencies, 0.99) * 1000
        print(
            f"  {'state kept   ' if keep else 'state dropped'}: {n / wall:,.0f} refusals/s, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms; CPU of this process {cpu / max(n, 1) * 1000:.1f} ms per refusal ({cpu:.1f} s over "
            f"{wall:.1f} s); kept {commands_engine.refusals_kept() - kept0}; {codes}; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    del ENGINE.refusal_keeps_state


# -- over HTTP: the last-minute burst ----------------------------------------------------------------------------------
HTTP_SETTINGS = """from yiwang.config.settings import *  # noqa: F403
YIWANG_ACTOR_RESOLVER = "auction_burst_actors.BenchActors"
LOGGING = {"version": 1, "disable_existing_loggers": False, "loggers": {"django.request": {"level": "ERROR"}}}
"""
HTTP_ACTORS = '''"""The benchmark's actor resolver: ``Bearer b<entity id>`` is a user acting for that registry entity (a
throwaway server on loopback; the site's token table is not part of the measurement)."""

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import NotAuthenticated


class BenchActors:
    def from_bearer(self, request, token):
        if not (token.startswith("b") and token[1:].isdigit()):
            raise NotAuthenticated("auth.invalid_token", "访问令牌无效", "The access token is invalid")
        entity = int(token[1:])
        grant = RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity)
        return Actor(ActorKind.ACCOUNT, f"bench-{entity}", "竞买人", (grant,))

    def from_session(self, request):
        return Actor.anonymous()
'''


class _Http:
    """One keep-alive HTTP/1.1 connection on asyncio streams (thousands fit in one process)."""

    def __init__(self, port: int):
        self.port = port
        self.reader = None
        self.writer = None

    async def connect(self) -> None:
        import asyncio

        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 60)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                self.writer = None
            self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        import asyncio

        if self.writer is None:
            await self.connect()
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await asyncio.wait_for(self.reader.readline(), 300)
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            elif name.strip().lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, data


def _group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of every live process in a process group (the server and its workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp …; utime, stime at 11, 12
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """CPU seconds of this run's PostgreSQL server (the postmaster listening on YIWANG_PG_PORT and its children);
    0 when there is none (SQLite)."""
    port = os.environ.get("YIWANG_PG_PORT", "54329")
    stats: dict[int, tuple[int, float]] = {}
    master = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if master is None and f"port={port}".encode() in (entry / "cmdline").read_bytes():
                master = int(entry.name)
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    if master is None:
        return 0.0
    return sum(cpu for pid, (ppid, cpu) in stats.items() if pid == master or ppid == master)


def bench_http(args: argparse.Namespace) -> int:
    """``bidders`` bidders, each on its own connection, bid on one English lot over HTTP during its last
    ``window`` seconds and ``after`` seconds beyond its end; then every acknowledgement is checked against the
    database and the log."""
    import asyncio
    import json
    import random
    import secrets
    import signal
    import socket
    import subprocess
    import tempfile
    import uuid
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    # a SIGTERM (a time limit, pg-test-server passing on a stop) ends the run through ``finally``, which stops the
    # server it started (Python's default would exit at once and leave gunicorn running)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    target = urlsplit(args.target) if args.target else None
    tmp = Path(tempfile.mkdtemp(prefix="auction-burst-"))
    if target is None:  # our own throwaway server: a resolver that needs no token table
        (tmp / "auction_burst_settings.py").write_text(HTTP_SETTINGS)
        (tmp / "auction_burst_actors.py").write_text(HTTP_ACTORS)
        sys.path.insert(0, str(tmp))
        os.environ["DJANGO_SETTINGS_MODULE"] = "auction_burst_settings"
    else:  # a running site: its own settings from the environment, real accounts and personal tokens
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.identity import actions as identity_actions
    from yiwang.identity.auth import actor_for_account
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.ids import make_uscc
    from yiwang.platform.clock import now
    from yiwang.platform.reference import ensure_all
    from yiwang.registry import actions as registry_actions
    from yiwang.trading.auction import actions, jobs, queries
    from yiwang.trading.auction.models import Bid, Lot

    ensure_reference_data()
    ensure_all()
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    n = args.bidders
    print(f"database {vendor}; {n} bidders, window {args.window:g} s + {args.after:g} s after the end", flush=True)
    system = Actor.system("bench")
    staff = Actor(ActorKind.ACCOUNT, "bench-staff", "工作人员", (RoleGrant(Role.STAFF, region="310000"),))

    def in_threads(fn, items, threads: int = 4) -> list:
        def run(item):
            try:
                return fn(item)
            finally:
                connection.close()

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(run, items))

    # -- the bidders in the registry, the lot, the registrations (the lot suspended meanwhile) --------------------
    t0 = time.perf_counter()
    tag = f"{time.time_ns() % 10**6:06d}"

    def entity(i: int) -> int:
        uscc = make_uscc("9", "1", "310112", f"{tag[:2]}{i:06d}")
        return registry_actions.do_register_entity(
            actor=system,
            data={
                "kind": "legal_person",
                "uscc": uscc,
                "name": f"上海竞价压测科技有限公司{tag}{i}",
                "region_code": "310112",
                "legal_rep_name": "王强",
                "contact_name": "刘敏",
                "contact_phone": "13812345678",
                "roles": ["bidder"],
            },
        ).pk

    entity_ids = in_threads(entity, range(n))
    print(f"setup: {n} entities in {time.perf_counter() - t0:.1f} s", flush=True)
    start = now() + timedelta(seconds=2)
    lead = args.lead
    lot = actions.do_create_lot(
        actor=staff,
        spec=actions.LotSpec(
            preset="english",
            title=f"压测标的 {tag}",
            start_price_fen=1_000_000,
            step_fen=100,
            start_at=start,
            end_at=start + timedelta(seconds=lead + args.window),
        ),
    )
    actions.do_suspend_lot(actor=staff, lot_id=lot.pk, reason="基准测试：报名期间暂停")
    t1 = time.perf_counter()

    tokens: dict[int, str] = {}

    def register(entity_id: int) -> None:
        if target is None:
            actor = Actor(
                ActorKind.ACCOUNT,
                f"bench-{entity_id}",
                "竞买人",
                (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),),
            )
            tokens[entity_id] = f"b{entity_id}"
        else:  # a person acting for the entity, signed in by a personal token as a bidding tool would be
            account = identity_actions.do_create_account(
                actor=system,
                username=f"bench{tag}-{entity_id}",
                display_name="竞买人",
                password=secrets.token_urlsafe(18),  # never used: the token signs in
            )
            identity_actions.do_grant_role(
                actor=system, role=Role.MARKET_ENTITY_USER, account=account, entity_id=entity_id
            )
            actor = actor_for_account(account)
            _token, tokens[entity_id] = identity_actions.do_issue_personal_token(
                actor=actor, account=account, name="竞价压测", expires_in_days=1
            )
        actions.do_register_bidder(actor=actor, lot_id=lot.pk, entity_id=entity_id)

    in_threads(register, entity_ids)
    print(f"setup: {n} registrations in {time.perf_counter() - t1:.1f} s", flush=True)

    # -- the server (ours, or the target's) -----------------------------------------------------------------------
    if target is not None:
        if target.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--target must be a loopback address")
        port = target.port or 80
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp), os.environ.get("PYTHONPATH", "")])}
    per_worker = n // args.workers + 100
    server = (
        None
        if target is not None
        else subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "yiwang.config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--worker-connections",
                str(per_worker),
                "--backlog",
                "4096",
                "--keep-alive",
                "300",
                "--timeout",
                "300",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            env=env,
            start_new_session=True,
        )
    )
    failures: list[str] = []
    stop_clock = threading.Event()

    def clock_process() -> None:  # what ``yiwang run``'s clock child does for auctions: the due job, every 0.5 s
        if target is not None:
            return  # the target deployment runs its own clock (one per deployment)
        try:
            while not stop_clock.wait(0.5):
                jobs.run_due_lots(now())
        finally:
            connection.close()

    try:
        import http.client

        boot = time.monotonic() + 90
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", f"/api/v1/auction/lots/{lot.pk}/state")
                if c.getresponse().status == 200:
                    c.close()
                    break
            except OSError:
                pass
            if time.monotonic() > boot:
                raise SystemExit("gunicorn did not answer within 90 s")
            time.sleep(0.3)

        # warm every worker and thread: the site's URLs and the API are loaded on first use
        async def warm() -> None:
            async def one() -> None:
                conn = _Http(port)
                for _ in range(3):
                    await conn.request("GET", f"/api/v1/auction/lots/{lot.pk}/state", {})
                    await conn.request(
                        "POST",
                        f"/api/v1/auction/lots/{lot.pk}/bids",
                        {"Authorization": "Bearer b0", "Content-Type": "application/json"},
                        b'{"amount_fen": 1}',
                    )
                await conn.close()

            await asyncio.gather(*(one() for _ in range(args.workers * args.threads * 2)))

        asyncio.run(warm())
        actions.do_resume_lot(actor=staff, lot_id=lot.pk, reason="基准测试：报名结束，恢复")
        lot.refresh_from_db()
        end = lot.end_at.timestamp()
        end_iso = lot.end_at.isoformat()
        ticker = threading.Thread(target=clock_process, daemon=True)
        ticker.start()
        waits: dict[str, int] = {}  # PostgreSQL: what the server's sessions are doing, sampled every 0.25 s

        def sample_waits() -> None:
            try:
                with connection.cursor() as cur:
                    while not stop_clock.wait(0.25):
                        cur.execute(
                            "SELECT state, coalesce(wait_event_type, '-'), coalesce(wait_event, '-') "
                            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND backend_type = 'client backend'"
                        )
                        for state, kind, event in cur.fetchall():
                            name = f"{state}/{kind}/{event}"
                            waits[name] = waits.get(name, 0) + 1
            finally:
                connection.close()

        sampler = threading.Thread(target=sample_waits, daemon=True)
        if vendor == "postgresql":
            sampler.start()
        print(f"lot {lot.ref}: bidding ends at {end_iso}; connecting {n} bidders", flush=True)

        # -- the clients -----------------------------------------------------------------------------------------
        path = f"/api/v1/auction/lots/{lot.pk}/bids"
        results: list[tuple] = []  # (sent, latency, status, code, seq, amount, accepted_at, duplicate, retried)
        known = [1_000_000 - 100]
        errors: dict[str, int] = {}
        rng = random.Random(7)
        window_start = end - args.window
        stop_at = end + args.after

        async def bidder(entity_id: int, first: float) -> None:
            conn = _Http(port)
            try:
                await asyncio.sleep(rng.random() * min(lead, 5.0))  # spread the connects
                await conn.connect()
            except (OSError, TimeoutError) as exc:
                errors[f"connect {type(exc).__name__}"] = errors.get(f"connect {type(exc).__name__}", 0) + 1
                return
            headers = {"Authorization": f"Bearer {tokens[entity_id]}", "Content-Type": "application/json"}
            wait = first - time.time()
            while True:
                if wait > 0:
                    await asyncio.sleep(wait)
                if time.time() >= stop_at:
                    break
                amount = known[0] + 100 * rng.randint(1, 3)
                body = json.dumps({"amount_fen": amount}).encode()
                key = uuid.uuid4().hex
                sent = time.time()
                t = time.perf_counter()
                retried = False
                for attempt in (1, 2):  # an unanswered request is retried once with the same key
                    try:
                        status, data = await conn.request("POST", path, {**headers, "Idempotency-Key": key}, body)
                        break
                    except (OSError, TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                        await conn.close()
                        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                        retried = True
                        if attempt == 2:
                            status, data = 0, b"{}"
                latency = time.perf_counter() - t
                try:
                    answer = json.loads(data or b"{}")
                except ValueError:
                    answer = {}
                if status == 201:
                    known[0] = max(known[0], answer["amount_fen"])
                    results.append(
                        (
                            sent,
                            latency,
                            status,
                            "",
                            answer["seq"],
                            answer["amount_fen"],
                            answer["accepted_at"],
                            answer["duplicate"],
                            retried,
                        )
                    )
                else:
                    results.append(
                        (sent, latency, status, answer.get("code", f"HTTP {status}"), 0, amount, "", False, retried)
                    )
                wait = min(rng.expovariate(1.0 / args.think), stop_at - time.time() + 0.01)
            await conn.close()

        async def crowd() -> None:
            # each bidder's first bid at a random moment of the window; then one every ``think`` s on average
            tasks = [asyncio.create_task(bidder(eid, window_start + rng.random() * args.window)) for eid in entity_ids]
            await asyncio.gather(*tasks)

        cpu0 = time.process_time()
        server_cpu0 = _group_cpu(server.pid) if server else 0.0
        db_cpu0 = _postgres_cpu()
        wall0 = time.perf_counter()
        asyncio.run(crowd())
        client_cpu = time.process_time() - cpu0
        server_cpu = _group_cpu(server.pid) - server_cpu0 if server else 0.0
        db_cpu = _postgres_cpu() - db_cpu0
        wall = time.perf_counter() - wall0
        stop_clock.set()
        ticker.join(timeout=30)
        if sampler.is_alive():
            sampler.join(timeout=30)
        deadline = time.monotonic() + 30
        lot.refresh_from_db()
        while lot.phase != "closed" and time.monotonic() < deadline:
            if target is None:  # a target's own clock closes the lot
                jobs.run_due_lots(now())
            time.sleep(0.5)
            lot.refresh_from_db()

        # -- what happened -------------------------------------------------------------------------------------
        in_window = [r for r in results if window_start <= r[0] < end]
        answered = [r for r in results if r[2]]
        accepted = [r for r in results if r[2] == 201 and not r[7]]
        codes: dict[str, int] = {}
        for r in results:
            if r[2] != 201:
                codes[r[3]] = codes.get(r[3], 0) + 1
        lat_all = [r[1] for r in answered if r[0] < end]  # the bids sent before the end
        lat_ok = [r[1] for r in accepted]
        lat_late = [r[1] for r in answered if r[0] >= end]
        span = max((r[0] + r[1] for r in answered), default=end) - window_start
        print(
            f"burst: {len(results)} bids sent ({len(in_window)} before the end), {len(answered)} answered in "
            f"{span:.1f} s = {len(answered) / span:.1f} answers/s; {len(accepted)} accepted = "
            f"{len(accepted) / args.window:.1f} accepted/s over the window",
            flush=True,
        )
        print(
            f"  latency of the bids sent before the end p50 {_pct(lat_all, 0.5) * 1000:.0f} ms "
            f"p99 {_pct(lat_all, 0.99) * 1000:.0f} ms; accepted p50 {_pct(lat_ok, 0.5) * 1000:.0f} ms "
            f"p99 {_pct(lat_ok, 0.99) * 1000:.0f} ms; sent after the end p50 {_pct(lat_late, 0.5) * 1000:.0f} ms "
            f"p99 {_pct(lat_late, 0.99) * 1000:.0f} ms",
            flush=True,
        )
        print(f"  refusals {dict(sorted(codes.items(), key=lambda kv: -kv[1]))}; client errors {errors}", flush=True)
        if waits:
            top = sorted(waits.items(), key=lambda kv: -kv[1])[:8]
            print(f"  database sessions sampled (state/wait type/event: samples) {dict(top)}", flush=True)
        print(
            f"  CPU: server {server_cpu:.1f} s{' (not ours: not measured)' if server is None else ''}, "
            f"PostgreSQL {db_cpu:.1f} s, this process (clients and clock) "
            f"{client_cpu:.1f} s, "
            f"over {wall:.1f} s wall; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )

        # -- checks: zero lost, zero phantom, zero accepted after the close, the log replays to the read model --------
        rows = {b.seq: b for b in Bid.objects.filter(lot_id=lot.pk)}
        acked = {r[4]: r for r in results if r[2] == 201}
        lost = [s for s in acked if s not in rows]
        phantom = [s for s in rows if s not in acked]
        closed = Lot.objects.get(pk=lot.pk)
        after = [b for b in rows.values() if closed.closed_at is None or b.at >= closed.closed_at]
        acked_after = [r for r in acked.values() if closed.closed_at and r[6] >= closed.closed_at.isoformat()]
        wrong = [s for s, r in acked.items() if s in rows and rows[s].amount_fen != r[5]]
        check = queries.check_lot_for(staff, lot.pk)
        if closed.phase != "closed":
            failures.append(f"the lot did not close (phase {closed.phase})")
        if lost:
            failures.append(f"{len(lost)} acknowledged bids are not in the database")
        if phantom:
            failures.append(f"{len(phantom)} stored bids were never acknowledged (unanswered requests)")
        if after or acked_after:
            failures.append(f"{len(after)} stored / {len(acked_after)} acknowledged bids at or after the close")
        if wrong:
            failures.append(f"{len(wrong)} acknowledged amounts differ from the stored ones")
        if not check.ok:
            failures.append(f"replay check: {check.problems[:3]}")
        late_ok = [r for r in results if r[0] >= end and r[2] == 201]
        closed_iso = closed.closed_at.isoformat() if closed.closed_at else None
        print(
            f"checks: {len(acked)} acknowledged, {len(rows)} stored, {len(lost)} lost, {len(phantom)} phantom, "
            f"{len(after) + len(acked_after)} after the close (closed at {closed_iso}, "
            f"end {end_iso}); {len(late_ok)} of the bids sent after the end acknowledged "
            f"(sent before the close in server time only); replay {'ok' if check.ok else 'FAILED'}; "
            f"price {closed.price_fen}, winner {closed.winner_code}",
            flush=True,
        )
        print(
            f"RESULT engine={vendor} bidders={n} window_s={args.window:g} workers={args.workers} "
            f"threads={args.threads} accepted_per_s={len(accepted) / args.window:.1f} "
            f"answers_per_s={len(answered) / span:.1f} p50_ms={_pct(lat_all, 0.5) * 1000:.0f} "
            f"p99_ms={_pct(lat_all, 0.99) * 1000:.0f} lost={len(lost)} after_close={len(after) + len(acked_after)}",
            flush=True,
        )
    finally:
        stop_clock.set()
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=20)
    for failure in failures:
        print(f"FAILED: {failure}", flush=True)
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    e = sub.add_parser("engine")
    e.add_argument("--bids", type=int, default=1_000_000)
    e.add_argument("--bidders", type=int, default=50)
    e.add_argument("--refused-every", type=int, default=10)
    a = sub.add_parser("actions")
    a.add_argument("--seconds", type=float, default=10.0)
    a.add_argument("--threads", type=int, default=1)
    a.add_argument("--bidders", type=int, default=2)
    r = sub.add_parser("refusals")
    r.add_argument("--seconds", type=float, default=10.0)
    r.add_argument("--threads", type=int, default=4)
    r.add_argument("--history", type=int, default=150)
    h = sub.add_parser("http")
    h.add_argument("--bidders", type=int, default=5000)
    h.add_argument("--window", type=float, default=60.0, help="the last seconds of the lot the bidders bid in")
    h.add_argument("--after", type=float, default=5.0, help="seconds the bidders go on bidding after the end")
    h.add_argument("--think", type=float, default=10.0, help="mean seconds between two bids of one bidder")
    h.add_argument("--lead", type=float, default=20.0, help="seconds between the start and the window")
    h.add_argument("--workers", type=int, default=2)
    h.add_argument("--threads", type=int, default=8)
    h.add_argument(
        "--target",
        default="",
        help="a running site on loopback (e.g. the scale-out demo's nginx): the data is prepared in the database "
        "the environment names, bidders sign in with personal tokens, the target's clock closes the lot",
    )
    args = parser.parse_args()
    if args.what == "engine":
        bench_engine(args.bids, args.bidders, args.refused_every)
    elif args.what == "refusals":
        bench_refusals(min(args.seconds, 60.0), max(1, min(args.threads, 16)), max(1, min(args.history, 2000)))
    elif args.what == "http":
        args.window = min(max(args.window, 5.0), 120.0)
        args.after = min(max(args.after, 0.0), 30.0)
        args.lead = min(max(args.lead, 5.0), 120.0)
        sys.exit(bench_http(args))
    else:
        bench_actions(min(args.seconds, 50.0), args.threads, max(2, min(args.bidders, 4)))


if __name__ == "__main__":
    main()
