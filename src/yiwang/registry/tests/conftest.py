"""Fixtures of the registry tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.registry import actions
from yiwang.registry.tests import support


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    """Resolve bearer tokens (and the ``X-Test-Actor`` header on pages) to the actors put in the dict."""
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.registry.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def registrant() -> Actor:
    """A signed-in person with no role yet (identity makes them the entity's administrator afterwards)."""
    return support.person(1, label="张三")


@pytest.fixture
def register(db, clock, registrant) -> Callable[..., object]:
    def run(data: dict | None = None, actor: Actor | None = None):
        return actions.do_register_entity(actor=actor or registrant, data=data or support.org_data())

    return run


@pytest.fixture
def entity(register):
    """The demo company 上海浦江数智建设工程有限公司, registered with its authoritative data."""
    return register()


@pytest.fixture
def static_source(settings) -> Iterator[dict]:
    """Use :class:`support.StaticSource` as the authoritative source; the test fills its records."""
    from yiwang.registry import sources

    settings.YIWANG_REGISTRY_AUTHORITATIVE_SOURCE = "yiwang.registry.tests.support.StaticSource"
    support.StaticSource.records = {}
    yield support.StaticSource.records
    support.StaticSource.records = {}
    sources._load.cache_clear()


@pytest.fixture(autouse=True)
def _no_registration_hook(settings) -> Iterator[None]:
    """These tests act with made-up actors (no accounts exist), so identity's hook — which makes a real
    registrant its entity's administrator — is switched off here; identity's own tests cover it."""
    from yiwang.registry.ports import registration_hook

    settings.YIWANG_REGISTRY_REGISTRATION_HOOK = ""
    registration_hook.cache_clear()
    yield
    registration_hook.cache_clear()
