"""Single-writer engines on the command log: submit a command, recover the state, snapshot, replay, verify.

An *engine* is pure (no Django, no clock, no randomness without a logged seed): it folds the stream's commands,
in order, into a state. The time a command counts at is ``entry.accepted_at``, so replaying the log gives
the same state byte for byte. The per-stream flow, all in the caller's action transaction::

    with action(actor, "auction.place_bid") as act:
        done = submit("auction.lot:42", LOT_ENGINE, {"type": "bid", "bidder": "A17", "price": 1_050_000},
                      actor_ref=actor.ref, idempotency_key=key)
        #   1. lock the stream head (the single-writer lock)
        #   2. a repeated idempotency key returns the first acceptance (done.duplicate)
        #   3. load the state: this process's cached state if it is still current, else the newest snapshot
        #      plus the commands after it
        #   4. accepted_at = server time; engine.apply(state, entry) -> new state, or raise a YiwangError to
        #      refuse (then nothing is logged: the action rolls back)
        #   5. store the command (next seq); every ``snapshot_every`` commands store a snapshot
        ...  # write the read-model rows from done.state, act.witness(...), act.emit(...), live.publish(...)
    # committed: acknowledge done.accepted

Recovery after a crash is nothing special: the next submit (or :func:`load_state`) starts from the newest
snapshot and the committed commands after it; a command whose transaction did not commit was never
acknowledged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from django.db import transaction

from yiwang.kernel.canonical import canonical_json, sha256_hex
from yiwang.kernel.errors import Conflict, NotFound, YiwangError
from yiwang.platform.clock import now as clock_now
from yiwang.platform.commands import log
from yiwang.platform.commands.log import Accepted, Entry, Head
from yiwang.platform.commands.models import CommandStream, Snapshot

S = TypeVar("S")

DEFAULT_SNAPSHOT_EVERY = 100


class Engine(Protocol[S]):
    """A pure state machine over one stream's commands."""

    name: str  # stable and unique per engine (the in-process cache is keyed by it)

    def initial(self, stream: str) -> S:
        """The state before the first command."""
        ...

    def apply(self, state: S, entry: Entry) -> S:
        """The state after ``entry`` — or raise a :class:`YiwangError` to refuse it, leaving ``state`` unchanged.

        Must be deterministic: time is ``entry.accepted_at``, never the clock. May return ``state`` mutated in
        place (the caller never reuses the old state after an acceptance).

        An engine may declare ``refusal_keeps_state = True``: then a refusal must leave ``state`` exactly as it
        was (its :func:`state_bytes` equal), and :func:`submit` keeps the cached state across the refusal
        instead of reloading snapshot + commands under the lock for the next writer. Without the declaration a
        refusal drops the cached state (safe for engines that mutate before they refuse)."""
        ...

    def dump(self, state: S) -> Any:
        """The state as a JSON value (dict/list/str/int/bool/None; no floats that lose digits, no datetimes)."""
        ...

    def load(self, data: Any) -> S:
        """The inverse of :meth:`dump`."""
        ...


@dataclass(frozen=True)
class Applied(Generic[S]):
    """The result of :func:`submit`: the acceptance to acknowledge, the entry, and the state after it.

    For a duplicate (a repeated idempotency key) ``entry`` is the first acceptance and ``state`` the current state."""

    accepted: Accepted
    entry: Entry
    state: S

    @property
    def duplicate(self) -> bool:
        return self.accepted.duplicate


@dataclass(frozen=True)
class Refused:
    """One command of :func:`submit_many` that the engine refused (nothing of it was stored)."""

    command: dict[str, Any]
    error: YiwangError


# -- the in-process state cache ---------------------------------------------------------------------------------
# (engine name, stream) -> (epoch, seq, state). A writer takes the entry out while it works and puts the new
# state back only when its transaction commits, so a rolled-back (or in-place mutated) state is never reused;
# the seq and epoch are checked under the stream lock, so a command appended by another process is noticed.
# A refusal puts the untouched state back at once (still under the lock) when nothing in it changed: the
# engine declares ``refusal_keeps_state`` (or refused before the engine ran: a reused key) and this transaction
# wrote nothing to the stream before, so the state is the committed head's.
_cache: dict[tuple[str, str], tuple[str, int, Any]] = {}
_cache_lock = threading.Lock()
CACHE_MAX = 10_000


