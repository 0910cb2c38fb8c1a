"""Complaints: filing within the legal periods (refused after them with the rule id), the regulator's steps with
their time limits, suspension and resumption of the procedure through the port, permissions, nothing left
behind by refusals, public decisions; API and pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from yiwang.kernel.periods import deadline_end
from yiwang.platform import testing
from yiwang.supervision.complaints import actions, queries
from yiwang.supervision.complaints.domain import rules as r
from yiwang.supervision.complaints.tests import support

pytestmark = pytest.mark.django_db

MH = support.regulator("310112", 301)
XH = support.regulator("310104", 303)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def works(entity: int, **over) -> dict:
    data = {
        "track": "works",
        "matter": "process",
        "complainant_entity_id": entity,
        "respondent": "上海某招标代理有限公司",
        "procedure_ref": "tender.section:12",
        "procedure_title": "闵行区某道路改建工程施工",
        "region_code": "310112",
        "facts": "招标代理机构在开标后泄露投标人名单。",
        "claims": "责令改正并依法处理。",
        "anchor_on": "2026-02-27",
    }
    return {**data, **over}


def test_filing_in_time_sets_the_acceptance_limit(clock, bidder):
    base = testing.base()
    c = actions.do_file_complaint(actor=support.user_of(bidder), data=works(bidder))
    assert c.status == "filed"
    assert c.complainant_name == "上海申城建设有限公司"
    assert c.acceptance_due == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 3 working days: 03-03 … 03-05
    assert c.decision_due is None  # works: counted from acceptance
    assert c.rules["filing"]["rule_id"] == "tender.complaint_period_max"
    assert "第六十条" in c.rules["filing"]["source"]
    (entry,) = support.witnessed(base, "complaints.file_complaint")
    assert entry["procedure_ref"] == "tender.section:12"
    (event,) = support.events(base)
    assert event.event_type == "complaints.complaint_filed.v1"
    assert event.visibility == "restricted"


def test_a_late_complaint_is_refused_with_the_rule_id_and_leaves_nothing(clock, bidder):
    before = support.state()
    with pytest.raises(RuleViolation) as err:
        actions.do_file_complaint(actor=support.user_of(bidder), data=works(bidder, anchor_on="2026-02-01"))
    assert err.value.code == "complaints.filed_late"
    assert err.value.details["rule_id"] == "tender.complaint_period_max"
    assert "实施条例" in err.value.details["source"]
    assert support.state() == before


def test_objection_first_and_its_days_do_not_count(clock, bidder):
    user = support.user_of(bidder)
    with pytest.raises(RuleViolation) as err:
        actions.do_file_complaint(actor=user, data=works(bidder, matter="results"))
    assert err.value.code == "complaints.objection_first"
    late = works(bidder, matter="results", anchor_on="2026-02-01", objection_raised_on="2026-02-02")
    with pytest.raises(RuleViolation):  # the objection answered the same day excludes nothing
        actions.do_file_complaint(actor=user, data={**late, "objection_answered_on": "2026-02-02"})
    ok = actions.do_file_complaint(actor=user, data={**late, "objection_answered_on": "2026-02-25"})
    assert ok.filing_deadline > T0
    with pytest.raises(InvalidInput) as err:
        actions.do_file_complaint(actor=user, data={**late, "objection_answered_on": "2026-01-25"})
    assert err.value.code == "complaints.objection_dates_invalid"


def test_gp_complaints_follow_the_gp_rules(clock, bidder):
    user = support.user_of(bidder)
    with pytest.raises(RuleViolation) as err:
        actions.do_file_complaint(actor=user, data=works(bidder, track="gp", anchor_on="2025-12-01"))
    assert err.value.details["rule_id"] == "gp.complaint_period_max"
    c = actions.do_file_complaint(actor=user, data=works(bidder, track="gp", anchor_on="2026-02-27"))
    cal = catalog.workday_calendar()
    assert c.decision_due == deadline_end(T0, 30, "workday", cal)  # gp: from receipt
    assert c.acceptance_due == deadline_end(T0, 5, "workday", cal)
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="accept")
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="suspend", reason="暂停采购活动")
    assert c.suspension_until == datetime(2026, 4, 1, 16, 0, tzinfo=UTC)  # ≤ 30 days, no rolling
    assert c.rules["suspension"]["rule_id"] == "gp.complaint_suspension_max"


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"track": "land"}, "complaints.track_invalid", "track"),
        ({"matter": ""}, "complaints.matter_invalid", "matter"),
        ({"facts": ""}, "complaints.field_required", "facts"),
        ({"anchor_on": "2026-02-30"}, "complaints.date_invalid", "anchor_on"),
        ({"anchor_on": "2026-03-03"}, "complaints.date_in_future", "anchor_on"),
        ({"region_code": "99"}, "region.format", "region_code"),
        ({"complainant_entity_id": "abc"}, "complaints.field_invalid", "complainant_entity_id"),
    ],
)
def test_bad_input_leaves_nothing(clock, bidder, over, code, field):
    before = support.state()
    with pytest.raises(InvalidInput) as err:
        actions.do_file_complaint(actor=support.user_of(bidder), data=works(bidder, **over))
    assert (err.value.code, err.value.details["field"]) == (code, field)
    assert support.state() == before


def test_only_the_entity_files(clock, bidder):
    other = support.register_company("MA0CMPL2", "上海另一建设有限公司")
    with pytest.raises(PermissionDenied):
        actions.do_file_complaint(actor=support.user_of(other), data=works(bidder))
    with pytest.raises(PermissionDenied):
        actions.do_file_complaint(actor=MH, data=works(bidder))


def test_the_whole_works_procedure(clock, bidder, port):
    user = support.user_of(bidder)
    c = actions.do_file_complaint(actor=user, data=works(bidder))
    base = testing.base()
    with pytest.raises(NotFound):
        actions.do_act_on_complaint(actor=XH, complaint_id=c.pk, verb="accept")
    with pytest.raises(PermissionDenied):
        actions.do_act_on_complaint(actor=user, complaint_id=c.pk, verb="accept")
    with pytest.raises(Conflict) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="decide", outcome="upheld", reason="x")
    assert err.value.code == "complaints.wrong_status"
    assert support.events(base) == []
    clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=UTC))  # after the acceptance limit (03-05 24:00)
    assert queries.list_complaints_for(MH, overdue=True).rows[0].overdue == ("acceptance",)
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="accept", expected_version=1)
    assert c.status == "accepted"
    assert c.accepted_late
    assert c.decision_due == deadline_end(clock.now(), 30, "workday", catalog.workday_calendar())
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="investigate")
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="suspend", reason="责令暂停招标投标活动")
    assert port == [("suspend", "tender.section:12", "责令暂停招标投标活动")]
    assert c.suspension_until is None  # works: no fixed cap in the catalogue
    assert queries.pending_for_procedure("tender.section:12").suspended
    with pytest.raises(Conflict) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="suspend", reason="again")
    assert err.value.code == "complaints.already_suspended"
    with pytest.raises(InvalidInput):
        actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="decide", outcome="maybe", reason="x")
    c = actions.do_act_on_complaint(
        actor=MH, complaint_id=c.pk, verb="decide", outcome="upheld", reason="投诉成立，责令改正。"
    )
    assert c.status == "decided"
    assert not c.decided_late
    assert c.suspended_at is None
    assert port[-1][0] == "resume"
    assert c.suspensions[0]["reason"]
    assert not queries.pending_for_procedure("tender.section:12").open_complaints
    (d,) = queries.list_public_decisions()
    assert d.outcome_label == "投诉成立"
    assert d.complainant_name == "上海申城建设有限公司"
    assert [e.event_type for e in support.events(base)] == [
        "complaints.complaint_accepted.v1",
        "complaints.investigation_started.v1",
        "complaints.procedure_suspended.v1",
        "complaints.complaint_decided.v1",
        "complaints.procedure_resumed.v1",
    ]
    actions_witnessed = [e.fields.action for e in base.entries()]
    assert actions_witnessed == [
        "complaints.accept_complaint",
        "complaints.start_investigation",
        "complaints.suspend_procedure",
        "complaints.decide_complaint",
    ]


def test_a_procedure_that_refuses_to_suspend_rolls_everything_back(clock, bidder):
    c = actions.do_file_complaint(
        actor=support.user_of(bidder), data=works(bidder, procedure_ref="tender.section:locked")
    )
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="accept")
    before = support.state()
    with pytest.raises(Conflict) as err:
        actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="suspend", reason="暂停")
    assert err.value.code == "tender.wrong_state"
    assert support.state() == before
    c.refresh_from_db()
    assert c.suspended_at is None
    assert c.version == 2


def test_reject_and_withdraw(clock, bidder, port):
    user = support.user_of(bidder)
    c = actions.do_file_complaint(actor=user, data=works(bidder))
    with pytest.raises(InvalidInput):
        actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="reject", reason="")
    c = actions.do_act_on_complaint(actor=MH, complaint_id=c.pk, verb="reject", reason="不属于本部门受理范围")
    assert c.status == "rejected"
    assert c.closing_reason
    with pytest.raises(Conflict):
        actions.do_withdraw_complaint(actor=user, complaint_id=c.pk)
    c2 = actions.do_file_complaint(actor=user, data=works(bidder))
    actions.do_act_on_complaint(actor=MH, complaint_id=c2.pk, verb="accept")
    actions.do_act_on_complaint(actor=MH, complaint_id=c2.pk, verb="suspend", reason="暂停")
    with pytest.raises(NotFound):
        actions.do_withdraw_complaint(actor=MH, complaint_id=c2.pk)
    done = actions.do_withdraw_complaint(actor=user, complaint_id=c2.pk, reason="已协商解决")
    assert done.status == "withdrawn"
    assert done.suspended_at is None
    assert port[-1][0] == "resume"


def test_who_reads(clock, bidder):
    c = actions.do_file_complaint(actor=support.user_of(bidder), data=works(bidder))
    assert queries.get_complaint_for(MH, c.pk).allowed == ("accept", "reject")
    assert queries.get_complaint_for(support.user_of(bidder), c.pk).allowed == ()
    with pytest.raises(NotFound):
        queries.get_complaint_for(XH, c.pk)
    with pytest.raises(NotFound):
        queries.get_complaint_for(Actor.anonymous(), c.pk)
    assert queries.list_complaints_for(XH).total == 0


def test_workflow_table():
    assert r.allowed("filed", suspended=False) == ("accept", "reject")
    assert r.allowed("investigating", suspended=True) == ("resume", "pause_clock", "decide")
    assert r.allowed("investigating", suspended=False, paused=True) == ("suspend", "resume_clock", "decide")
    assert r.allowed("decided", suspended=False) == ()
    assert r.next_status("accepted", "suspend", suspended=False) == "accepted"
    with pytest.raises(Conflict):
        r.next_status("filed", "investigate", suspended=False)


def test_filing_deadline_rolls_to_a_working_day():
    cal = catalog_calendar()
    limit = r.Limit("tender.complaint_period_max", 10, "day")
    # knew on Thursday 2026-03-19: the 10th day is Sunday 03-29, so the period ends with Monday 03-30
    end = r.filing_deadline(
        track="works",
        matter="process",
        anchor_on=date(2026, 3, 19),
        objection_raised_on=None,
        objection_answered_on=None,
        limit=limit,
        calendar=cal,
    )
    assert end == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)
    r.check_filed_in_time(end - timedelta(microseconds=1), end, limit)
    with pytest.raises(RuleViolation):
        r.check_filed_in_time(end, end, limit)


def catalog_calendar():
    from yiwang.kernel.workdays import WorkdayCalendar

    return WorkdayCalendar(holidays=[], makeup_workdays=[], years=[2026])


# -- API and pages ----------------------------------------------------------------------------------------------------


def test_api(api, clock, bidder, test_actors):
    test_actors.update({"own": support.user_of(bidder), "mh": MH, "xh": XH})
    late = api.with_token("own").post("/complaints/", works(bidder, anchor_on="2026-02-01"))
    assert late.status_code == 422
    assert late.json()["code"] == "complaints.filed_late"
    assert late.json()["details"]["rule_id"] == "tender.complaint_period_max"
    r1 = api.with_token("own").post("/complaints/", works(bidder), headers={"Idempotency-Key": "c-1"})
    assert r1.status_code == 201, r1.content
    cid = r1.json()["id"]
    assert r1["Location"] == f"/api/v1/complaints/{cid}"
    assert api.with_token("xh").get(f"/complaints/{cid}").status_code == 404
    assert api.get(f"/complaints/{cid}").status_code == 401
    step = api.with_token("mh").post(f"/complaints/{cid}/accept", {}, headers={"If-Match": '"1"'})
    assert step.status_code == 200
    assert step.json()["status"] == "accepted"
    assert step["ETag"] == '"2"'
    stale = api.with_token("mh").post(f"/complaints/{cid}/investigate", {}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    wrong = api.with_token("mh").post(f"/complaints/{cid}/accept", {})
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "complaints.wrong_status"
    done = api.with_token("mh").post(f"/complaints/{cid}/decide", {"outcome": "dismissed", "reason": "缺乏事实依据"})
    assert done.status_code == 200
    assert done.json()["outcome_label"] == "驳回投诉"
    public = api.get("/complaints/decisions").json()
    assert public[0]["id"] == cid
    assert api.with_token("mh").get("/complaints/").json()["total"] == 1


def test_pages(client, clock, bidder, test_actors):
    test_actors.update({"own": support.user_of(bidder), "mh": MH})
    assert client.get("/complaints/").status_code == 200
    form = client.get("/complaints/new/", headers={"X-Test-Actor": "own"})
    assert form.status_code == 200
    bad = client.post("/complaints/new/", works(bidder, anchor_on="2026-02-01"), headers={"X-Test-Actor": "own"})
    assert bad.status_code == 422
    assert "complaints.filed_late" in bad.content.decode()
    ok = client.post("/complaints/new/", works(bidder), headers={"X-Test-Actor": "own"})
    assert ok.status_code == 302
    page = client.get(ok["Location"], headers={"X-Test-Actor": "mh"}).content.decode()
    assert "受理期限" in page
    assert "《中华人民共和国招标投标法实施条例》" in page
    assert 'value="accept"' in page
    cid = int(ok["Location"].rstrip("/").split("/")[-1])
    client.post(f"/complaints/{cid}/step/", {"verb": "accept", "version": "1"}, headers={"X-Test-Actor": "mh"})
    client.post(
        f"/complaints/{cid}/step/",
        {"verb": "decide", "outcome": "upheld", "reason": "责令改正"},
        headers={"X-Test-Actor": "mh"},
    )
    assert "责令改正" in client.get("/complaints/").content.decode()
