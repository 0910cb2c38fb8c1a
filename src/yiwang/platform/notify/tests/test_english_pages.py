"""English under the switch for the in-site messages (站内信): the inbox (all, unread, empty) and a message. A
message's title and body are data and stay as written. Without the switch the pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.notify import actions
from yiwang.platform.web.testing import chinese_left, use_english

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.platform.notify.tests.urls")]
ALICE = {"X-Test-Actor": "alice"}


def test_the_inbox_and_a_message_in_english(client, clock, system, alice, test_actors):
    test_actors["alice"] = alice
    first = actions.do_send_message(actor=system, recipient=alice.ref, title="一号消息", body="正文一")
    actions.do_send_message(actor=system, recipient=alice.ref, title="二号消息", link="/notices/2/")
    chinese = client.get("/messages/", headers=ALICE).content.decode()
    assert "全部标为已读" in chinese
    assert "条未读" in chinese
    use_english(client)
    data = ["一号消息", "二号消息", "正文一", "中文", alice.label]
    html = client.get("/messages/", headers=ALICE).content.decode()
    for english in ("Messages", "Mark all as read", "unread", "Unread", "My subscriptions", "Mark as read"):
        assert english in html, english
    assert chinese_left(html, *data) == []
    html = client.get(f"/messages/{first.pk}/", headers=ALICE).content.decode()
    assert "Unread" in html
    assert chinese_left(html, *data) == []
    client.post("/messages/read-all/", headers=ALICE)
    html = client.get("/messages/?unread=1", headers=ALICE).content.decode()
    assert "No unread messages." in html
    assert chinese_left(html, *data) == []
    html = client.get(f"/messages/{first.pk}/", headers=ALICE).content.decode()
    assert " · Read" in html
