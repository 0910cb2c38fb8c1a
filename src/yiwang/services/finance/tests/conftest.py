"""Fixtures of the finance tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.services.finance.tests import support


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.services.finance.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def bidders(db, clock) -> tuple[support.Bidder, support.Bidder]:
    """Two bidders with registered basic accounts."""
    return (
        support.make_bidder(support.PUJIANG, "1001200300400501"),
        support.make_bidder(support.MINHANG, "1001200300400502"),
    )


@pytest.fixture
def lot(db, clock):
    """A works lot: deposit 10 万元 on an estimate of 1000 万元, opening in 20 days."""
    return support.make_lot()
