"""Many writers, one reader: the feed never shows a gap or a reordering (docs/adr/0003).

Writer threads (each with its own database connection) run actions that emit one to three events, some with a
nested action, some failing on purpose after everything was written. Meanwhile a reader polls
``feed.read(after=cursor)`` as a consumer would. The reader must see 1, 2, 3 … with no holes and nothing out of
order, each committed action's events next to each other, and nothing of a failed action; at the end the feed
is exactly 1..N and the witness chain verifies. Runs on SQLite (a file database in WAL mode with
``BEGIN IMMEDIATE``) and on PostgreSQL (``make test-pg``).

The trust layer rides along (docs/adr/0007): every committed entry carries a valid platform signature, the
Merkle tree the appenders built under the head lock equals the tree of the final entries, and a head signer
running beside the writers only ever signs heads whose roots are those of the final log at their sizes.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from yiwang.kernel.actors import Actor
from yiwang.platform.actions import action
from yiwang.platform.audit import chain, heads, tree
from yiwang.platform.audit.merkle import MerkleTree, entry_leaf_data
from yiwang.platform.outbox import feed
from yiwang.platform.testing import Boom, on_postgres

WRITERS = 8
ACTIONS_PER_WRITER = 50
FAIL_RATE = 0.15
NESTED_RATE = 0.2
THING = "test.thing"


def do_write_thing(*, actor: Actor, txn: int, events: int, nested: bool, pause: float, fail: bool) -> None:
    """A test-only action: a row, a witness entry, ``events`` events, maybe a nested action, maybe a failure."""
    with action(actor, "test.write_thing") as act:
        Group.objects.create(name=f"txn-{txn}")
        act.witness((THING, txn), {"txn": txn, "events": events})
        for i in range(events):
            act.emit("test.thing_written.v1", (THING, txn), {"txn": txn, "i": i})
        if nested:
            with action(actor, "test.note_thing") as inner:
                inner.witness((THING, txn), {"txn": txn, "note": True})
                inner.emit("test.thing_noted.v1", (THING, txn), {"txn": txn, "i": events})
        if pause:
            time.sleep(pause)  # hold the transaction open for a moment: other writers pile up behind it
        if fail:
            raise Boom(f"transaction {txn} fails on purpose")


@dataclass
class Outcome:
    committed: dict[int, int] = field(default_factory=dict)  # txn → number of events
    failed: set[int] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(index: int, start: threading.Barrier, outcome: Outcome) -> None:
    rng = random.Random(1000 + index)
    actor = Actor.system(f"writer-{index}")
    try:
        start.wait(timeout=30)
        for k in range(ACTIONS_PER_WRITER):
            txn = index * 10_000 + k
            events, nested = rng.randint(1, 3), rng.random() < NESTED_RATE
            fail = rng.random() < FAIL_RATE
            try:
                do_write_thing(
                    actor=actor, txn=txn, events=events, nested=nested, pause=rng.random() * 0.002, fail=fail
                )
            except Boom:
                with outcome.lock:
                    outcome.failed.add(txn)
            else:
                with outcome.lock:
                    outcome.committed[txn] = events + (1 if nested else 0)
    except BaseException as exc:  # reported by the main thread
        outcome.errors.append(exc)
    finally:
        connection.close()


@dataclass
class Observed:
    events: list[tuple[int, int, int]] = field(default_factory=list)  # (seq, txn, i)
    polls: int = 0
    problems: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def _reader(start_at: int, done: threading.Event, seen: Observed) -> None:
    rng = random.Random(7)
    cursor = last_head = start_at
    try:
        while True:
            finished = done.is_set()  # read the flag before the page: a page after it sees every commit
            page = feed.read(cursor, rng.randint(1, 40))
            seen.polls += 1
            seqs = [e.seq for e in page.events]
            if seqs != list(range(cursor + 1, cursor + 1 + len(seqs))):
                seen.problems.append(f"after {cursor}: got {seqs[:10]}…")
            if page.last_seq < last_head:
                seen.problems.append(f"head went back from {last_head} to {page.last_seq}")
            if any(s > page.last_seq for s in seqs):
                seen.problems.append(f"page beyond its head {page.last_seq}: {seqs}")
            expected_next = seqs[-1] if page.has_more else max(cursor, page.last_seq)
            if page.next_after != expected_next:
                seen.problems.append(f"next_after {page.next_after} != {expected_next}")
            seen.events += [(e.seq, e.data["txn"], e.data["i"]) for e in page.events]
            cursor, last_head = page.next_after, page.last_seq
            if finished and not page.has_more:
                return
            if not page.events:
                time.sleep(0.001)
    except BaseException as exc:
        seen.errors.append(exc)
    finally:
        connection.close()


def _head_signer(done: threading.Event, signed: list[int], errors: list[BaseException]) -> None:
    """Sign a tree head every few milliseconds while the writers write (no lock: it reads the head row once)."""
    try:
        while not done.is_set():
            signed.append(heads.sign_head().head.tree_size)
            time.sleep(0.005)
    except BaseException as exc:
        errors.append(exc)
    finally:
        connection.close()


def _check_actions_contiguous(events: list[tuple[int, int, int]], outcome: Outcome) -> None:
    by_txn: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for seq, txn, i in events:
        by_txn[txn].append((seq, i))
    assert not (set(by_txn) & outcome.failed), "events of a failed action were published"
    assert set(by_txn) == set(outcome.committed)
    for txn, items in by_txn.items():
        seqs = [s for s, _ in items]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"events of {txn} are not contiguous: {seqs}"
        assert [i for _, i in items] == list(range(outcome.committed[txn]))


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_make_a_reader_see_a_gap_or_a_reordering():
    # the test database starts with the reference data's own actions: everything here comes after them
    f0, w0, groups0 = feed.last_seq(), chain.head()[0], Group.objects.count()
    outcome, seen, done = Outcome(), Observed(), threading.Event()
    start = threading.Barrier(WRITERS)
    writers = [threading.Thread(target=_writer, args=(i, start, outcome), name=f"w{i}") for i in range(WRITERS)]
    reader = threading.Thread(target=_reader, args=(f0, done, seen), name="reader")
    signed_sizes: list[int] = []
    signer_errors: list[BaseException] = []
    signer = threading.Thread(target=_head_signer, args=(done, signed_sizes, signer_errors), name="head-signer")
    began = time.monotonic()
    reader.start()
    signer.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=90)
    done.set()
    reader.join(timeout=30)
    signer.join(timeout=30)
    elapsed = time.monotonic() - began
    assert not any(t.is_alive() for t in [*writers, reader, signer]), "a thread hung"
    assert outcome.errors == []
    assert seen.errors == []
    assert signer_errors == []
    assert seen.problems == []

    total = sum(outcome.committed.values())
    assert len(outcome.committed) + len(outcome.failed) == WRITERS * ACTIONS_PER_WRITER
    assert outcome.failed
    assert outcome.committed
    # the reader saw exactly the final feed, 1..N, in order
    assert [s - f0 for s, _, _ in seen.events] == list(range(1, total + 1))
    assert seen.polls > 10, "the reader did not actually read while the writers wrote"
    _check_actions_contiguous(seen.events, outcome)

    final, after = [], f0
    while True:
        page = feed.read(after, feed.MAX_PAGE)
        final += page.events
        after = page.next_after
        if not page.has_more:
            break
    assert [(e.seq, e.data["txn"], e.data["i"]) for e in final] == seen.events
    assert feed.last_seq() == f0 + total == feed.stored_count()

    report = chain.verify()
    entries = {e.fields.seq: e for e in chain.entries(w0, 100_000)}
    assert report.ok, report.describe()
    assert report.checked == w0 + len(entries) == chain.head()[0]
    # every entry signed, the tree built under the lock is the tree of the final log, every head signed
    # meanwhile is a head of that tree (chain.verify checks each signed head's root and signature)
    assert report.signatures_checked == report.checked
    assert report.tree_size == report.checked
    assert report.tree_heads_checked == len(signed_sizes) > 1
    assert signed_sizes == sorted(signed_sizes)
    pure = MerkleTree()
    pure.extend(entry_leaf_data(e.entry_hash) for e in chain.entries(0, 100_000))
    assert tree.current_tree().root() == pure.root()
    assert tree.current_tree().frontier() == pure.frontier()
    assert {int(e.fields.object_id) for e in entries.values()} == set(outcome.committed)
    # every event points at a witness entry of its own action
    assert all(entries[e.witness_seq].fields.object_id == str(e.data["txn"]) for e in final)
    assert Group.objects.count() == groups0 + len(outcome.committed)
    print(  # shown with -s: how much concurrency the run had  # noqa: T201
        f"\n{'postgresql' if on_postgres() else 'sqlite'}: {len(outcome.committed)} committed, "
        f"{len(outcome.failed)} failed, {total} events, {seen.polls} polls, {elapsed:.1f} s"
    )
