"""Fixtures of the auction tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.platform.commands import engine as commands
from yiwang.trading.auction.tests import support


@pytest.fixture(autouse=True)
def _fresh_engine_cache() -> Iterator[None]:
    """The command log caches engine states per process: a rolled-back test database must not see them."""
    commands.clear_cache()
    yield
    commands.clear_cache()


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.trading.auction.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def staff() -> Actor:
    return support.staff()


@pytest.fixture
def people(db, clock) -> list[support.Person]:
    return [support.make_bidder(i) for i in range(3)]
