"""Fixtures of the catalog tests: actors and accounts with and without the staff-admin grant."""

from __future__ import annotations

import pytest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant


@pytest.fixture
def staff_admin() -> Actor:
    return Actor(ActorKind.ACCOUNT, "900", "目录管理员", (RoleGrant(Role.STAFF, region="310000", admin=True),))


@pytest.fixture
def staff_plain() -> Actor:
    return Actor(ActorKind.ACCOUNT, "901", "普通工作人员", (RoleGrant(Role.STAFF, region="310112"),))


@pytest.fixture
def market_user() -> Actor:
    return Actor(ActorKind.ACCOUNT, "902", "投标人", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1),))


def _account(system, username: str, *, admin_staff: bool):
    from yiwang.identity import actions as identity

    account = identity.do_create_account(
        actor=system, username=username, display_name=username, password="Yiwang-test-Passw0rd!"
    )
    if admin_staff:
        identity.do_grant_role(actor=system, role=Role.STAFF, account=account, region="310000", admin=True)
    return account


@pytest.fixture
def admin_account(db, clock, system):
    return _account(system, "catalog-admin", admin_staff=True)


@pytest.fixture
def plain_account(db, clock, system):
    return _account(system, "catalog-user", admin_staff=False)


@pytest.fixture
def admin_token(admin_account, system) -> str:
    from yiwang.identity import actions as identity
    from yiwang.identity.auth import actor_for_account

    _, token = identity.do_issue_personal_token(
        actor=actor_for_account(admin_account), account=admin_account, name="t", expires_in_days=30
    )
    return token


@pytest.fixture
def plain_token(plain_account) -> str:
    from yiwang.identity import actions as identity
    from yiwang.identity.auth import actor_for_account

    _, token = identity.do_issue_personal_token(
        actor=actor_for_account(plain_account), account=plain_account, name="t", expires_in_days=30
    )
    return token
