"""Auction benchmarks (docs/auction.md): the pure engine in process, and bids through the whole action.

    .venv/bin/python bench/auction_bench.py engine            # no database: bids/s of Lot.bid and Lot.bid_batch
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/auction_bench.py actions --seconds 10
    tools/pg-test-server run -- .venv/bin/python bench/auction_bench.py actions --seconds 10 --threads 4

engine: a judicial lot with every rule on (soft close, pre-emption, increment grid), N bidders bidding in turn, a
share of the bids refused (below the increment); times rise through the last minutes so the soft close extends.
actions: ``do_place_bid`` on one lot (command log + read model + witness + feed + live event, one transaction and
one commit per bid) from T threads for S seconds; reports accepted bids/s and the p50/p99 latency of a call.
The app must be installed: set DJANGO_SETTINGS_MODULE to a settings module listing ``yiwang.trading.auction``.
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
    args = parser.parse_args()
    if args.what == "engine":
        bench_engine(args.bids, args.bidders, args.refused_every)
    else:
        bench_actions(min(args.seconds, 50.0), args.threads, max(2, min(args.bidders, 4)))


if __name__ == "__main__":
    main()
