"""Fixtures of the statistics tests: people named by a token (regulators of districts and of the city, an
auditor, staff, a bidder) for pages and API calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api import auth
from yiwang.platform.api.testing import ACTORS


def person(n: int, grant: RoleGrant, label: str) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label, (grant,))


@pytest.fixture
def people(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    ACTORS.clear()
    ACTORS.update(
        {
            "mh": person(301, RoleGrant(Role.REGULATOR, region="310112"), "闵行监管"),
            "xh": person(302, RoleGrant(Role.REGULATOR, region="310104"), "徐汇监管"),
            "city": person(303, RoleGrant(Role.REGULATOR, region="310000"), "市监管"),
            "audit": person(304, RoleGrant(Role.AUDITOR, region="310000"), "审计"),
            "staff": person(305, RoleGrant(Role.STAFF, region="310112"), "工作人员"),
            "bidder": person(306, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=9001), "投标人"),
        }
    )
    yield ACTORS
    ACTORS.clear()
    auth.resolver.cache_clear()
