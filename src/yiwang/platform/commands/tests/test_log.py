"""The command log: numbers, server times, idempotency, rollback, reading."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.platform.commands import log
from yiwang.platform.commands.models import Command, CommandStream
from yiwang.platform.testing import Boom, do_touch_thing, log_state

pytestmark = pytest.mark.django_db

S = "auction.lot:42"


def test_append_numbers_per_stream_with_server_time(clock):
    first = log.append(S, {"type": "bid", "price": 1}, actor_ref="account:1")
    clock.advance(timedelta(seconds=3))
    second = log.append(S, {"type": "bid", "price": 2}, actor_ref="account:2")
    other = log.append("orderbook.instrument:CEA", {"type": "limit"}, actor_ref="account:1")
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)
    assert first.accepted_at == clock.now() - timedelta(seconds=3)
    assert second.accepted_at == clock.now()
    assert not first.duplicate
    entries = log.read(S)
    assert [(e.seq, e.command["price"], e.actor_ref) for e in entries] == [(1, 1, "account:1"), (2, 2, "account:2")]
    assert [e.seq for e in log.read(S, after_seq=1)] == [2]
    assert log.read(S, limit=1)[0].seq == 1
    assert log.head(S) == 2
    assert log.head("auction.lot:404") == 0
    assert log.streams("auction.lot") == [S]


def test_time_never_goes_backwards_within_a_stream(clock):
    log.append(S, {"n": 1}, actor_ref="a")
    clock.advance(timedelta(seconds=-10))  # a command that waited for the lock with an older reading
    later = log.append(S, {"n": 2}, actor_ref="a")
    assert later.accepted_at == clock.now() + timedelta(seconds=10)


def test_idempotency_key_returns_the_first_acceptance(clock):
    first = log.append(S, {"price": 5}, actor_ref="a", idempotency_key="k1")
    clock.advance(timedelta(seconds=1))
    again = log.append(S, {"price": 5}, actor_ref="a", idempotency_key="k1")
    assert again.duplicate
    assert (again.seq, again.accepted_at) == (first.seq, first.accepted_at)
    assert Command.objects.filter(stream=S).count() == 1
    # the same key on another stream is another command
    assert log.append("auction.lot:43", {"price": 5}, actor_ref="a", idempotency_key="k1").seq == 1


def test_a_reused_key_with_another_command_is_refused(clock):
    log.append(S, {"price": 5}, actor_ref="a", idempotency_key="k1")
    with pytest.raises(Conflict) as caught:
        log.append(S, {"price": 6}, actor_ref="a", idempotency_key="k1")
    assert caught.value.code == "commands.idempotency_key_reused"
    assert log.head(S) == 1


@pytest.mark.parametrize(
    ("stream", "command", "key", "code"),
    [
        ("auction", {}, None, "commands.invalid_stream"),
        ("Auction.lot:1", {}, None, "commands.invalid_stream"),
        ("auction.lot:" + "x" * 101, {}, None, "commands.invalid_stream"),
        ("auction.lot:a b", {}, None, "commands.invalid_stream"),
        ("auction.lot:1\n", {}, None, "commands.invalid_stream"),
        (S, [1, 2], None, "commands.invalid_command"),
        (S, {"x": float("nan")}, None, "commands.invalid_command"),
        (S, {"x": object()}, None, "commands.invalid_command"),
        (S, {}, "", "commands.invalid_idempotency_key"),
        (S, {}, "k" * 121, "commands.invalid_idempotency_key"),
    ],
)
def test_bad_input_is_refused_and_leaves_nothing(clock, stream, command, key, code):
    with pytest.raises(InvalidInput) as caught:
        log.append(stream, command, actor_ref="a", idempotency_key=key)
    assert caught.value.code == code
    assert not Command.objects.exists()
    assert not CommandStream.objects.exists()


def test_a_failed_action_takes_its_command_and_number_back(clock, system):
    before = log_state()

    def append_inside(act):
        log.append(S, {"price": 1}, actor_ref=system.ref, idempotency_key="k")

    with pytest.raises(Boom):
        do_touch_thing(actor=system, n=1, inside=append_inside, fail=True)
    assert log.head(S) == 0
    assert not Command.objects.exists()
    assert log_state() == before
    do_touch_thing(actor=system, n=2, inside=append_inside)
    assert [e.seq for e in log.read(S)] == [1]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_append_commits_before_it_returns(clock):
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        log.lock(S)
    accepted = log.append(S, {"price": 1}, actor_ref="a")
    # another connection (another thread) sees it at once: it was committed when append returned
    seen = []
    reader = threading.Thread(target=lambda: (seen.append(log.read(S)), connection.close()))
    reader.start()
    reader.join(10)
    assert [e.seq for e in seen[0]] == [accepted.seq]
