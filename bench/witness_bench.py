"""Benchmark: the signed witness log (docs/adr/0007) — append rate and proof generation.

1. **Append rate** (``--part append``): committed actions per second (each: 1 witness entry + 1 feed event,
   ``do_touch_thing``) for 1 and 4 writer processes, in four configurations:

   - ``plain``      the chain as before the trust layer (no tree nodes, no signature);
   - ``tree``       + Merkle tree nodes and the right edge on the head row;
   - ``tree+sm2``   + an SM2 signature per entry (the default), through the kernel's gmssl-pyx backend as it is;
   - ``tree+sm2digest`` the same, with the backend patched (in this benchmark only) to sign the SM3 digest
     e = SM3(Z_A ‖ M) computed in Python (``gmssl_pyx.sm2_sign_sm3_digest``) instead of calling
     ``gmssl_pyx.sm2_sign``, which is about ten times slower for the same signature;
   - ``tree+p256``  + an ECDSA P-256 signature per entry instead (``YIWANG_PLATFORM_KEY_ALGORITHM=ec-p256``).

2. **Proofs from the database** (``--part proofs``): ``--proof-entries`` synthetic entries are bulk-inserted,
   the tree is built with the backfill (timed), a head is signed, then inclusion proofs (``heads.prove_entry``:
   entry + signed head + nodes), consistency proofs and roots of older sizes are timed over random queries.

3. **10 M simulated** (``--part memory``): the in-memory node store of ``bench/merkle_bench.py`` at
   ``--memory-leaves`` (proof reads grow with log2(n), so a database at 10 M needs about 3 more node reads than
   at 1 M).

Each engine runs in a fresh child process and a flushed database (SQLite: a temporary data directory;
PostgreSQL: the database of YIWANG_DATABASE_URL).

    .venv/bin/python bench/witness_bench.py                                    # SQLite only
    tools/pg-test-server run -- .venv/bin/python bench/witness_bench.py        # SQLite and PostgreSQL
    .venv/bin/python bench/witness_bench.py --part memory --memory-leaves 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("plain", "tree", "tree+sm2", "tree+sm2digest", "tree+p256")


def _setup() -> str:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cur.fetchone()[0]
    connection.close()
    return version


def append_run(writer_counts: list[int], seconds: float, configs: list[str], cpu_actions: int) -> None:
    """Child: measure the append rate of each configuration; print one JSON line."""
    version = _setup()
    from django.conf import settings
    from django.db import connection

    from feed_append import measure
    from yiwang.kernel.actors import Actor
    from yiwang.platform.audit import chain, tree
    from yiwang.platform.keys.actions import do_rotate_platform_key
    from yiwang.platform.testing import do_touch_thing

    real_extend = chain.extend_in_append

    def digest_signing() -> None:
        from yiwang.kernel.crypto import sm2
        from yiwang.kernel.crypto.hashing import sm3

        def sign(self, private, public, message, uid=sm2.DEFAULT_UID):
            digest = sm3(sm2.z_a(public, uid) + bytes(message))
            return sm2.signature_from_der(self._lib.sm2_sign_sm3_digest(bytes(private), digest))

        sm2.GmsslPyxBackend.sign = sign

    def no_tree(head, hashes):
        return head.tree_size, bytes(head.frontier)

    results: dict[str, list[dict]] = {}
    for config in configs:
        chain.extend_in_append = no_tree if config == "plain" else real_extend
        settings.YIWANG_WITNESS_SIGN_ENTRIES = config.startswith("tree+")
        if config != "plain":
            tree.backfill(20_000)  # the entries the plain run left outside the tree
        if config == "tree+sm2digest":
            digest_signing()
        if config == "tree+p256":
            do_rotate_platform_key(actor=Actor.system("bench"), kind="ec-p256", reason="benchmark")
        # CPU time of one writer in this process: what the configuration adds, whatever else the machine does
        actor, cpu0, wall0 = Actor.system("bench-cpu"), time.process_time(), time.perf_counter()
        for n in range(cpu_actions):
            do_touch_thing(actor=actor, n=-1 - n)
        cpu = (time.process_time() - cpu0) / cpu_actions * 1000
        wall = (time.perf_counter() - wall0) / cpu_actions * 1000
        connection.close()
        cells = [measure(w, seconds, "processes") for w in writer_counts]
        results[config] = [{**cell, "cpu_ms": cpu, "wall_ms": wall} for cell in cells]
    chain.extend_in_append = real_extend
    tree.backfill(20_000)
    report = chain.verify(signatures=False)
    assert report.ok, report.describe()
    connection.close()
    print(json.dumps({"engine": connection.vendor, "version": version, "results": results}))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stats(seconds: list[float]) -> dict[str, float]:
    us = [s * 1e6 for s in seconds]
    return {"p50": _pct(us, 0.5), "p95": _pct(us, 0.95), "max": max(us), "mean": statistics.fmean(us)}


def proofs_run(entries: int, queries: int, seed: int, fast: bool = False) -> None:
    """Child: bulk-insert synthetic entries, backfill the tree, time proofs; print one JSON line."""
    version = _setup()
    from django.db import connection, transaction

    from yiwang.platform.audit import heads, tree
    from yiwang.platform.audit.archive import verify_consistency_proof, verify_entry_proof
    from yiwang.platform.audit.format import (
        GENESIS_HASH,
        EntryFields,
        entry_hash,
        payload_digest,
        payload_text,
    )
    from yiwang.platform.audit.models import WitnessEntry, WitnessHead
    from yiwang.platform.keys.service import key_ring
    from yiwang.platform.testing import do_touch_thing

    rng = random.Random(seed)
    start, prev = datetime(2026, 3, 2, 1, 0, tzinfo=UTC), GENESIS_HASH
    t0 = time.perf_counter()
    batch: list[WitnessEntry] = []
    if fast:  # minimal rows with random hashes (no chain): enough for the tree and proofs, 10x quicker to load
        table = connection.ops.quote_name(WitnessEntry._meta.db_table)
        columns = (
            "seq, occurred_at, actor_ref, actor_label, action, object_type, object_id, payload_text, "
            "payload_digest, prev_hash, entry_hash, format, signature, key_id"
        )
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 14)})"  # noqa: S608
        moment = connection.ops.adapt_datetimefield_value(start)
        with connection.cursor() as cursor:
            for first in range(1, entries + 1, 50_000):
                rows = []
                for seq in range(first, min(entries, first + 49_999) + 1):
                    prev = rng.randbytes(32).hex()
                    rows.append(
                        (
                            seq,
                            moment,
                            "system:bench",
                            "bench",
                            "bench.x",
                            "bench.x",
                            str(seq),
                            "{}",
                            "0" * 64,
                            "0" * 64,
                            prev,
                            1,
                            "",
                            "",
                        )
                    )
                with transaction.atomic():
                    cursor.executemany(sql, rows)
        entries_done = entries
    else:
        entries_done = 0
    for seq in range(entries_done + 1, entries + 1):
        text = payload_text({"section": f"BD-{seq:08d}", "amount_fen": seq * 100, "note": "开标记录"})
        fields = EntryFields(
            seq=seq,
            prev_hash=prev,
            occurred_at=start + timedelta(milliseconds=seq),
            actor_ref=f"account:{seq % 97}",
            actor_label="招标代理机构",
            action="tender.open_bids",
            object_type="tender.section",
            object_id=str(seq),
            payload_digest=payload_digest(text),
        )
        prev = entry_hash(fields)
        batch.append(
            WitnessEntry(
                seq=seq,
                occurred_at=fields.occurred_at,
                actor_ref=fields.actor_ref,
                actor_label=fields.actor_label,
                action=fields.action,
                object_type=fields.object_type,
                object_id=fields.object_id,
                payload_text=text,
                payload_digest=fields.payload_digest,
                prev_hash=fields.prev_hash,
                entry_hash=prev,
            )
        )
        if len(batch) == 10_000 or seq == entries:
            with transaction.atomic():
                WitnessEntry.objects.bulk_create(batch)
            batch = []
    WitnessHead.objects.update_or_create(pk=1, defaults={"seq": entries, "entry_hash": prev, "tree_size": 0})
    insert_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    tree.backfill(50_000)
    backfill_s = time.perf_counter() - t0
    signed = heads.sign_head(entries)
    ring = key_ring()

    prove_t, path_t, con_t, root_t, reads = [], [], [], [], []
    current = tree.current_tree()
    for _ in range(queries):
        seq = rng.randrange(1, entries + 1)
        t0 = time.perf_counter()
        proof = heads.prove_entry(seq, entries)
        prove_t.append(time.perf_counter() - t0)
        assert fast or verify_entry_proof(proof, verify_signature=ring.verify_head).ok
        store = tree.DbNodeStore()
        sized = tree.MerkleTree(store, size=current.size, frontier=current.frontier())
        t0 = time.perf_counter()
        sized.inclusion_proof(seq - 1, entries)
        path_t.append(time.perf_counter() - t0)
        reads.append(store.reads)
        old = rng.randrange(1, entries + 1)
        t0 = time.perf_counter()
        old_root = sized.root(old)
        root_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        path = sized.consistency_proof(old, entries)
        con_t.append(time.perf_counter() - t0)
        from yiwang.platform.audit.archive import ConsistencyProof
        from yiwang.platform.audit.merkle import TreeHead

        old_head = TreeHead(old, old_root, signed.head.timestamp, signed.head.key_id, b"x")
        assert verify_consistency_proof(ConsistencyProof(old_head, signed.head, tuple(path))).ok

    from yiwang.kernel.actors import Actor

    actor = Actor.system("bench")
    t0 = time.perf_counter()
    for n in range(50):
        do_touch_thing(actor=actor, n=n)
    append_ms = (time.perf_counter() - t0) / 50 * 1000
    size_mb = None
    if connection.vendor == "sqlite":
        size_mb = os.path.getsize(connection.settings_dict["NAME"]) / 1e6
    connection.close()
    print(
        json.dumps(
            {
                "engine": connection.vendor,
                "version": version,
                "entries": entries,
                "insert_s": insert_s,
                "backfill_s": backfill_s,
                "prove_entry": _stats(prove_t),
                "inclusion_path": _stats(path_t),
                "consistency": _stats(con_t),
                "old_root": _stats(root_t),
                "reads_max": max(reads),
                "append_after_ms": append_ms,
                "db_mb": size_mb,
            }
        )
    )


def run_child(engine: str, args: list[str]) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-witness-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
        env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")])
        done = subprocess.run(
            [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False, timeout=7200
        )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"{engine} run failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["append", "proofs", "memory", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per cell (append)")
    parser.add_argument("--writers", default="1,4", help="comma-separated writer counts (append)")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--repeat", type=int, default=1, help="append runs per engine; the median is shown")
    parser.add_argument("--cpu-actions", type=int, default=200, help="sequential actions timed in one process")
    parser.add_argument("--proof-entries", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument(
        "--fast-entries",
        action="store_true",
        help="proofs: minimal entries with random hashes (for 10 M in the database)",
    )
    parser.add_argument("--memory-leaves", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--child", choices=["append", "proofs"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    writer_counts = [int(w) for w in args.writers.split(",")]
    configs = [c for c in args.configs.split(",") if c]
    if args.child == "append":
        append_run(writer_counts, args.seconds, configs, args.cpu_actions)
        return
    if args.child == "proofs":
        proofs_run(args.proof_entries, args.queries, args.seed, args.fast_entries)
        return

    from feed_append import machine

    print(f"machine: {machine()}")
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("YIWANG_DATABASE_URL") else [])

    if args.part in ("append", "all"):
        child = ["--child", "append", "--seconds", str(args.seconds), "--writers", args.writers]
        child += ["--configs", ",".join(configs), "--cpu-actions", str(args.cpu_actions)]
        rates: dict[str, dict[str, list[list[float]]]] = {}
        cpu: dict[str, dict[str, list[float]]] = {}
        versions = {}
        for _ in range(args.repeat):
            for engine in engines:
                run = run_child(engine, child)
                versions[engine] = run["version"]
                for config, cells in run["results"].items():
                    cpu.setdefault(engine, {}).setdefault(config, []).append(cells[0]["cpu_ms"])
                    slot = rates.setdefault(engine, {}).setdefault(config, [[] for _ in writer_counts])
                    for i, cell in enumerate(cells):
                        slot[i].append(cell["per_second"])
        print("\n[1] append rate: committed actions/s (1 witness entry + 1 feed event each), writer processes")
        print("engines: " + ", ".join(f"{e} {versions[e]}" for e in engines) + f"; median of {args.repeat}")
        header = f"{'engine':<11} {'writers':>7} | " + " | ".join(f"{c:>16}" for c in configs)
        print(header + " | tree+sm2 / plain")
        for engine in engines:
            for i, writers in enumerate(writer_counts):
                cells = {c: statistics.median(rates[engine][c][i]) for c in configs}
                ratio = ""
                if "plain" in cells and "tree+sm2" in cells:
                    ratio = f"{cells['tree+sm2'] / cells['plain']:.2f}"
                line = f"{engine:<11} {writers:>7} | " + " | ".join(f"{cells[c]:>16.0f}" for c in configs)
                print(line + f" | {ratio:>16}")
        print("\nCPU ms per action of one writer (this process only; the database server's work not included):")
        print(f"{'engine':<19} | " + " | ".join(f"{c:>16}" for c in configs))
        for engine in engines:
            print(f"{engine:<19} | " + " | ".join(f"{statistics.median(cpu[engine][c]):>16.2f}" for c in configs))

    if args.part in ("proofs", "all"):
        print(f"\n[2] proofs from the database at {args.proof_entries:,} entries ({args.queries} random queries)")
        child = ["--child", "proofs", "--proof-entries", str(args.proof_entries), "--queries", str(args.queries)]
        child += ["--seed", str(args.seed)] + (["--fast-entries"] if args.fast_entries else [])
        for engine in engines:
            run = run_child(engine, child)
            n = run["entries"]
            print(
                f"  {engine} {run['version']}: insert {run['insert_s']:.0f} s; backfill {run['backfill_s']:.0f} s "
                f"= {n / run['backfill_s']:,.0f} leaves/s"
                + (f"; database {run['db_mb']:,.0f} MB" if run["db_mb"] else "")
            )
            for name in ("prove_entry", "inclusion_path", "consistency", "old_root"):
                s = run[name]
                print(
                    f"    {name:<16} p50 {s['p50']:8.0f} µs  p95 {s['p95']:8.0f} µs  max {s['max']:8.0f} µs  "
                    f"mean {s['mean']:8.0f} µs"
                )
            print(f"    node reads per inclusion proof ≤ {run['reads_max']}")
            print(f"    one action (tree + signature) on the full log: {run['append_after_ms']:.2f} ms (uncontended)")

    if args.part in ("memory", "all"):
        import merkle_bench

        rng = random.Random(args.seed)
        ns = argparse.Namespace(leaves=args.memory_leaves, queries=args.queries, singles=20_000)
        print(f"\n[3] in-memory node store at {args.memory_leaves:,} leaves (bench/merkle_bench.py)")
        merkle_bench.run_memory(ns, rng)


if __name__ == "__main__":
    main()
