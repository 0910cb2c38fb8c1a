"""An RFC 6962 Merkle tree over the witness log (见证日志), as pure Python (standard library + ``yiwang.kernel``).

Definitions (RFC 6962 §2.1, unchanged in RFC 9162 §2.1.1), for a list of leaves D[n]:

* ``MTH({}) = HASH()`` — the hash of the empty string;
* ``MTH({d0}) = HASH(0x00 || d0)`` — the *leaf hash*;
* ``MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` with ``k`` the largest power of two smaller than n.

**Leaf data.** Leaf *i* (0-based) is witness entry ``seq = i + 1``, and its leaf data is the 32 raw bytes of
that entry's ``entry_hash`` (the SHA-256 of the entry's canonical body, see :mod:`.format`), not its hex text.
The body contains every field of the entry, its ``payload_digest`` and its link ``prev`` to the entry before,
so the tree commits to the whole entry and to the chain: changing, removing or reordering an entry changes
its leaf or the leaves after it, and so every root that covers it.

**Hash function.** The tree hash is pluggable through :class:`TreeHasher` (SHA-256 now, SM3 by name when the
OpenSSL under ``hashlib`` offers it, or any ``digest(bytes) -> bytes`` the crypto kernel provides later).
The leaf data stays the entry's SHA-256 whatever the tree hash is.

**Storage.** A :class:`MerkleTree` keeps the hash of every *complete* subtree — a perfect, power-of-two
aligned block of leaves ``[index·2^level, (index+1)·2^level)`` — in a :class:`NodeStore` addressed by
``(level, index)``; level 0 holds the leaf hashes. These nodes never change once written (the log only grows),
so a database can keep them as immutable ``(level, index, hash)`` rows. Appending writes the new leaf and the
nodes it completes (2 writes per leaf amortised, no reads: the right edge — the *frontier* — is kept in
memory). Any root ``MTH(D[0:m])`` and any proof for sizes up to the current one is assembled from at most
~2·log2(n) stored nodes, fetched in one :meth:`NodeStore.get_many` call.

**Verification** (:func:`verify_inclusion`, :func:`verify_consistency`) follows RFC 9162 §2.1.3.2 and §2.1.4.2
and needs nothing but the proof. It returns ``False`` for every wrong or malformed input — wrong types,
negative or inconsistent sizes, hashes of the wrong length, proofs too short or too long — and never raises.

**Tree heads.** :class:`TreeHead` is the signed statement "the log had ``tree_size`` entries with root
``root_hash`` at ``timestamp``"; :meth:`TreeHead.signing_bytes` is the canonical byte string a signer signs.
Signers and verifiers are plain callables (``sign(message) -> signature``, ``verify(message, signature) -> bool``)
so the kernel's SM2 / ECDSA implementations plug in without this module knowing them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.errors import InvalidInput

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

TREE_HEAD_TYPE = "yiwang.witness.tree_head"
TREE_HEAD_VERSION = 1

Signer = Callable[[bytes], bytes]
"""``sign(message) -> signature``: the platform key signing a tree head's :meth:`TreeHead.signing_bytes`."""

SignatureVerifier = Callable[[bytes, bytes], bool]
"""``verify(message, signature) -> bool`` for the key named by the head's ``key_id`` (the caller picks the key)."""


# hashing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeHasher:
    """The tree's hash function, with RFC 6962's domain separation between leaves (0x00) and nodes (0x01)."""

    name: str
    digest: Callable[[bytes], bytes]
    size: int

    def empty_root(self) -> bytes:
        return self.digest(b"")

    def hash_leaf(self, data: bytes) -> bytes:
        return self.digest(LEAF_PREFIX + data)

    def hash_children(self, left: bytes, right: bytes) -> bytes:
        return self.digest(NODE_PREFIX + left + right)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


SHA256 = TreeHasher("sha256", _sha256, 32)