def _cache_take(engine: Engine[Any], head: Head) -> Any | None:
    with _cache_lock:
        hit = _cache.pop((engine.name, head.stream), None)
    if hit is not None and hit[0] == head.epoch and hit[1] == head.seq:
        return hit[2]
    return None


def _cache_put_now(engine: Engine[Any], head: Head, state: Any) -> None:
    with _cache_lock:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[(engine.name, head.stream)] = (head.epoch, head.seq, state)


def keeps_state_on_refusal(engine: Engine[Any]) -> bool:
    """Whether ``engine`` declares that a refusal leaves its state unchanged (``refusal_keeps_state``)."""
    return getattr(engine, "refusal_keeps_state", False) is True


def _cache_put_on_commit(engine: Engine[Any], head: Head, seq: int, state: Any) -> None:
    def put() -> None:
        with _cache_lock:
            if len(_cache) >= CACHE_MAX:
                _cache.clear()
            _cache[(engine.name, head.stream)] = (head.epoch, seq, state)

    transaction.on_commit(put)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# -- loading and snapshots ----------------------------------------------------------------------------------------
def _snapshot_row(stream: str, seq: int) -> Snapshot | None:
    """The newest snapshot at or before ``seq`` whose text still matches its digest. A damaged snapshot (the
    database's equivalent of a corrupted journal record) is never loaded: recovery falls back to an older one,
    or to the log from its start, and :func:`verify` names the damage."""
    if seq <= 0:
        return None
    for row in Snapshot.objects.filter(stream=stream, seq__lte=seq).order_by("-seq"):
        if sha256_hex(row.state.encode()) == row.digest:
            return row
    return None


def _fold(stream: str, engine: Engine[S], state: S, after: int, upto: int) -> S:
    for entry in log.iter_entries(stream, after, upto):
        state = engine.apply(state, entry)
    return state


def load_state(stream: str, engine: Engine[S], *, head: Head | None = None) -> tuple[S, int]:
    """The state after the stream's last committed command (newest snapshot + the commands after it).

    Pass the locked ``head`` inside a writer's transaction; without it the state is as of the head read now."""
    if head is None:
        row = CommandStream.objects.filter(pk=stream).first()
        if row is None:
            return engine.initial(stream), 0
        seq, snap = row.seq, row.snapshot_seq
    else:
        seq, snap = head.seq, head.snapshot_seq
    snapshot = _snapshot_row(stream, snap)
    if snapshot is not None:
        state = engine.load(_parse(snapshot.state))
        after = snapshot.seq
    else:
        state, after = engine.initial(stream), 0
    return _fold(stream, engine, state, after, seq), seq


def _parse(text: str) -> Any:
    return json.loads(text)


def state_bytes(engine: Engine[S], state: S) -> bytes:
    """The canonical JSON of a state: what snapshots store and what replay equality compares."""
    return canonical_json(engine.dump(state))


def _write_snapshot(stream: str, engine: Engine[S], state: S, seq: int) -> None:
    text = state_bytes(engine, state)
    Snapshot.objects.bulk_create(
        [Snapshot(stream=stream, seq=seq, state=text.decode(), digest=sha256_hex(text), taken_at=clock_now())],
        ignore_conflicts=True,
    )
    CommandStream.objects.filter(pk=stream).update(snapshot_seq=seq)


def take_snapshot(stream: str, engine: Engine[S]) -> int:
    """Store a snapshot of the current state now (under the stream lock); returns its seq (0: empty stream)."""
    with transaction.atomic():
        head = log.lock(stream)
        if head.seq == 0:
            return 0
        if head.snapshot_seq == head.seq:
            return head.seq
        state, seq = load_state(stream, engine, head=head)
        _write_snapshot(stream, engine, state, seq)
        return seq


