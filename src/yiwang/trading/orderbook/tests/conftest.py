"""Fixtures of the orderbook tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.platform.commands import engine as commands
from yiwang.trading.orderbook.domain import outcome
from yiwang.trading.orderbook.tests import support
from yiwang.trading.orderbook.tests.implementations import IMPLEMENTATIONS


@pytest.fixture(autouse=True)
def _fresh_engine_cache() -> Iterator[None]:
    """The command log caches engine states per process: a rolled-back test database must not see them."""
    commands.clear_cache()
    yield
    commands.clear_cache()


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.trading.orderbook.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture(params=IMPLEMENTATIONS)
def both_engines(request, monkeypatch) -> type:
    """Run the test once per engine build: the module's ``MarketEngine`` name is the interpreted class, then
    the compiled one (a module opts in with ``pytestmark = pytest.mark.usefixtures("both_engines")``)."""
    monkeypatch.setattr(request.module, "MarketEngine", request.param)
    return request.param


@pytest.fixture(params=IMPLEMENTATIONS)
def both_engines_in_the_command_log(request, monkeypatch) -> type:
    """Run a database test once per engine build: the markets the command log folds get that class."""
    commands.clear_cache()
    monkeypatch.setattr(outcome, "MarketEngine", request.param)
    yield request.param
    commands.clear_cache()
