"""The durable, sequenced command log (docs/live.md, docs/adr/0008).

A *stream* is one single-writer object: ``auction.lot:42``, ``orderbook.instrument:CEA``. Each accepted command
gets the next number of its stream (1, 2, 3 … with no gap) and the server time it counts at, under the stream's
row lock, in the caller's transaction::

    with action(actor, "auction.place_bid") as act:
        accepted = log.append("auction.lot:42", {"type": "bid", "price": 1_000_000},
                              actor_ref=actor.ref, idempotency_key=key)
        ...  # the engine's state rows, witness entry, feed event
    # the action has committed (fsynced by the database's commit): only now acknowledge ``accepted.seq``

``append`` outside a transaction runs in one of its own, so it is durable when it returns. Inside one it is
durable when that transaction commits, together with everything else the action wrote; a rollback takes the
command (and its number) back.

Only the head row of the stream is locked, so appenders to different streams never wait for each other here
(on SQLite every write transaction holds the database lock anyway, docs/adr/0002). Most callers want
:func:`yiwang.platform.commands.engine.submit`, which also loads the state and applies a pure engine.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.platform.clock import now as clock_now
from yiwang.platform.commands.models import Command, CommandStream

# ``<kind>:<key>``: the kind is a dotted lower-case name, the key up to 100 characters of [A-Za-z0-9_.-]
STREAM = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*:[A-Za-z0-9_.\-]{1,100}$")
KEY_MAX = 120


@dataclass(frozen=True)
class Accepted:
    """What an append returns: acknowledge ``seq`` (and ``accepted_at``) after the transaction committed.

    ``duplicate`` is true when the idempotency key was seen before: this is the first acceptance again."""

    stream: str
    seq: int
    accepted_at: datetime
    duplicate: bool = False


@dataclass(frozen=True)
class Entry:
    """One command of the log, as engines and readers see it."""

    stream: str
    seq: int
    accepted_at: datetime
    actor_ref: str
    command: dict[str, Any]
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Head:
    """The locked head of a stream: the last number and time handed out, the newest snapshot's number."""

    stream: str
    seq: int
    last_at: datetime | None
    snapshot_seq: int
    epoch: str


def check_stream(stream: str) -> str:
    if not isinstance(stream, str) or len(stream) > 150 or not STREAM.fullmatch(stream):
        raise InvalidInput(
            "commands.invalid_stream",
            "指令流名称无效（应为 类别:编号，例如 auction.lot:42）",
            "A stream is named <kind>:<key>, e.g. auction.lot:42",
            {"stream": str(stream)[:160]},
        )
    return stream


def kind_of(stream: str) -> str:
    """``auction.lot`` for ``auction.lot:42``."""
    return stream.split(":", 1)[0]


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("the command log is written inside the caller's transaction (an action)")


def lock(stream: str) -> Head:
    """Lock the stream's head row until the transaction ends (creating the stream on first use).

    This is the stream's single-writer lock: whoever holds it may load the state, apply a command and write.
    Lock streams in a fixed order (sorted names) if one transaction must hold several."""
    _require_transaction()
    check_stream(stream)
    rows = list(CommandStream.objects.select_for_update().filter(pk=stream))
    if not rows:
        CommandStream.objects.bulk_create(
            [CommandStream(name=stream, epoch=secrets.token_hex(16))], ignore_conflicts=True
        )
        rows = list(CommandStream.objects.select_for_update().filter(pk=stream))
    row = rows[0]
    return Head(stream, row.seq, row.last_at, row.snapshot_seq, row.epoch)


def _entry(row: Command) -> Entry:
    return Entry(row.stream, row.seq, row.accepted_at, row.actor_ref, row.body, row.idempotency_key)


def find(stream: str, idempotency_key: str) -> Entry | None:
    """The command accepted earlier under ``idempotency_key`` on ``stream``, if any."""
    row = Command.objects.filter(stream=stream, idempotency_key=idempotency_key).first()
    return _entry(row) if row else None


def _check_key(key: str | None) -> None:
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX):
        raise InvalidInput(
            "commands.invalid_idempotency_key",
            f"幂等键应为 1–{KEY_MAX} 个字符",
            f"An idempotency key has 1–{KEY_MAX} characters",
        )


def _check_command(command: Any) -> bytes:
    if not isinstance(command, dict):
        raise InvalidInput("commands.invalid_command", "指令应为 JSON 对象", "A command is a JSON object")
    try:
        return canonical_json(command)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "commands.invalid_command", "指令只能包含 JSON 值", "A command holds JSON values only", {"error": str(exc)}
        ) from exc


def duplicate_of(stream: str, command: dict[str, Any], idempotency_key: str | None) -> Entry | None:
    """Under the stream lock: the first acceptance of ``idempotency_key``, if the key was used before.

    The same key with a different command is refused (``commands.idempotency_key_reused``)."""
    if idempotency_key is None:
        return None
    earlier = find(stream, idempotency_key)
    if earlier is not None and canonical_json(earlier.command) != canonical_json(command):
        raise Conflict(
            "commands.idempotency_key_reused",
            "该幂等键已用于另一条指令",
            "This idempotency key was already used for a different command",
            {"stream": stream, "seq": earlier.seq},
        )
    return earlier