# -- writing ------------------------------------------------------------------------------------------------------
def _writer_state(stream: str, engine: Engine[S], head: Head) -> S:
    cached = _cache_take(engine, head)
    if cached is not None:
        return cached
    state, _ = load_state(stream, engine, head=head)
    return state


def submit(
    stream: str,
    engine: Engine[S],
    command: dict[str, Any],
    *,
    actor_ref: str,
    idempotency_key: str | None = None,
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
) -> Applied[S]:
    """Apply ``command`` to ``stream`` with ``engine`` and log it, in the caller's transaction (an action).

    A refusal by the engine (a YiwangError) propagates and nothing is stored. Acknowledge ``accepted`` only after
    the caller's transaction committed."""
    (result,) = _submit(stream, engine, [(command, actor_ref, idempotency_key)], snapshot_every, refuse=True)
    assert isinstance(result, Applied)
    return result


_stats = {"refusals_kept": 0}  # how many refusals kept the cached state (for tests and benchmarks)


def refusals_kept() -> int:
    """How many refusals in this process kept the writer's cached state (for tests and benchmarks)."""
    return _stats["refusals_kept"]


def submit_many(
    stream: str,
    engine: Engine[S],
    commands: Sequence[tuple[dict[str, Any], str, str | None]],
    *,
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
) -> list[Applied[S] | Refused]:
    """Batching: apply several ``(command, actor_ref, idempotency_key)`` of one stream in one transaction (one
    lock, one commit, one fsync). A refused command is returned as :class:`Refused` and the others go on.

    The trade-off (docs/live.md): throughput on one hot stream rises with the batch size, but every command of
    the batch waits for the whole batch's commit before it may be acknowledged, and the caller's action writes
    one witness entry for the batch or one per command."""
    return _submit(stream, engine, list(commands), snapshot_every, refuse=False)


