"""The RFC 6962 Merkle tree: against a reference written straight from the RFC, known vectors, tampering.

The reference below transcribes RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF / SUBPROOF) literally,
recursing over lists; the implementation under test assembles the same values from stored complete subtrees.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import random
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.audit.merkle import (
    SHA256,
    Frontier,
    MemoryNodeStore,
    MerkleTree,
    NodeStoreBase,
    NodeStoreError,
    RangeCollector,
    TreeHasher,
    TreeHead,
    consistency_ranges,
    entry_leaf_data,
    entry_leaf_hash,
    hasher_named,
    inclusion_ranges,
    make_tree_head,
    parse_utc,
    range_nodes,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# reference implementation (RFC 6962 §2.1, literally) -------------------------------------------------------


def ref_k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: tuple[bytes, ...], h: TreeHasher = SHA256) -> bytes:
    if len(d) == 0:
        return h.digest(b"")
    if len(d) == 1:
        return h.digest(b"\x00" + d[0])
    k = ref_k(len(d))
    return h.digest(b"\x01" + ref_mth(d[:k], h) + ref_mth(d[k:], h))


def ref_path(m: int, d: tuple[bytes, ...], h: TreeHasher = SHA256) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k], h), ref_mth(d[k:], h)]
    return [*ref_path(m - k, d[k:], h), ref_mth(d[:k], h)]


def ref_subproof(m: int, d: tuple[bytes, ...], b: bool, h: TreeHasher = SHA256) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d, h)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b, h), ref_mth(d[k:], h)]
    return [*ref_subproof(m - k, d[k:], False, h), ref_mth(d[:k], h)]


def ref_proof(m: int, d: tuple[bytes, ...], h: TreeHasher = SHA256) -> list[bytes]:
    return ref_subproof(m, d, True, h)


def leaves_of(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def tree_of(leaves: list[bytes], hasher: TreeHasher = SHA256) -> MerkleTree:
    tree = MerkleTree(MemoryNodeStore(hasher.size), hasher=hasher)
    tree.extend(leaves)
    return tree


# known vectors ---------------------------------------------------------------------------------------------
#
# RFC 6962 and RFC 9162 define the tree but print no test vectors. These are the Certificate Transparency
# reference vectors (the eight leaf inputs and the roots of every prefix, as published in the
# transparency-dev/merkle repository, testonly/constants.go and proof/verify_test.go), computed with
# SHA-256 under exactly RFC 6962 §2.1's definitions.

CT_LEAVES = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Complete-subtree hashes by (level, index) for the 8-leaf tree.
CT_NODES = {
    (0, 1): "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    (0, 4): "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    (0, 6): "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    (0, 7): "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    (1, 1): "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    (1, 2): "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    (1, 3): "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    (2, 1): "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
}
# (0-based leaf index, tree size) -> audit path
CT_INCLUSION = {
    (0, 1): [],
    (0, 8): [CT_NODES[0, 1], CT_NODES[1, 1], CT_NODES[2, 1]],
    (5, 8): [CT_NODES[0, 4], CT_NODES[1, 3], CT_ROOTS[4]],
    (2, 3): [CT_ROOTS[2]],
    (1, 5): [CT_ROOTS[1], CT_NODES[1, 1], CT_NODES[0, 4]],
}
# (old size, new size) -> consistency proof
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [CT_NODES[0, 1], CT_NODES[1, 1], CT_NODES[2, 1]],
    (6, 8): [CT_NODES[1, 2], CT_NODES[1, 3], CT_ROOTS[4]],
    (2, 5): [CT_NODES[1, 1], CT_NODES[0, 4]],
    (6, 7): [CT_NODES[1, 2], CT_NODES[0, 6], CT_ROOTS[4]],
}


def hexes(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


def test_rfc6962_hasher_vectors():
    """RFC 6962 §2.1 domain separation: empty tree, a leaf (0x00 prefix) and a node (0x01 prefix)."""
    assert SHA256.empty_root().hex() == CT_ROOTS[0]
    assert SHA256.hash_leaf(b"").hex() == CT_ROOTS[1]
    assert SHA256.hash_leaf(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        SHA256.hash_children(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_ct_vectors_roots_of_every_prefix():
    tree = tree_of(CT_LEAVES)
    assert [tree.root(m).hex() for m in range(9)] == CT_ROOTS
    for (level, index), value in CT_NODES.items():
        assert tree.store.get(level, index).hex() == value


@pytest.mark.parametrize(("key", "path"), CT_INCLUSION.items())
def test_ct_vectors_inclusion(key, path):
    index, size = key
    tree = tree_of(CT_LEAVES)
    proof = tree.inclusion_proof(index, size)
    assert hexes(proof) == path
    leaf = SHA256.hash_leaf(CT_LEAVES[index])
    assert verify_inclusion(leaf, index, size, proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("key", "path"), CT_CONSISTENCY.items())
def test_ct_vectors_consistency(key, path):
    old, new = key
    tree = tree_of(CT_LEAVES)
    proof = tree.consistency_proof(old, new)
    assert hexes(proof) == path
    assert verify_consistency(old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), proof)


# against the reference -------------------------------------------------------------------------------------

EXHAUSTIVE = 70  # every (index, size) and (old, new) pair up to here; crosses 64


def test_every_root_and_proof_up_to_70_leaves_matches_the_rfc():
    leaves = tuple(leaves_of(EXHAUSTIVE, seed=7))
    tree = tree_of(list(leaves))

    @cache
    def mth(n: int) -> bytes:
        return ref_mth(leaves[:n])

    for n in range(EXHAUSTIVE + 1):
        assert tree.root(n) == mth(n)
        for m in range(n):
            path = tree.inclusion_proof(m, n)
            assert path == ref_path(m, leaves[:n])
            assert verify_inclusion(SHA256.hash_leaf(leaves[m]), m, n, path, mth(n))
        for m in range(n + 1):
            proof = tree.consistency_proof(m, n)
            assert proof == ([] if m == 0 else ref_proof(m, leaves[:n]))
            assert verify_consistency(m, n, mth(m), mth(n), proof)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 400), data=st.data())
def test_random_trees_match_the_rfc(n, data):
    leaves = tuple(leaves_of(n, seed=n))
    tree = tree_of(list(leaves))
    assert tree.root() == ref_mth(leaves)
    for _ in range(5):
        size = data.draw(st.integers(1, n), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        old = data.draw(st.integers(1, size), label="old")
        root = ref_mth(leaves[:size])
        path = tree.inclusion_proof(index, size)
        assert path == ref_path(index, leaves[:size])
        assert verify_inclusion(SHA256.hash_leaf(leaves[index]), index, size, path, root)
        proof = tree.consistency_proof(old, size)
        assert proof == ref_proof(old, leaves[:size])
        assert verify_consistency(old, size, ref_mth(leaves[:old]), root, proof)


def test_a_few_hundred_leaves_every_size_against_the_reference():
    """Every size up to 300 (roots), and for each a handful of inclusion and consistency proofs."""
    leaves = tuple(leaves_of(300, seed=3))
    tree = tree_of(list(leaves))
    rng = random.Random(11)
    for n in range(1, 301):
        root = ref_mth(leaves[:n])
        assert tree.root(n) == root
        for m in {0, n - 1, rng.randrange(n)}:
            assert tree.inclusion_proof(m, n) == ref_path(m, leaves[:n])
        for m in {1, n, rng.randrange(1, n + 1)}:
            assert tree.consistency_proof(m, n) == ref_proof(m, leaves[:n])


# the structure ---------------------------------------------------------------------------------------------


class CountingStore(MemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def get_many(self, keys):
        self.calls += 1
        return super().get_many(keys)


def test_appends_write_each_complete_node_once_and_read_nothing():
    store = CountingStore()
    tree = MerkleTree(store)
    for i, leaf in enumerate(leaves_of(1000)):
        assert tree.append(leaf) == i
    # 2n - popcount(n) complete subtrees exist in a tree of n leaves, each written exactly once.
    assert store.writes == 2 * 1000 - (1000).bit_count()
    assert store.reads == 0
    assert [store.count(level) for level in range(11)] == [1000 >> level for level in range(11)]


def test_proofs_need_logarithmically_many_reads_in_one_batch():
    n = 5000
    tree = tree_of(leaves_of(n))
    store = tree.store
    rng = random.Random(5)
    bound = 2 * math.ceil(math.log2(n)) + 2
    for _ in range(300):
        size = rng.randrange(1, n + 1)
        for make in (
            lambda size=size: tree.inclusion_proof(rng.randrange(size), size),
            lambda size=size: tree.consistency_proof(rng.randrange(1, size + 1), size),
            lambda size=size: tree.root(size),
        ):
            store.reads = 0
            make()
            assert store.reads <= bound


def test_proof_reads_are_batched_into_one_call():
    store = CountingStore()
    tree = MerkleTree(store)
    tree.extend(leaves_of(777))
    store.calls = 0
    tree.inclusion_proof(300, 777)
    tree.consistency_proof(300, 777)
    assert store.calls == 2


def test_root_of_the_current_size_comes_from_the_frontier():
    tree = tree_of(leaves_of(1234))
    tree.store.reads = 0
    assert tree.root() == ref_mth(tuple(leaves_of(1234)))
    assert tree.store.reads == 0
    assert len(tree.frontier()) == (1234).bit_count()


def test_a_tree_reopened_on_its_store_continues_where_it_stopped():
    leaves = leaves_of(300)
    first = tree_of(leaves[:137])
    reopened = MerkleTree(first.store, size=137)
    assert reopened.root() == first.root()
    reopened.extend(leaves[137:])
    assert reopened.root() == ref_mth(tuple(leaves))
    # the frontier can be handed over instead of read back
    fast = MerkleTree(reopened.store, size=300, frontier=reopened.frontier())
    reopened.store.reads = 0
    fast.append(b"x" * 32)
    assert reopened.store.reads == 0
    assert fast.root() == ref_mth((*leaves, b"x" * 32))


def test_a_wrong_frontier_is_refused():
    with pytest.raises(ValueError, match="frontier"):
        MerkleTree(size=5, frontier=[b"\0" * 32])


def test_extend_is_all_or_nothing():
    tree = tree_of(leaves_of(10))
    root = tree.root()
    with pytest.raises(ValueError, match="leaf hash"):
        tree.extend_leaf_hashes([b"\1" * 32, b"short"])
    assert tree.size == 10
    assert tree.root() == root
    assert tree.store.count(0) == 10


class FailingStore(MemoryNodeStore):
    def put_many(self, nodes):
        raise OSError("disk full")


def test_a_failed_store_write_leaves_the_tree_at_its_old_size():
    tree = MerkleTree(FailingStore())
    with pytest.raises(OSError, match="disk full"):
        tree.append(b"a")
    assert tree.size == 0
    assert tree.root() == SHA256.empty_root()


def test_missing_or_rewritten_nodes_are_storage_errors():
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    tree.extend(leaves_of(8))
    with pytest.raises(NodeStoreError, match="another hash"):
        store.put(0, 3, b"\0" * 32)
    store.put(0, 3, store.get(0, 3))  # rewriting the same value is harmless
    with pytest.raises(NodeStoreError, match="out of order"):
        store.put(0, 10, b"\0" * 32)
    with pytest.raises(NodeStoreError, match="bytes"):
        store.put(0, 8, b"\0")
    empty = MerkleTree(MemoryNodeStore(), size=8)  # claims 8 leaves the store does not have
    with pytest.raises(NodeStoreError, match="lacks"):
        empty.inclusion_proof(2, 8)


class DictStore(NodeStoreBase):
    """The smallest possible store: how a database adapter looks, minus the database."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], bytes] = {}

    def get(self, level, index):
        return self.rows.get((level, index))

    def put(self, level, index, value):
        self.rows[level, index] = value