def hasher_named(name: str) -> TreeHasher:
    """The hasher called ``name`` ("sha256", "sm3" …) from ``hashlib``; ``audit.merkle_hash_unavailable`` if none."""
    if name == SHA256.name:
        return SHA256
    if not isinstance(name, str) or name != name.lower():
        raise InvalidInput(
            "audit.merkle_hash_unavailable",
            f"哈希算法 {name!r} 不可用（名称须为小写）",
            f"hash algorithm {name!r} is not available (names are lower case)",
            {"hash_alg": str(name)},
        )
    try:
        size = hashlib.new(name).digest_size
    except (ValueError, TypeError):
        raise InvalidInput(
            "audit.merkle_hash_unavailable",
            f"哈希算法 {name!r} 不可用",
            f"hash algorithm {name!r} is not available",
            {"hash_alg": name},
        ) from None
    if not size:
        raise InvalidInput(
            "audit.merkle_hash_unavailable",
            f"哈希算法 {name!r} 不是定长摘要",
            f"hash algorithm {name!r} has no fixed digest size",
            {"hash_alg": name},
        )

    def digest(data: bytes) -> bytes:
        return hashlib.new(name, data).digest()

    return TreeHasher(name, digest, size)


def entry_leaf_data(entry_hash_hex: str) -> bytes:
    """The leaf data of a witness entry: the 32 raw bytes of its (lower-case hex) ``entry_hash``."""
    if not is_hex_hash(entry_hash_hex, 32):
        raise InvalidInput(
            "audit.merkle_bad_entry_hash",
            "见证条目哈希应为 64 位小写十六进制",
            "an entry hash is 64 lower-case hexadecimal digits",
            {"entry_hash": str(entry_hash_hex)[:80]},
        )
    return bytes.fromhex(entry_hash_hex)


def entry_leaf_hash(entry_hash_hex: str, hasher: TreeHasher = SHA256) -> bytes:
    """``MTH({entry})``: the leaf hash of a witness entry."""
    return hasher.hash_leaf(entry_leaf_data(entry_hash_hex))


# tree shape ------------------------------------------------------------------------------------------------


