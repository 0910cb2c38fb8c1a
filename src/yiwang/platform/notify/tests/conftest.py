"""Fixtures of the notify tests. Until the app is in ``INSTALLED_APPS`` its tests are not collected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api import auth

if not apps.is_installed("yiwang.platform.notify"):
    collect_ignore_glob = ["test_*.py"]


def person(n: int, *grants: RoleGrant) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), f"测试用户{n}", tuple(grants))


@pytest.fixture
def alice() -> Actor:
    return person(11, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1))


@pytest.fixture
def bob() -> Actor:
    return person(12)


@pytest.fixture(autouse=True)
def logged_mail() -> Iterator[list]:
    from yiwang.platform.notify.ports import LoggingEmailSender

    LoggingEmailSender.sent.clear()
    yield LoggingEmailSender.sent
    LoggingEmailSender.sent.clear()


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    """Bearer token / ``X-Test-Actor`` header ``<name>`` → the actor registered under that name."""
    from yiwang.platform.notify.tests import support

    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.notify.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()