def test_any_store_with_get_and_put_works():
    store = DictStore()
    tree = MerkleTree(store)
    tree.extend(CT_LEAVES)
    assert tree.root().hex() == CT_ROOTS[8]
    assert hexes(tree.inclusion_proof(5, 8)) == CT_INCLUSION[5, 8]
    assert len(store.rows) == 15


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda t: t.inclusion_proof(10, 10), "audit.merkle_index_out_of_range"),
        (lambda t: t.inclusion_proof(-1), "audit.merkle_index_out_of_range"),
        (lambda t: t.inclusion_proof(0, 11), "audit.merkle_size_out_of_range"),
        (lambda t: t.consistency_proof(11), "audit.merkle_size_out_of_range"),
        (lambda t: t.consistency_proof(5, 4), "audit.merkle_size_out_of_range"),
        (lambda t: t.root(-1), "audit.merkle_size_out_of_range"),
        (lambda t: t.leaf_hash(10), "audit.merkle_index_out_of_range"),
        (lambda t: t.inclusion_proof(True), "audit.merkle_index_out_of_range"),
    ],
)
def test_out_of_range_requests_are_specific_errors(call, code):
    with pytest.raises(InvalidInput) as excinfo:
        call(tree_of(leaves_of(10)))
    assert excinfo.value.code == code


