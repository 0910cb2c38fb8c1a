"""Scheduled publication (exactly once), corrections as new versions, immutability, withdrawal."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from yiwang.kernel.actors import Actor
from yiwang.kernel.clock import ManualClock
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from yiwang.platform import testing
from yiwang.platform.clock import use_clock
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.queries import search_for
from yiwang.services.notices import actions, jobs, queries
from yiwang.services.notices.models import Notice
from yiwang.services.notices.tests import support

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def hits(words: str) -> list:
    return list(search_for(Actor.anonymous(), SearchQuery(text=words, kinds=("notice",))).hits)


def test_a_scheduled_notice_is_published_by_the_clock_once(clock, system):
    at = clock.now() + timedelta(hours=2)
    notice = support.tender_notice(system, publish_at=at)
    assert (notice.status, notice.publish_at, notice.published_at) == ("scheduled", at, None)
    assert hits("道路") == []
    with pytest.raises(NotFound):
        queries.get_notice_for(Actor.anonymous(), notice.pk)

    assert support.run_clock() == (0, 0)  # not due yet
    clock.advance(timedelta(hours=2, seconds=3))  # the clock ticks a little after the time
    base = testing.base()
    assert jobs.publish_due(clock.now()) == 1
    assert jobs.publish_due(clock.now()) == 0  # run again: nothing more
    notice.refresh_from_db()
    assert notice.status == "published"
    assert notice.published_at == clock.now()  # when it actually became public, not publish_at
    assert [h.key for h in hits("道路")] == [str(notice.pk)]
    published = [e for e in base.events() if e.event_type == "notices.notice_published.v1"]
    assert len(published) == 1
    assert actions.do_publish_due_notice(actor=system, notice_id=notice.pk) is False


def test_a_draft_can_be_scheduled_rescheduled_edited_and_published(clock, agency):
    draft = support.draft(agency)
    assert draft.status == "draft"
    scheduled = actions.do_publish_draft(actor=agency, notice_id=draft.pk, publish_at=clock.now() + timedelta(days=1))
    assert scheduled.status == "scheduled"
    edited = actions.do_update_notice_draft(
        actor=agency, notice_id=draft.pk, title="闵行区七宝镇道路大修工程施工招标公告"
    )
    assert (edited.status, edited.title) == ("scheduled", "闵行区七宝镇道路大修工程施工招标公告")
    with pytest.raises(PreconditionFailed):
        actions.do_update_notice_draft(actor=agency, notice_id=draft.pk, expected_version=1, title="过时的修改")
    rescheduled = actions.do_publish_draft(
        actor=agency, notice_id=draft.pk, publish_at=clock.now() + timedelta(hours=1)
    )
    assert rescheduled.publish_at == clock.now() + timedelta(hours=1)
    now = actions.do_publish_draft(actor=agency, notice_id=draft.pk)  # publish at once instead
    assert (now.status, now.published_at) == ("published", clock.now())
    clock.advance(timedelta(hours=2))
    assert jobs.publish_due(clock.now()) == 0


def test_published_versions_are_immutable(clock, system, agency):
    notice = support.tender_notice(agency)
    before = testing.log_state()
    snapshot = Notice.objects.filter(pk=notice.pk).values().get()
    for change in ({"title": "改标题"}, {"body_html": "<p>改正文</p>"}, {"fields": {}}):
        with pytest.raises(Conflict) as refused:
            actions.do_update_notice_draft(actor=agency, notice_id=notice.pk, **change)
        assert refused.value.code == "notices.not_editable"
    with pytest.raises(Conflict) as refused:
        actions.do_publish_draft(actor=agency, notice_id=notice.pk)
    assert refused.value.code == "notices.not_publishable"
    assert testing.log_state() == before
    assert Notice.objects.filter(pk=notice.pk).values().get() == snapshot


def test_a_correction_is_a_new_version_linked_to_the_old(clock, agency):
    v1 = support.tender_notice(agency)
    old = Notice.objects.filter(pk=v1.pk).values("title", "body_html", "fields", "data_sha256", "pdf_sha256").get()
    clock.advance(timedelta(days=1))
    fields = dict(
        support.TENDER_FIELDS,
        BID_DOC_REFER_END_TIME="2026-03-30T09:30:00+08:00",
        BID_OPEN_TIME="2026-03-30T09:30:00+08:00",
    )
    v2 = actions.do_correct_notice(
        actor=agency, notice_id=v1.pk, reason="投标截止时间延期至 3 月 30 日", fields=fields,
        title="闵行区七宝镇道路大修工程施工招标更正公告",
    )  # fmt: skip
    v1.refresh_from_db()
    assert (v1.status, v1.superseded_at) == ("corrected", clock.now())
    assert (
        Notice.objects.filter(pk=v1.pk).values("title", "body_html", "fields", "data_sha256", "pdf_sha256").get() == old
    )
    assert (v2.notice_version, v2.supersedes_id, v2.root_id, v2.nature) == (2, v1.pk, v1.pk, "2")
    assert (v2.status, v2.published_at) == ("published", clock.now())
    assert v2.body_html == v1.body_html  # what is not given is carried over
    assert v2.fields["BID_DOC_REFER_END_TIME"] == "2026-03-30T09:30:00+08:00"
    assert v2.pdf_sha256 != v1.pdf_sha256
    data = queries.notice_json(v2, actor=Actor.anonymous())["data"]
    assert (data["NOTICE_NATURE"], data["SUPERSEDES_NOTICE_ID"], data["CORRECTION_REASON"]) == (
        "2",
        v1.pk,
        "投标截止时间延期至 3 月 30 日",
    )
    old_view = queries.notice_json(v1, actor=Actor.anonymous())
    assert old_view["superseded_by"] == v2.pk
    assert [v["id"] for v in old_view["versions"]] == [v1.pk, v2.pk]
    # search shows the chain once, with the corrected text, linked to the new version
    (hit,) = hits("道路")
    assert (hit.key, hit.url, hit.title) == (
        str(v1.pk),
        f"/notices/{v2.pk}/",
        "闵行区七宝镇道路大修工程施工招标更正公告",
    )
    assert [h.key for h in hits("更正")] == [str(v1.pk)]

    with pytest.raises(Conflict) as refused:
        actions.do_correct_notice(actor=agency, notice_id=v1.pk, reason="再改旧版本")
    assert refused.value.code == "notices.already_corrected"
    v3 = actions.do_correct_notice(
        actor=agency, notice_id=v2.pk, reason="补充联系方式", fields={**fields, "CONTACTOR": "王工"}
    )
    assert (v3.notice_version, v3.root_id) == (3, v1.pk)
    assert [n.pk for n in queries.versions_of(v1)] == [v1.pk, v2.pk, v3.pk]


def test_a_scheduled_correction_blocks_others_until_published(clock, agency):
    v1 = support.tender_notice(agency)
    v2 = actions.do_correct_notice(
        actor=agency, notice_id=v1.pk, reason="定时更正", publish_at=clock.now() + timedelta(hours=1)
    )
    assert v2.status == "scheduled"
    v1.refresh_from_db()
    assert v1.status == "published"  # still the public version until the correction goes out
    for attempt in (
        lambda: actions.do_correct_notice(actor=agency, notice_id=v1.pk, reason="又一个更正"),
        lambda: actions.do_withdraw_notice(actor=agency, notice_id=v1.pk, reason="撤销"),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "notices.correction_pending"
    clock.advance(timedelta(hours=1))
    assert jobs.publish_due(clock.now()) == 1
    v1.refresh_from_db()
    assert v1.status == "corrected"


def test_withdrawal_keeps_a_published_notice_readable_and_marked(clock, agency):
    notice = support.tender_notice(agency)
    with pytest.raises(InvalidInput) as refused:
        actions.do_withdraw_notice(actor=agency, notice_id=notice.pk, reason="  ")
    assert refused.value.code == "notices.reason_required"
    base = testing.base()
    withdrawn = actions.do_withdraw_notice(actor=agency, notice_id=notice.pk, reason="项目取消，招标终止")
    assert (withdrawn.status, withdrawn.withdrawn_at, withdrawn.withdraw_reason) == (
        "withdrawn",
        clock.now(),
        "项目取消，招标终止",
    )
    assert queries.get_notice_for(Actor.anonymous(), notice.pk).status == "withdrawn"
    (hit,) = hits("道路")
    assert hit.extra["status"] == "withdrawn"
    (event,) = [e for e in base.events() if e.event_type == "notices.notice_withdrawn.v1"]
    assert event.visibility == "public"
    with pytest.raises(Conflict) as refused:
        actions.do_withdraw_notice(actor=agency, notice_id=notice.pk, reason="再撤")
    assert refused.value.code == "notices.already_withdrawn"
    with pytest.raises(Conflict) as refused:
        actions.do_correct_notice(actor=agency, notice_id=notice.pk, reason="更正已撤销的公告")
    assert refused.value.code == "notices.not_published"


def test_withdrawing_a_draft_cancels_it_before_it_was_ever_public(clock, agency):
    draft = support.draft(agency)
    cancelled = actions.do_withdraw_notice(actor=agency, notice_id=draft.pk, reason="不再发布")
    assert (cancelled.status, cancelled.published_at) == ("withdrawn", None)
    with pytest.raises(NotFound):
        queries.get_notice_for(Actor.anonymous(), draft.pk)
    assert hits("道路") == []
    with pytest.raises(NotFound):  # strangers cannot even learn that the draft exists
        actions.do_withdraw_notice(actor=support.visitor(), notice_id=draft.pk, reason="x")


@pytest.mark.django_db(transaction=True)
def test_two_clocks_at_once_publish_a_scheduled_notice_once(system):
    clock = ManualClock(T0)
    with use_clock(clock):
        notice = support.tender_notice(system, publish_at=T0 + timedelta(minutes=5))
    clock.set(T0 + timedelta(minutes=6))
    results: list[int] = []
    errors: list[BaseException] = []

    def tick() -> None:
        with use_clock(clock):
            try:
                results.append(jobs.publish_due(clock.now()))
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(results) == [0, 0, 1]
    notice.refresh_from_db()
    assert notice.status == "published"
    from yiwang.platform.outbox import feed

    published = [e for e in feed.read(0, 1000).events if e.event_type == "notices.notice_published.v1"]
    assert len(published) == 1
