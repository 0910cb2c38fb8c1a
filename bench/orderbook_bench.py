"""The carbon market's matching engine, side by side with the reference book, and the journalled path.

Three parts, all in this one process (the database part in a child process with a throwaway data dir):

``engine``  the workload of markets.md §2.2 (≈1.4 M commands: half limit orders, 10 % of them aggressive,
            half cancels, ~1.1 k resting orders, one book, integer ticks; GC off while timing), run through the
            reference book (dict of price → deque + lazy heap, lazy cancel; ``domain/reference.py``) and
            through ``MarketEngine`` — per call (``place``/``cancel``, a batch of one each) and in batches
            (``run``). Rounds are interleaved (reference, engine variants, reference …) and each round's ratio is
            taken on CPU time, because the machine is shared; the median of ``--repeat`` rounds is reported,
            wall and CPU. Both books must report the same trades. Then per-command latency (p50/p99/p99.9).
``e2e``     JSON order messages through ``journal.JournalledMarket``: decode → one journal record per batch
            (framed, CRC-32) → checks + match → group commit (``fdatasync`` per batch, or none: page cache) →
            JSON acknowledgements and fills. stdlib ``json``, and msgspec (typed structs) when it is installed;
            plus fixed-size binary commands (``struct``) and one ``fdatasync`` per message for scale.
``db``      the platform's command log (``platform.commands``) on the database: ``submit`` one command per
            transaction, ``submit_many`` in batches; and the whole action (read model, ledger, witness entry,
            feed event) one order per transaction and in batches (``do_submit_orders``).

    .venv/bin/python bench/orderbook_bench.py                 # all three, SQLite
    .venv/bin/python bench/orderbook_bench.py engine --commands 200000
    .venv/bin/python bench/orderbook_bench.py ab --builds OLD.so,NEW.so,OLD_engine.py   # A/B of engine builds
    tools/pg-test-server run -- .venv/bin/python bench/orderbook_bench.py db   # SQLite and PostgreSQL

Results go to docs/benchmarks.md and docs/orderbook.md by hand.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from yiwang.trading.orderbook import journal  # noqa: E402
from yiwang.trading.orderbook.domain import engine as interpreted  # noqa: E402
from yiwang.trading.orderbook.domain import engines  # noqa: E402
from yiwang.trading.orderbook.domain.engine import (  # noqa: E402
    CANCEL,
    IOC,
    LIMIT,
    ORDER_TYPES,
    PLACE,
    SIDES,
)
from yiwang.trading.orderbook.domain.reference import ReferenceBook  # noqa: E402
from yiwang.trading.orderbook.domain.rules import MarketRules  # noqa: E402

OWNERS = 1000  # buyers 1–500, sellers 501–1000: no order can meet its own owner (the reference has no STP)


# -- the workload -------------------------------------------------------------------------------------------------
def workload(n: int, seed: int = 20260302) -> list[tuple]:
    """Engine command tuples; the order id of the k-th PLACE is k (every order is accepted)."""
    rnd = random.Random(seed)
    mid = 6000
    cmds: list[tuple] = []
    live: list[int] = []
    owner_of: dict[int, int] = {}
    oid = 0
    for _ in range(n):
        if len(live) < 1400 or rnd.random() < 0.5:
            oid += 1
            side = rnd.randrange(2)
            owner = 1 + side * 500 + rnd.randrange(500)
            if rnd.random() < 0.1:  # aggressive: crosses a few ticks
                qty = rnd.randrange(1, 120)
                price = mid + 4 if side == 0 else mid - 4
            else:
                qty = rnd.randrange(1, 60)
                off = int(rnd.expovariate(1 / 12)) + 1
                price = min(max(mid - off if side == 0 else mid + off, 5401), 6599)
                live.append(oid)
            cmds.append((PLACE, owner, side, price, qty, LIMIT, None))
            owner_of[oid] = owner
            if rnd.random() < 0.02:
                mid = min(max(mid + rnd.choice((-1, 1)), 5500), 6500)
        else:
            j = rnd.randrange(len(live))
            live[j], live[-1] = live[-1], live[j]
            victim = live.pop()
            cmds.append((CANCEL, owner_of[victim], victim))  # often already filled: a refusal
    return cmds


Interpreted = interpreted.MarketEngine
MarketEngine = engines.MarketEngine  # the compiled build when it is current (tools/build_native.py), else the same


def fresh_engine(cls=None):
    e = (cls or MarketEngine)("BENCH", "continuous")
    for owner in range(1, OWNERS + 1):
        e.open_account(owner)
        e.deposit_cash(owner, 10**15)
        e.deposit_allowances(owner, 10**12)
    e.open_day(20260302, MarketRules(), 6000)
    return e


def run_reference(cmds: list[tuple]) -> tuple[float, int]:
    book = ReferenceBook()
    limit, cancel, fills = book.limit, book.cancel, book.fills
    oid = 0
    t, c0 = time.perf_counter(), time.process_time()
    for c in cmds:
        if c[0] == PLACE:
            oid += 1
            limit(oid, c[2], c[3], c[4], c[5] == IOC)
        else:
            cancel(c[2])
        if len(fills) > 4096:
            fills.clear()
    return time.perf_counter() - t, time.process_time() - c0, book.trades


def run_engine_calls(cmds: list[tuple], cls=None) -> tuple[float, int]:
    e = fresh_engine(cls)
    run, fills = e.run, e.fills
    t, c0 = time.perf_counter(), time.process_time()
    for c in cmds:
        run([c], 1)  # the public place/cancel are exactly this plus raising a refusal
        if len(fills) > 4096:
            fills.clear()
            e.removed.clear()
    return time.perf_counter() - t, time.process_time() - c0, e.next_tid - 1


def run_engine_batches(cmds: list[tuple], size: int, cls=None) -> tuple[float, int]:
    e = fresh_engine(cls)
    run = e.run
    t, c0 = time.perf_counter(), time.process_time()
    for k in range(0, len(cmds), size):
        run(cmds[k : k + size], 1)
        e.fills.clear()
        e.removed.clear()
    return time.perf_counter() - t, time.process_time() - c0, e.next_tid - 1


def latencies(cmds: list[tuple], which: str) -> list[int]:
    clock = time.perf_counter_ns
    out: list[int] = []
    if which == "reference":
        book = ReferenceBook()
        oid = 0
        for c in cmds:
            if c[0] == PLACE:
                oid += 1
                t = clock()
                book.limit(oid, c[2], c[3], c[4])
                out.append(clock() - t)
            else:
                t = clock()
                book.cancel(c[2])
                out.append(clock() - t)
            if len(book.fills) > 4096:
                book.fills.clear()
    else:
        e = fresh_engine(Interpreted if which == "interpreted" else MarketEngine)
        run = e.run
        for c in cmds:
            t = clock()
            run([c], 1)
            out.append(clock() - t)
            if len(e.fills) > 4096:
                e.fills.clear()
                e.removed.clear()
    return out


def pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # µs


def engine_part(args) -> dict:
    cmds = workload(args.commands)
    places = sum(1 for c in cmds if c[0] == PLACE)
    gc.disable()
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    trades: dict[str, int] = {}
    kind = MarketEngine.implementation  # "compiled" when the build is current, else "interpreted"
    variants = {
        "reference book": lambda: run_reference(cmds),
        "interpreted, per call": lambda: run_engine_calls(cmds, Interpreted),
        "interpreted, run batch 64": lambda: run_engine_batches(cmds, 64, Interpreted),
    }
    if kind == "compiled":
        variants.update(
            {
                "compiled, per call": lambda: run_engine_calls(cmds),
                "compiled, run batch 64": lambda: run_engine_batches(cmds, 64),
                "compiled, run batch 1024": lambda: run_engine_batches(cmds, 1024),
            }
        )
    else:
        print("\n(the compiled engine is not built or stale: tools/build_native.py; interpreted rows only)")
    ratios: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeat):  # interleaved, so that each round's ratio compares runs under the same load
        round_cpu = {}
        for name, fn in variants.items():
            wall, cpu, n_trades = fn()
            walls.setdefault(name, []).append(wall)
            cpus.setdefault(name, []).append(cpu)
            round_cpu[name] = cpu
            trades[name] = n_trades
        for name in variants:
            ratios[name].append(round_cpu["reference book"] / round_cpu[name])
    assert len(set(trades.values())) == 1, f"the books disagree on the trades: {trades}"
    sample = cmds[: min(len(cmds), 300_000)]
    lat = {name: latencies(sample, name) for name in ("reference", "interpreted", kind)}
    gc.enable()
    floor = []
    clock = time.perf_counter_ns
    for _ in range(100_000):
        t = clock()
        floor.append(clock() - t)
    n = len(cmds)
    print(
        f"\n== engine: {n:,} commands ({places:,} orders, {n - places:,} cancels), "
        f"{trades['reference book']:,} trades, median of {args.repeat} interleaved rounds "
        f"(ratio: per round, on CPU time)"
    )
    for name in variants:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"  {name:<30} {n / wall / 1e6:6.3f} M ops/s wall  {n / cpu / 1e6:6.3f} M ops/s CPU  "
            f"{cpu / n * 1e6:5.2f} µs/op  {statistics.median(ratios[name]):4.2f}× reference "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios[name])})"
        )
    for name, values in lat.items():
        print(
            f"  latency {name:<10} p50 {pct(values, 0.5):5.2f} µs  p99 {pct(values, 0.99):5.2f} µs  "
            f"p99.9 {pct(values, 0.999):6.2f} µs  (timer floor p50 {pct(floor, 0.5):.2f} µs)"
        )
    return {
        "commands": n,
        "trades": trades["reference book"],
        "ops_per_s_cpu": {k: n / statistics.median(v) for k, v in cpus.items()},
        "ratio": {k: statistics.median(v) for k, v in ratios.items()},
        "latency_us": {k: [pct(v, 0.5), pct(v, 0.99), pct(v, 0.999)] for k, v in lat.items()},
    }


# -- end to end -----------------------------------------------------------------------------------------------------
REC = struct.Struct("<BBBxIqI")  # op, side, type, owner, price or order id, quantity: 20 bytes
ACK = struct.Struct("<qqB")  # command number, result (order id / released), refused?
FILL = struct.Struct("<qqqqq")  # trade id, price, quantity, buy order, sell order


def encode_json(cmds: list[tuple]) -> list[bytes]:
    out = []
    for c in cmds:
        if c[0] == PLACE:
            body = {
                "op": "place",
                "owner": c[1],
                "side": "buy" if c[2] == 0 else "sell",
                "price_fen": c[3],
                "quantity_t": c[4],
                "type": "limit",
            }
        else:
            body = {"op": "cancel", "owner": c[1], "order_id": c[2]}
        out.append(json.dumps(body, separators=(",", ":")).encode())
    return out


def encode_binary(cmds: list[tuple]) -> bytes:
    parts = []
    for c in cmds:
        if c[0] == PLACE:
            parts.append(REC.pack(0, c[2], 0, c[1], c[3], c[4]))
        else:
            parts.append(REC.pack(1, 0, 0, c[1], c[2], 0))
    return b"".join(parts)


def msgspec_decoder():
    """A decoder equivalent to ``journal.decode`` on msgspec typed structs (``None`` when msgspec is missing):
    a well-formed place or cancel decodes straight into its tuple; anything else falls back to the stdlib
    decoder, so refusals (and replay) are identical."""
    try:
        import msgspec
    except ImportError:
        return None

    class Place(msgspec.Struct, tag_field="op", tag="place"):
        owner: int
        side: str
        price_fen: int
        quantity_t: int
        type: str = "limit"
        client_order_id: str | None = None

    class Cancel(msgspec.Struct, tag_field="op", tag="cancel"):
        owner: int
        order_id: int

    decoder = msgspec.json.Decoder(Place | Cancel)
    dec = decoder.decode
    error = msgspec.ValidationError, msgspec.DecodeError
    sides, types = SIDES, ORDER_TYPES
    fallback = journal.decode

    def decode(raw: bytes) -> tuple:
        try:
            m = dec(raw)
        except error:
            return fallback(raw)
        if m.__class__ is Place:
            side = sides.get(m.side)
            otype = types.get(m.type)
            client = m.client_order_id
            if side is None or otype is None or (client is not None and not 0 < len(client) <= 64):
                return fallback(raw)
            return (PLACE, m.owner, side, m.price_fen, m.quantity_t, otype, m.client_order_id)
        return (CANCEL, m.owner, m.order_id)

    return decode


def ack_encoder(fast: bool):
    """Acknowledgements and fills as JSON: stdlib ``json.dumps`` or msgspec's encoder."""
    if fast:
        import msgspec

        enc = msgspec.json.Encoder().encode
    else:

        def enc(value):
            return json.dumps(value, separators=(",", ":")).encode()

    def encode(seq: int, results: list, fills: list) -> int:
        size = 0
        for r in results:
            if r.__class__ is int:
                size += len(enc({"seq": seq, "ok": True, "result": r}))
            else:
                size += len(enc({"seq": seq, "ok": False, "code": r[0].__name__}))
        for t in fills:
            size += len(enc({"trade": t[0], "price_fen": t[2], "quantity_t": t[3], "buy": t[4], "sell": t[5]}))
        return size

    return encode


