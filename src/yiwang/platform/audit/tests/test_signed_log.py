"""The trust layer in the database: every entry signed, the stored Merkle tree equal to the pure one after any
mix of actions (nested, failed, rolled back), signed tree heads with proofs, the backfill, and tampering with
any of it found by ``yiwang witness verify``."""

from __future__ import annotations

import base64
import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound
from yiwang.platform.audit import chain, heads, tree
from yiwang.platform.audit.archive import ConsistencyProof, verify_consistency_proof, verify_entry_proof
from yiwang.platform.audit.format import entry_signing_bytes
from yiwang.platform.audit.merkle import MerkleTree, entry_leaf_data
from yiwang.platform.audit.models import SignedTreeHead, WitnessEntry, WitnessHead, WitnessNode
from yiwang.platform.clock import due_jobs
from yiwang.platform.keys import platform_key_id, verify_platform_signature
from yiwang.platform.keys.service import key_ring
from yiwang.platform.testing import THING, Boom, do_touch_thing

pytestmark = pytest.mark.django_db


def pure_tree() -> MerkleTree:
    """The tree the pure module builds from the entries as stored."""
    pure = MerkleTree()
    pure.extend(entry_leaf_data(h) for h in WitnessEntry.objects.order_by("seq").values_list("entry_hash", flat=True))
    return pure


def assert_tree_matches_entries() -> None:
    """The database tree equals the pure tree: every stored node, the head's edge, every older root."""
    pure = pure_tree()
    head = WitnessHead.objects.get(pk=1)
    assert head.tree_size == head.seq == pure.size
    db = tree.current_tree()
    assert db.frontier() == pure.frontier()
    assert db.root() == pure.root()
    stored = {(n.level, n.index): bytes(n.hash) for n in WitnessNode.objects.all()}
    expected = {key: pure.store.get(*key) for key in stored}
    assert stored == expected
    assert len(stored) == pure.size - pure.size.bit_count()  # exactly the complete nodes of levels ≥ 1
    for size in range(pure.size + 1):
        assert db.root(size) == pure.root(size)


def test_every_new_entry_is_signed_by_the_platform_key(clock, system, base):
    for n in range(5):
        do_touch_thing(actor=system, n=n)
    key_id = platform_key_id()
    for entry in base.entries():
        assert entry.key_id == key_id
        message = b"yiwang.witness.entry.v1\x00" + bytes.fromhex(entry.entry_hash)
        assert entry_signing_bytes(entry.entry_hash) == message
        assert verify_platform_signature(message, base64.b64decode(entry.signature), key_id)
    report = chain.verify()
    assert report.ok
    assert report.signatures_checked == report.checked == base.witness + 5
    assert "entry signatures valid" in report.describe()


def test_entries_are_unsigned_when_signing_is_switched_off(settings, system, base):
    settings.YIWANG_WITNESS_SIGN_ENTRIES = False
    do_touch_thing(actor=system, n=1)
    (entry,) = base.entries()
    assert (entry.signature, entry.key_id) == ("", "")
    assert chain.verify().ok  # signing off: unsigned entries after signed ones are expected


def _signature_of(seq: int) -> str:
    return WitnessEntry.objects.get(seq=seq).signature


SIGNATURE_TAMPERS = {
    "signature of another entry": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(signature=_signature_of(w + 2)),
        "entry_signature_invalid",
    ),
    "signature bytes flipped": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(
            signature=base64.b64encode(bytes(b ^ 1 for b in base64.b64decode(_signature_of(w + 3)))).decode()
        ),
        "entry_signature_invalid",
    ),
    "signature not base64": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(signature="%%%"),
        "entry_signature_invalid",
    ),
    "key id of an unknown key": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(key_id="sm3:" + "0" * 64),
        "unknown_key",
    ),
    "signature and key id stripped": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(signature="", key_id=""),
        "entry_unsigned",
    ),
}


@pytest.mark.parametrize("tamper", SIGNATURE_TAMPERS.values(), ids=SIGNATURE_TAMPERS.keys())
def test_tampered_signatures_are_found(tamper, system, base):
    for n in range(5):
        do_touch_thing(actor=system, n=n)
    change, reason = tamper
    change(base.witness)
    report = chain.verify()
    assert (report.ok, report.first_bad_seq, report.reason) == (False, base.witness + 3, reason)
    with pytest.raises(CommandError, match=f"BROKEN at entry {base.witness + 3}: {reason}"):
        call_command("witness", "verify")
    if reason != "entry_unsigned":  # the signatures are the only damage
        assert chain.verify(signatures=False).ok


