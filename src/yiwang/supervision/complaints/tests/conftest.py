"""Fixtures of the complaints tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.supervision.complaints.tests import support


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.supervision.complaints.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture(autouse=True)
def port(settings) -> Iterator[list]:
    settings.YIWANG_COMPLAINTS = {"PROCEDURE_PORT": "yiwang.supervision.complaints.tests.support.RecordingPort"}
    support.CALLS.clear()
    yield support.CALLS
    support.CALLS.clear()


@pytest.fixture
def bidder(db, clock) -> int:
    return support.register_company("MA0CMPL1", "上海申城建设有限公司")
