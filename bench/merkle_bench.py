"""Benchmark: the witness log's RFC 6962 Merkle tree at 10 M simulated entries.

Leaves are random 32-byte "entry hashes" (the leaf data the witness log uses). Measures:

1. bulk append into the in-memory node store (``MerkleTree.extend`` in batches) and single appends
   (``MerkleTree.append``, one per witnessed action) on the full tree;
2. inclusion and consistency proof generation at the full size and at random older sizes
   (p50 / p95 / max over ``--queries`` random queries), node-store reads per proof, and verification time;
3. offline archives (``--archive-entries`` real witness entries written as JSON Lines): full verification
   (chain + Merkle root + head) and ``prove_entry`` from the file, both one streaming pass;
4. the same proofs through a SQLite node store (standard library ``sqlite3``, a ``(level, idx, hash)``
   table WITHOUT ROWID) — the shape of the database table the platform will use — at ``--sqlite-leaves``.

Run:  .venv/bin/python bench/merkle_bench.py                      (10 M in memory, 1 M in SQLite; ~2–3 min)
      .venv/bin/python bench/merkle_bench.py --leaves 1000000     (quick)
      .venv/bin/python bench/merkle_bench.py --sqlite-leaves 10000000   (adds ~2 min and ~1.3 GB of disk)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yiwang.platform.audit.archive import prove_entry, verify_archive, verify_entry_proof, write_archive
from yiwang.platform.audit.format import (
    GENESIS_HASH,
    EntryFields,
    StoredEntry,
    entry_hash,
    payload_digest,
    payload_text,
)
from yiwang.platform.audit.merkle import (
    SHA256,
    MemoryNodeStore,
    MerkleTree,
    NodeStoreBase,
    entry_leaf_data,
    make_tree_head,
    verify_consistency,
    verify_inclusion,
)

BATCH = 1 << 16


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, seconds: list[float], reads: list[int] | None = None) -> str:
    us = [s * 1e6 for s in seconds]
    text = (
        f"  {name:<44} p50 {pct(us, 0.5):8.1f} µs   p95 {pct(us, 0.95):8.1f} µs   "
        f"max {max(us):8.1f} µs   mean {statistics.fmean(us):8.1f} µs"
    )
    if reads is not None:
        text += f"   reads ≤ {max(reads)}"
    return text


def build(tree: MerkleTree, n: int, rng: random.Random, label: str) -> float:
    start = time.perf_counter()
    done = 0
    next_report = start + 15
    while done < n:
        size = min(BATCH, n - done)
        blob = rng.randbytes(32 * size)
        tree.extend([blob[i : i + 32] for i in range(0, len(blob), 32)])
        done += size
        if time.perf_counter() > next_report:
            print(f"    … {label}: {done:,} leaves, {time.perf_counter() - start:.0f} s", flush=True)
            next_report += 15
    return time.perf_counter() - start


def time_queries(
    tree: MerkleTree,
    queries: int,
    rng: random.Random,
    reads: Callable[[], int],
    reset: Callable[[], None],
    full_size_only: bool,
) -> list[str]:
    n = tree.size
    full_root = tree.root()
    roots: dict[int, bytes] = {n: full_root}
    inc_t, inc_r, inc_v, con_t, con_r, con_v, root_t = [], [], [], [], [], [], []
    for _ in range(queries):
        size = n if full_size_only else rng.randrange(1, n + 1)
        if size not in roots:
            roots[size] = tree.root(size)
        index = rng.randrange(size)
        reset()
        t0 = time.perf_counter()
        path = tree.inclusion_proof(index, size)
        inc_t.append(time.perf_counter() - t0)
        inc_r.append(reads())
        leaf = tree.leaf_hash(index)
        t0 = time.perf_counter()
        ok = verify_inclusion(leaf, index, size, path, roots[size])
        inc_v.append(time.perf_counter() - t0)
        assert ok

        old = rng.randrange(1, size + 1)
        old_root = tree.root(old)
        reset()
        t0 = time.perf_counter()
        proof = tree.consistency_proof(old, size)
        con_t.append(time.perf_counter() - t0)
        con_r.append(reads())
        t0 = time.perf_counter()
        ok = verify_consistency(old, size, old_root, roots[size], proof)
        con_v.append(time.perf_counter() - t0)
        assert ok

        t0 = time.perf_counter()
        tree.root(rng.randrange(1, n + 1))
        root_t.append(time.perf_counter() - t0)
    where = f"at size {n:,}" if full_size_only else "at random sizes ≤ n"
    return [
        summary(f"inclusion proof {where}", inc_t, inc_r),
        summary("  verify inclusion", inc_v),
        summary(f"consistency proof {where}", con_t, con_r),
        summary("  verify consistency", con_v),
        summary("root of a random older size", root_t),
    ]


class SqliteNodeStore(NodeStoreBase):
    """A ``(level, idx, hash)`` table, one SELECT per proof and one executemany per append batch."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS merkle_node (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
            "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID"
        )
        self.reads = 0

    def get(self, level: int, index: int) -> bytes | None:
        return self.get_many([(level, index)])[0]

    def get_many(self, keys):
        self.reads += len(keys)
        found: dict[tuple[int, int], bytes] = {}
        for chunk in range(0, len(keys), 400):
            part = keys[chunk : chunk + 400]
            # ORed key pairs use the primary key (MULTI-INDEX OR); "(level, idx) IN (VALUES …)" scans the table.
            where = " OR ".join("(level = ? AND idx = ?)" for _ in part)
            params = [v for key in part for v in key]
            sql = f"SELECT level, idx, hash FROM merkle_node WHERE {where}"  # noqa: S608
            for level, idx, value in self.db.execute(sql, params):
                found[level, idx] = value
        return [found.get(key) for key in keys]

    def put(self, level: int, index: int, value: bytes) -> None:
        self.put_many([(level, index, value)])

    def put_many(self, nodes):
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO merkle_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
        self.db.execute("COMMIT")


