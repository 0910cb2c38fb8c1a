"""Sending, reading and counting in-site messages; idempotency; refusals leave nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from yiwang.kernel.errors import InvalidInput, NotFound
from yiwang.platform import testing
from yiwang.platform.notify import actions, queries
from yiwang.platform.notify.actions import NewMessage
from yiwang.platform.notify.models import Message, OutboxMail

pytestmark = pytest.mark.django_db


def test_a_message_sent_inside_an_action_commits_with_it(clock, system, alice):
    base = testing.base()

    def inside(act):
        actions.do_send_message(
            actor=system, recipient=alice.ref, title="公告已发布", body="请查看", link="/notices/1/"
        )

    testing.do_touch_thing(actor=system, n=1, inside=inside)
    (message,) = Message.objects.all()
    assert (message.recipient, message.title, message.link, message.sender) == (
        alice.ref,
        "公告已发布",
        "/notices/1/",
        system.ref,
    )
    # the message's own witness entry is appended by the outer action, in order, in the same transaction
    assert [e.fields.action for e in base.entries()] == ["test.touch_thing", "notify.send_message"]
    assert queries.unread_count_for(alice) == 1


def test_a_failed_action_leaves_no_message_no_mail_and_no_task(clock, system, alice):
    before = testing.log_state()
    tasks = DBTaskResult.objects.count()

    def inside(act):
        actions.do_send_message(actor=system, recipient=alice.ref, title="不会送达", email="alice@example.org")

    with pytest.raises(testing.Boom):
        testing.do_touch_thing(actor=system, n=1, inside=inside, fail=True)
    assert not Message.objects.exists()
    assert not OutboxMail.objects.exists()
    assert DBTaskResult.objects.count() == tasks
    assert testing.log_state() == before


def test_one_message_per_recipient_and_key(clock, system, alice, bob):
    first = actions.do_send_messages(
        actor=system,
        messages=[
            NewMessage(alice.ref, "订阅命中", key="sub:1:notice:9"),
            NewMessage(alice.ref, "订阅命中（重复）", key="sub:1:notice:9"),
            NewMessage(bob.ref, "订阅命中", key="sub:1:notice:9"),
        ],
    )
    assert len(first) == 2
    base = testing.base()
    again = actions.do_send_messages(actor=system, messages=[NewMessage(alice.ref, "订阅命中", key="sub:1:notice:9")])
    assert again == []
    assert base.entries() == []  # nothing sent: no action at all
    assert Message.objects.filter(recipient=alice.ref).count() == 1


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (NewMessage("alice", "标题"), "notify.recipient_invalid"),
        (NewMessage("account:11", ""), "notify.title_invalid"),
        (NewMessage("account:11", "x" * 201), "notify.title_invalid"),
        (NewMessage("account:11", "标题", body="x" * 20_001), "notify.body_too_long"),
        (NewMessage("account:11", "标题", link="javascript:alert(1)"), "notify.link_invalid"),
        (NewMessage("account:11", "标题", link="//evil.example/"), "notify.link_invalid"),
        (NewMessage("account:11", "标题", category="Bad Category"), "notify.category_invalid"),
        (NewMessage("account:11", "标题", email="not-an-address"), "notify.email_invalid"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_written(clock, system, message, code):
    before = testing.log_state()
    good = NewMessage("account:12", "好的消息")
    with pytest.raises(InvalidInput) as refused:
        actions.do_send_messages(actor=system, messages=[good, message])
    assert refused.value.code == code
    assert not Message.objects.exists()
    assert testing.log_state() == before


def test_html_bodies_are_sanitised_and_give_plain_text(clock, system, alice):
    m = actions.do_send_message(
        actor=system,
        recipient=alice.ref,
        title="含链接",
        body_html='<p onclick="x()">见<a href="javascript:alert(1)">此处</a><script>alert(1)</script></p>',
    )
    assert m.body_html == '<p>见<a rel="noopener noreferrer nofollow">此处</a></p>'
    assert m.body_text == "见此处"


def test_reading_is_private_and_marking_read_is_witnessed(clock, system, alice, bob):
    m1 = actions.do_send_message(actor=system, recipient=alice.ref, title="一")
    m2 = actions.do_send_message(actor=system, recipient=alice.ref, title="二")
    actions.do_send_message(actor=system, recipient=bob.ref, title="给 bob")
    with pytest.raises(NotFound) as other:
        queries.get_message_for(bob, m1.pk)
    assert other.value.code == "notify.message_not_found"
    with pytest.raises(NotFound):
        actions.do_mark_read(actor=bob, message_id=m1.pk)
    assert Message.objects.get(pk=m1.pk).read_at is None

    base = testing.base()
    clock.advance(timedelta(minutes=5))
    read = actions.do_mark_read(actor=alice, message_id=m1.pk)
    assert read.read_at == clock.now()
    assert actions.do_mark_read(actor=alice, message_id=m1.pk).read_at == clock.now()  # again: no change
    assert [e.fields.action for e in base.entries()] == ["notify.mark_read"]
    page = queries.list_messages_for(alice)
    assert [m.title for m in page.items] == ["二", "一"]
    assert (page.total, page.unread) == (2, 1)
    assert [m.pk for m in queries.list_messages_for(alice, unread_only=True).items] == [m2.pk]

    assert actions.do_mark_all_read(actor=alice) == 1
    assert actions.do_mark_all_read(actor=alice) == 0
    assert queries.unread_count_for(alice) == 0
    assert queries.unread_count_for(bob) == 1


def test_anonymous_visitors_have_no_inbox(clock, system):
    from yiwang.kernel.actors import Actor

    anonymous = Actor.anonymous()
    assert queries.unread_count_for(anonymous) == 0
    assert queries.list_messages_for(anonymous).total == 0
    assert actions.do_mark_all_read(actor=anonymous) == 0


def test_a_confidential_message_names_nobody_in_the_witness_log(clock):
    """Telling an expert they were drawn while the committee is sealed: the log holds a salted commitment."""
    from yiwang.kernel.actors import Actor, ActorKind
    from yiwang.platform.audit import queries as witness
    from yiwang.platform.notify import actions, queries
    from yiwang.platform.notify.actions import recipient_commitment

    system = Actor.system("test")
    message = actions.do_send_message(
        actor=system, recipient="account:77", title="抽取通知", body="请确认", confidential=True
    )
    (entry,) = [e for e in witness.entries(action="notify.send_message") if e.object_id == str(message.pk)]
    assert "account:77" not in entry.payload_text
    assert recipient_commitment(message.recipient_salt, "account:77") in entry.payload_text
    assert recipient_commitment(message.recipient_salt, "account:78") not in entry.payload_text
    reader = Actor(ActorKind.ACCOUNT, "77", "专家")
    assert queries.unread_count_for(reader) == 1
