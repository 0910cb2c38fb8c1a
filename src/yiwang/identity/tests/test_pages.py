"""The sign-in, sign-up, profile and token pages, as a person uses them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.identity.models import Account
from yiwang.platform.audit import queries as witness

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "登录一网交易" in text
    assert "注册账户" in text


def test_successful_login_is_witnessed_and_resets_failures(client, make_account):
    account = make_account("loginer")
    Account.objects.filter(pk=account.pk).update(failed_logins=3)
    response = client.post("/accounts/login/", {"username": "loginer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/workbench/"
    account.refresh_from_db()
    assert account.failed_logins == 0
    assert account.last_login is not None
    assert [e.object_id for e in witness.entries(action="identity.login")] == [str(account.pk)]


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_account, clock):
    make_account("target")
    for _ in range(5):
        page = client.post("/accounts/login/", {"username": "target", "password": "wrong-password"})
        assert "登录名或密码不正确" in page.content.decode()
    locked = client.post("/accounts/login/", {"username": "target", "password": PASSWORD})
    assert locked.status_code == 200
    assert "账户已临时锁定" in locked.content.decode()
    assert len(witness.entries(action="identity.login_failed")) == 5
    clock.advance(timedelta(minutes=15, seconds=1))
    assert client.post("/accounts/login/", {"username": "target", "password": PASSWORD}).status_code == 302


def test_unknown_usernames_get_the_same_answer(client):
    page = client.post("/accounts/login/", {"username": "ghost", "password": "whatever-123"})
    assert "登录名或密码不正确" in page.content.decode()
    (entry,) = witness.entries(action="identity.login_failed")
    assert '"known":false' in entry.payload_text


def test_signup_creates_account_signs_in_and_shows_field_errors(client, clock):
    bad = client.post(
        "/accounts/signup/",
        {"username": "x", "display_name": "王", "password": PASSWORD, "password2": PASSWORD},
    )
    assert bad.status_code == 200
    assert "identity.invalid_username" in bad.content.decode()
    assert not Account.objects.exists()
    mismatch = client.post(
        "/accounts/signup/",
        {"username": "wangxm", "display_name": "王小明", "password": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert "两次输入的密码不一致" in mismatch.content.decode()
    ok = client.post(
        "/accounts/signup/",
        {
            "username": "wangxm",
            "display_name": "王小明",
            "mobile": "13912345678",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert ok.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert Account.objects.get().display_name == "王小明"


def test_profile_page_saves_and_reports_stale_versions(client, make_account):
    account = make_account("editor", "编辑者")
    client.force_login(account)
    page = client.get("/accounts/profile/")
    assert "编辑者" in page.content.decode()
    saved = client.post(
        "/accounts/profile/",
        {"save_profile": "1", "display_name": "编辑者甲", "mobile": "", "email": "", "version": 1},
    )
    assert saved.status_code == 302
    stale = client.post(
        "/accounts/profile/",
        {"save_profile": "1", "display_name": "编辑者乙", "mobile": "", "email": "", "version": 1},
    )
    assert "precondition.failed" in stale.content.decode()
    assert Account.objects.get(pk=account.pk).display_name == "编辑者甲"


def test_logout_is_post_only(client, make_account):
    account = make_account()
    client.force_login(account)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 302  # back to the login page
    assert witness.entries(action="identity.logout")


def test_token_page_shows_a_new_token_once(client, make_account):
    client.force_login(make_account())
    page = client.post("/accounts/tokens/", {"name": "脚本", "expires_in_days": "30"})
    text = page.content.decode()
    assert 'data-testid="issued-token"' in text
    assert "ywp_" in text
    again = client.get("/accounts/tokens/").content.decode()
    assert 'data-testid="issued-token"' not in again
    assert "脚本" in again
