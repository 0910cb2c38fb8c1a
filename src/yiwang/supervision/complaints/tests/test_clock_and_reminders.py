"""The decision clock (time for testing, appraisal or expert review is not counted: 条例 Art.61, 94号令 Art.28) and
the reminders of time limits sent to the regulators over the complaint's region (once before, once when overdue)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.catalog import queries as catalog
from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.kernel.periods import SHANGHAI, deadline_end
from yiwang.kernel.workdays import WorkdayCalendar
from yiwang.platform import testing
from yiwang.platform.notify import queries as inbox
from yiwang.supervision.complaints import actions, jobs, queries
from yiwang.supervision.complaints.domain import rules as r
from yiwang.supervision.complaints.tests import support
from yiwang.supervision.complaints.tests.test_complaints import MH, works

pytestmark = pytest.mark.django_db

# A calendar with a holiday week and a make-up Saturday, so working days and days differ.
CAL = WorkdayCalendar(
    holidays=[date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5)],
    makeup_workdays=[date(2026, 5, 9)],
    years=[2026],
)
LIMIT = r.Limit("tender.complaint_decision_max", 30, "workday", "第六十一条")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


days = st.dates(min_value=date(2026, 3, 2), max_value=date(2026, 9, 30))


@given(start=days, gap=st.integers(0, 40), length=st.integers(0, 40), hours=st.integers(8, 20))
def test_a_stopped_clock_pushes_the_decision_back_by_exactly_the_working_days_it_stood(start, gap, length, hours):
    stop = start + timedelta(days=gap)
    restart = stop + timedelta(days=length)
    excluded = r.excluded_units(_at(stop, hours), _at(restart, 9), "workday", CAL)
    counted = sum(1 for n in range(1, length + 1) if CAL.is_workday(stop + timedelta(days=n)))
    assert excluded == counted
    assert 0 <= excluded <= length
    due = r.decision_due(_at(start), LIMIT, excluded, CAL)
    assert due == deadline_end(_at(start), 30 + excluded, "workday", CAL)
    assert due >= r.decision_due(_at(start), LIMIT, 0, CAL)  # never earlier than without the stop
    assert r.excluded_units(_at(stop), _at(restart), "day", CAL) == length


def test_the_same_day_and_reversed_instants_exclude_nothing():
    assert r.excluded_units(_at(date(2026, 3, 3), 9), _at(date(2026, 3, 3), 17), "workday", CAL) == 0
    assert r.excluded_units(_at(date(2026, 3, 5)), _at(date(2026, 3, 3)), "day", CAL) == 0


def test_only_the_provisions_kinds_can_stop_the_clock():
    assert "第六十一条" in r.pause_basis("works", "expert_review")
    assert "第二十八条" in r.pause_basis("gp", "correction")
    with pytest.raises(InvalidInput) as err:
        r.pause_basis("works", "correction")  # 补正材料 stops the clock in government procurement only
    assert err.value.code == "complaints.pause_kind_invalid"


def _accepted(clock, bidder) -> int:
    c = actions.do_file_complaint(actor=support.user_of(bidder), data=works(bidder))
    actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="accept")
    return c.pk


def test_stop_and_restart_the_decision_clock(clock, bidder):
    cid = _accepted(clock, bidder)  # accepted 2026-03-02 09:00 Shanghai
    calendar = catalog.workday_calendar()
    accepted = queries.get_complaint_for(MH, cid)
    plain_due = accepted.decision_due
    base = testing.base()
    clock.set(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))  # Tuesday
    c = actions.do_act_on_complaint(
        actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="expert_review", reason="组织专家评审"
    )
    assert c.clock_paused_at == clock.now()
    view = queries.get_complaint_for(MH, cid)
    assert view.clock_paused
    assert view.clock_pause_label == "专家评审"
    assert "resume_clock" in view.allowed
    assert "pause_clock" not in view.allowed
    clock.set(plain_due + timedelta(days=1))  # past the plain limit, but the clock is stopped: not overdue
    assert queries.get_complaint_for(MH, cid).overdue == ()
    restart = plain_due + timedelta(days=1)
    c = actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="resume_clock", reason="专家评审结束")
    excluded = r.excluded_units(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), restart, "workday", calendar)
    assert excluded > 20
    assert c.excluded_units == excluded
    assert c.decision_due == deadline_end(accepted.accepted_at, 30 + excluded, "workday", calendar)
    assert c.clock_paused_at is None
    (pause,) = c.clock_pauses
    assert pause["kind"] == "expert_review"
    assert pause["excluded"] == excluded
    assert "第六十一条" in pause["basis"]
    assert queries.get_complaint_for(MH, cid).overdue == ()
    assert [e.event_type for e in support.events(base)] == [
        "complaints.decision_clock_paused.v1",
        "complaints.decision_clock_resumed.v1",
    ]
    assert [e.fields.action for e in base.entries()] == [
        "complaints.pause_decision_clock",
        "complaints.resume_decision_clock",
    ]
    c = actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="decide", outcome="dismissed", reason="驳回")
    assert not c.decided_late  # late against the plain limit, in time against the lengthened one


def test_deciding_while_the_clock_stands_closes_the_stop(clock, bidder):
    cid = _accepted(clock, bidder)
    actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="testing", reason="送检")
    clock.advance(timedelta(days=7))
    c = actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="decide", outcome="upheld", reason="成立")
    assert c.status == "decided"
    assert c.clock_paused_at is None
    assert c.clock_pauses[0]["excluded"] == c.excluded_units == 5


def test_refusals_leave_nothing(clock, bidder):
    cid = _accepted(clock, bidder)
    before = support.state()
    with pytest.raises(Conflict) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="resume_clock")
    assert err.value.code == "complaints.clock_not_paused"
    with pytest.raises(InvalidInput) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="holiday", reason="x")
    assert err.value.code == "complaints.pause_kind_invalid"
    with pytest.raises(InvalidInput) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="correction", reason="x")
    assert err.value.code == "complaints.pause_kind_invalid"  # not on the works track
    with pytest.raises(InvalidInput) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="testing")
    assert err.value.details["field"] == "reason"
    assert support.state() == before
    actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="testing", reason="送检")
    with pytest.raises(Conflict) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="testing", reason="再")
    assert err.value.code == "complaints.clock_already_paused"


def test_the_api_and_the_page_stop_the_clock(api, client, clock, bidder, test_actors):
    cid = _accepted(clock, bidder)
    test_actors.update({"mh": MH})
    stop = api.with_token("mh").post(f"/complaints/{cid}/pause_clock", {"pause_kind": "appraisal", "reason": "鉴定"})
    assert stop.status_code == 200, stop.content
    assert stop.json()["clock_paused"]
    assert stop.json()["clock_pause_kind"] == "appraisal"
    page = client.get(f"/complaints/{cid}/", headers={"X-Test-Actor": "mh"})
    assert "处理期限中止计算（鉴定" in page.content.decode()
    clock.advance(timedelta(days=3))
    started = client.post(
        f"/complaints/{cid}/step/", {"verb": "resume_clock", "reason": "鉴定完成"}, headers={"X-Test-Actor": "mh"}
    )
    assert started.status_code == 302
    assert queries.get_complaint_for(MH, cid).clock_pauses[0]["reason"] == "鉴定完成"


# -- reminders --------------------------------------------------------------------------------------------------------


def _officer(username: str, role: Role, region: str) -> Actor:
    account = identity.do_create_account(
        actor=Actor.anonymous(), username=username, display_name=username, password="Yiwang-Test-2026!"
    )
    identity.do_grant_role(actor=Actor.system("test"), role=role, account=account, region=region)
    return actor_for_account(account)


def test_regulators_over_the_region_are_reminded_once_before_and_once_after(clock, bidder):
    district = _officer("mh-officer", Role.REGULATOR, "310112")
    city = _officer("sh-officer", Role.REGULATOR, "310000")
    other = _officer("xh-officer", Role.REGULATOR, "310104")
    staff = _officer("mh-staff", Role.STAFF, "310112")
    c = actions.do_file_complaint(actor=support.user_of(bidder), data=works(bidder))  # acceptance due 03-05 24:00
    assert jobs.send_reminders(clock.now()) == 0  # three working days away
    clock.set(c.acceptance_due - timedelta(hours=20))
    assert jobs.send_reminders(clock.now()) == 2
    assert jobs.send_reminders(clock.now()) == 0  # idempotent
    (soon,) = inbox.list_messages_for(district).items
    assert soon.title.startswith("投诉受理期限即将届满")
    assert soon.link == f"/complaints/{c.pk}/"
    assert "第六十一条" in soon.body_text
    assert len(inbox.list_messages_for(city).items) == 1
    assert inbox.list_messages_for(other).items == []
    assert inbox.list_messages_for(staff).items == []
    clock.set(c.acceptance_due + timedelta(minutes=1))
    assert jobs.send_reminders(clock.now()) == 2
    assert inbox.list_messages_for(district).items[0].title.startswith("投诉受理期限已超期")
    actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="accept")
    assert jobs.send_reminders(clock.now()) == 0  # accepted: the decision limit is 30 working days away


def test_a_stopped_clock_is_not_reminded_and_a_moved_limit_is_reminded_again(clock, bidder):
    _officer("mh-officer", Role.REGULATOR, "310112")
    cid = _accepted(clock, bidder)
    due = queries.get_complaint_for(MH, cid).decision_due
    assert due is not None
    actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="pause_clock", pause_kind="testing", reason="送检")
    clock.set(due - timedelta(hours=1))
    assert jobs.send_reminders(clock.now()) == 0
    actions.do_act_on_complaint(actor=MH, complaint_id=cid, verb="resume_clock", reason="检测完成")
    moved = queries.get_complaint_for(MH, cid).decision_due
    assert moved is not None
    assert moved > due
    clock.set(moved - timedelta(hours=2))
    assert jobs.send_reminders(clock.now()) == 1