def _split(n: int) -> int:
    """RFC 6962's k: the largest power of two strictly smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


Range = tuple[int, int]
NodeKey = tuple[int, int]


def range_nodes(lo: int, hi: int) -> list[NodeKey]:
    """The complete subtrees ``(level, index)`` that make up leaves ``[lo, hi)``, left to right.

    For every range RFC 6962's recursion produces, ``lo`` is aligned to the power of two at or above
    ``hi - lo``, so the pieces are the binary digits of ``hi - lo`` from the largest down and
    ``MTH(D[lo:hi])`` folds them from the right (see :func:`fold_right`).
    """
    nodes: list[NodeKey] = []
    while lo < hi:
        level = ((lo & -lo).bit_length() - 1) if lo else (hi - lo).bit_length() - 1
        while (1 << level) > hi - lo:
            level -= 1
        nodes.append((level, lo >> level))
        lo += 1 << level
    return nodes


def fold_right(hashes: Sequence[bytes], hasher: TreeHasher) -> bytes:
    """``H(h0, H(h1, … H(h[-2], h[-1])))``: the root over complete subtrees of decreasing size."""
    if not hashes:
        return hasher.empty_root()
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = hasher.hash_children(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose MTHs form ``PATH(index, D[size])`` (RFC 6962 §2.1.1), in proof order."""
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The leaf ranges whose MTHs form ``PROOF(old_size, D[new_size])`` (RFC 6962 §2.1.2), in proof order.

    Empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove).
    """
    if old_size <= 0 or old_size >= new_size:
        return []
    ranges: list[Range] = []
    lo, hi, whole_old_tree = 0, new_size, True
    while True:
        if old_size == hi:
            # SUBPROOF(m, D[m], b): the old tree's own root is known to the verifier only when b is true.
            if not whole_old_tree:
                ranges.append((lo, hi))
            break
        k = _split(hi - lo)
        if old_size - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            whole_old_tree = False
    ranges.reverse()
    return ranges


# node store ------------------------------------------------------------------------------------------------


class NodeStoreError(RuntimeError):
    """The node store lacks a node it must have, or was asked to overwrite one: storage is damaged."""


class NodeStore(Protocol):
    """Where the hashes of complete subtrees live. Keys are ``(level, index)``; values are immutable.

    A database table ``(level SMALLINT, index BIGINT, hash BYTEA, PRIMARY KEY (level, index))`` implements it:
    ``get_many`` is one ``SELECT … WHERE (level, index) IN (…)`` and ``put_many`` one bulk insert, inside the
    transaction that appends the witness entries. :class:`NodeStoreBase` derives the batch calls from
    ``get``/``put`` for stores that have no cheaper way.
    """

    def get(self, level: int, index: int) -> bytes | None: ...

    def put(self, level: int, index: int, value: bytes) -> None: ...

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes | None]: ...

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None: ...


class NodeStoreBase:
    """Batch operations in terms of single ones."""

    def get(self, level: int, index: int) -> bytes | None:
        raise NotImplementedError

    def put(self, level: int, index: int, value: bytes) -> None:
        raise NotImplementedError

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes | None]:
        return [self.get(level, index) for level, index in keys]

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, value in nodes:
            self.put(level, index, value)


class MemoryNodeStore(NodeStoreBase):
    """Nodes in one ``bytearray`` per level (32 bytes a node, ~2n nodes for n leaves: 640 MB at 10 M leaves).

    Nodes are appended left to right on each level, as :class:`MerkleTree` writes them; rewriting a node
    with the same value is accepted, with another value refused (:class:`NodeStoreError`).
    """

    def __init__(self, node_size: int = 32):
        self.node_size = node_size
        self._levels: list[bytearray] = []
        self.reads = 0
        self.writes = 0

    def count(self, level: int) -> int:
        return len(self._levels[level]) // self.node_size if level < len(self._levels) else 0

    def get(self, level: int, index: int) -> bytes | None:
        self.reads += 1
        if level < 0 or index < 0 or level >= len(self._levels):
            return None
        start = index * self.node_size
        row = self._levels[level]
        if start + self.node_size > len(row):
            return None
        return bytes(row[start : start + self.node_size])

    def put(self, level: int, index: int, value: bytes) -> None:
        self.writes += 1
        if len(value) != self.node_size:
            raise NodeStoreError(f"node ({level}, {index}) has {len(value)} bytes, the store holds {self.node_size}")
        while len(self._levels) <= level:
            self._levels.append(bytearray())
        row = self._levels[level]
        have = len(row) // self.node_size
        if index == have:
            row += value
        elif 0 <= index < have:
            if row[index * self.node_size : (index + 1) * self.node_size] != value:
                raise NodeStoreError(f"node ({level}, {index}) is already stored with another hash")
        else:
            raise NodeStoreError(f"node ({level}, {index}) written out of order (level has {have} nodes)")

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, value in nodes:
            self.put(level, index, value)


# the frontier ----------------------------------------------------------------------------------------------


@dataclass
class Frontier:
    """The right edge of a tree: one complete-subtree hash per 1-bit of ``size``, largest first.

    O(log n) memory; gives the root of the current size in O(log n) hashing and no storage reads.
    Used alone to compute the root of a stream of leaves (an archive), and inside :class:`MerkleTree`.
    """

    hasher: TreeHasher = SHA256
    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.hashes) != self.size.bit_count():
            raise ValueError(f"a frontier of size {self.size} has {self.size.bit_count()} hashes")

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the complete nodes it creates (the leaf first), as ``(level, index, hash)``."""
        index, level, current = self.size, 0, leaf_hash
        created = [(0, index, leaf_hash)]
        hash_children = self.hasher.hash_children
        while index & 1:
            current = hash_children(self.hashes.pop(), current)
            index >>= 1
            level += 1
            created.append((level, index, current))
        self.hashes.append(current)
        self.size += 1
        return created

    def root(self) -> bytes:
        return fold_right(self.hashes, self.hasher)

    def copy(self) -> Frontier:
        return Frontier(self.hasher, self.size, list(self.hashes))