def test_empty_tree():
    tree = MerkleTree()
    assert tree.root() == SHA256.empty_root()
    assert tree.consistency_proof(0) == []
    assert verify_consistency(0, 0, tree.root(), tree.root(), [])


def test_range_helpers():
    assert range_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert range_nodes(8, 12) == [(2, 2)]
    assert range_nodes(5, 5) == []
    assert inclusion_ranges(5, 8) == [(4, 5), (6, 8), (0, 4)]
    assert consistency_ranges(6, 8) == [(4, 6), (6, 8), (0, 4)]
    assert consistency_ranges(4, 8) == [(4, 8)]
    assert consistency_ranges(0, 8) == []
    assert consistency_ranges(8, 8) == []


def test_range_collector_matches_the_tree():
    leaves = leaves_of(100)
    tree = tree_of(leaves)
    ranges = inclusion_ranges(37, 100)
    collector = RangeCollector(ranges)
    for leaf in leaves:
        collector.add(SHA256.hash_leaf(leaf))
    assert collector.hashes() == tree.inclusion_proof(37, 100)
    short = RangeCollector(ranges)
    short.add(SHA256.hash_leaf(leaves[0]))
    with pytest.raises(ValueError, match="leaves"):
        short.hashes()


def test_frontier_alone_gives_the_root_of_a_stream():
    frontier = Frontier()
    for leaf in CT_LEAVES:
        frontier.append(SHA256.hash_leaf(leaf))
    assert frontier.root().hex() == CT_ROOTS[8]
    assert frontier.copy().hashes == frontier.hashes