def e2e_journalled(messages: list[bytes], path: str, sync: bool, batch: int, decoder, fast_acks: bool, cls=None) -> int:
    """The real path: ``journal.JournalledMarket`` (decode → journal record → checks + match → group commit →
    acknowledge), acknowledgements and fills encoded as JSON. ``cls``: the engine build (default: engines')."""
    market = journal.JournalledMarket(path, lambda: fresh_engine(cls), sync=sync, decoder=decoder)
    encode = ack_encoder(fast_acks)
    engine = market.engine
    size = 0
    for k in range(0, len(messages), batch):
        seq, results = market.process(messages[k : k + batch], 1)
        size += encode(seq, results, engine.fills)
        engine.fills.clear()
        engine.removed.clear()
    market.close()
    return size


def e2e_binary(blob: bytes, path: str, batch: int) -> int:
    """Fixed-size binary commands (``struct``), one journal record per batch, binary acknowledgements."""
    e = fresh_engine()
    jr, _ = journal.Journal.open(path)
    size = REC.size
    acks = 0
    pack_ack, pack_fill = ACK.pack, FILL.pack
    seq = 0
    for k in range(0, len(blob), size * batch):
        chunk = blob[k : k + size * batch]
        jr.append(chunk)
        cmds = [
            (PLACE, owner, side, value, qty, typ, None) if op == 0 else (CANCEL, owner, value)
            for op, side, typ, owner, value, qty in REC.iter_unpack(chunk)
        ]
        results = e.run(cmds, 1)
        jr.commit()
        out = []
        for r in results:
            seq += 1
            out.append(pack_ack(seq, r, 0) if r.__class__ is int else pack_ack(seq, 0, 1))
        for t in e.fills:
            out.append(pack_fill(t[0], t[2], t[3], t[4], t[5]))
        acks += len(b"".join(out))
        e.fills.clear()
        e.removed.clear()
    jr.close()
    return acks