def run_memory(args: argparse.Namespace, rng: random.Random) -> None:
    print(f"\n[1] in-memory node store, {args.leaves:,} leaves")
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    seconds = build(tree, args.leaves, rng, "memory")
    print(
        f"  bulk append (extend, batches of {BATCH:,}): {seconds:.1f} s = {args.leaves / seconds:,.0f} leaves/s "
        f"({seconds / args.leaves * 1e6:.2f} µs/leaf); {store.writes:,} node writes; peak RSS {rss_mb():,.0f} MB"
    )
    singles = [rng.randbytes(32) for _ in range(args.singles)]
    t0 = time.perf_counter()
    for leaf in singles:
        tree.append(leaf)
    seconds = time.perf_counter() - t0
    print(
        f"  single appends on the full tree (append): {args.singles / seconds:,.0f} leaves/s "
        f"({seconds / args.singles * 1e6:.2f} µs/leaf)"
    )
    t0 = time.perf_counter()
    tree.root()
    print(f"  root of the current size from the frontier: {(time.perf_counter() - t0) * 1e6:.1f} µs")

    def reset() -> None:
        store.reads = 0

    for line in time_queries(tree, args.queries, rng, lambda: store.reads, reset, full_size_only=True):
        print(line)
    for line in time_queries(tree, args.queries, rng, lambda: store.reads, reset, full_size_only=False):
        print(line)


def synthetic_entries(n: int) -> Iterator[StoredEntry]:
    prev, start = GENESIS_HASH, datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for seq in range(1, n + 1):
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
        yield StoredEntry(fields=fields, payload_text=text, entry_hash=prev)