# witness entries as leaves ---------------------------------------------------------------------------------


def test_leaf_data_is_the_raw_entry_hash():
    entry_hash = hashlib.sha256(b"an entry body").hexdigest()
    assert entry_leaf_data(entry_hash) == bytes.fromhex(entry_hash)
    assert entry_leaf_hash(entry_hash) == hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash)).digest()
    for bad in ("ab", entry_hash.upper(), entry_hash[:-2] + " 0", 42, None, "g" * 64):
        with pytest.raises(InvalidInput) as excinfo:
            entry_leaf_data(bad)
        assert excinfo.value.code == "audit.merkle_bad_entry_hash"


# pluggable hash --------------------------------------------------------------------------------------------


def test_another_hash_function_plugs_in():
    sha3 = TreeHasher("sha3_256", lambda data: hashlib.sha3_256(data).digest(), 32)
    leaves = leaves_of(50)
    tree = tree_of(leaves, sha3)
    assert tree.root() == ref_mth(tuple(leaves), sha3)
    assert tree.root() != ref_mth(tuple(leaves))
    proof = tree.inclusion_proof(17)
    assert verify_inclusion(sha3.hash_leaf(leaves[17]), 17, 50, proof, tree.root(), sha3)
    assert not verify_inclusion(SHA256.hash_leaf(leaves[17]), 17, 50, proof, tree.root())
    assert verify_consistency(20, 50, tree.root(20), tree.root(), tree.consistency_proof(20), sha3)


