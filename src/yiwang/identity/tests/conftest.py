"""Fixtures of the identity tests: accounts with real (Argon2) passwords and actors built from their grants."""

from __future__ import annotations

import pytest

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor, Role

PASSWORD = "Yiwang-test-2026"


@pytest.fixture
def make_account(db, clock):
    counter = {"n": 0}

    def make(username: str | None = None, display_name: str = "测试用户", **kwargs):
        counter["n"] += 1
        return do_create_account(
            actor=Actor.anonymous(),
            username=username or f"user{counter['n']}",
            display_name=display_name,
            password=PASSWORD,
            **kwargs,
        )

    return make


@pytest.fixture
def staff_admin(make_account, system):
    """A trading-centre administrator over all of Shanghai (310000)."""
    account = make_account("centre-admin", "交易中心管理员")
    do_grant_role(actor=system, role=Role.STAFF, account=account, region="310000", admin=True)
    return account


@pytest.fixture
def staff_admin_actor(staff_admin):
    return actor_for_account(staff_admin)
