"""Fixtures of the experts tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.services.experts.notify import LoggingNotifier
from yiwang.services.experts.tests import support


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.services.experts.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def staff() -> Actor:
    return support.staff()


@pytest.fixture(autouse=True)
def sent() -> Iterator[list]:
    LoggingNotifier.sent.clear()
    yield LoggingNotifier.sent
    LoggingNotifier.sent.clear()


@pytest.fixture
def pool(db, clock, staff):
    """Eight active works/GP experts of 房屋建筑工程土建施工 (A080101) in 闵行, and two of 建筑电气 (A080104)."""
    building = [support.enrol(staff) for _ in range(8)]
    electric = [support.enrol(staff, specialties=[{"code": "A080104", "main": True}]) for _ in range(2)]
    return {"building": building, "electric": electric}