def test_sm3_by_name_when_openssl_has_it():
    try:
        sm3 = hasher_named("sm3")
    except InvalidInput:
        pytest.skip("this OpenSSL has no SM3")
    # GB/T 32905-2016 appendix A.1: SM3("abc")
    assert sm3.digest(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    tree = tree_of(leaves_of(9), sm3)
    assert tree.root() == ref_mth(tuple(leaves_of(9)), sm3)


def test_unknown_hash_names_are_refused():
    for name in ("no-such-hash", "SHA256", "shake_128"):
        with pytest.raises(InvalidInput) as excinfo:
            hasher_named(name)
        assert excinfo.value.code == "audit.merkle_hash_unavailable"
    assert hasher_named("sha256") is SHA256


# tampering -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forty():
    leaves = leaves_of(40, seed=40)
    return leaves, tree_of(leaves)


def test_inclusion_fails_for_a_changed_leaf(forty):
    leaves, tree = forty
    proof = tree.inclusion_proof(13)
    assert verify_inclusion(SHA256.hash_leaf(leaves[13]), 13, 40, proof, tree.root())
    changed = bytes([leaves[13][0] ^ 1]) + leaves[13][1:]
    assert not verify_inclusion(SHA256.hash_leaf(changed), 13, 40, proof, tree.root())
    # the raw leaf data instead of its leaf hash does not pass either (second-preimage protection)
    assert not verify_inclusion(leaves[13], 13, 40, proof, tree.root())


def test_a_removed_leaf_changes_every_later_root_and_breaks_consistency(forty):
    leaves, tree = forty
    removed = tree_of(leaves[:13] + leaves[14:])
    assert removed.root() != tree.root(39)
    # a consistency proof from the honest 20-leaf head to the doctored tree cannot exist
    assert not verify_consistency(20, 39, tree.root(20), removed.root(), removed.consistency_proof(20))
    assert not verify_consistency(20, 39, tree.root(20), removed.root(), tree.consistency_proof(20, 39))
    # nor an inclusion proof of leaf 13 at its place
    proof = removed.inclusion_proof(13)
    assert not verify_inclusion(SHA256.hash_leaf(leaves[13]), 13, 39, proof, removed.root())


def test_swapped_leaves_are_detected(forty):
    leaves, tree = forty
    swapped = list(leaves)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    other = tree_of(swapped)
    assert other.root() != tree.root()
    assert not verify_inclusion(SHA256.hash_leaf(leaves[3]), 3, 40, other.inclusion_proof(3), tree.root())
    assert not verify_inclusion(SHA256.hash_leaf(leaves[3]), 4, 40, tree.inclusion_proof(3), tree.root())
    assert not verify_consistency(10, 40, tree.root(10), other.root(), other.consistency_proof(10))


@pytest.mark.parametrize(("index", "size"), [(0, 1), (0, 2), (13, 40), (39, 40), (31, 32), (16, 33), (7, 21)])
def test_corrupted_inclusion_proofs_fail(forty, index, size):
    leaves, tree = forty
    root, leaf = tree.root(size), SHA256.hash_leaf(leaves[index])
    proof = tree.inclusion_proof(index, size)
    assert verify_inclusion(leaf, index, size, proof, root)
    # (A neighbouring size with the same path shape — leaf 7 in 21 or 22 leaves — computes the same root: an
    # inclusion proof alone does not authenticate the size; the signed tree head binds size and root together.)
    some = hashlib.sha256(b"some").digest()
    bad = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (some, index, size, proof, root),
        (leaf, index, size, proof, SHA256.empty_root()),
        (leaf, index, size, proof, some),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [root, *proof], root),
        (leaf, index, size, [*proof, b""], root),
        (leaf, index, size, proof[:-1], root),
        (leaf, index, size, proof[1:], root),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        bad.append((leaf, index, size, flipped, root))
    if len(proof) > 1:
        bad.append((leaf, index, size, [proof[0], some, *proof[1:]], root))
    for args in bad:
        if args[:4] == (leaf, index, size, proof) and args[4] == root:
            continue
        assert not verify_inclusion(*args), args[1:3]