def _nested_and_failing_actions(system, rng: random.Random, rounds: int) -> int:
    committed = 0
    for n in range(rounds):
        kind = rng.choice(["plain", "several", "nested", "failed", "savepoint"])
        if kind == "plain":
            do_touch_thing(actor=system, n=n)
        elif kind == "several":

            def more(act, n=n):
                for k in range(rng.randint(1, 4)):
                    act.witness((THING, f"{n}-{k}"), {"k": k})

            do_touch_thing(actor=system, n=n, inside=more)
        elif kind == "nested":
            do_touch_thing(actor=system, n=n, inside=lambda act, n=n: do_touch_thing(actor=system, n=n + 10_000))
        elif kind == "failed":
            with pytest.raises(Boom):
                do_touch_thing(actor=system, n=n, inside=lambda act, n=n: do_touch_thing(actor=system, n=-n), fail=True)
        else:  # an inner action in its own savepoint that rolls back, the outer one commits

            def inner_fails(act, n=n):
                try:
                    with transaction.atomic():
                        do_touch_thing(actor=system, n=n + 20_000, fail=True)
                except Boom:
                    pass

            do_touch_thing(actor=system, n=n, inside=inner_fails)
        committed += kind != "failed"
    return committed


def test_the_stored_tree_equals_the_pure_tree_after_any_mix_of_actions(clock, system, base):
    assert_tree_matches_entries()
    _nested_and_failing_actions(system, random.Random(5), 70)
    assert_tree_matches_entries()
    assert chain.verify().ok


def test_a_failed_action_leaves_no_tree_nodes(system, base):
    for n in range(7):  # an odd size: the next leaf completes nodes on several levels
        do_touch_thing(actor=system, n=n)
    nodes, head = WitnessNode.objects.count(), WitnessHead.objects.values("tree_size", "frontier").get(pk=1)

    def several(act):
        for k in range(9):
            act.witness((THING, f"x{k}"), {})

    with pytest.raises(Boom):
        do_touch_thing(actor=system, n=99, inside=several, fail=True)
    assert WitnessNode.objects.count() == nodes
    assert WitnessHead.objects.values("tree_size", "frontier").get(pk=1) == head
    assert_tree_matches_entries()


# tampering with the tree --------------------------------------------------------------------------------


def _grow(system, n: int) -> int:
    for k in range(n):
        do_touch_thing(actor=system, n=k)
    return WitnessHead.objects.get(pk=1).tree_size


def test_a_changed_node_is_found(system, base):
    size = _grow(system, 20)
    node = WitnessNode.objects.filter(level=2).order_by("index").first()
    WitnessNode.objects.filter(level=node.level, index=node.index).update(hash=bytes(32))
    report = chain.verify()
    assert (report.reason, report.first_bad_seq) == ("tree_node_mismatch", (node.index + 1) * 4)
    assert size >= (node.index + 1) * 4


def test_a_missing_node_is_found(system, base):
    _grow(system, 20)
    WitnessNode.objects.filter(level=1, index=3).delete()
    report = chain.verify()
    assert (report.reason, report.first_bad_seq) == ("tree_node_missing", 8)


def test_a_stray_node_is_found(system, base):
    size = _grow(system, 20)
    WitnessNode.objects.create(level=1, index=size, hash=bytes(32))
    assert chain.verify().reason == "tree_node_beyond_size"


def test_a_wrong_right_edge_is_found(system, base):
    _grow(system, 5)
    WitnessHead.objects.filter(pk=1).update(frontier=bytes(32) * WitnessHead.objects.get(pk=1).tree_size.bit_count())
    assert chain.verify().reason == "frontier_mismatch"
    WitnessHead.objects.filter(pk=1).update(frontier=b"short")
    assert chain.verify().reason == "frontier_mismatch"


def test_a_tree_larger_than_the_log_is_found(system, base):
    _grow(system, 3)
    WitnessHead.objects.filter(pk=1).update(tree_size=WitnessHead.objects.get(pk=1).seq + 1)
    assert chain.verify().reason == "tree_beyond_log"


def test_a_changed_entry_hash_is_a_chain_break_first(system, base):
    _grow(system, 6)
    WitnessEntry.objects.filter(seq=base.witness + 2).update(entry_hash="a" * 64)
    assert chain.verify().reason == "hash_mismatch"


# signed tree heads and proofs ---------------------------------------------------------------------------


def test_signed_heads_prove_random_entries_and_consistency(clock, system, base):
    ring = key_ring()
    _grow(system, 9)
    first = heads.sign_head()
    clock.advance(timedelta(minutes=5))
    _nested_and_failing_actions(system, random.Random(11), 40)
    second = heads.sign_head()
    assert second.id > first.id
    assert second.head.tree_size > first.head.tree_size
    assert second.head.timestamp == clock.now()
    assert second.head.key_id == platform_key_id()
    assert second.head.verify_signature(ring.verify_head)
    assert second.head.root_hash == pure_tree().root()
    rng = random.Random(3)
    for _ in range(25):
        signed = rng.choice([first, second])
        seq = rng.randint(1, signed.head.tree_size)
        proof = heads.prove_entry(seq, signed.head.tree_size)
        assert proof.entry.fields.seq == seq
        assert proof.head == signed.head
        report = verify_entry_proof(proof, verify_signature=ring.verify_head, verify_entry_signature=ring.verify)
        assert report.ok, report.describe()
        assert report.entry_signature_checked
    assert heads.prove_entry(1).head == second.head  # default: the latest head
    consistency = heads.prove_consistency(first.head.tree_size, second.head.tree_size)
    assert verify_consistency_proof(consistency, verify_signature=ring.verify_head).ok
    assert heads.prove_consistency(first.head.tree_size).new_head == second.head
    truncated = ConsistencyProof(first.head, second.head, consistency.proof[:-1])
    assert verify_consistency_proof(truncated).reason == "consistency_failed"
    report = chain.verify()
    assert report.ok
    assert report.tree_heads_checked == 2


