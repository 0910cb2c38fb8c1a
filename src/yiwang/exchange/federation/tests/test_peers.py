"""Registering peer hubs: staff administrators only, with a valid code, address and public key; every refusal
is specific and stores nothing. The hub's own identity is public."""

from __future__ import annotations

import pytest

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.tests.support import ANHUI, RemoteHub, counts
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.platform.api import auth
from yiwang.platform.api.testing import ACTORS

pytestmark = pytest.mark.django_db


def _actor(*grants: RoleGrant) -> Actor:
    return Actor(ActorKind.ACCOUNT, "901", "测试", tuple(grants))


STAFF_ADMIN = _actor(RoleGrant(Role.STAFF, region="310000", admin=True))


def test_the_identity_is_public_and_names_the_platform_key(api):
    body = api.get("/federation/identity").json()
    assert body["code"] == actions.own_code()
    assert body["key_id"].startswith("sm3:")
    assert "BEGIN PUBLIC KEY" in body["public_key_pem"]


def test_a_staff_administrator_registers_a_peer(clock):
    hub = RemoteHub(ANHUI, "安徽省公共资源交易平台", "http://127.0.0.1:18103/")
    peer = hub.register(STAFF_ADMIN)
    assert peer.base_url == "http://127.0.0.1:18103"
    assert peer.key_id == hub.key.public_key.key_id
    assert peer.registered_by == STAFF_ADMIN.ref


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"code": "12340000MB0000000X"}, "uscc.check_digit"),
        ({"code": "SELF"}, "federation.self_peer"),
        ({"name": ""}, "federation.bad_name"),
        ({"base_url": "ftp://127.0.0.1/"}, "federation.bad_url"),
        ({"base_url": "http://127.0.0.1:1/?x=1"}, "federation.bad_url"),
        ({"public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, "federation.key_malformed"),
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(clock, change, code):
    hub = RemoteHub(ANHUI, "安徽省公共资源交易平台", "http://127.0.0.1:18103")
    kwargs = {"code": hub.code, "name": hub.name, "base_url": hub.base_url, "public_key": hub.public_pem, **change}
    if kwargs["code"] == "SELF":
        kwargs["code"] = actions.own_code()
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        actions.do_register_peer(actor=STAFF_ADMIN, **kwargs)
    assert caught.value.code == code
    assert counts() == before


def test_only_staff_administrators_register_and_a_peer_only_once(api, clock, jiangsu):
    hub = RemoteHub(ANHUI, "安徽", "http://127.0.0.1:18103")
    before = counts()
    for actor in (_actor(RoleGrant(Role.STAFF, region="310000")), _actor(RoleGrant(Role.REGULATOR, region="310000"))):
        with pytest.raises(PermissionDenied) as caught:
            hub.register(actor)
        assert caught.value.code == "federation.forbidden"
    with pytest.raises(Conflict) as caught:
        jiangsu.register(STAFF_ADMIN)
    assert caught.value.code == "federation.peer_exists"
    assert counts() == before


def test_the_api_registers_and_lists_peers(api, clock, settings, monkeypatch, request):
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    request.addfinalizer(auth.resolver.cache_clear)
    token = "federation-staff-admin"
    monkeypatch.setitem(ACTORS, token, STAFF_ADMIN)
    hub = RemoteHub(ANHUI, "安徽", "http://127.0.0.1:18103")
    created = api.with_token(token).post(
        "/federation/peers",
        {"code": hub.code, "name": hub.name, "base_url": hub.base_url, "public_key": hub.public_pem},
    )
    assert created.status_code == 201, created.content
    assert [p["code"] for p in api.with_token(token).get("/federation/peers").json()] == [hub.code]
    assert api.get("/federation/peers").status_code == 401
