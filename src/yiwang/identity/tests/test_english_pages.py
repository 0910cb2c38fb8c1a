"""The identity pages under the English switch: sign-up, the profile (roles, password), personal access tokens
and 我的操作记录 read in English; people's names and usernames stay as entered. Without the switch the same pages
are Chinese."""

from __future__ import annotations

import pytest

from yiwang.identity.actions import do_grant_role, do_issue_personal_token
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Role
from yiwang.platform.web.testing import chinese_left, use_english

pytestmark = pytest.mark.django_db

SWITCH = "中文"  # the language switch's own label


def test_sign_up_in_english(client, db, clock):
    assert "注册一网交易账户" in client.get("/accounts/signup/").content.decode()

    use_english(client)
    html = client.get("/accounts/signup/").content.decode()
    for english in ("Create a One-Stop Trading account", "Confirm the password", "Sign up", "Mobile phone"):
        assert english in html, english
    assert chinese_left(html, SWITCH) == []
    refused = client.post(
        "/accounts/signup/", {"username": "x1", "display_name": "王五", "password": "a", "password2": "b"}
    )
    assert "The two passwords differ" in refused.content.decode()
    assert chinese_left(refused.content.decode(), "王五", SWITCH) == []


def test_profile_tokens_and_history_in_english(client, make_account, system):
    person = make_account("en-person", "赵六")
    do_grant_role(actor=system, role=Role.REGULATOR, account=person, region="310112")
    do_issue_personal_token(actor=actor_for_account(person), account=person, name="数据对接", expires_in_days=30)
    client.force_login(person)
    assert "我的角色" in client.get("/accounts/profile/").content.decode()

    use_english(client)
    pages = {
        "/accounts/profile/": ("Profile", "My roles", "Regulator", "Change password"),
        "/accounts/tokens/": ("Personal access tokens", "Issue a token", "Valid", "Revoke"),
        "/accounts/history/": ("My history", "Action", "Object"),
    }
    for url, words in pages.items():
        html = client.get(url).content.decode()
        for english in words:
            assert english in html, (url, english)
        assert chinese_left(html, "赵六", "数据对接", SWITCH) == [], url