def e2e_part(args) -> dict:
    cmds = workload(args.e2e_commands, seed=7)
    messages = encode_json(cmds)
    blob = encode_binary(cmds)
    fast = msgspec_decoder()
    results = {}
    print(
        f"\n== end to end: {len(cmds):,} JSON messages, decode → journal record → checks + match → group commit → "
        f"JSON acknowledgements and fills (median of {args.repeat}; CPU = this process's CPU time; "
        f"engine: {MarketEngine.implementation} unless the row says interpreted)"
    )
    if fast is None:
        print("  (msgspec is not installed: its rows are skipped)")
    else:  # the two decoders must agree on every message
        assert all(fast(m) == journal.decode(m) for m in messages[:20000])
    with tempfile.TemporaryDirectory(prefix="yiwang-ob-") as tmp:
        n = len(cmds)
        cases = [
            (
                "json, page cache (no fdatasync), batch 256",
                lambda p: e2e_journalled(messages, p, False, 256, None, False),
                n,
            ),
            ("json, fdatasync per 256", lambda p: e2e_journalled(messages, p, True, 256, None, False), n),
        ]
        if fast is not None:
            cases += [
                ("msgspec, page cache, batch 256", lambda p: e2e_journalled(messages, p, False, 256, fast, True), n),
                ("msgspec, fdatasync per 256", lambda p: e2e_journalled(messages, p, True, 256, fast, True), n),
                ("msgspec, fdatasync per 1024", lambda p: e2e_journalled(messages, p, True, 1024, fast, True), n),
            ]
            if MarketEngine.implementation == "compiled":
                cases += [
                    (
                        "msgspec, page cache, batch 256, interpreted",
                        lambda p: e2e_journalled(messages, p, False, 256, fast, True, Interpreted),
                        n,
                    ),
                    (
                        "msgspec, fdatasync per 1024, interpreted",
                        lambda p: e2e_journalled(messages, p, True, 1024, fast, True, Interpreted),
                        n,
                    ),
                ]
        cases.append(("binary struct, fdatasync per 256", lambda p: e2e_binary(blob, p, 256), n))
        few = min(n, args.fsync_each)
        cases.append(
            ("json, fdatasync per message", lambda p: e2e_journalled(messages[:few], p, True, 1, None, False), few)
        )
        gc.disable()
        for k, (name, fn, count) in enumerate(cases):
            walls, cpus = [], []
            for r in range(args.repeat):
                path = f"{tmp}/j{k}-{r}"
                t, c = time.perf_counter(), time.process_time()
                fn(path)
                walls.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
                os.unlink(path)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            results[name] = {"wall": count / wall, "cpu": count / cpu}
            print(
                f"  {name:<44} {count / wall / 1e3:8.1f} k msgs/s wall  {count / cpu / 1e3:8.1f} k msgs/s CPU  "
                f"{wall / count * 1e6:6.2f} µs/msg"
            )
        gc.enable()
    return results