@pytest.mark.parametrize(("old", "new"), [(1, 2), (1, 8), (6, 8), (2, 5), (6, 7), (13, 40), (32, 40), (31, 33)])
def test_corrupted_consistency_proofs_fail(forty, old, new):
    _, tree = forty
    r1, r2 = tree.root(old), tree.root(new)
    proof = tree.consistency_proof(old, new)
    assert verify_consistency(old, new, r1, r2, proof)
    bad = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, SHA256.empty_root(), r2, proof),
        (old, new, r1, SHA256.empty_root(), proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        bad.append((old, new, r1, r2, flipped))
    for args in bad:
        if args == (old, new, r1, r2, proof):
            continue
        assert not verify_consistency(*args), args[:2]


def test_consistency_edge_cases():
    tree = tree_of(leaves_of(5))
    r0, r1, r5 = tree.root(0), tree.root(1), tree.root(5)
    assert verify_consistency(0, 0, r0, r0, [])
    assert verify_consistency(0, 5, r0, r5, [])
    assert verify_consistency(5, 5, r5, r5, [])
    assert not verify_consistency(0, 5, r1, r5, [])  # an old size of 0 has the empty tree's root
    assert not verify_consistency(0, 5, r0, r5, [r0])
    assert not verify_consistency(5, 5, r5, r1, [])
    assert not verify_consistency(5, 5, r5, r5, [r5])
    assert not verify_consistency(5, 1, r5, r1, [])
    assert not verify_consistency(1, 5, r1, r5, [])


# garbage in, False out -------------------------------------------------------------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.binary(max_size=40),
    st.text(max_size=10),
    st.lists(st.binary(min_size=31, max_size=33), max_size=70),
    st.lists(st.one_of(st.binary(max_size=40), st.integers(), st.none()), max_size=5),
)
hash32 = st.binary(min_size=32, max_size=32)


@settings(max_examples=400, deadline=None)
@given(a=anything, b=anything, c=anything, d=anything, e=anything)
def test_verifiers_never_raise_on_garbage(a, b, c, d, e):
    assert verify_inclusion(a, b, c, d, e) in (True, False)
    assert verify_consistency(a, b, c, d, e) in (True, False)
    assert root_from_inclusion_proof(a, b, c, d) is None or isinstance(root_from_inclusion_proof(a, b, c, d), bytes)


@settings(max_examples=300, deadline=None)
@given(
    leaf=hash32,
    index=st.integers(0, 2**64),
    size=st.integers(0, 2**64),
    proof=st.lists(hash32, max_size=70),
    root=hash32,
)
def test_random_well_formed_inclusion_proofs_do_not_verify(leaf, index, size, proof, root):
    assert verify_inclusion(leaf, index, size, proof, root) is False


@settings(max_examples=300, deadline=None)
@given(
    old=st.integers(0, 2**64),
    new=st.integers(0, 2**64),
    r1=hash32,
    r2=hash32,
    proof=st.lists(hash32, max_size=70),
)
def test_random_well_formed_consistency_proofs_do_not_verify(old, new, r1, r2, proof):
    assume(not (old == new and r1 == r2 and not proof))
    assert verify_consistency(old, new, r1, r2, proof) is False


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 200), index=st.integers(0, 199), junk=st.binary(min_size=32, max_size=32), at=st.integers(0, 9))
def test_a_real_proof_with_one_element_replaced_fails(n, index, junk, at):
    assume(index < n)
    leaves = leaves_of(n, seed=1)
    tree = tree_of(leaves)
    proof = tree.inclusion_proof(index)
    assume(proof and proof[at % len(proof)] != junk)
    proof[at % len(proof)] = junk
    assert not verify_inclusion(SHA256.hash_leaf(leaves[index]), index, n, proof, tree.root())


# tree heads ------------------------------------------------------------------------------------------------

T = datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC)
KEY = b"test key, not a secret"


def hmac_sign(message: bytes) -> bytes:
    return hmac.new(KEY, message, hashlib.sha256).digest()


def hmac_verify(message: bytes, signature: bytes) -> bool:
    return hmac.compare_digest(hmac_sign(message), signature)


def test_tree_head_signing_bytes_are_canonical():
    head = TreeHead(tree_size=8, root_hash=bytes.fromhex(CT_ROOTS[8]), timestamp=T, key_id="platform-2026")
    assert head.signing_bytes() == (
        b'{"hash_alg":"sha256","key_id":"platform-2026","root_hash":"' + CT_ROOTS[8].encode() + b'",'
        b'"timestamp":"2026-03-02T01:00:00.123456Z","tree_size":8,"type":"yiwang.witness.tree_head","v":1}'
    )