def test_proof_requests_that_cannot_be_answered(system, base):
    with pytest.raises(NotFound) as no_head:
        heads.prove_entry(1)
    assert no_head.value.code == "audit.no_tree_head"
    _grow(system, 4)
    signed = heads.sign_head()
    do_touch_thing(actor=system, n=50)
    newest = WitnessHead.objects.get(pk=1).seq
    with pytest.raises(Conflict) as not_yet:
        heads.prove_entry(newest)
    assert not_yet.value.code == "audit.entry_not_yet_covered"
    with pytest.raises(NotFound) as missing:
        heads.prove_entry(newest + 1)
    assert missing.value.code == "audit.entry_not_found"
    with pytest.raises(NotFound) as no_size:
        heads.prove_entry(1, signed.head.tree_size - 1)
    assert no_size.value.code == "audit.tree_head_not_found"
    older = heads.sign_head(2)
    with pytest.raises(InvalidInput) as backwards:
        heads.prove_consistency(signed.head.tree_size, older.head.tree_size)
    assert backwards.value.code == "audit.consistency_sizes"
    with pytest.raises(InvalidInput) as too_big:
        heads.sign_head(newest + 1)
    assert too_big.value.code == "audit.tree_size_out_of_range"


def test_tampered_signed_heads_are_found(system, base):
    _grow(system, 6)
    signed = heads.sign_head()
    assert chain.verify().ok
    SignedTreeHead.objects.filter(pk=signed.id).update(root_hash="0" * 64)
    assert chain.verify().reason == "tree_head_root_mismatch"
    SignedTreeHead.objects.filter(pk=signed.id).update(root_hash=signed.head.root_hash.hex(), tree_size=3)
    assert chain.verify().reason == "tree_head_root_mismatch"
    SignedTreeHead.objects.filter(pk=signed.id).update(
        tree_size=signed.head.tree_size, signature=base64.b64encode(b"0" * 70).decode()
    )
    report = chain.verify()
    assert (report.reason, report.first_bad_seq) == ("tree_head_signature_invalid", signed.head.tree_size)


def test_the_clock_signs_a_head_when_the_log_grew(clock, system, base):
    (job,) = [j for j in due_jobs() if j.name == "witness.sign_tree_head"]
    assert job.every_seconds == heads.head_every_seconds() == 300  # the default interval
    assert heads.sign_head_if_grown(clock.now()) == 1
    assert heads.sign_head_if_grown(clock.now()) == 0  # nothing new
    do_touch_thing(actor=system, n=1)
    clock.advance(timedelta(minutes=5))
    assert job.run(clock.now()) == 1
    latest = heads.latest_head()
    assert latest.head.tree_size == WitnessHead.objects.get(pk=1).seq
    assert latest.head.timestamp == clock.now()


def test_sign_head_command(system, base):
    _grow(system, 2)
    out = StringIO()
    call_command("witness", "sign-head", stdout=out)
    assert f'"tree_size": {base.witness + 2}' in out.getvalue()
    call_command("witness", "sign-head", "--size", "1", stdout=out)
    assert heads.head_of_size(1) is not None


# a log that predates the tree ---------------------------------------------------------------------------


def _forget_the_tree() -> None:
    WitnessNode.objects.all().delete()
    SignedTreeHead.objects.all().delete()
    WitnessHead.objects.filter(pk=1).update(tree_size=0, frontier=b"")


def test_the_backfill_builds_the_tree_resumably_while_actions_go_on(system, base):
    _grow(system, 30)
    _forget_the_tree()
    do_touch_thing(actor=system, n=100)  # the tree lags: appends leave it alone
    assert WitnessNode.objects.count() == 0
    with pytest.raises(Conflict) as not_built:
        heads.sign_head()
    assert not_built.value.code == "audit.tree_not_built"
    assert chain.verify().ok  # a lagging tree is not damage

    calls = []

    def stop_after_two(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tree.backfill(7, progress=stop_after_two)
    assert WitnessHead.objects.get(pk=1).tree_size == 14  # two batches committed, the third never started
    do_touch_thing(actor=system, n=101)
    out = StringIO()
    call_command("witness", "backfill-tree", "--batch", "9", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith(f"backfill: {base.witness + 32 - 14} leaves added")
    assert_tree_matches_entries()
    assert tree.backfill() == 0  # idempotent
    do_touch_thing(actor=system, n=102)  # appends keep it complete from now on
    assert_tree_matches_entries()
    assert chain.verify().ok


def test_the_backfill_refuses_a_log_with_a_hole(system, base):
    _grow(system, 5)
    _forget_the_tree()
    WitnessEntry.objects.filter(seq=base.witness + 3).delete()
    with pytest.raises(Conflict) as caught:
        tree.backfill(2)
    assert caught.value.code == "audit.chain_broken"
    assert caught.value.details == {"missing_seq": base.witness + 3}
