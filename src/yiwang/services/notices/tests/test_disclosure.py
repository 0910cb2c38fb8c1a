"""Disclosure obligations and the disclosure rate: on time, late, missing, pending — on working days across
the 2026 Spring Festival (off 02-15 … 02-23, make-up working days 02-14 and 02-28)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput, PermissionDenied
from yiwang.kernel.workdays import WorkdayCalendar
from yiwang.platform import testing
from yiwang.services.notices import actions, queries
from yiwang.services.notices.domain import due as due_rules
from yiwang.services.notices.domain.disclosure import LATE, MISSING, ON_TIME, PENDING, Tally, classify
from yiwang.services.notices.models import DisclosureObligation
from yiwang.services.notices.tests import support

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def award(owner: str, actor: Actor) -> None:
    actions.do_publish_notice(
        actor=actor, owner=owner, notice_type="award_result", category="gp", region_code="310112",
        title="闵行区某街道办公设备采购项目中标结果公告", body_html="<p>中标结果如下。</p>",
        fields={"WIN_BIDDER_NAME": "上海某科技有限公司", "BID_AMOUNT": 98_000_000},
    )  # fmt: skip


def register(owner: str, category: str, stage: str, anchor: datetime, **kw) -> list[DisclosureObligation]:
    return actions.do_register_disclosure_obligation(
        actor=Actor.system("test"), owner=owner, category=category, stage=stage, anchor_at=anchor,
        region_code=kw.pop("region_code", "310112"), **kw,
    )  # fmt: skip


def test_deadlines_follow_the_rules_and_the_holiday_calendar(clock):
    clock.set(at(2, 13, 9))
    (gp,) = register("gp.package:1", "gp", "result", at(2, 13))
    # within 2 working days of Fri 02-13: Sat 02-14 (make-up) and Tue 02-24 (after the holiday)
    assert (gp.due_rule, gp.rule_kind) == ("gp.award_notice_max", "max_delay")
    assert gp.due_at == at(2, 25, 0)
    assert "第四十三条" in gp.rule_source
    (cand,) = register("tender.section:1", "works", "candidates", at(2, 12, 16))
    # within 3 days of Thu 02-12 is Sun 02-15, a holiday: rolls to the next working day, Tue 02-24
    assert cand.due_at == at(2, 25, 0)
    (notice,) = register("tender.section:2", "works", "notice", at(3, 25, 9, 30))
    # at least 20 days before the bid deadline 03-25: published on 03-05 at the latest
    assert (notice.rule_kind, notice.due_at) == ("min_gap", at(3, 6, 0))
    (contract,) = register("gp.package:2", "gp", "contract", at(2, 27, 15))
    # 2 working days after Fri 02-27: Sat 02-28 (make-up) and Mon 03-02
    assert contract.due_at == at(3, 3, 0)
    (result,) = register("tender.section:3", "works", "result", at(2, 27))
    assert (result.due_rule, result.due_at) == ("", None)  # the list names no rule: no deadline


def test_the_disclosure_rate_counts_on_time_late_and_missing(clock):
    system = Actor.system("test")
    clock.set(at(2, 13, 9))
    for owner in ("gp.package:A", "gp.package:B", "gp.package:C"):
        register(owner, "gp", "result", at(2, 13))
    register("tender.section:D", "works", "candidates", at(2, 12, 16))
    register("gp.package:E", "gp", "contract", at(2, 27, 15))

    clock.set(at(2, 24, 15))
    award("gp.package:A", system)  # on the last working day: on time
    actions.do_publish_notice(
        actor=system, owner="tender.section:D", notice_type="candidates", category="works", region_code="310112",
        title="道路工程中标候选人公示", body_html="<p>公示</p>",
        fields={
            **support.CANDIDATE_FIELDS,
            "PUBLICITY_START_TIME": "2026-02-24T15:00:00+08:00",
            "PUBLICITY_END_TIME": "2026-02-27T17:00:00+08:00",
        },
    )  # fmt: skip
    clock.set(at(2, 25, 9))
    award("gp.package:B", system)  # a day late
    clock.set(at(3, 2, 9))  # C never published; E (the contract) is not due yet

    report = queries.disclosure_report(period=(date(2026, 2, 1), date(2026, 2, 28)))
    assert report.tally == Tally(on_time=2, late=1, missing=1, pending=0)
    assert report.rate == Decimal("50.0")
    assert [r.obligation.owner_ref for r in report.late] == ["gp.package:B"]
    assert report.late[0].late_by == timedelta(hours=9)
    assert [r.obligation.owner_ref for r in report.missing] == ["gp.package:C"]
    assert report.missing[0].overdue_by == at(3, 2, 9) - at(2, 25, 0)
    by_category = {g.key: g.tally for g in report.by_category}
    assert by_category == {"gp": Tally(1, 1, 1, 0), "works": Tally(1, 0, 0, 0)}
    assert {g.key: g.label for g in report.by_requirement}["gp.result"] == "中标（成交）结果公告"

    march = queries.disclosure_report(period=(date(2026, 3, 1), date(2026, 3, 31)))
    assert march.tally == Tally(pending=1)
    assert march.rate is None
    gp_only = queries.disclosure_report(period=(date(2026, 2, 1), date(2026, 2, 28)), category="gp")
    assert gp_only.tally.required == 3
    assert queries.disclosure_report(period=(date(2026, 2, 1), date(2026, 2, 28)), region="310115").tally == Tally()


def test_registering_after_publication_counts_the_published_notice(clock, system):
    notice = support.tender_notice(system, owner="tender.section:9")
    (obligation,) = register("tender.section:9", "works", "notice", at(3, 25, 9, 30))
    assert (obligation.notice_id, obligation.published_at) == (notice.pk, notice.published_at)
    # a correction does not fulfil another obligation, nor change the first
    actions.do_correct_notice(actor=system, notice_id=notice.pk, reason="更正")
    obligation.refresh_from_db()
    assert obligation.notice_id == notice.pk


def test_registering_again_is_idempotent_and_moves_an_open_deadline(clock):
    (first,) = register("gp.package:1", "gp", "result", at(3, 2))
    base = testing.base()
    (again,) = register("gp.package:1", "gp", "result", at(3, 2))
    assert again.pk == first.pk
    assert base.entries() == []
    (moved,) = register("gp.package:1", "gp", "result", at(3, 4))
    assert moved.pk == first.pk
    assert moved.due_at == at(3, 7, 0)  # Wed 03-04 + 2 working days = Fri 03-06
    (second,) = register("gp.package:1", "gp", "result", at(3, 4), occurrence="2")
    assert second.pk != first.pk
    assert DisclosureObligation.objects.count() == 2


def test_bad_registrations_are_refused(clock, system):
    before = testing.log_state()
    cases = [
        ({"owner": "x", "category": "gp", "stage": "result"}, "notices.owner_invalid"),
        ({"owner": "gp.package:1", "category": "nope", "stage": "result"}, "notices.category_unknown"),
        ({"owner": "gp.package:1", "category": "gp", "stage": "opening"}, "notices.no_requirement"),
        ({"owner": "gp.package:1", "category": "gp", "stage": "Bad Stage"}, "notices.stage_invalid"),
    ]
    for kwargs, code in cases:
        with pytest.raises(InvalidInput) as refused:
            actions.do_register_disclosure_obligation(actor=system, anchor_at=at(3, 2), region_code="310112", **kwargs)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        actions.do_register_disclosure_obligation(
            actor=system, owner="gp.package:1", category="gp", stage="result", anchor_at=datetime(2026, 3, 2),
            region_code="310112",
        )  # fmt: skip
    assert refused.value.code == "notices.anchor_invalid"
    with pytest.raises(PermissionDenied):
        actions.do_register_disclosure_obligation(
            actor=support.visitor(), owner="gp.package:1", category="gp", stage="result", anchor_at=at(3, 2),
            region_code="310112",
        )  # fmt: skip
    assert testing.log_state() == before


def test_who_sees_the_report(clock):
    register("gp.package:1", "gp", "result", at(3, 2), region_code="310112")
    register("gp.package:2", "gp", "result", at(3, 2), region_code="310115")
    period = (date(2026, 3, 1), date(2026, 3, 31))
    assert queries.disclosure_report_for(support.staff(), period=period).tally.pending == 2
    assert queries.disclosure_report_for(support.regulator("310115"), period=period).tally.pending == 1
    with pytest.raises(PermissionDenied):
        queries.disclosure_report_for(support.regulator("310115"), period=period, region="310112")
    with pytest.raises(PermissionDenied):
        queries.disclosure_report_for(support.visitor(), period=period)
    with pytest.raises(InvalidInput) as refused:
        queries.disclosure_report(period=(date(2026, 3, 31), date(2026, 3, 1)))
    assert refused.value.code == "notices.period_invalid"


def test_classification_rules():
    due = at(2, 25, 0)
    assert classify(due, at(2, 24, 23, 59), at(3, 1)) == ON_TIME
    assert classify(due, due, at(3, 1)) == LATE  # the deadline is exclusive
    assert classify(due, None, at(2, 24)) == PENDING
    assert classify(due, None, due) == MISSING
    assert classify(None, at(2, 1), at(3, 1)) == ON_TIME
    assert classify(None, None, at(3, 1), period_end=at(3, 2, 0)) == PENDING
    assert classify(None, None, at(3, 2, 0), period_end=at(3, 2, 0)) == MISSING


def test_latest_before_on_working_days():
    calendar = WorkdayCalendar(
        [date(2026, 2, 15) + timedelta(days=i) for i in range(9)], [date(2026, 2, 14), date(2026, 2, 28)], [2026]
    )
    # at least 5 working days before Wed 02-25: the 5th working day after Wed 02-11 is 02-25 (02-12, 02-13,
    # make-up Sat 02-14, then 02-24 and 02-25 after the holiday); after Thu 02-12 it is already 02-26
    end = due_rules.latest_before(at(2, 25, 9), 5, "workday", calendar)
    assert end == at(2, 12, 0)
    assert calendar.add_workdays(date(2026, 2, 11), 5) == date(2026, 2, 25)
    assert calendar.add_workdays(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert due_rules.latest_before(at(3, 10, 9, 30), 30, "minute", calendar) == at(3, 10, 9, 0) + timedelta(
        microseconds=1
    )


def _calendar_2026() -> WorkdayCalendar:
    off_ranges = [("01-01", "01-03"), ("02-15", "02-23"), ("04-04", "04-06"), ("05-01", "05-05"), ("06-19", "06-21"),
                  ("09-25", "09-27"), ("10-01", "10-07")]  # fmt: skip
    off = []
    for a, b in off_ranges:
        day, last = date.fromisoformat(f"2026-{a}"), date.fromisoformat(f"2026-{b}")
        while day <= last:
            off.append(day)
            day += timedelta(days=1)
    makeup = [date.fromisoformat(f"2026-{d}") for d in ("01-04", "02-14", "02-28", "05-09", "09-20", "10-10")]
    return WorkdayCalendar(off, makeup, [2026, 2027])


CALENDAR = _calendar_2026()


@given(
    st.datetimes(
        min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 30)
    ),  # 30 working days back stay in 2026
    st.integers(min_value=0, max_value=30),
    st.sampled_from(["day", "workday", "hour", "minute"]),
)
def test_latest_before_is_the_inverse_of_earliest_allowed(naive, amount, unit):
    """For every anchor and gap: publishing just before the computed deadline leaves the gap, at it does not."""
    from yiwang.kernel.periods import earliest_allowed

    anchor = naive.replace(tzinfo=SH)
    end = due_rules.latest_before(anchor, amount, unit, CALENDAR)
    last_ok = end - timedelta(microseconds=1)
    assert earliest_allowed(last_ok, amount, unit, CALENDAR) <= anchor
    assert earliest_allowed(end, amount, unit, CALENDAR) > anchor
