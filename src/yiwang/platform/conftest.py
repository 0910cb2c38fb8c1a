"""Fixtures of the platform tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.platform import testing
from yiwang.platform.api import auth


@pytest.fixture
def token_actors(settings) -> Iterator[None]:
    """Resolve bearer tokens ``<role>:<name>`` with :class:`yiwang.platform.testing.TokenActors`."""
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.testing.TokenActors"
    auth.resolver.cache_clear()
    yield
    auth.resolver.cache_clear()


@pytest.fixture
def base(db) -> testing.Base:
    """The log heads when the test began (see :class:`yiwang.platform.testing.Base`)."""
    return testing.base()
