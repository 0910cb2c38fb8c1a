"""The witness log's Merkle tree in the database: a node store over ``WitnessNode`` and the entries.

The pure tree (:mod:`.merkle`) asks a :class:`~.merkle.NodeStore` for complete subtrees by ``(level, index)``.
Here level 0 is derived from the entries (leaf ``i`` = SHA-256(0x00 ‖ raw ``entry_hash`` of entry ``i + 1``)) and
levels ≥ 1 are rows of ``WitnessNode``. Appending reads nothing: the right edge (frontier) is kept on the head
row, which every appender has locked anyway (:func:`extend_in_append`, called by ``chain.append``).

Lookups of many nodes are one query per 200 keys, written as ``(level = ? AND idx = ?) OR …``: both SQLite
(multi-index OR) and PostgreSQL (bitmap OR) answer that from the primary key, where a row-value
``(level, idx) IN (VALUES …)`` makes SQLite scan the whole table. They are raw SQL: building the same
query through the ORM cost about ten times the lookup itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import connection, transaction

from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.platform.audit.merkle import (
    SHA256,
    MerkleTree,
    NodeKey,
    NodeStoreBase,
    NodeStoreError,
    entry_leaf_hash,
)
from yiwang.platform.audit.models import WitnessEntry, WitnessHead, WitnessNode
from yiwang.platform.db import locked_singleton

HASH_SIZE = SHA256.size
LOOKUP_CHUNK = 200


def split_frontier(blob: bytes | memoryview, size: int) -> list[bytes]:
    data = bytes(blob)
    if len(data) != HASH_SIZE * size.bit_count():
        raise NodeStoreError(
            f"the head's frontier has {len(data)} bytes, a tree of {size} leaves needs {HASH_SIZE * size.bit_count()}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def join_frontier(hashes: Sequence[bytes]) -> bytes:
    return b"".join(hashes)


class DbNodeStore(NodeStoreBase):
    """:class:`~.merkle.NodeStore` over ``WitnessNode`` (levels ≥ 1) and ``WitnessEntry`` (level 0)."""

    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0

    def get(self, level: int, index: int) -> bytes | None:
        return self.get_many([(level, index)])[0]

    def put(self, level: int, index: int, value: bytes) -> None:
        self.put_many([(level, index, value)])

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes | None]:
        """One raw query per 200 keys for each kind (the ORM's query building cost ten times the lookup)."""
        self.reads += len(keys)
        found: dict[NodeKey, bytes] = {}
        quote = connection.ops.quote_name
        leaves = sorted({index for level, index in keys if level == 0})
        entries = quote(WitnessEntry._meta.db_table)
        with connection.cursor() as cursor:
            for start in range(0, len(leaves), LOOKUP_CHUNK):
                seqs = [i + 1 for i in leaves[start : start + LOOKUP_CHUNK]]
                marks = ", ".join(["%s"] * len(seqs))
                cursor.execute(f"SELECT seq, entry_hash FROM {entries} WHERE seq IN ({marks})", seqs)  # noqa: S608
                for seq, digest in cursor.fetchall():
                    try:
                        found[0, seq - 1] = entry_leaf_hash(digest)
                    except InvalidInput:
                        raise NodeStoreError(f"entry {seq} has a malformed entry_hash") from None
            inner = sorted({key for key in keys if key[0] > 0})
            nodes = quote(WitnessNode._meta.db_table)
            for start in range(0, len(inner), LOOKUP_CHUNK):
                part = inner[start : start + LOOKUP_CHUNK]
                where = " OR ".join(["(level = %s AND idx = %s)"] * len(part))
                params = [value for key in part for value in key]
                cursor.execute(f"SELECT level, idx, hash FROM {nodes} WHERE {where}", params)  # noqa: S608
                for level, index, value in cursor.fetchall():
                    found[level, index] = bytes(value)
        return [found.get(key) for key in keys]

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Write the nodes of levels ≥ 1 (leaves live in their entries). A node already stored is an error
        (``IntegrityError``): nodes are written once, by the transaction that completes them."""
        rows = [WitnessNode(level=level, index=index, hash=value) for level, index, value in nodes if level > 0]
        self.writes += len(rows)
        if rows:
            WitnessNode.objects.bulk_create(rows, batch_size=500)


def tree_at_head(head: WitnessHead, store: DbNodeStore | None = None) -> MerkleTree:
    """The tree as the head row describes it (its size and frontier)."""
    size = head.tree_size
    return MerkleTree(store or DbNodeStore(), size=size, frontier=split_frontier(head.frontier, size))


def current_tree() -> MerkleTree:
    """The tree of the committed head (read without a lock: the head row is read in one statement, so size and
    frontier belong together)."""
    head = WitnessHead.objects.filter(pk=1).first() or WitnessHead(id=1)
    return tree_at_head(head)


def extend_in_append(head: WitnessHead, entry_hashes: Sequence[str]) -> tuple[int, bytes]:
    """Inside ``chain.append`` (head locked, entries just written): add the entries' leaves to the tree and
    write the nodes they complete. Returns the new ``(tree_size, frontier)`` for the head row.

    A log whose tree is not built yet (``tree_size < seq``: it predates the tree) is left alone here; the
    backfill builds it up to the head, and from then on every append keeps it complete."""
    if head.tree_size != head.seq:
        return head.tree_size, bytes(head.frontier)
    tree = tree_at_head(head)
    tree.extend_leaf_hashes(entry_leaf_hash(digest) for digest in entry_hashes)
    return tree.size, join_frontier(tree.frontier())


def tree_not_built(tree_size: int, seq: int) -> Conflict:
    return Conflict(
        "audit.tree_not_built",
        "见证日志的默克尔树尚未建完：请先运行 yiwang witness backfill-tree",
        "the witness log's Merkle tree is not built yet: run `yiwang witness backfill-tree` first",
        {"tree_size": tree_size, "log_size": seq},
    )


def backfill(batch: int = 5000, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Build the tree for entries that predate it, ``batch`` entries per transaction. Returns leaves added.

    Idempotent and resumable: each batch locks the head, continues from the head's ``tree_size``, writes the
    nodes that batch completes and moves ``tree_size``/``frontier`` on, all in one transaction. A stopped run
    leaves a consistent prefix; the next run continues from it; a run on a complete tree does nothing.
    Appends that commit meanwhile are taken in by a later batch (they leave the tree alone while it lags)."""
    batch = max(1, int(batch))
    added = 0
    while True:
        with transaction.atomic():
            head = locked_singleton(WitnessHead)
            if head.tree_size >= head.seq:
                return added
            tree = tree_at_head(head)
            upto = min(head.seq, head.tree_size + batch)
            rows = list(
                WitnessEntry.objects.filter(seq__gt=head.tree_size, seq__lte=upto)
                .order_by("seq")
                .values_list("seq", "entry_hash")
            )
            seqs, expected = [seq for seq, _ in rows], list(range(head.tree_size + 1, upto + 1))
            if seqs != expected:
                first_wrong = (e for s, e in zip(seqs, expected, strict=False) if s != e)
                missing = next(first_wrong, expected[min(len(seqs), len(expected) - 1)])
                raise Conflict(
                    "audit.chain_broken",
                    "见证日志有缺失条目，无法建树：请先运行 yiwang witness verify",
                    "the witness log is missing entries, the tree cannot be built: run `yiwang witness verify`",
                    {"missing_seq": missing},
                )
            try:
                tree.extend_leaf_hashes(entry_leaf_hash(digest) for _, digest in rows)
            except InvalidInput:
                raise Conflict(
                    "audit.chain_broken",
                    "见证条目的哈希格式错误，无法建树：请先运行 yiwang witness verify",
                    "a witness entry's hash is malformed, the tree cannot be built: run `yiwang witness verify`",
                ) from None
            WitnessHead.objects.filter(pk=1).update(tree_size=tree.size, frontier=join_frontier(tree.frontier()))
            added += len(rows)
        if progress is not None:  # after the batch committed: whatever happens here, the batch stays
            progress(tree.size, head.seq)
