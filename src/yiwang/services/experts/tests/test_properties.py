"""Property tests: for random pools, relationships and avoided firms, nobody who must stand aside is drawn
(members or reserves); draws are deterministic given the seed and independent of the input order;
unsatisfiable requests draw nobody; committee rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import RuleViolation
from yiwang.services.experts.domain import committee, draw
from yiwang.services.experts.domain.eligibility import Criteria, ExpertFacts, Period, Tie, exclusions

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
END = START + timedelta(hours=4)
SPECIALTIES = ["A080101", "A080104", "A080201", "B030101"]
REGIONS = ["310112", "310115", "320102"]
FIRMS = [1, 2, 3, 4, 5]
USCCS = {1: "U1", 2: "U2", 3: "U3", 4: "U4", 5: "U5"}

dates = st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 3, 20))


@st.composite
def experts(draw_, n: int):
    out = []
    for pk in range(1, n + 1):
        specs = draw_(st.sets(st.sampled_from(SPECIALTIES), min_size=1, max_size=2))
        employer = draw_(st.one_of(st.none(), st.sampled_from(FIRMS)))
        by_uscc = draw_(st.booleans())
        ties = tuple(
            Tie(f if not u else None, USCCS[f] if u else None, e)
            for f, u, e in draw_(
                st.lists(st.tuples(st.sampled_from(FIRMS), st.booleans(), st.one_of(st.none(), dates)), max_size=2)
            )
        )
        unavailable = tuple(
            (s, s + timedelta(days=k)) for s, k in draw_(st.lists(st.tuples(dates, st.integers(0, 3)), max_size=1))
        )
        sanctions = tuple(
            Period(s, None if k is None else s + timedelta(days=k))
            for s, k in draw_(st.lists(st.tuples(dates, st.one_of(st.none(), st.integers(0, 30))), max_size=1))
        )
        bookings = tuple(
            (START + timedelta(hours=h), START + timedelta(hours=h + 3))
            for h in draw_(st.lists(st.integers(-6, 6), max_size=1))
        )
        out.append(
            ExpertFacts(
                id=pk,
                status=draw_(st.sampled_from(["active"] * 6 + ["suspended", "retired"])),
                region_code=draw_(st.sampled_from(REGIONS)),
                birth_date=draw_(st.dates(min_value=date(1950, 1, 1), max_value=date(1990, 1, 1))),
                kinds=frozenset(draw_(st.sets(st.sampled_from(["works", "gp"]), min_size=1))),
                employer_entity_id=None if by_uscc else employer,
                employer_uscc=USCCS[employer] if (by_uscc and employer) else None,
                specialties=frozenset(specs),
                main_specialties=frozenset(sorted(specs)[:1]),
                unavailable=unavailable,
                bookings=bookings,
                ties=ties,
                sanctions=sanctions,
            )
        )
    return out


@st.composite
def scenarios(draw_):
    pool = draw_(experts(draw_(st.integers(0, 24))))
    avoided = draw_(st.sets(st.sampled_from(FIRMS), max_size=3))
    avoided_by_uscc = draw_(st.sets(st.sampled_from(FIRMS), max_size=2))
    criteria = Criteria(
        kind=draw_(st.sampled_from(["works", "gp"])),
        region_scope=tuple(draw_(st.sets(st.sampled_from(["310000", "310112", "320000"]), min_size=1))),
        window_start=START,
        window_end=END,
        project_ref="P",
        avoided_entity_ids=frozenset(avoided),
        avoided_usccs=frozenset(USCCS[f] for f in avoided_by_uscc),
        avoided_experts=frozenset(draw_(st.sets(st.integers(1, 40), max_size=3))),
        age_max=draw_(st.one_of(st.none(), st.integers(60, 75))),
        tie_lookback_years=draw_(st.one_of(st.none(), st.integers(0, 3))),
    )
    codes = draw_(
        st.lists(
            st.sampled_from(["A0801", "A080101", "A080104", "A08", "B030101"]), min_size=1, max_size=3, unique=True
        )
    )
    lines = [draw.Line(c, draw_(st.integers(1, 4)), draw_(st.integers(0, 3)), draw_(st.booleans())) for c in codes]
    seed = draw_(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
    return pool, criteria, lines, seed


def _run(pool, criteria, lines, seed):
    pools = draw.assemble(lines, pool, criteria)
    problem = draw.unsatisfiable(lines, pools)
    return pools, problem, (None if problem else draw.select(lines, pools, seed))


@settings(max_examples=120, deadline=None)
@given(scenarios())
def test_nobody_who_must_stand_aside_is_drawn(scenario):
    pool, criteria, lines, seed = scenario
    pools, problem, results = _run(pool, criteria, lines, seed)
    if problem is not None:
        assert problem.code == "experts.draw_unsatisfiable"
        with pytest.raises(ValueError, match="cannot be filled"):
            draw.select(lines, pools, seed)
        return
    by_id = {f.id: f for f in pool}
    chosen = [e for r in results for e in (*r.members, *r.reserves)]
    assert len(chosen) == len(set(chosen))  # nobody twice
    for r, line in zip(results, lines, strict=True):
        assert len(r.members) == line.count
        assert len(r.reserves) <= line.reserve
        for e in (*r.members, *r.reserves):
            facts = by_id[e]
            assert exclusions(facts, criteria) == []
            assert draw.holds(facts, line.specialty, main_only=line.main_only)
            # spelled out: the recusal rules themselves
            assert facts.status == "active"
            assert facts.employer_entity_id not in criteria.avoided_entity_ids
            assert facts.employer_uscc not in criteria.avoided_usccs
            assert e not in criteria.avoided_experts
            for tie in facts.ties:
                related = tie.entity_id in criteria.avoided_entity_ids or tie.uscc in criteria.avoided_usccs
                assert not related or (
                    criteria.tie_lookback_years is not None
                    and tie.ended_on is not None
                    and tie.ended_on < date(2026 - criteria.tie_lookback_years, 3, 10)
                )
            for p in facts.sanctions:
                assert p.start > date(2026, 3, 10) or (p.end is not None and p.end < date(2026, 3, 10))
            for s, t in facts.unavailable:
                assert t < date(2026, 3, 10) or s > date(2026, 3, 10)
            for s, t in facts.bookings:
                assert t <= START or s >= END
            if criteria.age_max is not None:
                born = facts.birth_date
                age = 2026 - born.year - ((born.month, born.day) > (3, 10))
                assert age <= criteria.age_max


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_the_draw_is_deterministic_and_independent_of_input_order(scenario, rnd):
    pool, criteria, lines, seed = scenario
    _, problem, results = _run(pool, criteria, lines, seed)
    shuffled = list(pool)
    rnd.shuffle(shuffled)
    _, problem2, results2 = _run(shuffled, criteria, lines, seed)
    assert (problem is None) == (problem2 is None)
    if results is not None:
        assert draw.result_digest(results) == draw.result_digest(results2)
        report = draw.replay(
            lines=lines,
            candidate_lists=[list(p.candidates) for p in draw.assemble(lines, pool, criteria)],
            request={"x": 1},
            secret_hex="00" * 32,
            commitment=draw.commitment_of("00" * 32),
            public_hash="ab" * 32,
            recorded_request_digest=draw.request_digest({"x": 1}),
            recorded_seed=draw.derive_seed("00" * 32, draw.request_digest({"x": 1}), "ab" * 32),
            recorded_candidates_digest=draw.candidates_digest(
                [p.candidates for p in draw.assemble(lines, pool, criteria)]
            ),
            recorded_result_digest=draw.result_digest(
                draw.select(
                    lines,
                    draw.assemble(lines, pool, criteria),
                    draw.derive_seed("00" * 32, draw.request_digest({"x": 1}), "ab" * 32),
                )
            ),
        )
        assert report.ok


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 12), st.integers(0, 6), st.sampled_from(["works", "gp"]), st.integers(0, 3 * 10**9), st.booleans()
)
def test_committee_problems_match_the_rules(experts_, reps, kind, budget, large):
    rules = committee.CommitteeRules(
        kind=kind,
        min_size=5,
        min_size_rule="min",
        expert_share_min=Fraction(2, 3),
        expert_share_rule="share",
        large_min_size=7 if kind == "gp" else None,
        large_min_size_rule="large" if kind == "gp" else None,
        large_budget_threshold_fen=10**9 if kind == "gp" else None,
        large_budget_rule="threshold",
    )
    found = {p.code for p in committee.problems(experts_, reps, rules, budget_fen=budget, large=large)}
    total = experts_ + reps
    minimum = 7 if kind == "gp" and (large or budget >= 10**9) else 5
    assert ("experts.committee_too_small" in found) == (total < minimum)
    assert ("experts.committee_even" in found) == (total % 2 == 0)
    assert ("experts.committee_expert_share" in found) == (total > 0 and 3 * experts_ < 2 * total)
    if not found:
        with_check = committee.check(experts_, reps, rules, budget_fen=budget, large=large)
        assert with_check is None
    else:
        with pytest.raises(RuleViolation):
            committee.check(experts_, reps, rules, budget_fen=budget, large=large)


# -- the same property through the database and the actions ---------------------------------------------------------


@pytest.fixture
def firms(db, clock):
    from yiwang.services.experts.tests import support

    return [support.make_firm() for _ in range(3)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 2)),  # employer firm
            st.one_of(st.none(), st.integers(0, 2)),  # declared relationship
            st.booleans(),  # sanction in force
            st.booleans(),  # unavailable on the meeting day
        ),
        min_size=5,
        max_size=12,
    ),
    st.sets(st.integers(0, 2), min_size=1),
)
def test_through_the_actions_nobody_related_to_an_avoided_firm_is_drawn(firms, clock, people, avoided):
    from yiwang.platform.clock import now
    from yiwang.services.experts import actions
    from yiwang.services.experts.models import Seat
    from yiwang.services.experts.tests import support

    staff = support.staff()
    meeting = now() + timedelta(days=3)
    with transaction.atomic():
        blocked = set()
        for employer, tie, sanctioned, away in people:
            expert = support.enrol(staff, **({"employer_entity_id": firms[employer]} if employer is not None else {}))
            if tie is not None:
                actions.do_declare_tie(
                    actor=staff, expert_id=expert.pk, data={"entity_id": firms[tie], "kind": "interest"}
                )
            if sanctioned:
                actions.do_record_sanction(
                    actor=staff,
                    expert_id=expert.pk,
                    data={"kind": "suspension", "authority": "监管部门", "reason": "违规", "start_date": "2026-01-01"},
                )
            if away:
                actions.do_declare_unavailability(
                    actor=staff, expert_id=expert.pk, start_date=meeting.date(), end_date=meeting.date()
                )
            if employer in avoided or tie in avoided or sanctioned or away:
                blocked.add(expert.pk)
        data = support.request(
            start=meeting,
            lines=[{"specialty": "A080101", "count": 5, "reserve": 2}],
            avoided_firms=[{"entity_id": firms[i], "reason": "1"} for i in sorted(avoided)],
        )
        if len(people) - len(blocked) < 5:
            with pytest.raises(RuleViolation) as exc:
                actions.do_request_draw(actor=staff, data=data)
            assert exc.value.code == "experts.draw_unsatisfiable"
        else:
            made = actions.do_request_draw(actor=staff, data=data)
            drawn = set(Seat.objects.filter(draw=made).values_list("expert_id", flat=True))
            assert len(drawn) >= 5
            assert not drawn & blocked
        transaction.set_rollback(True)