# the tree --------------------------------------------------------------------------------------------------


def _out_of_range(code: str, what_zh: str, what_en: str, **details: int) -> InvalidInput:
    return InvalidInput(code, what_zh, what_en, dict(details))


class MerkleTree:
    """An append-only RFC 6962 tree whose complete subtrees live in a :class:`NodeStore`.

    ``size`` is the number of leaves already in the store (the witness head's ``seq``); ``frontier``, when
    given, is the right edge for that size (e.g. cached beside the head), otherwise it is read from the
    store (O(log n) reads) the first time it is needed.
    """

    def __init__(
        self,
        store: NodeStore | None = None,
        *,
        size: int = 0,
        hasher: TreeHasher = SHA256,
        frontier: Sequence[bytes] | None = None,
    ):
        if not _is_int(size) or size < 0:
            raise ValueError("tree size must be a non-negative integer")
        self.store: NodeStore = store if store is not None else MemoryNodeStore(hasher.size)
        self.hasher = hasher
        self._size = size
        self._frontier: Frontier | None = None
        if frontier is not None:
            self._frontier = Frontier(hasher, size, list(frontier))

    @property
    def size(self) -> int:
        return self._size

    # appending

    def _edge(self) -> Frontier:
        if self._frontier is None:
            keys = range_nodes(0, self._size)
            self._frontier = Frontier(self.hasher, self._size, self._fetch(keys))
        return self._frontier

    def frontier(self) -> list[bytes]:
        """The right edge of the current tree (store it next to the head to skip reading it back)."""
        return list(self._edge().hashes)

    def append(self, leaf_data: bytes) -> int:
        """Append one leaf (its data, e.g. :func:`entry_leaf_data`); return its index."""
        return self.append_leaf_hash(self.hasher.hash_leaf(leaf_data))

    def append_leaf_hash(self, leaf_hash: bytes) -> int:
        index = self._size
        self.extend_leaf_hashes([leaf_hash])
        return index

    def extend(self, leaves_data: Iterable[bytes]) -> int:
        """Append many leaves with one ``put_many``; return the new size."""
        hash_leaf = self.hasher.hash_leaf
        return self.extend_leaf_hashes(hash_leaf(d) for d in leaves_data)

    def extend_leaf_hashes(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append many leaf hashes with one ``put_many``; return the new size. All or nothing: if a hash is
        malformed or the store refuses, the tree keeps its old size and right edge."""
        edge = self._edge().copy()
        created: list[tuple[int, int, bytes]] = []
        for leaf_hash in leaf_hashes:
            if not isinstance(leaf_hash, bytes) or len(leaf_hash) != self.hasher.size:
                raise ValueError(f"a leaf hash is {self.hasher.size} bytes")
            created.extend(edge.append(leaf_hash))
        if created:
            self.store.put_many(created)
            self._frontier = edge
            self._size = edge.size
        return self._size

    # reading

    def _fetch(self, keys: Sequence[NodeKey]) -> list[bytes]:
        if not keys:
            return []
        found = self.store.get_many(keys)
        missing = [key for key, value in zip(keys, found, strict=True) if value is None]
        if missing:
            raise NodeStoreError(f"node store lacks complete nodes {missing[:5]} of a tree of size {self._size}")
        return found  # type: ignore[return-value]

    def _range_hashes(self, ranges: Sequence[Range]) -> list[bytes]:
        pieces = [range_nodes(lo, hi) for lo, hi in ranges]
        flat = [key for keys in pieces for key in keys]
        values = dict(zip(flat, self._fetch(flat), strict=True))
        return [fold_right([values[key] for key in keys], self.hasher) for keys in pieces]

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not _is_int(size) or not 0 <= size <= self._size:
            raise _out_of_range(
                "audit.merkle_size_out_of_range",
                f"树大小应在 0 到 {self._size} 之间",
                f"tree size must be between 0 and {self._size}",
                size=size if _is_int(size) else -1,
                tree_size=self._size,
            )
        return size

    def root(self, size: int | None = None) -> bytes:
        """``MTH(D[0:size])`` (default: the current size) — from the frontier, or O(log n) stored nodes."""
        size = self._check_size(size)
        if size == self._size and self._frontier is not None:
            return self._frontier.root()
        return fold_right(self._fetch(range_nodes(0, size)), self.hasher)

    def leaf_hash(self, index: int) -> bytes:
        if not _is_int(index) or not 0 <= index < self._size:
            raise _out_of_range(
                "audit.merkle_index_out_of_range",
                f"叶子序号应在 0 到 {self._size - 1} 之间",
                f"leaf index must be between 0 and {self._size - 1}",
                index=index if _is_int(index) else -1,
                tree_size=self._size,
            )
        return self._fetch([(0, index)])[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path ``PATH(index, D[size])`` (RFC 6962 §2.1.1) for leaf ``index`` in the tree of ``size``."""
        size = self._check_size(size)
        if not _is_int(index) or not 0 <= index < size:
            raise _out_of_range(
                "audit.merkle_index_out_of_range",
                f"叶子序号应在 0 到 {size - 1} 之间",
                f"leaf index must be between 0 and {size - 1}",
                index=index if _is_int(index) else -1,
                tree_size=size,
            )
        return self._range_hashes(inclusion_ranges(index, size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """``PROOF(old_size, D[new_size])`` (RFC 6962 §2.1.2); empty when old_size is 0 or equals new_size."""
        new_size = self._check_size(new_size)
        if not _is_int(old_size) or not 0 <= old_size <= new_size:
            raise _out_of_range(
                "audit.merkle_size_out_of_range",
                f"旧树大小应在 0 到 {new_size} 之间",
                f"the old tree size must be between 0 and {new_size}",
                old_size=old_size if _is_int(old_size) else -1,
                new_size=new_size,
            )
        return self._range_hashes(consistency_ranges(old_size, new_size))


# proofs from a stream of leaves ----------------------------------------------------------------------------


class RangeCollector:
    """Computes the MTHs of given disjoint leaf ranges from leaf hashes fed in order — O(log n) memory.

    This is how an archive, read once from start to end, yields a proof without storing its tree.
    """

    def __init__(self, ranges: Sequence[Range], hasher: TreeHasher = SHA256):
        self.ranges = list(ranges)
        self.hasher = hasher
        self._order = sorted(range(len(self.ranges)), key=lambda i: self.ranges[i][0])
        self._edges = [Frontier(hasher) for _ in self.ranges]
        self._pos = 0
        self._next_index = 0

    def add(self, leaf_hash: bytes) -> None:
        index = self._next_index
        self._next_index += 1
        while self._pos < len(self._order) and self.ranges[self._order[self._pos]][1] <= index:
            self._pos += 1
        if self._pos < len(self._order):
            which = self._order[self._pos]
            if self.ranges[which][0] <= index:
                self._edges[which].append(leaf_hash)

    def hashes(self) -> list[bytes]:
        """The MTH of every range, in the order the ranges were given. Every range must have been fed fully."""
        for (lo, hi), edge in zip(self.ranges, self._edges, strict=True):
            if edge.size != hi - lo:
                raise ValueError(f"range [{lo}, {hi}) got {edge.size} leaves")
        return [edge.root() for edge in self._edges]


# verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -------------------------------------------------------------


def _hashes_ok(values: Any, size: int) -> bool:
    return isinstance(values, list | tuple) and all(isinstance(v, bytes) and len(v) == size for v in values)


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], hasher: TreeHasher = SHA256
) -> bytes | None:
    """The root an audit path leads to (RFC 9162 §2.1.3.2 steps 1–5), or ``None`` if the path is malformed."""
    if not (_is_int(index) and _is_int(tree_size) and 0 <= index < tree_size):
        return None
    if not (isinstance(leaf_hash, bytes) and len(leaf_hash) == hasher.size and _hashes_ok(proof, hasher.size)):
        return None
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hasher.hash_children(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hasher.hash_children(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf_hash: bytes,
    index: int,
    tree_size: int,
    proof: Sequence[bytes],
    root: bytes,
    hasher: TreeHasher = SHA256,
) -> bool:
    """Whether ``proof`` shows leaf ``index`` (with ``leaf_hash``) in the tree of ``tree_size`` with ``root``.

    ``False`` for any malformed input (never raises).
    """
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof, hasher)
    return computed is not None and isinstance(root, bytes) and computed == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
    hasher: TreeHasher = SHA256,
) -> bool:
    """Whether ``proof`` shows the tree (``new_size``, ``new_root``) extends the tree (``old_size``, ``old_root``).

    Edge cases: equal sizes need an empty proof and equal roots; an old size of 0 needs an empty proof and
    ``old_root`` equal to the empty tree's hash (every tree extends the empty one). ``False`` for any
    malformed input (never raises).
    """
    if not (_is_int(old_size) and _is_int(new_size) and 0 <= old_size <= new_size):
        return False
    if not (isinstance(old_root, bytes) and isinstance(new_root, bytes) and _hashes_ok(proof, hasher.size)):
        return False
    if len(old_root) != hasher.size or len(new_root) != hasher.size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        return len(proof) == 0 and old_root == hasher.empty_root()
    if len(proof) == 0:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hasher.hash_children(c, fr)
            sr = hasher.hash_children(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hasher.hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# signed tree heads -----------------------------------------------------------------------------------------


def _bad_head(reason: str, details: dict[str, Any] | None = None) -> InvalidInput:
    return InvalidInput(
        "audit.tree_head_malformed",
        f"签名树头格式错误：{reason}",
        f"malformed signed tree head: {reason}",
        details or {},
    )


_UTC_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z", re.ASCII)


def parse_utc(text: str) -> datetime:
    """The inverse of :func:`yiwang.kernel.canonical.iso_utc`: exactly ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    match = _UTC_TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"timestamp {str(text)[:40]!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return datetime(*map(int, match.groups()), tzinfo=UTC)  # ValueError for an impossible date


_HEX_DIGITS = frozenset("0123456789abcdef")


def is_hex_hash(text: Any, size: int = 32) -> bool:
    """Whether ``text`` is exactly ``2 * size`` lower-case hexadecimal digits."""
    return isinstance(text, str) and len(text) == 2 * size and _HEX_DIGITS.issuperset(text)


def decode_hex_hash(text: Any, size: int) -> bytes:
    """Lower-case hex of exactly ``size`` bytes, or ``ValueError``."""
    if not is_hex_hash(text, size):
        raise ValueError(f"expected {2 * size} lower-case hex digits")
    return bytes.fromhex(text)


@dataclass(frozen=True)
class TreeHead:
    """A (signed) tree head: the log had ``tree_size`` entries and root ``root_hash`` at ``timestamp``.

    ``signature`` is empty until :meth:`signed`. ``key_id`` names the platform key (it is part of the
    signed bytes, so a signature cannot be re-attributed to another key).
    """

    tree_size: int
    root_hash: bytes
    timestamp: datetime
    key_id: str
    signature: bytes = b""
    hash_alg: str = SHA256.name

    def __post_init__(self) -> None:
        if not _is_int(self.tree_size) or self.tree_size < 0:
            raise _bad_head("tree_size must be a non-negative integer")
        if not isinstance(self.root_hash, bytes) or not self.root_hash:
            raise _bad_head("root_hash must be bytes")
        if not isinstance(self.timestamp, datetime) or self.timestamp.tzinfo is None:
            raise _bad_head("timestamp must be an aware datetime")
        if not isinstance(self.key_id, str) or not isinstance(self.hash_alg, str) or not self.hash_alg:
            raise _bad_head("key_id and hash_alg must be strings")
        if not isinstance(self.signature, bytes):
            raise _bad_head("signature must be bytes")

    def signing_bytes(self) -> bytes:
        """The canonical bytes a signer signs (canonical JSON; the signature itself is not part of them)::

        {"hash_alg":"sha256","key_id":"…","root_hash":"<hex>","timestamp":"<UTC ISO, µs>",
         "tree_size":n,"type":"yiwang.witness.tree_head","v":1}
        """
        return canonical_json(
            {
                "type": TREE_HEAD_TYPE,
                "v": TREE_HEAD_VERSION,
                "hash_alg": self.hash_alg,
                "tree_size": self.tree_size,
                "root_hash": self.root_hash.hex(),
                "timestamp": iso_utc(self.timestamp),
                "key_id": self.key_id,
            }
        )

    def signed(self, sign: Signer) -> TreeHead:
        """This head with ``signature = sign(signing_bytes())``."""
        signature = sign(self.signing_bytes())
        if not isinstance(signature, bytes) or not signature:
            raise TypeError("a signer must return non-empty bytes")
        return replace(self, signature=signature)

    def verify_signature(self, verify: SignatureVerifier) -> bool:
        """``verify(signing_bytes(), signature)``; ``False`` for an unsigned head. The caller picks the key by
        ``key_id``; exceptions raised by ``verify`` propagate."""
        if not self.signature:
            return False
        return verify(self.signing_bytes(), self.signature) is True

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": iso_utc(self.timestamp),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "hash_alg": self.hash_alg,
        }

    @classmethod
    def from_json(cls, data: Any) -> TreeHead:
        """Parse :meth:`to_json` output strictly; ``audit.tree_head_malformed`` for anything else."""
        keys = {"tree_size", "root_hash", "timestamp", "key_id", "signature", "hash_alg"}
        if not isinstance(data, dict) or set(data) != keys:
            raise _bad_head("expected exactly the keys " + ", ".join(sorted(keys)))
        hash_alg = data["hash_alg"]
        if not isinstance(hash_alg, str):
            raise _bad_head("hash_alg must be a string")
        hasher = hasher_named(hash_alg)
        try:
            root = decode_hex_hash(data["root_hash"], hasher.size)
            moment = parse_utc(data["timestamp"])
            signature_text = data["signature"]
            if not isinstance(signature_text, str):
                raise ValueError("signature must be base64 text")
            signature = base64.b64decode(signature_text.encode("ascii"), validate=True)
            if base64.b64encode(signature).decode("ascii") != signature_text:
                raise ValueError("signature is not canonical base64")  # one text per signature, nothing to tweak
        except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
            raise _bad_head(str(exc)) from None
        return cls(
            tree_size=data["tree_size"],
            root_hash=root,
            timestamp=moment,
            key_id=data["key_id"],
            signature=signature,
            hash_alg=hash_alg,
        )


def make_tree_head(
    tree: MerkleTree, *, timestamp: datetime, key_id: str, sign: Signer | None = None, size: int | None = None
) -> TreeHead:
    """The head of ``tree`` at ``size`` (default: now), signed with ``sign`` when given."""
    head = TreeHead(
        tree_size=tree.size if size is None else size,
        root_hash=tree.root(size),
        timestamp=timestamp,
        key_id=key_id,
        hash_alg=tree.hasher.name,
    )
    return head.signed(sign) if sign is not None else head
