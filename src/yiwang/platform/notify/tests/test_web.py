"""The inbox API and pages: own messages only, read state, codes."""

from __future__ import annotations

import pytest

from yiwang.platform.notify import actions, queries
from yiwang.platform.notify.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.platform.notify.tests.urls")]


@pytest.fixture
def inbox(clock, system, alice, bob, test_actors):
    test_actors.update({"alice": alice, "bob": bob})
    m1 = actions.do_send_message(
        actor=system, recipient=alice.ref, title="一号消息", body_html="<p>正文<b>加粗</b></p>"
    )
    m2 = actions.do_send_message(actor=system, recipient=alice.ref, title="二号消息", link="/notices/2/")
    actions.do_send_message(actor=system, recipient=bob.ref, title="bob 的消息")
    return m1, m2


def test_api_lists_counts_and_marks_read(api, inbox, alice):
    m1, _ = inbox
    me = api.with_token("alice")
    r = me.get("/messages")
    assert r.status_code == 200
    body = r.json()
    assert [i["title"] for i in body["items"]] == ["二号消息", "一号消息"]
    assert (body["total"], body["unread"], body["pages"]) == (2, 2, 1)
    assert me.get("/messages/unread-count").json() == {"unread": 2}
    assert me.get(f"/messages/{m1.pk}").json()["body_html"] == "<p>正文<b>加粗</b></p>"

    r = me.post(f"/messages/{m1.pk}/read", headers={"Idempotency-Key": "read-1"})
    assert r.status_code == 200
    assert r.json()["read"] is True
    assert me.get("/messages", {"unread": "true"}).json()["total"] == 1
    assert me.post("/messages/read-all").json() == {"marked_read": 1}
    assert queries.unread_count_for(alice) == 0


def test_api_hides_other_peoples_messages_and_needs_sign_in(api, inbox):
    m1, _ = inbox
    r = api.with_token("bob").get(f"/messages/{m1.pk}")
    assert (r.status_code, r.json()["code"]) == (404, "notify.message_not_found")
    r = api.with_token("bob").post(f"/messages/{m1.pk}/read")
    assert (r.status_code, r.json()["code"]) == (404, "notify.message_not_found")
    assert Message.objects.get(pk=m1.pk).read_at is None
    assert api.get("/messages").status_code == 401
    r = api.with_token("alice").get("/messages", {"size": "0"})
    assert (r.status_code, r.json()["code"]) == (422, "request.invalid")


def test_pages(client, inbox):
    m1, m2 = inbox
    assert client.get("/messages/").status_code == 302  # sign in first
    page = client.get("/messages/", headers={"X-Test-Actor": "alice"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "一号消息" in text
    assert "二号消息" in text
    assert "bob 的消息" not in text
    assert 'data-testid="unread">2<' in text
    detail = client.get(f"/messages/{m1.pk}/", headers={"X-Test-Actor": "alice"}).content.decode()
    assert "<p>正文<b>加粗</b></p>" in detail
    assert client.get(f"/messages/{m1.pk}/", headers={"X-Test-Actor": "bob"}).status_code == 404

    r = client.post(f"/messages/{m1.pk}/read/", {"next": "/messages/"}, headers={"X-Test-Actor": "alice"})
    assert (r.status_code, r["Location"]) == (302, "/messages/")
    r = client.post(f"/messages/{m2.pk}/read/", {"next": "https://evil.example/"}, headers={"X-Test-Actor": "alice"})
    assert r["Location"] == f"/messages/{m2.pk}/"  # no open redirect
    unread = client.get("/messages/?unread=1", headers={"X-Test-Actor": "alice"}).content.decode()
    assert "没有未读消息" in unread
    actions_left = client.post("/messages/read-all/", headers={"X-Test-Actor": "alice"})
    assert actions_left.status_code == 302
