"""Many writers at once (threads, real commits): numbers stay gap-free per stream, the engine's state equals the
replay, and on PostgreSQL writers to different streams do not wait for each other."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from yiwang.kernel.actors import Actor
from yiwang.platform.actions import action
from yiwang.platform.commands import engine as engines
from yiwang.platform.commands import log
from yiwang.platform.commands.engine import replay, state_bytes, submit
from yiwang.platform.commands.log import Entry
from yiwang.platform.testing import postgres_only

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


class Counter:
    """Adds up ``x`` and remembers who came in which order (an engine whose state shows any lost update)."""

    name = "test.counter"

    def initial(self, stream: str) -> dict[str, Any]:
        return {"total": 0, "order": []}

    def apply(self, state: dict[str, Any], entry: Entry) -> dict[str, Any]:
        return {"total": state["total"] + entry.command["x"], "order": [*state["order"], entry.command["who"]]}

    def dump(self, state: dict[str, Any]) -> dict[str, Any]:
        return state

    def load(self, data: dict[str, Any]) -> dict[str, Any]:
        return data


def _run_threads(count: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait(10)
            work(i)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return errors


def test_concurrent_appenders_get_gap_free_numbers(clock):
    streams = ["auction.lot:1", "auction.lot:2"]

    def work(i: int) -> None:
        for n in range(20):
            stream = streams[(i + n) % 2]
            log.append(stream, {"who": i, "n": n}, actor_ref=f"account:{i}", idempotency_key=f"{i}-{n}")
            if n % 5 == 0:  # a repeat of an earlier command changes nothing
                log.append(stream, {"who": i, "n": n}, actor_ref=f"account:{i}", idempotency_key=f"{i}-{n}")

    assert _run_threads(6, work) == []
    for stream in streams:
        entries = log.read(stream)
        assert [e.seq for e in entries] == list(range(1, 61))
        assert [e.accepted_at for e in entries] == sorted(e.accepted_at for e in entries)
    assert sorted((e.command["who"], e.command["n"]) for s in streams for e in log.read(s)) == sorted(
        (i, n) for i in range(6) for n in range(20)
    )


def test_concurrent_engine_writers_lose_nothing_and_replay_equals_state(clock):
    engines.clear_cache()
    counter = Counter()
    stream = "test.counter:1"
    acks: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        actor = Actor.system(f"writer-{i}")
        for n in range(15):
            with action(actor, "test.count") as act:
                done = submit(stream, counter, {"who": i, "x": n}, actor_ref=actor.ref, snapshot_every=7)
                act.witness(("test.counter", 1), {"seq": done.accepted.seq})
            with lock:  # acknowledged only after the commit
                acks.append(done.accepted.seq)

    assert _run_threads(4, work) == []
    assert sorted(acks) == list(range(1, 61))
    state, seq = replay(stream, counter)
    assert seq == 60
    assert state["total"] == 4 * sum(range(15))
    assert engines.verify(stream, counter).ok
    cached = engines._cache[(counter.name, stream)]
    assert cached[1] == 60
    assert state_bytes(counter, cached[2]) == state_bytes(counter, state)


@postgres_only
def test_writers_to_different_streams_do_not_wait_for_each_other(clock):
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                log.append("auction.lot:1", {"n": 1}, actor_ref="a")
                holding.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        t0 = time.monotonic()
        log.append("auction.lot:2", {"n": 1}, actor_ref="b")  # another stream: not blocked
        assert time.monotonic() - t0 < 2

        blocked = threading.Event()

        def same_stream() -> None:
            try:
                log.append("auction.lot:1", {"n": 2}, actor_ref="c")
                blocked.set()
            finally:
                connection.close()

        waiter = threading.Thread(target=same_stream)
        waiter.start()
        assert not blocked.wait(0.5), "a second writer of the same stream must wait for the lock"
        release.set()
        waiter.join(10)
        assert blocked.is_set()
    finally:
        release.set()
        holder.join(10)
    assert [e.seq for e in log.read("auction.lot:1")] == [1, 2]
