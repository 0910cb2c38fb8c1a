"""Pure rules: publication windows, restrictions, repair eligibility and grading (hypothesis for the grading)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.supervision.credit.domain import grading
from yiwang.supervision.credit.domain import records as r
from yiwang.supervision.credit.domain.records import Kind, RecordFacts, Severity, Status

POLICY = grading.GradePolicy.from_data(
    json.loads((Path(r.__file__).resolve().parents[1] / "data" / "policy.json").read_text(encoding="utf-8"))["grading"]
)
D0 = date(2026, 3, 2)


def facts(kind=Kind.PENALTY, severity=Severity.GENERAL, decided=D0, starts=None, ends=None, confined=(), **kw):
    return RecordFacts(
        kind=kind,
        severity=severity,
        decided_on=decided,
        starts_on=starts or decided,
        ends_on=ends,
        confined=tuple(confined),
        status=kw.pop("status", Status.ACTIVE),
        **kw,
    )


def test_add_period_clamps_to_the_month_end():
    assert r.add_period(date(2026, 1, 31), 1, "month") == date(2026, 2, 28)
    assert r.add_period(date(2024, 2, 29), 1, "year") == date(2025, 2, 28)
    assert r.add_period(date(2026, 1, 15), 3, "month") == date(2026, 4, 15)
    assert r.add_period(date(2026, 1, 15), 10, "day") == date(2026, 1, 25)


def test_publication_window_of_penalties_by_severity():
    w = r.publication_window(Kind.PENALTY, Severity.GENERAL, D0, (3, "month"), (1, "year"))
    assert (w.repairable_from, w.public_until) == (date(2026, 6, 2), date(2027, 3, 2))
    w = r.publication_window(Kind.PENALTY, Severity.SERIOUS, D0, (1, "year"), (3, "year"))
    assert (w.repairable_from, w.public_until) == (date(2027, 3, 2), date(2029, 3, 2))
    # minor penalties and other kinds have no window (not published / published while in force)
    assert r.publication_window(Kind.PENALTY, Severity.MINOR, D0, None, None) == r.Window(None, None)
    assert r.publication_window(Kind.BLACKLIST, Severity.SERIOUS, D0, None, None) == r.Window(None, None)


def test_publication_by_kind():
    penalty = facts(public_until=date(2027, 3, 2), repairable_from=date(2026, 6, 2))
    assert r.is_public(penalty, D0)
    assert r.is_public(penalty, date(2027, 3, 1))
    assert not r.is_public(penalty, date(2027, 3, 2))
    assert not r.is_public(facts(severity=Severity.MINOR), D0)
    assert not r.is_public(facts(kind=Kind.VIOLATION), D0)
    listing = facts(kind=Kind.BLACKLIST, severity=Severity.SERIOUS, ends=date(2026, 12, 31), confined=["bidding"])
    assert r.is_public(listing, date(2026, 12, 31))
    assert not r.is_public(listing, date(2027, 1, 1))
    assert not r.is_public(facts(kind=Kind.BLACKLIST, status=Status.REMOVED), D0)
    assert not r.is_public(facts(public_until=date(2027, 3, 2), status=Status.REPAIRED), D0)


def test_restrictions_run_their_period_and_survive_repair():
    f = facts(ends=date(2026, 9, 1), confined=["bidding"])
    assert r.restriction_in_force(f, "bidding", D0)
    assert r.restriction_in_force(f, "bidding", date(2026, 9, 1))
    assert not r.restriction_in_force(f, "bidding", date(2026, 9, 2))
    assert not r.restriction_in_force(f, "auction", D0)
    assert not r.restriction_in_force(f, "bidding", D0 - timedelta(days=1))
    assert r.restriction_in_force(facts(confined=["bidding"], status=Status.REPAIRED), "bidding", D0)
    assert not r.restriction_in_force(facts(confined=["bidding"], status=Status.REVOKED), "bidding", D0)
    assert not r.restriction_in_force(facts(kind=Kind.AWARD, severity="", confined=["bidding"]), "bidding", D0)


def test_new_record_checks_name_every_field():
    errors = r.check_new_record(
        kind="penalty",
        severity="",
        level="good",
        decided_on=D0 + timedelta(days=1),
        starts_on=D0,
        ends_on=D0 - timedelta(days=1),
        confined=["bidding", "fly"],
        today=D0,
    )
    codes = {e.code for e in errors}
    assert codes == {
        "credit.severity_required",
        "credit.level_not_applicable",
        "credit.confined_invalid",
        "credit.decided_in_future",
        "credit.starts_before_decision",
        "credit.period_invalid",
    }
    assert [
        e.code
        for e in r.check_new_record(
            kind="blacklist",
            severity="serious",
            level="",
            decided_on=D0,
            starts_on=D0,
            ends_on=None,
            confined=[],
            today=D0,
        )
    ] == ["credit.confined_required"]
    assert [
        e.code
        for e in r.check_new_record(
            kind="nope", severity="", level="", decided_on=D0, starts_on=D0, ends_on=None, confined=[], today=D0
        )
    ] == ["credit.kind_invalid"]


def test_repair_eligibility():
    f = facts(public_until=date(2027, 3, 2), repairable_from=date(2026, 6, 2))
    early = r.repair_refusal(f, date(2026, 6, 1), rule_id="x")
    assert early is not None
    assert early.code == "credit.repair_too_early"
    assert early.details["rule_id"] == "x"
    assert r.repair_refusal(f, date(2026, 6, 2)) is None
    assert r.repair_refusal(f, date(2027, 3, 2)).code == "credit.publication_ended"
    assert r.repair_refusal(facts(kind=Kind.VIOLATION), D0).code == "credit.repair_not_applicable"
    done = facts(public_until=date(2027, 3, 2), repairable_from=D0, status=Status.REPAIRED)
    assert r.repair_refusal(done, D0).code == "credit.record_not_active"


# -- grading ---------------------------------------------------------------------------------------------------------

days = st.integers(min_value=-2000, max_value=400).map(lambda n: D0 + timedelta(days=n))


@st.composite
def a_record(draw):
    kind = draw(st.sampled_from(list(Kind)))
    decided = draw(days)
    starts = decided + timedelta(days=draw(st.integers(0, 60)))
    ends = draw(st.none() | st.integers(0, 900).map(lambda n: starts + timedelta(days=n)))
    negative = kind in r.NEGATIVE
    return RecordFacts(
        kind=kind,
        severity=draw(st.sampled_from(list(Severity))) if negative else "",
        decided_on=decided,
        starts_on=starts,
        ends_on=ends,
        confined=("bidding",) if negative else (),
        status=draw(st.sampled_from([Status.ACTIVE, Status.ACTIVE, Status.ACTIVE, Status.REVOKED, Status.REPAIRED])),
        level=draw(st.sampled_from(list(r.Level))) if kind == Kind.PERFORMANCE else "",
    )


records_st = st.lists(a_record(), max_size=8).map(lambda fs: [(str(i), f) for i, f in enumerate(fs)])


@settings(max_examples=300, deadline=None)
@given(records_st, days)
def test_grade_is_bounded_and_matches_its_score(records, day):
    g = grading.compute(records, day, POLICY)
    assert POLICY.floor <= g.score <= POLICY.ceiling
    assert g.grade == (POLICY.blacklist_grade if g.blacklisted else POLICY.grade_of(g.score))
    assert g.next_change is None or g.next_change > day


@settings(max_examples=300, deadline=None)
@given(records_st, days)
def test_grade_does_not_change_before_next_change(records, day):
    g = grading.compute(records, day, POLICY)
    last = g.next_change - timedelta(days=1) if g.next_change else day + timedelta(days=400)
    for probe in {day + timedelta(days=1), last, day + (last - day) / 2}:
        if probe < day or probe > last:
            continue
        later = grading.compute(records, probe, POLICY)
        assert (later.score, later.grade, later.blacklisted) == (g.score, g.grade, g.blacklisted)


@settings(max_examples=300, deadline=None)
@given(records_st, a_record(), days)
def test_a_new_negative_record_never_improves_the_grade(records, extra, day):
    if extra.kind not in r.NEGATIVE:
        return
    before = grading.compute(records, day, POLICY)
    after = grading.compute([*records, ("new", extra)], day, POLICY)
    assert after.score <= before.score
    ranks = [g for g, _ in POLICY.grades]
    assert ranks.index(after.grade) >= ranks.index(before.grade)


@settings(max_examples=200, deadline=None)
@given(records_st, days)
def test_revoked_records_do_not_count(records, day):
    kept = [(ref, f) for ref, f in records if f.status != Status.REVOKED]
    assert grading.compute(records, day, POLICY).score == grading.compute(kept, day, POLICY).score


def test_a_blacklisting_in_force_forces_the_lowest_grade():
    listing = facts(kind=Kind.BLACKLIST, severity=Severity.SERIOUS, ends=date(2026, 12, 31), confined=["bidding"])
    award = facts(kind=Kind.AWARD, severity="")
    g = grading.compute([("1", listing), ("2", award)], D0, POLICY)
    assert g.blacklisted
    assert g.grade == "D"
    assert g.next_change == date(2027, 1, 1)
    after = grading.compute([("1", listing)], date(2027, 1, 1), POLICY)
    assert not after.blacklisted
    assert after.score == 60
    assert after.grade == "C"


def test_a_record_counts_for_exactly_the_window():
    f = facts(severity=Severity.SERIOUS)  # −30 for three years from 2026-03-02
    assert grading.compute([("1", f)], D0, POLICY).score == 70
    assert grading.compute([("1", f)], date(2029, 3, 1), POLICY).score == 70
    assert grading.compute([("1", f)], date(2029, 3, 2), POLICY).score == 100
    assert grading.compute([("1", f)], D0 - timedelta(days=1), POLICY).score == 100
