"""A refused command keeps the writer's cached state when nothing in it changed (real commits, so the cache is
filled the way it is in production): the next writer does not reload snapshot + commands under the lock. The
cache is never trusted after a refusal in a transaction that already wrote to the stream, nor for an engine
that does not declare ``refusal_keeps_state``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from yiwang.kernel.errors import RuleViolation
from yiwang.platform.commands import engine as engines
from yiwang.platform.commands import log
from yiwang.platform.commands.engine import load_state, state_bytes, submit, verify
from yiwang.platform.commands.testing import ToyLotEngine

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

S = "test.toy_lot:refusal"


class ForgetfulToy(ToyLotEngine):
    """The toy without the declaration: a refusal drops the cached state, as before."""

    name = "test.toy_lot_forgetful"
    refusal_keeps_state = False


def _bid(toy, bidder: str, price: int, key: str | None = None):
    with transaction.atomic():
        return submit(S, toy, {"type": "bid", "bidder": bidder, "price": price}, actor_ref="t", idempotency_key=key)


def _cached(toy):
    return engines._cache.get((toy.name, S))


class LoadCounter:
    def __init__(self, monkeypatch):
        self.calls = 0
        real = engines.load_state

        def counting(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(engines, "load_state", counting)


@pytest.fixture
def toy(clock):
    engines.clear_cache()
    yield ToyLotEngine(end=clock.now() + timedelta(hours=1))
    engines.clear_cache()


def test_a_refusal_keeps_the_cached_state_and_the_next_writer_does_not_reload(toy, monkeypatch):
    _bid(toy, "A", 100_000)
    loads = LoadCounter(monkeypatch)
    kept = engines.refusals_kept()
    for _ in range(5):  # racing bidders at the same price: all refused
        with pytest.raises(RuleViolation, match="too_low"):
            _bid(toy, "B", 100_500)
    assert engines.refusals_kept() == kept + 5
    _epoch, seq, state = _cached(toy)
    assert seq == log.head(S) == 1
    assert state.price == 100_000
    assert _bid(toy, "C", 101_000).accepted.seq == 2
    assert loads.calls == 0  # every writer found the state in the cache
    assert verify(S, toy).ok


def test_a_reused_key_refused_before_the_engine_keeps_the_cache_too(toy):
    _bid(toy, "A", 100_000, key="k1")
    with pytest.raises(Exception, match="idempotency_key_reused"):
        _bid(toy, "A", 120_000, key="k1")
    assert _cached(toy)[1] == 1


def test_an_engine_without_the_declaration_drops_the_cache_on_refusal(clock):
    engines.clear_cache()
    toy = ForgetfulToy(end=clock.now() + timedelta(hours=1))
    _bid(toy, "A", 100_000)
    assert _cached(toy) is not None
    with pytest.raises(RuleViolation):
        _bid(toy, "B", 100_500)
    assert _cached(toy) is None
    assert _bid(toy, "C", 101_000).accepted.seq == 2


def test_a_refusal_after_a_write_in_the_same_transaction_is_not_cached(toy):
    """The head is then this transaction's uncommitted command: caching it would outlive the rollback."""
    _bid(toy, "A", 100_000)

    def both() -> None:
        with transaction.atomic():
            submit(S, toy, {"type": "bid", "bidder": "B", "price": 150_000}, actor_ref="t")
            assert log.written_here(S)
            submit(S, toy, {"type": "bid", "bidder": "C", "price": 150_100}, actor_ref="t")  # too low: refused

    with pytest.raises(RuleViolation):
        both()
    assert _cached(toy) is None
    assert not log.written_here(S)
    assert log.head(S) == 1
    assert _bid(toy, "D", 101_000).state.price == 101_000  # not 150,000: nothing of the rolled back write stayed
    assert verify(S, toy).ok


def test_a_write_rolled_back_in_a_savepoint_no_longer_counts(toy):
    _bid(toy, "A", 100_000)
    with transaction.atomic():
        try:
            with transaction.atomic():
                submit(S, toy, {"type": "bid", "bidder": "B", "price": 150_000}, actor_ref="t")
                assert log.written_here(S)
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        assert not log.written_here(S)
        with pytest.raises(RuleViolation):
            submit(S, toy, {"type": "bid", "bidder": "C", "price": 100_100}, actor_ref="t")
        assert _cached(toy)[1] == 1
    state, seq = load_state(S, toy)
    assert (seq, state.price) == (1, 100_000)
    assert state_bytes(toy, _cached(toy)[2]) == state_bytes(toy, state)