# -- the database ---------------------------------------------------------------------------------------------------
def db_child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.clock import ManualClock
    from yiwang.platform.clock import use_clock
    from yiwang.platform.commands import engine as commands
    from yiwang.platform.reference import ensure_all
    from yiwang.registry import actions as registry_actions
    from yiwang.trading.orderbook import actions
    from yiwang.trading.orderbook.streams import ENGINE

    ensure_reference_data()
    ensure_all()
    from datetime import UTC, datetime

    system = Actor.system("bench")
    out: dict = {"vendor": connection.vendor}
    with use_clock(ManualClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))):
        # a market code of its own per run (a PostgreSQL test database may be kept between runs)
        code = f"BENCH{os.getpid()}"
        market = actions.do_create_market(actor=system, code=code, name="基准", mode="continuous", reference_fen=6000)
        people = []
        for uscc in ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q"):
            entity = registry_actions.do_register_entity(
                actor=system,
                data={
                    "kind": "legal_person",
                    "uscc": uscc,
                    "contact_name": "王芳",
                    "contact_phone": "13812345678",
                    "roles": ["transferee"],
                },
            )
            actions.do_open_account(actor=system, market_code=code, entity_id=entity.pk)
            actions.do_deposit_cash(actor=system, market_code=code, entity_id=entity.pk, amount_fen=10**15)
            actions.do_deposit_allowances(actor=system, market_code=code, entity_id=entity.pk, quantity_t=10**9)
            people.append(entity.pk)
        actions.do_open_trading_day(actor=system, market_code=code)
        stream = market.stream
        rnd = random.Random(1)

        def command(i: int) -> dict:
            side = i % 2
            price = 5990 - rnd.randrange(20) if side == 0 else 6010 + rnd.randrange(20)
            return {
                "op": "place",
                "owner": people[side],
                "side": "buy" if side == 0 else "sell",
                "price_fen": price,
                "quantity_t": 1 + rnd.randrange(50),
                "type": "limit",
            }

        def measure(label: str, total: int, batch: int) -> None:
            t = time.perf_counter()
            done = 0
            while done < total:
                with transaction.atomic():
                    commands.submit_many(
                        stream, ENGINE, [(command(i), "bench", None) for i in range(batch)], snapshot_every=200
                    )
                done += batch
            out[label] = done / (time.perf_counter() - t)

        measure("command log: submit, 1 per transaction", args.db_commands // 4, 1)
        measure("command log: submit_many, batch 16", args.db_commands, 16)
        measure("command log: submit_many, batch 256", args.db_commands * 4, 256)
        actor = Actor(ActorKind.ACCOUNT, "b", "bench", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=people[0]),))
        t = time.perf_counter()
        n = args.db_commands // 8
        for i in range(n):
            actions.do_place_order(actor=actor, market_code=code, side="buy", price_fen=5900 + i % 50, quantity_t=1)
        out["action: do_place_order, 1 per transaction"] = n / (time.perf_counter() - t)
        t = time.perf_counter()
        n = 0
        for _ in range(max(1, args.db_commands // 200)):
            actions.do_submit_orders(
                actor=actor,
                market_code=code,
                orders=[{"side": "buy", "price_fen": 5900 + k % 50, "quantity_t": 1} for k in range(100)],
            )
            n += 100
        out["action: do_submit_orders, batch 100"] = n / (time.perf_counter() - t)
        report = commands.verify(stream, ENGINE)
        out["verify_ok"] = report.ok
    print(json.dumps(out))


def db_part(args) -> dict:
    runs = {}
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("YIWANG_DATABASE_URL") else [])
    for engine in engines:
        env = dict(os.environ)
        with tempfile.TemporaryDirectory(prefix="yiwang-ob-db-") as data_dir:
            if engine == "sqlite":
                env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
            env["YIWANG_DATA_DIR"] = data_dir
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")]))
            env.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
            done = subprocess.run(
                [sys.executable, __file__, "db-child", "--db-commands", str(args.db_commands)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=3600,
            )
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"{engine} run failed")
        runs[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    print("\n== database: the platform's command log and the whole action")
    for engine, run in runs.items():
        print(f"  [{engine}] replay verification: {'ok' if run.pop('verify_ok') else 'FAILED'}")
        run.pop("vendor")
        for label, rate in run.items():
            print(f"  [{engine}] {label:<45} {rate:9.0f} msgs/s")
    return runs


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()} ({platform.python_implementation()}), "
        f"load average {load:.2f} at start, engine: {engines.IMPLEMENTATION}"
    )


