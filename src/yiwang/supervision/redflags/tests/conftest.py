"""Fixtures of the red-flag tests: an actor resolver for pages and API calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.supervision.redflags.tests import support


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.supervision.redflags.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()
