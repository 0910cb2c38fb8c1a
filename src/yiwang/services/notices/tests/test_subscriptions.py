"""Saved searches: a message (and an e-mail through the port) once per subscription and new matching notice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from yiwang.platform import testing
from yiwang.platform.notify import queries as inbox
from yiwang.platform.notify.actions import deliver_mail
from yiwang.services.notices import actions, jobs
from yiwang.services.notices.models import SubscriptionMatch
from yiwang.services.notices.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {name: support.visitor(n) for n, name in enumerate(["roads", "pudong", "gp", "off", "mailer", "all"], 600)}


def subscribe(actor: Actor, name: str, **kw):
    return actions.do_create_subscription(actor=actor, name=name, **kw)


def test_a_new_matching_notice_tells_each_matching_subscriber_once(clock, system, people, logged_mail):
    roads = subscribe(people["roads"], "闵行道路", query="道路", region="310112")
    subscribe(people["pudong"], "浦东道路", query="道路", region="310115")
    subscribe(people["gp"], "政府采购", query="道路", categories=["gp"])
    off = subscribe(people["off"], "停用的订阅", query="道路")
    actions.do_update_subscription(actor=people["off"], subscription_id=off.pk, active=False)
    subscribe(people["mailer"], "招标提醒", query="招标", notice_types=["tender_notice"], email="mailer@example.org")
    subscribe(people["all"], "全部工程", categories=["works"])

    notice = support.tender_notice(system)
    assert notice.match_pending
    assert not any(inbox.unread_count_for(p) for p in people.values())  # nothing before the job runs
    assert jobs.match_subscriptions(clock.now()) == 3
    assert jobs.match_subscriptions(clock.now()) == 0  # again: nothing more
    assert actions.do_notify_subscribers(actor=system, notice_id=notice.pk) == 0

    notice.refresh_from_db()
    assert not notice.match_pending
    told = {p.ref for p in people.values() if inbox.unread_count_for(p)}
    assert told == {people["roads"].ref, people["mailer"].ref, people["all"].ref}
    (message,) = inbox.list_messages_for(people["roads"]).items
    assert message.link == f"/notices/{notice.pk}/"
    assert message.category == "notices.subscription"
    assert "闵行区七宝镇道路大修工程施工招标公告" in message.title
    assert inbox.unread_count_for(people["roads"]) == 1
    assert SubscriptionMatch.objects.get(subscription=roads, notice=notice).message_id == message.pk

    (mail,) = inbox.mail_queue()
    assert mail.to_address == "mailer@example.org"
    assert deliver_mail(mail.pk) == "sent"
    assert [m.to for m in logged_mail] == ["mailer@example.org"]


def test_only_new_notices_are_matched_not_the_whole_index(clock, system, people):
    old = support.tender_notice(system, owner="tender.section:1")
    jobs.match_subscriptions(clock.now())
    subscribe(people["roads"], "道路", query="道路")
    clock.advance(timedelta(minutes=1))
    new = support.tender_notice(system, owner="tender.section:2", title="闵行区江川路道路改造工程施工招标公告")
    jobs.match_subscriptions(clock.now())
    links = [m.link for m in inbox.list_messages_for(people["roads"]).items]
    assert links == [f"/notices/{new.pk}/"]
    assert f"/notices/{old.pk}/" not in links


def test_a_correction_is_announced_too_and_drafts_never(clock, system, agency, people):
    subscribe(people["roads"], "道路", query="道路")
    draft = support.draft(agency)
    assert jobs.match_subscriptions(clock.now()) == 0
    published = actions.do_publish_draft(actor=agency, notice_id=draft.pk)
    jobs.match_subscriptions(clock.now())
    clock.advance(timedelta(hours=1))
    correction = actions.do_correct_notice(actor=agency, notice_id=published.pk, reason="延期")
    jobs.match_subscriptions(clock.now())
    links = sorted(m.link for m in inbox.list_messages_for(people["roads"]).items)
    assert links == sorted([f"/notices/{published.pk}/", f"/notices/{correction.pk}/"])


def test_a_withdrawn_notice_is_not_announced(clock, system, people):
    subscribe(people["roads"], "道路", query="道路")
    notice = support.tender_notice(system)
    actions.do_withdraw_notice(actor=system, notice_id=notice.pk, reason="终止")
    jobs.match_subscriptions(clock.now())
    assert not any(inbox.unread_count_for(p) for p in people.values())
    notice.refresh_from_db()
    assert not notice.match_pending


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": "空订阅"}, "notices.subscription_empty"),
        ({"name": "", "query": "道路"}, "notices.subscription_name_invalid"),
        ({"name": "x", "query": "道路", "region": "319999"}, "notices.region_invalid"),
        ({"name": "x", "query": "道路", "categories": ["bananas"]}, "notices.category_unknown"),
        ({"name": "x", "query": "道路", "notice_types": ["nope"]}, "notices.type_unknown"),
        ({"name": "x", "query": "道路" * 60}, "notices.subscription_invalid"),
        ({"name": "x", "query": "道路", "email": "not-mail"}, "notices.subscription_email_invalid"),
        ({"name": "x", "query": "道路", "min_amount_fen": -1}, "notices.subscription_invalid"),
    ],
)
def test_bad_subscriptions_are_refused(clock, people, kwargs, code):
    before = testing.log_state()
    with pytest.raises(InvalidInput) as refused:
        actions.do_create_subscription(actor=people["roads"], **kwargs)
    assert refused.value.code == code
    assert testing.log_state() == before


def test_subscriptions_are_their_owners(clock, people):
    mine = subscribe(people["roads"], "道路", query="道路")
    with pytest.raises(PermissionDenied):
        actions.do_create_subscription(actor=Actor.anonymous(), name="匿名", query="道路")
    with pytest.raises(NotFound):
        actions.do_update_subscription(actor=people["pudong"], subscription_id=mine.pk, name="抢来的")
    with pytest.raises(NotFound):
        actions.do_delete_subscription(actor=people["pudong"], subscription_id=mine.pk)
    with pytest.raises(PreconditionFailed):
        actions.do_update_subscription(actor=people["roads"], subscription_id=mine.pk, expected_version=9, name="新")
    changed = actions.do_update_subscription(
        actor=people["roads"], subscription_id=mine.pk, expected_version=1, query="桥梁"
    )
    assert (changed.query_text, changed.version) == ("桥梁", 2)
    actions.do_delete_subscription(actor=people["roads"], subscription_id=mine.pk)
    from yiwang.services.notices.queries import list_subscriptions_for

    assert list_subscriptions_for(people["roads"]) == []