def next_time(head: Head) -> datetime:
    """The server time of the next command: the clock, but never before the previous command of the stream
    (so time order and sequence order agree even when a command waited for the lock)."""
    now = clock_now()
    return max(now, head.last_at) if head.last_at is not None else now


def write(head: Head, commands: list[tuple[dict[str, Any], str, str | None, datetime]]) -> list[Entry]:
    """Under the lock: store ``(command, actor_ref, idempotency_key, accepted_at)`` as the next numbers and move
    the head. Low level (no duplicate check): use :func:`append` or ``engine.submit``."""
    rows = []
    seq = head.seq
    for body, actor_ref, key, at in commands:
        seq += 1
        rows.append(
            Command(stream=head.stream, seq=seq, accepted_at=at, actor_ref=actor_ref, idempotency_key=key, body=body)
        )
    if not rows:
        return []
    Command.objects.bulk_create(rows)
    CommandStream.objects.filter(pk=head.stream).update(seq=seq, last_at=rows[-1].accepted_at)
    transaction.on_commit(_Written(head.stream))
    return [_entry(r) for r in rows]


class _Written:
    """A do-nothing commit hook that marks "this transaction wrote to ``stream``" (see :func:`written_here`).
    Django drops the hooks of a transaction (or savepoint) that rolls back, so the mark goes with the write."""

    __slots__ = ("stream",)

    def __init__(self, stream: str):
        self.stream = stream

    def __call__(self) -> None:
        pass


def written_here(stream: str) -> bool:
    """Whether the current transaction holds uncommitted commands of ``stream`` (written by :func:`write`).

    Under the stream lock and when this is false, the head is committed: nobody else can move it before this
    transaction ends, and a rollback of this transaction leaves it as it is."""
    # ``run_on_commit`` is Django's list of (savepoint ids, hook, robust) for the open transaction; the commit
    # hooks of a rolled-back savepoint are removed from it (test_log.py checks both cases)
    return any(isinstance(hook, _Written) and hook.stream == stream for _, hook, _ in connection.run_on_commit)


def append(stream: str, command: dict[str, Any], *, actor_ref: str, idempotency_key: str | None = None) -> Accepted:
    """Accept ``command`` as the next command of ``stream``: number, server time, stored under the stream lock.

    In a transaction: durable when it commits (acknowledge after that). Outside one: in its own, durable on
    return. A repeated ``idempotency_key`` returns the first acceptance (``duplicate=True``) and stores nothing."""
    check_stream(stream)
    _check_key(idempotency_key)
    _check_command(command)
    # no savepoint (a round trip less): nothing is written before the checks, and a refusal is raised only
    # after the block, so it never marks the caller's transaction as broken
    refusal: Conflict | None = None
    with transaction.atomic(savepoint=False):
        head = lock(stream)
        try:
            earlier = duplicate_of(stream, command, idempotency_key)
        except Conflict as error:
            refusal, earlier = error, None
        if refusal is None:
            if earlier is not None:
                return Accepted(stream, earlier.seq, earlier.accepted_at, duplicate=True)
            (entry,) = write(head, [(command, actor_ref, idempotency_key, next_time(head))])
            return Accepted(stream, entry.seq, entry.accepted_at)
    raise refusal


def head(stream: str) -> int:
    """The last committed sequence number of ``stream`` (0 when it has none)."""
    return CommandStream.objects.filter(pk=stream).values_list("seq", flat=True).first() or 0


def read(stream: str, after_seq: int = 0, limit: int | None = None) -> list[Entry]:
    """Commands of ``stream`` with ``seq > after_seq`` in order (at most ``limit``), up to the committed head."""
    last = head(stream)
    qs = Command.objects.filter(stream=stream, seq__gt=max(0, after_seq), seq__lte=last).order_by("seq")
    if limit is not None:
        qs = qs[: max(0, limit)]
    return [_entry(r) for r in qs]


def iter_entries(stream: str, after_seq: int = 0, upto: int | None = None, batch: int = 2000) -> Iterator[Entry]:
    """Every command after ``after_seq`` (up to ``upto``, default the head), read in pages of ``batch``."""
    last = head(stream) if upto is None else upto
    cursor = max(0, after_seq)
    while cursor < last:
        rows = list(Command.objects.filter(stream=stream, seq__gt=cursor, seq__lte=last).order_by("seq")[:batch])
        if not rows:
            return
        for row in rows:
            yield _entry(row)
        cursor = rows[-1].seq


def streams(kind: str | None = None) -> list[str]:
    """The names of the streams (of one kind, e.g. ``auction.lot``)."""
    qs = CommandStream.objects.order_by("name")
    if kind:
        qs = qs.filter(name__startswith=f"{kind}:")
    return list(qs.values_list("name", flat=True))
