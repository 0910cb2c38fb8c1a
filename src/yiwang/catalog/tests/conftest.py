"""Fixtures of the catalog tests: actors with and without the staff-admin grant.

The catalog sits below identity (docs/adr/0001), so its tests do not create accounts: a stand-in actor resolver
(the port ``yiwang.platform.api.auth.ActorResolverPort``) maps bearer tokens and a test cookie to actors.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.http import HttpRequest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform.api import auth

STAFF_ADMIN = Actor(ActorKind.ACCOUNT, "900", "目录管理员", (RoleGrant(Role.STAFF, region="310000", admin=True),))
STAFF_PLAIN = Actor(ActorKind.ACCOUNT, "901", "普通工作人员", (RoleGrant(Role.STAFF, region="310112"),))
MARKET_USER = Actor(ActorKind.ACCOUNT, "902", "投标人", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1),))
ACTORS = {"staff-admin": STAFF_ADMIN, "staff-plain": STAFF_PLAIN, "market": MARKET_USER}
COOKIE = "catalog-test-actor"


class StandInResolver:
    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        if token not in ACTORS:
            raise NotAuthenticated("auth.invalid_token", "访问令牌无效", "invalid token")
        return ACTORS[token]

    def from_session(self, request: HttpRequest) -> Actor:
        return ACTORS.get(request.COOKIES.get(COOKIE, ""), Actor.anonymous())


@pytest.fixture
def stand_in_auth(settings) -> Iterator[None]:
    settings.YIWANG_ACTOR_RESOLVER = f"{__name__}.StandInResolver"
    auth.resolver.cache_clear()
    yield
    auth.resolver.cache_clear()


@pytest.fixture
def staff_admin() -> Actor:
    return STAFF_ADMIN


@pytest.fixture
def staff_plain() -> Actor:
    return STAFF_PLAIN


@pytest.fixture
def market_user() -> Actor:
    return MARKET_USER


@pytest.fixture
def admin_token(stand_in_auth) -> str:
    return "staff-admin"


@pytest.fixture
def plain_token(stand_in_auth) -> str:
    return "market"


@pytest.fixture
def as_admin(client, stand_in_auth):
    client.cookies[COOKIE] = "staff-admin"
    return client


@pytest.fixture
def as_plain(client, stand_in_auth):
    client.cookies[COOKIE] = "staff-plain"
    return client