def run_archive(n: int, rng: random.Random) -> None:
    print(f"\n[2] offline archive, {n:,} witness entries (JSON Lines)")
    t0 = time.perf_counter()
    entries = list(synthetic_entries(n))
    tree = MerkleTree()
    tree.extend(entry_leaf_data(e.entry_hash) for e in entries)
    head = make_tree_head(tree, timestamp=datetime(2026, 3, 3, tzinfo=UTC), key_id="bench", sign=lambda m: b"sig")
    print(f"  built entries and tree: {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory(prefix="merkle-archive-") as folder:
        path = os.path.join(folder, "witness.jsonl")
        t0 = time.perf_counter()
        with open(path, "w", encoding="utf-8") as out:
            write_archive(out, entries, head)
        seconds = time.perf_counter() - t0
        size_mb = os.path.getsize(path) / 1e6
        print(f"  write: {seconds:.1f} s ({n / seconds:,.0f} entries/s), {size_mb:,.0f} MB")
        del entries, tree

        def accept(message: bytes, signature: bytes) -> bool:
            return signature == b"sig"

        t0 = time.perf_counter()
        with open(path, encoding="utf-8") as source:
            report = verify_archive(source, verify_signature=accept)
        seconds = time.perf_counter() - t0
        assert report.ok, report.describe()
        print(
            f"  verify (chain + root + head): {seconds:.1f} s = {n / seconds:,.0f} entries/s; "
            f"peak RSS {rss_mb():,.0f} MB"
        )
        seq = rng.randrange(1, n + 1)
        t0 = time.perf_counter()
        with open(path, encoding="utf-8") as source:
            proof = prove_entry(source, seq, verify_signature=accept)
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        assert verify_entry_proof(proof, verify_signature=accept).ok
        check = time.perf_counter() - t0
        print(
            f"  prove entry #{seq:,} from the file (verifies it too): {seconds:.1f} s; "
            f"verify that proof alone: {check * 1e6:.0f} µs"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaves", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=100_000, help="single appends timed on the full tree")
    parser.add_argument("--archive-entries", type=int, default=200_000, help="0 to skip the archive run")
    parser.add_argument("--sqlite-leaves", type=int, default=1_000_000, help="0 to skip the SQLite store")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    print(f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, {platform.system()}")
    print(f"hash: {SHA256.name}; leaves: {args.leaves:,} random 32-byte entry hashes; queries: {args.queries:,}")

    run_memory(args, rng)
    if args.archive_entries:
        run_archive(args.archive_entries, rng)

    if args.sqlite_leaves:
        print(f"\n[3] SQLite node store (WAL, WITHOUT ROWID), {args.sqlite_leaves:,} leaves")
        with tempfile.TemporaryDirectory(prefix="merkle-bench-") as folder:
            path = os.path.join(folder, "nodes.sqlite3")
            sql_store = SqliteNodeStore(path)
            sql_tree = MerkleTree(sql_store)
            seconds = build(sql_tree, args.sqlite_leaves, rng, "sqlite")
            size_mb = os.path.getsize(path) / 1e6
            print(
                f"  bulk append: {seconds:.1f} s = {args.sqlite_leaves / seconds:,.0f} leaves/s; "
                f"database {size_mb:,.0f} MB (+WAL)"
            )
            # a fresh tree on the same table, as after a restart: the frontier is read back once
            reopened = MerkleTree(sql_store, size=args.sqlite_leaves)
            t0 = time.perf_counter()
            reopened.root()
            print(f"  reopen (read the frontier back): {(time.perf_counter() - t0) * 1e6:.0f} µs")

            def sql_reset() -> None:
                sql_store.reads = 0

            for line in time_queries(
                reopened, args.queries, rng, lambda: sql_store.reads, sql_reset, full_size_only=True
            ):
                print(line)
            for line in time_queries(
                reopened, args.queries, rng, lambda: sql_store.reads, sql_reset, full_size_only=False
            ):
                print(line)
            sql_store.db.close()
    print(f"\npeak RSS {rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