def _submit(
    stream: str,
    engine: Engine[S],
    commands: list[tuple[dict[str, Any], str, str | None]],
    snapshot_every: int,
    *,
    refuse: bool,
) -> list[Applied[S] | Refused]:
    log.check_stream(stream)
    for command, _, key in commands:
        log._check_command(command)
        log._check_key(key)
    log._require_transaction()
    head = log.lock(stream)
    state = _writer_state(stream, engine, head)
    seq, last_at = head.seq, head.last_at
    results: list[Applied[S] | Refused] = []
    pending: list[tuple[dict[str, Any], str, str | None, Any]] = []
    seen: dict[str, Applied[S]] = {}
    for command, actor_ref, key in commands:
        engine_ran = False
        try:
            earlier = None
            if key is not None:
                if key in seen:  # the same key twice in one batch
                    first = seen[key].entry
                    if canonical_json(first.command) != canonical_json(command):
                        raise _reused(stream, first.seq)
                    results.append(Applied(Accepted(stream, first.seq, first.accepted_at, True), first, state))
                    continue
                earlier = log.duplicate_of(stream, command, key)
            if earlier is not None:
                accepted = Accepted(stream, earlier.seq, earlier.accepted_at, duplicate=True)
                results.append(Applied(accepted, earlier, state))
                continue
            now = clock_now()
            at = max(now, last_at) if last_at is not None else now
            entry = Entry(stream, seq + 1, at, actor_ref, command, key)
            engine_ran = True
            state = engine.apply(state, entry)
        except YiwangError as error:
            if refuse:
                # nothing of this call is written yet: the state is the committed head's unless an earlier
                # command of this transaction wrote to the stream
                if (not engine_ran or keeps_state_on_refusal(engine)) and not log.written_here(stream):
                    _stats["refusals_kept"] += 1
                    _cache_put_now(engine, head, state)
                raise
            results.append(Refused(command, error))
            continue
        seq, last_at = entry.seq, at
        pending.append((command, actor_ref, key, at))
        applied = Applied(Accepted(stream, entry.seq, at), entry, state)
        if key is not None:
            seen[key] = applied
        results.append(applied)
    if pending:
        log.write(head, pending)
        if snapshot_every > 0 and (seq // snapshot_every) > (head.seq // snapshot_every):
            _write_snapshot(stream, engine, state, seq)
    _cache_put_on_commit(engine, head, seq, state)
    return results


def _reused(stream: str, seq: int) -> YiwangError:
    return Conflict(
        "commands.idempotency_key_reused",
        "该幂等键已用于另一条指令",
        "This idempotency key was already used for a different command",
        {"stream": stream, "seq": seq},
    )


# -- replay and verification ------------------------------------------------------------------------------------
def replay(stream: str, engine: Engine[S], upto: int | None = None) -> tuple[S, int]:
    """Rebuild the state from the log alone (no snapshot): the state after command ``upto`` (default: the head)."""
    last = log.head(stream) if upto is None else upto
    return _fold(stream, engine, engine.initial(stream), 0, last), last


@dataclass
class Report:
    """What :func:`verify` found. ``ok`` when the sequence is 1..head without a gap and every stored snapshot
    (and the snapshot-based recovery) equals the replay byte for byte."""

    stream: str
    head: int = 0
    commands: int = 0
    snapshots_checked: int = 0
    problems: list[str] = field(default_factory=list)
    digest: str = ""  # SHA-256 of the replayed state's canonical JSON

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(stream: str, engine: Engine[S]) -> Report:
    """Replay the whole stream and compare: sequence numbers, every snapshot, and the recovered state."""
    report = Report(stream)
    row = CommandStream.objects.filter(pk=stream).first()
    if row is None:
        raise NotFound("commands.unknown_stream", "指令流不存在", "No such stream", {"stream": stream})
    report.head = row.seq
    snapshots = {s.seq: s for s in Snapshot.objects.filter(stream=stream, seq__lte=row.seq)}
    state = engine.initial(stream)
    expected = 0
    for entry in log.iter_entries(stream, 0, row.seq):
        expected += 1
        if entry.seq != expected:
            report.problems.append(f"sequence_gap: expected {expected}, found {entry.seq}")
            expected = entry.seq
        try:
            state = engine.apply(state, entry)
        except YiwangError as error:
            report.problems.append(f"replay_refused: command {entry.seq} was refused on replay ({error.code})")
            return report
        report.commands += 1
        snapshot = snapshots.get(entry.seq)
        if snapshot is not None:
            report.snapshots_checked += 1
            if state_bytes(engine, state).decode() != snapshot.state:
                report.problems.append(f"snapshot_mismatch: the snapshot at {entry.seq} differs from the replay")
            elif sha256_hex(snapshot.state.encode()) != snapshot.digest:
                report.problems.append(f"snapshot_digest_mismatch: the snapshot at {entry.seq}")
    if expected != row.seq:
        report.problems.append(f"missing_commands: the head is {row.seq}, the log ends at {expected}")
    replayed = state_bytes(engine, state)
    report.digest = sha256_hex(replayed)
    recovered, _ = load_state(stream, engine)
    if state_bytes(engine, recovered) != replayed:
        report.problems.append("recovery_mismatch: snapshot + suffix differs from the full replay")
    return report


# -- engines by stream kind (a port: declared here, registered by the contexts that own the streams) ------------
_engines: dict[str, Callable[[], Engine[Any]]] = {}


def register_engine(kind: str, factory: Callable[[], Engine[Any]]) -> None:
    """Say which engine folds the streams of ``kind`` (``auction.lot``), for ``yiwang commands verify``.
    Call it from the owning app's ``AppConfig.ready``."""
    _engines[kind] = factory


def engine_for(stream: str) -> Engine[Any]:
    factory = _engines.get(log.kind_of(stream))
    if factory is None:
        raise NotFound(
            "commands.no_engine",
            "没有为该类指令流登记状态机",
            "No engine is registered for this kind of stream",
            {"stream": stream, "kind": log.kind_of(stream)},
        )
    return factory()
