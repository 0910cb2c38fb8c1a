"""Submitting to a single-writer engine: refusals, snapshots, recovery, replay equality, verification."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import NotFound, RuleViolation
from yiwang.platform.actions import action
from yiwang.platform.commands import engine as engines
from yiwang.platform.commands import log
from yiwang.platform.commands.engine import Applied, Refused, load_state, replay, state_bytes, submit, verify
from yiwang.platform.commands.models import Command, CommandStream, Snapshot
from yiwang.platform.commands.testing import ToyLotEngine
from yiwang.platform.testing import log_state

pytestmark = pytest.mark.django_db

S = "test.toy_lot:1"


def bid(system, toy, bidder, price, *, key=None, stream=S, every=100):
    with action(system, "test.place_bid") as act:
        done = submit(
            stream,
            toy,
            {"type": "bid", "bidder": bidder, "price": price},
            actor_ref=system.ref,
            idempotency_key=key,
            snapshot_every=every,
        )
        act.witness(("test.lot", stream), {"seq": done.accepted.seq})
        return done


def test_submit_applies_the_engine_at_the_accepted_time(system, toy, clock):
    done = bid(system, toy, "A1", 100_000)
    assert done.accepted.seq == 1
    assert not done.duplicate
    assert done.state.price == 100_000
    assert done.state.leader == "A1"
    assert done.entry.accepted_at == clock.now()
    clock.set(toy.end - timedelta(seconds=10))  # the soft close: end moves to bid time + 300 s
    late = bid(system, toy, "B2", 101_000)
    assert late.state.end.startswith((clock.now() + timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_refused_command_is_not_logged_and_the_action_leaves_nothing(system, toy):
    bid(system, toy, "A1", 100_000)
    before = log_state()
    with pytest.raises(RuleViolation) as caught:
        bid(system, toy, "B2", 100_500)
    assert caught.value.code == "test.too_low"
    assert log.head(S) == 1
    assert Command.objects.count() == 1
    assert log_state() == before
    assert bid(system, toy, "B2", 101_000).accepted.seq == 2  # no gap


def test_a_repeated_key_returns_the_first_acceptance(system, toy, clock):
    first = bid(system, toy, "A1", 100_000, key="bid-1")
    clock.advance(timedelta(seconds=5))
    again = bid(system, toy, "A1", 100_000, key="bid-1")
    assert again.duplicate
    assert again.accepted.seq == first.accepted.seq
    assert again.entry.accepted_at == first.entry.accepted_at
    assert log.head(S) == 1


def test_snapshots_every_n_and_recovery_from_snapshot_plus_suffix(system, toy):
    for i in range(7):
        bid(system, toy, f"B{i}", 100_000 + i * 1000, every=3)
    assert list(Snapshot.objects.filter(stream=S).values_list("seq", flat=True).order_by("seq")) == [3, 6]
    assert CommandStream.objects.get(pk=S).snapshot_seq == 6
    recovered, seq = load_state(S, toy)
    replayed, _ = replay(S, toy)
    assert seq == 7
    assert state_bytes(toy, recovered) == state_bytes(toy, replayed)
    assert recovered.bids == 7
    assert recovered.price == 106_000
    report = verify(S, toy)
    assert report.ok, report.problems
    assert (report.commands, report.snapshots_checked) == (7, 2)


def test_take_snapshot(system, toy):
    assert engines.take_snapshot(S, toy) == 0
    bid(system, toy, "A", 100_000)
    bid(system, toy, "B", 101_000)
    assert engines.take_snapshot(S, toy) == 2
    assert engines.take_snapshot(S, toy) == 2
    stored = Snapshot.objects.get(stream=S, seq=2)
    assert stored.state.encode() == state_bytes(toy, replay(S, toy)[0])


def test_verify_finds_a_changed_snapshot_and_a_missing_command(system, toy):
    for i in range(4):
        bid(system, toy, f"B{i}", 100_000 + i * 1000, every=2)
    Snapshot.objects.filter(stream=S, seq=2).update(state='{"bids":2}')
    problems = verify(S, toy).problems
    assert any(p.startswith("snapshot_mismatch: the snapshot at 2") for p in problems)
    Snapshot.objects.filter(stream=S).delete()
    CommandStream.objects.filter(pk=S).update(snapshot_seq=0)
    Command.objects.filter(stream=S, seq=3).delete()
    problems = verify(S, toy).problems
    assert problems[0] == "sequence_gap: expected 3, found 4"
    with pytest.raises(NotFound):
        verify("test.toy_lot:404", toy)


def test_recovery_never_loads_a_damaged_snapshot(system, toy):
    """The log is database rows: a torn write cannot leave half a command (a transaction commits whole or not at
    all). The stored state that can be damaged is a snapshot: recovery checks its digest and falls back to the
    previous good snapshot, or to the log from its start."""
    for i in range(7):
        bid(system, toy, f"B{i}", 100_000 + i * 1000, every=3)
    replayed = state_bytes(toy, replay(S, toy)[0])
    Snapshot.objects.filter(stream=S, seq=6).update(state='{"bids":6,"price":1}')  # the newest one is damaged
    recovered, seq = load_state(S, toy)
    assert seq == 7
    assert state_bytes(toy, recovered) == replayed
    assert "snapshot_mismatch: the snapshot at 6 differs from the replay" in verify(S, toy).problems
    Snapshot.objects.filter(stream=S, seq=3).update(digest="0" * 64)  # and the older one too: from the start
    recovered, _ = load_state(S, toy)
    assert state_bytes(toy, recovered) == replayed


def test_a_batch_whose_transaction_never_committed_leaves_no_trace(system, toy):
    """The database's torn tail: a crash before the commit. Nothing of the batch is in the log (none of it was
    acknowledged), and the next command continues from the last committed one."""
    bid(system, toy, "A", 100_000)
    before = state_bytes(toy, load_state(S, toy)[0])

    def crash() -> None:
        with transaction.atomic():
            batch = [({"type": "bid", "bidder": f"C{i}", "price": 101_000 + i * 1000}, "x", None) for i in range(5)]
            assert all(isinstance(r, Applied) for r in engines.submit_many(S, toy, batch))
            raise RuntimeError("crash before the commit")

    with pytest.raises(RuntimeError):
        crash()
    engines.clear_cache()
    assert log.head(S) == 1
    assert Command.objects.filter(stream=S).count() == 1
    assert state_bytes(toy, load_state(S, toy)[0]) == before
    assert bid(system, toy, "D", 101_000).accepted.seq == 2
    assert verify(S, toy).ok


def test_the_cache_notices_commands_written_elsewhere(system, toy, clock):
    # pytest-django's transaction never commits, so the cache stays empty here; fill it by hand as a commit would
    done = bid(system, toy, "A", 100_000)
    head = CommandStream.objects.get(pk=S)
    engines._cache[(toy.name, S)] = (head.epoch, head.seq, done.state)
    log.append(S, {"type": "bid", "bidder": "X", "price": 150_000}, actor_ref="other-process")
    with pytest.raises(RuleViolation):  # the engine sees X's 150,000 although the cached state says 100,000
        bid(system, toy, "B", 101_000)
    assert bid(system, toy, "B", 151_000).accepted.seq == 3


def test_submit_many_applies_what_it_can_in_one_transaction(system, toy):
    with action(system, "test.place_bids") as act:
        results = engines.submit_many(
            S,
            toy,
            [
                ({"type": "bid", "bidder": "A", "price": 100_000}, "a", "k1"),
                ({"type": "bid", "bidder": "B", "price": 100_100}, "b", "k2"),  # too low
                ({"type": "bid", "bidder": "C", "price": 102_000}, "c", "k3"),
                ({"type": "bid", "bidder": "A", "price": 100_000}, "a", "k1"),  # repeated within the batch
                ({"type": "bid", "bidder": "A", "price": 999_000}, "a", "k1"),  # reused key
            ],
        )
        act.witness(("test.lot", S), {"n": len(results)})
    assert isinstance(results[1], Refused)
    assert results[1].error.code == "test.too_low"
    assert isinstance(results[4], Refused)
    assert results[4].error.code == "commands.idempotency_key_reused"
    applied = [r for r in results if isinstance(r, Applied)]
    assert [(r.accepted.seq, r.duplicate) for r in applied] == [(1, False), (2, False), (1, True)]
    assert log.head(S) == 2
    assert replay(S, toy)[0].price == 102_000


def test_yiwang_commands_verify(system, toy, clock):
    engines.register_engine("test.toy_lot", lambda: toy)
    for i in range(3):
        bid(system, toy, f"B{i}", 100_000 + i * 1000, every=2)
    out = _call("verify", S)
    assert f"{S}: ok — 3 commands, 1 snapshots" in out
    assert "ok" in _call("verify", "--kind", "test.toy_lot")
    assert "snapshot at 3" in _call("snapshot", S)
    assert '"seq": 1' in _call("show", S)
    Snapshot.objects.filter(stream=S, seq=2).update(state="{}")
    with pytest.raises(CommandError, match="1 of 1 streams failed"):
        _call("verify", S)
    with pytest.raises(CommandError, match=r"commands\.no_engine"):
        _call("verify", "test.nobody_registered_this:1")  # a kind no context registered an engine for


def _call(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command("commands", *args, stdout=out)
    return out.getvalue()


# -- replay equality (hypothesis) ---------------------------------------------------------------------------------
steps = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(-2_000, 5_000), st.integers(0, 400)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, every=st.integers(1, 6))
def test_replay_equals_the_live_state(system, clock, steps, every):
    engines.clear_cache()
    toy = ToyLotEngine(end=clock.now() + timedelta(seconds=900))
    stream = f"test.toy_lot:{uuid.uuid4().hex[:12]}"
    live = toy.initial(stream)
    accepted = 0
    for bidder, raise_by, wait in steps:
        clock.advance(timedelta(seconds=wait))
        try:
            with transaction.atomic():
                done = submit(
                    stream,
                    toy,
                    {"type": "bid", "bidder": bidder, "price": live.price + raise_by},
                    actor_ref=system.ref,
                    snapshot_every=every,
                )
        except RuleViolation:
            continue
        live = done.state
        accepted += 1
        assert done.accepted.seq == accepted
    replayed, seq = replay(stream, toy)
    assert seq == accepted
    assert state_bytes(toy, replayed) == state_bytes(toy, live)
    if accepted:
        assert verify(stream, toy).ok
        assert state_bytes(toy, load_state(stream, toy)[0]) == state_bytes(toy, live)