def load_build(path: str):
    """The ``MarketEngine`` of one saved build: a compiled ``_engine_native*.so`` or a copy of ``engine.py``
    (loaded under its own module name, so several builds live side by side in this process)."""
    import importlib.util

    name = "yiwang.trading.orderbook.domain._engine_native" if path.endswith(".so") else f"_ab_{Path(path).stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MarketEngine


def ab_part(args) -> None:
    """A/B of saved engine builds in one process: interleaved rounds (the reference, then each build in
    ``run`` batches of 64), the ratio to the reference per round on CPU time; every build must report the
    reference's trades. Save a build by copying ``domain/_engine_native*.so`` (or ``engine.py``) aside."""
    builds = [b for b in args.builds.split(",") if b]
    classes = {b: load_build(b) for b in builds}
    cmds = workload(args.commands)
    gc.disable()
    ratios: dict[str, list[float]] = {b: [] for b in builds}
    for _ in range(args.repeat):
        _, ref_cpu, ref_trades = run_reference(cmds)
        for b in builds:
            _, cpu, trades = run_engine_batches(cmds, 64, classes[b])
            if trades != ref_trades:
                raise SystemExit(f"{b}: {trades} trades, the reference {ref_trades}")
            ratios[b].append(ref_cpu / cpu)
    gc.enable()
    print(f"== ab: {len(cmds):,} commands, {args.repeat} interleaved rounds, run batches of 64, × reference (CPU)")
    first = ratios[builds[0]]
    for b in builds:
        rs = ratios[b]
        vs = statistics.median(r / f for r, f in zip(rs, first, strict=True))
        rounds = ", ".join(f"{r:.2f}" for r in rs)
        print(f"  {statistics.median(rs):.3f}×  (rounds {rounds})  {vs:.3f}× the first build  {b}")
    print(f"  load average at the end {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="all", choices=["all", "engine", "e2e", "db", "db-child", "ab"])
    parser.add_argument("--commands", type=int, default=1_400_000)
    parser.add_argument("--e2e-commands", type=int, default=400_000)
    parser.add_argument("--fsync-each", type=int, default=2000)
    parser.add_argument("--db-commands", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--builds", default="", help="ab: comma-separated saved builds (.so or engine.py copies)")
    args = parser.parse_args()
    if args.part == "db-child":
        db_child(args)
        return
    print(f"machine: {machine()}")
    if args.part == "ab":
        ab_part(args)
        return
    if args.part in ("all", "engine"):
        engine_part(args)
    if args.part in ("all", "e2e"):
        e2e_part(args)
    if args.part in ("all", "db"):
        db_part(args)


if __name__ == "__main__":
    main()
