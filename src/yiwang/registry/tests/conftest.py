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
def company(entity):
    """The demo company with a basic deposit account, a project manager holding a practising certificate and a
    qualification: what an entity's page, 我的主体 and the upkeep pages show."""
    admin = support.admin_of(entity.pk)
    actions.do_set_basic_account(
        actor=admin,
        entity_id=entity.pk,
        data={"bank_name": "中国银行", "account_name": entity.name, "account_number": "45635123456789"},
        expected_version=1,
    )
    actions.do_add_personnel(
        actor=admin,
        entity_id=entity.pk,
        data={
            "name": "陈建华",
            "id_number": "310115198506154568",
            "personnel_role": "project_manager",
            "certificates": [{"certificate_type": "constructor_1", "number": "沪131000001"}],
        },
    )
    actions.do_add_qualification(
        actor=admin,
        entity_id=entity.pk,
        data={"qualification_type": "construction_general", "certificate_no": "D231000001", "valid_to": "2030-01-01"},
    )
    entity.refresh_from_db()
    return entity


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
