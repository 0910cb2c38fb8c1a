"""我的操作记录: a person's own actions from the witness log, newest first, and nobody else's."""

from __future__ import annotations

import re

import pytest

from yiwang.identity import views
from yiwang.identity.actions import do_create_account, do_update_profile
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor

pytestmark = pytest.mark.django_db
PASSWORD = "Yiwang-2026-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def person(username: str):
    return do_create_account(actor=Actor.system("test"), username=username, display_name=username, password=PASSWORD)


def edit(account, times: int) -> None:
    for i in range(times):
        account.refresh_from_db()
        do_update_profile(
            actor=actor_for_account(account),
            account=account,
            changes={"mobile": f"1390013{i:04d}"},
            expected_version=account.version,
        )


def seqs(page: str) -> list[int]:
    return [int(cell.split("<")[0]) for cell in page.split('data-testid="seq">')[1:]]


def test_the_history_needs_a_signed_in_person(client):
    response = client.get("/accounts/history/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_person_sees_their_own_actions_newest_first_and_not_another_persons(client, clock):
    mine, other = person("hist-a"), person("hist-b")
    edit(mine, 2)
    edit(other, 1)
    client.force_login(mine)
    text = client.get("/accounts/history/").content.decode()
    assert text.count("identity.update_profile") == 2
    assert f"identity.account:{mine.pk}" in text
    assert f"identity.account:{other.pk}" not in text
    first, second = seqs(text)
    assert first > second


def test_the_history_pages_back_through_older_entries(client, clock, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE", 2)
    mine = person("hist-c")
    edit(mine, 5)
    client.force_login(mine)
    seen: list[str] = []
    url = "/accounts/history/"
    for _ in range(5):  # bounded: 5 entries, 2 a page
        text = client.get(url).content.decode()
        seen += seqs(text)
        older = re.search(r'href="\?before=(\d+)" data-testid="history-older"', text)
        if older is None:
            break
        url = f"/accounts/history/?before={older.group(1)}"
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)
    assert client.get("/accounts/history/?before=abc").status_code == 200  # nonsense paging shows the newest
