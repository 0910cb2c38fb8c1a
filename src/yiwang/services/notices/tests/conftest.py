"""Fixtures of the notices tests. Until the apps are in ``INSTALLED_APPS`` the tests are not collected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth

if not (apps.is_installed("yiwang.services.notices") and apps.is_installed("yiwang.platform.notify")):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def staff() -> Actor:
    from yiwang.services.notices.tests import support

    return support.staff()


@pytest.fixture
def agency() -> Actor:
    from yiwang.services.notices.tests import support

    return support.agency()


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    """Bearer token / ``X-Test-Actor`` header ``<name>`` → the actor registered under that name."""
    from yiwang.services.notices.tests import support

    settings.YIWANG_ACTOR_RESOLVER = "yiwang.services.notices.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture(autouse=True)
def logged_mail() -> Iterator[list]:
    from yiwang.platform.notify.ports import LoggingEmailSender

    LoggingEmailSender.sent.clear()
    yield LoggingEmailSender.sent
    LoggingEmailSender.sent.clear()
