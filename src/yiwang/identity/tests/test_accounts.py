"""Accounts: creation with validation, profile updates with versions, password changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher

from yiwang.identity.actions import do_change_password, do_create_account, do_update_profile
from yiwang.identity.auth import actor_for_account
from yiwang.identity.models import Account
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied, PreconditionFailed
from yiwang.platform.audit import queries as witness
from yiwang.platform.audit.chain import verify
from yiwang.platform.outbox import feed

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return Account.objects.count(), verify().checked, feed.read(0, 1000).last_seq


def test_create_account_hashes_with_argon2_and_is_witnessed(clock):
    before = feed.read(0, 1).last_seq
    account = do_create_account(
        actor=Actor.anonymous(), username="zhangsan", display_name="张三", password=PASSWORD, mobile="13800138000"
    )
    assert identify_hasher(account.password).algorithm == "argon2"
    assert account.check_password(PASSWORD)
    page = feed.read(before, 100)
    assert [e.event_type for e in page.events] == ["identity.account_created.v1"]
    assert page.events[0].visibility == "restricted"
    (entry,) = witness.entries_about(account)
    assert entry.action == "identity.create_account"
    assert PASSWORD not in entry.payload_text
    assert verify().ok


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"username": "ab"}, "identity.invalid_username"),
        ({"username": "bad name!"}, "identity.invalid_username"),
        ({"password": "1234567890123"}, "identity.invalid_password"),  # entirely numeric
        ({"password": "short1!"}, "identity.invalid_password"),
        ({"display_name": "  "}, "identity.display_name_required"),
        ({"mobile": "12345"}, "identity.invalid_mobile"),
        ({"email": "not-an-address"}, "identity.invalid_email"),
    ],
)
def test_invalid_accounts_are_refused_and_leave_nothing(clock, fields, code):
    before = _counts()
    data = {"username": "lisi", "display_name": "李四", "password": PASSWORD, **fields}
    with pytest.raises(InvalidInput) as caught:
        do_create_account(actor=Actor.anonymous(), **data)
    assert caught.value.code == code
    assert caught.value.message_zh
    assert caught.value.message_en
    assert _counts() == before


def test_duplicate_username_is_refused_case_insensitively(make_account):
    make_account("wangwu")
    before = _counts()
    with pytest.raises(Conflict) as caught:
        make_account("WangWu")
    assert caught.value.code == "identity.username_taken"
    assert _counts() == before


def test_profile_update_bumps_version_and_refuses_stale_versions(make_account):
    account = make_account("zhaoliu", "赵六")
    actor = actor_for_account(account)
    updated = do_update_profile(actor=actor, account=account, changes={"mobile": "13900139000"}, expected_version=1)
    assert (updated.mobile, updated.version) == ("13900139000", 2)
    with pytest.raises(PreconditionFailed) as caught:
        do_update_profile(actor=actor, account=account, changes={"display_name": "赵小六"}, expected_version=1)
    assert caught.value.details["current_etag"] == '"2"'
    assert Account.objects.get(pk=account.pk).display_name == "赵六"


def test_nobody_updates_someone_elses_profile(make_account):
    alice, bob = make_account("alice"), make_account("bob")
    with pytest.raises(PermissionDenied):
        do_update_profile(
            actor=actor_for_account(bob), account=alice, changes={"display_name": "x"}, expected_version=None
        )


def test_change_password_checks_the_old_one(make_account):
    account = make_account("sunqi")
    actor = actor_for_account(account)
    with pytest.raises(InvalidInput) as caught:
        do_change_password(actor=actor, account=account, old_password="wrong", new_password="Another-pass-2026")
    assert caught.value.code == "identity.wrong_password"
    do_change_password(actor=actor, account=account, old_password=PASSWORD, new_password="Another-pass-2026")
    assert Account.objects.get(pk=account.pk).check_password("Another-pass-2026")
