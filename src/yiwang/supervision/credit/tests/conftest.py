"""Fixtures of the credit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.periods import local_date
from yiwang.platform.api import auth
from yiwang.platform.clock import now
from yiwang.supervision.credit.tests import support


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.supervision.credit.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def rules(db, clock) -> None:
    """The credit rules listed in the rules catalogue from today on."""
    support.list_credit_rules(local_date(now()))


@pytest.fixture
def company(db, clock) -> int:
    return support.register_company("MA0CRED1", "上海闵行建设工程有限公司")


@pytest.fixture
def other_company(db, clock) -> int:
    return support.register_company("MA0CRED2", "上海浦江建筑安装有限公司")