def test_tree_heads_sign_verify_and_round_trip():
    tree = tree_of(CT_LEAVES)
    head = make_tree_head(tree, timestamp=T, key_id="k1", sign=hmac_sign)
    assert head.verify_signature(hmac_verify)
    assert TreeHead.from_json(head.to_json()) == head
    assert not TreeHead(8, head.root_hash, T, "k1").verify_signature(hmac_verify)  # unsigned
    for changed in (
        TreeHead(7, head.root_hash, T, "k1", head.signature),
        TreeHead(8, tree.root(7), T, "k1", head.signature),
        TreeHead(8, head.root_hash, T.replace(microsecond=0), "k1", head.signature),
        TreeHead(8, head.root_hash, T, "k2", head.signature),
        TreeHead(8, head.root_hash, T, "k1", head.signature, hash_alg="sm3"),
    ):
        assert not changed.verify_signature(hmac_verify)
    older = make_tree_head(tree, timestamp=T, key_id="k1", size=5)
    assert older.tree_size == 5
    assert older.root_hash.hex() == CT_ROOTS[5]
    assert older.signature == b""


def test_a_real_ecdsa_signer_plugs_in():
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())

    def sign(message: bytes) -> bytes:
        return key.sign(message, ec.ECDSA(hashes.SHA256()))

    def verify(message: bytes, signature: bytes) -> bool:
        try:
            key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    head = make_tree_head(tree_of(CT_LEAVES), timestamp=T, key_id="ecdsa", sign=sign)
    assert head.verify_signature(verify)
    assert not TreeHead(7, head.root_hash, T, "ecdsa", head.signature).verify_signature(verify)


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def same_bytes_other_base64(text: str) -> str:
    """Flip an unused low bit of the last base64 digit: decodes to the same bytes, but is not canonical."""
    assert text.endswith("=")  # 32 bytes: 43 digits for 256 bits, 2 unused bits in the last digit
    assert not text.endswith("==")
    other = text[:-2] + B64[B64.index(text[-2]) ^ 1] + "="
    assert base64.b64decode(other) == base64.b64decode(text)
    return other


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("key_id"),
        lambda d: d.update(extra=1),
        lambda d: d.update(tree_size=-1),
        lambda d: d.update(tree_size=True),
        lambda d: d.update(tree_size="8"),
        lambda d: d.update(root_hash="zz"),
        lambda d: d.update(root_hash=CT_ROOTS[8].upper()),
        lambda d: d.update(timestamp="2026-03-02T01:00:00Z"),
        lambda d: d.update(timestamp="2026-03-02 01:00:00.000000"),
        lambda d: d.update(timestamp=5),
        lambda d: d.update(signature="not base64!"),
        lambda d: d.update(signature=7),
        lambda d: d.update(signature=same_bytes_other_base64(d["signature"])),
        lambda d: d.update(hash_alg="nope"),
        lambda d: d.update(hash_alg=None),
        lambda d: d.update(key_id=3),
    ],
)
def test_malformed_tree_head_json_is_refused(mutate):
    data = make_tree_head(tree_of(CT_LEAVES), timestamp=T, key_id="k1", sign=hmac_sign).to_json()
    mutate(data)
    with pytest.raises(InvalidInput) as excinfo:
        TreeHead.from_json(data)
    assert excinfo.value.code in {"audit.tree_head_malformed", "audit.merkle_hash_unavailable"}


def test_a_signer_must_return_bytes():
    head = TreeHead(0, SHA256.empty_root(), T, "k")
    with pytest.raises(TypeError):
        head.signed(lambda message: "text")
    with pytest.raises(InvalidInput):
        TreeHead(0, SHA256.empty_root(), datetime(2026, 1, 1), "k")  # naive on purpose


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30T01:00:00.000000Z",
        "2026-03-02T01:00:00Z",
        "２０２６-03-02T01:00:00.000000Z",
        "2026-03-02T25:00:00.000000Z",
        "2026-03-02T01:00:00.000000Z\n",
        "2026-03-02T01:00:00.000000+00:00",
    ],
)
def test_timestamps_are_parsed_in_exactly_one_form(text):
    with pytest.raises(ValueError, match=r"range|must be|YYYY"):
        parse_utc(text)


def test_timestamps_round_trip():
    assert iso_utc(parse_utc("2026-03-02T01:00:00.123456Z")) == "2026-03-02T01:00:00.123456Z"
    assert parse_utc("2026-03-02T01:00:00.123456Z") == T
