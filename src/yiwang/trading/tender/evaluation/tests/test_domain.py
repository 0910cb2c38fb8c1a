"""The pure rules: committee composition, price formulas, aggregation, ranking and ties, outliers, review by
majority, the abnormally-low screen, collusion data, input parsing. No database."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput, RuleViolation
from yiwang.trading.tender.evaluation.domain import collusion, committee, lowprice, outliers, ranking, review, scoring
from yiwang.trading.tender.evaluation.domain.inputs import (
    AbnormalLowRule,
    Category,
    EvaluationConfig,
    FormulaKind,
    Method,
    OutlierRule,
    PriceFormula,
    ScoreItem,
    TenderKind,
    bids_from,
    check_kind_and_method,
    committee_request_from,
    config_from,
)
from yiwang.trading.tender.evaluation.domain.legal import LegalNumber, legal_rules

SNAPSHOT = {
    "tender.committee_min_size": {"value": 5, "unit": "count", "source": "《招标投标法》第三十七条 ◇"},
    "tender.committee_expert_share_min": {"value": "2/3", "unit": "ratio", "source": "《招标投标法》第三十七条 ◇"},
    "tender.candidates_max": {"value": 3, "unit": "count", "source": "条例第五十三条 ◇"},
    "tender.committee_extension_share": {"value": "1/3", "unit": "ratio", "source": "条例第四十八条 ◇"},
    "tender.min_bidders": {"value": 3, "unit": "count", "source": "条例第四十四条 ◇"},
    "gp.committee_min_size": {"value": 5, "unit": "count", "source": "87号令第四十七条 ◇"},
    "gp.committee_min_size_large": {"value": 7, "unit": "count", "source": "87号令第四十七条 ◇"},
    "gp.committee_large_budget_threshold": {"value": 10000000, "unit": "yuan", "source": "87号令第四十七条 ◇"},
    "gp.committee_expert_share_min": {"value": "2/3", "unit": "ratio", "source": "87号令第四十七条 ◇"},
    "gp.min_bidders": {"value": 3, "unit": "count", "source": "87号令 ◇"},
    "gp.price_weight_goods_min": {"value": 30, "unit": "percent", "source": "87号令第五十五条 ◇"},
    "gp.price_weight_services_min": {"value": 10, "unit": "percent", "source": "87号令第五十五条 ◇"},
}


def no_lookup(rule_id: str) -> LegalNumber | None:
    return None


def tender_rules():
    return legal_rules(TenderKind.WORKS, Method.COMPREHENSIVE, SNAPSHOT, no_lookup)


def gp_rules(method=Method.GP_COMPREHENSIVE, kind=TenderKind.GP_GOODS):
    return legal_rules(kind, method, SNAPSHOT, no_lookup)


# -- committee -------------------------------------------------------------------------------------


def test_a_committee_of_four_is_refused_naming_the_rule_and_its_source():
    with pytest.raises(RuleViolation) as exc:
        committee.check_committee(3, 1, tender_rules())
    e = exc.value
    assert e.code == "evaluation.committee_invalid"
    assert e.details["rule_id"] == "tender.committee_min_size"
    assert "第三十七条" in e.details["source"]
    codes = [p["code"] for p in e.details["problems"]]
    assert codes == ["evaluation.committee_too_small", "evaluation.committee_even"]


def test_an_even_committee_is_refused_even_when_large_enough():
    with pytest.raises(RuleViolation) as exc:
        committee.check_committee(6, 0, tender_rules())
    assert [p["code"] for p in exc.value.details["problems"]] == ["evaluation.committee_even"]


def test_experts_below_two_thirds_are_refused():
    with pytest.raises(RuleViolation) as exc:
        committee.check_committee(3, 2, tender_rules())
    problem = exc.value.details["problems"][0]
    assert problem["code"] == "evaluation.committee_expert_share"
    assert problem["rule_id"] == "tender.committee_expert_share_min"
    committee.check_committee(4, 1, tender_rules())  # 4/5 ≥ 2/3


def test_gp_large_budget_needs_seven():
    rules = gp_rules()
    committee.check_committee(5, 0, rules, budget_fen=999_999_999)
    with pytest.raises(RuleViolation) as exc:
        committee.check_committee(5, 0, rules, budget_fen=1_000_000_000)  # 1000万元
    assert exc.value.details["rule_id"] == "gp.committee_min_size_large"
    with pytest.raises(RuleViolation):
        committee.check_committee(5, 0, rules, large=True)
    committee.check_committee(6, 1, rules, budget_fen=2_000_000_000)


def test_gp_price_weight_below_the_minimum_is_refused():
    config = config_from(
        {
            "method": "gp_comprehensive",
            "items": [
                {"code": "t", "name": "技术", "category": "technical", "max_points": 75},
                {"code": "p", "name": "价格", "category": "price", "max_points": 25},
            ],
        }
    )
    with pytest.raises(RuleViolation) as exc:
        committee.check_config(config, gp_rules())
    assert exc.value.code == "evaluation.price_weight_too_low"
    assert exc.value.details["rule_id"] == "gp.price_weight_goods_min"
    committee.check_config(config, gp_rules(kind=TenderKind.GP_SERVICES))  # services: ≥ 10 %


def test_candidates_above_the_cap_are_refused():
    config = config_from({"method": "lowest_evaluated", "candidates": 4})
    with pytest.raises(RuleViolation) as exc:
        committee.check_config(config, tender_rules())
    assert exc.value.details["rule_id"] == "tender.candidates_max"


def test_a_rule_listed_nowhere_refuses():
    with pytest.raises(RuleViolation) as exc:
        legal_rules(TenderKind.WORKS, Method.COMPREHENSIVE, {}, no_lookup)
    assert exc.value.code == "evaluation.rule_not_listed"


def test_extension_needed_above_one_third():
    rules = tender_rules()
    assert not committee.extension_needed(1, 5, rules)
    assert committee.extension_needed(2, 5, rules)  # 2/5 > 1/3
    assert not committee.extension_needed(1, 3, rules)  # exactly 1/3 is not more


# -- price formulas --------------------------------------------------------------------------------

prices_st = st.dictionaries(st.integers(1, 50), st.integers(1, 10**12), min_size=1, max_size=12)
points_st = st.decimals(min_value=Decimal(1), max_value=Decimal(100), places=1)


@given(prices_st, points_st)
def test_low_price_scores_lie_in_range_and_the_lowest_gets_full_points(prices, points):
    scores = scoring.price_scores(prices, PriceFormula(), points)
    low = min(prices.values())
    for bid, score in scores.items():
        assert Decimal(0) <= score <= points
        if prices[bid] == low:
            assert score == points.quantize(Decimal("0.01"))


@given(prices_st, points_st)
def test_low_price_scores_fall_as_the_price_rises(prices, points):
    scores = scoring.price_scores(prices, PriceFormula(), points)
    ordered = sorted(prices, key=lambda b: prices[b])
    for a, b in itertools.pairwise(ordered):
        assert scores[a] >= scores[b]


@given(prices_st, points_st, st.sampled_from(["lowest", "average", "average_trimmed"]))
def test_benchmark_deviation_scores_stay_within_the_points(prices, points, basis):
    formula = PriceFormula(FormulaKind.BENCHMARK_DEVIATION, benchmark=basis, coefficient=Decimal("0.95"))
    for score in scoring.price_scores(prices, formula, points).values():
        assert Decimal(0) <= score <= points


def test_the_gp_formula_by_hand():
    # base ÷ bid × weight: 800 000 / 1 000 000 × 30 = 24
    assert scoring.price_scores({1: 80_000_000, 2: 100_000_000}, PriceFormula(), Decimal(30)) == {
        1: Decimal("30.00"),
        2: Decimal("24.00"),
    }


def test_benchmark_deviation_by_hand():
    formula = PriceFormula(FormulaKind.BENCHMARK_DEVIATION, benchmark="average", coefficient=Decimal(1))
    # average 100; 102 is 2 % above → 40 − 2 × 1 = 38; 98 is 2 % below → 40 − 2 × 0.5 = 39
    got = scoring.price_scores({1: 98, 2: 100, 3: 102}, formula, Decimal(40))
    assert got == {1: Decimal("39.00"), 2: Decimal("40.00"), 3: Decimal("38.00")}


def test_rounding_is_half_up():
    assert scoring.to_decimal(Fraction(1, 8), 2) == Decimal("0.13")
    assert scoring.to_decimal(Fraction(2, 3), 2) == Decimal("0.67")
    assert scoring.to_decimal(Fraction(5, 1000), 2) == Decimal("0.01")


# -- aggregation and ranking -----------------------------------------------------------------------


@given(st.lists(st.decimals(min_value=0, max_value=10, places=2), min_size=1, max_size=9))
def test_the_mean_lies_between_the_lowest_and_highest_score(values):
    mean = scoring.aggregate(values, trimmed=False, trim_min=7, decimals=2)
    assert min(values) <= mean <= max(values)
    trimmed = scoring.aggregate(values, trimmed=True, trim_min=7, decimals=2)
    assert min(values) <= trimmed <= max(values)


def test_trimmed_mean_drops_one_highest_and_one_lowest_only_with_enough_scorers():
    values = [Decimal(x) for x in (1, 8, 8, 8, 8, 8, 10)]
    assert scoring.aggregate(values, trimmed=True, trim_min=7, decimals=2) == Decimal("8.00")
    assert scoring.aggregate(values[:5], trimmed=True, trim_min=7, decimals=2) == Decimal("6.60")


entries_st = st.lists(
    st.tuples(st.integers(1, 5), st.integers(0, 100), st.integers(0, 30)), min_size=1, max_size=8
).map(
    lambda rows: [
        ranking.Entry(bid_id=i + 1, seq=i + 1, price_fen=p * 1000, total=Decimal(t), technical=Decimal(tech))
        for i, (p, t, tech) in enumerate(rows)
    ]
)


@given(entries_st, st.permutations(["price", "technical", "commercial"]))
def test_ranking_is_deterministic_and_ordered(entries, tie_break):
    a = ranking.rank(entries, scored=True, tie_break=tie_break)
    b = ranking.rank(list(reversed(entries)), scored=True, tie_break=tie_break)
    assert a == b
    assert [r.rank for r in a] == list(range(1, len(entries) + 1))
    by_id = {e.bid_id: e for e in entries}
    totals = [by_id[r.bid_id].total for r in a]
    assert totals == sorted(totals, reverse=True)


def test_ties_go_to_the_lower_price_then_the_technical_score_then_arrival():
    entries = [
        ranking.Entry(1, 1, 110, Decimal(90), Decimal(40)),
        ranking.Entry(2, 2, 100, Decimal(90), Decimal(30)),
        ranking.Entry(3, 3, 100, Decimal(90), Decimal(35)),
        ranking.Entry(4, 4, 100, Decimal(90), Decimal(35)),
    ]
    ranked = ranking.rank(entries, scored=True, tie_break=("price", "technical"))
    assert [r.bid_id for r in ranked] == [3, 4, 2, 1]
    assert [r.tie_unresolved for r in ranked] == [True, True, False, False]


def test_lowest_price_methods_rank_by_evaluated_price():
    entries = [ranking.Entry(1, 1, 300), ranking.Entry(2, 2, 100), ranking.Entry(3, 3, 200)]
    assert [r.bid_id for r in ranking.rank(entries, scored=False, tie_break=())] == [2, 3, 1]


def test_same_brand_counts_once_and_only_its_best_may_be_a_candidate():
    entries = [
        ranking.Entry(1, 1, 100, Decimal(90), brand="华为"),
        ranking.Entry(2, 2, 100, Decimal(95), brand=" 华为 "),
        ranking.Entry(3, 3, 100, Decimal(80), brand="联想"),
        ranking.Entry(4, 4, 100, Decimal(70)),
    ]
    ranked = ranking.rank(entries, scored=True, tie_break=(), gp=True)
    assert [(r.bid_id, r.brand_excluded) for r in ranked] == [(2, False), (1, True), (3, False), (4, False)]
    assert [r.bid_id for r in ranking.candidates(ranked, 3)] == [2, 3, 4]
    assert ranking.valid_bidder_count(["华为", "华为 ", "联想", ""], gp=True) == 3
    assert ranking.valid_bidder_count(["华为", "华为"], gp=False) == 2


def test_pivotal_members_change_the_first_rank():
    def first_without(rest):
        return 2 if "评委1" not in rest else 1

    assert ranking.pivotal_members(["评委1", "评委2", "评委3"], first_without, 1) == ["评委1"]


# -- outliers --------------------------------------------------------------------------------------

ITEMS = [
    ScoreItem("tech", "技术方案", Category.TECHNICAL, Decimal(30)),
    ScoreItem("cert", "资质证书", Category.COMMERCIAL, Decimal(5), objective=True),
]


def test_a_score_far_from_the_others_median_is_flagged():
    scores = {
        1: {
            "tech": {
                "评委1": Decimal(25),
                "评委2": Decimal(24),
                "评委3": Decimal(26),
                "评委4": Decimal(25),
                "评委5": Decimal(10),
            }
        }
    }
    found = outliers.find_outliers(scores, ITEMS, OutlierRule())
    assert [(o.member, o.item) for o in found] == [("评委5", "tech")]
    assert found[0].deviation == Decimal("-0.5000")
    assert "median_share" in found[0].methods
    assert "tukey" in found[0].methods


def test_objective_items_flag_any_difference():
    scores = {1: {"cert": {"评委1": Decimal(5), "评委2": Decimal(5), "评委3": Decimal(4)}}}
    found = outliers.find_outliers(scores, ITEMS, OutlierRule())
    assert [(o.member, o.methods) for o in found] == [("评委3", ("objective",))]


@given(st.lists(st.integers(0, 30), min_size=2, max_size=9))
@settings(max_examples=50)
def test_equal_scores_are_never_outliers_and_deviations_stay_in_range(values):
    same = {1: {"tech": {f"评委{i}": Decimal(values[0]) for i in range(len(values))}}}
    assert outliers.find_outliers(same, ITEMS, OutlierRule()) == []
    varied = {1: {"tech": {f"评委{i}": Decimal(v) for i, v in enumerate(values)}}}
    for d in outliers.member_deviation(varied, ITEMS).values():
        assert Decimal(-1) <= d <= Decimal(1)


# -- review ----------------------------------------------------------------------------------------

CHECKS = [review.Check("no_seal_signature", "未盖章签字"), review.Check("non_responsive", "未实质性响应")]


def _sheet(ok: bool, code: str = "non_responsive", note: str = "工期不满足要求"):
    return {1: {c.code: review.Finding(True) for c in CHECKS} | ({} if ok else {code: review.Finding(False, note)})}


def test_a_bid_is_rejected_by_a_majority_with_the_reasons():
    sheets = {"评委1": _sheet(False), "评委2": _sheet(False), "评委3": _sheet(True)}
    decision = review.decide([1], CHECKS, sheets)[1]
    assert not decision.passed
    assert (decision.votes_fail, decision.votes_pass) == (2, 1)
    assert decision.reasons[0].code == "non_responsive"
    assert decision.reasons[0].majority
    assert "工期不满足要求" in decision.reason_text


def test_a_minority_does_not_reject():
    sheets = {"评委1": _sheet(False), "评委2": _sheet(True), "评委3": _sheet(True)}
    decision = review.decide([1], CHECKS, sheets)[1]
    assert decision.passed
    assert decision.reasons[0].votes == 1
    assert not decision.reasons[0].majority


def test_a_failed_finding_needs_a_reason_and_a_submission_must_be_complete():
    with pytest.raises(InvalidInput) as exc:
        review.parse_sheet({"1": {"non_responsive": {"ok": False, "note": ""}}}, [1], CHECKS, complete=False)
    assert exc.value.code == "evaluation.reason_required"
    with pytest.raises(InvalidInput) as exc:
        review.parse_sheet({"1": {"non_responsive": {"ok": True}}}, [1], CHECKS, complete=True)
    assert exc.value.code == "evaluation.sheet_incomplete"
    with pytest.raises(InvalidInput) as exc:
        review.parse_sheet({"2": {}}, [1], CHECKS, complete=False)
    assert exc.value.code == "evaluation.sheet_bid_unknown"


def test_score_sheets_check_range_precision_and_items():
    items = [ITEMS[0]]
    with pytest.raises(InvalidInput) as exc:
        scoring.parse_score_sheet({"1": {"tech": "31"}}, [1], items, 2, complete=False)
    assert exc.value.code == "evaluation.score_out_of_range"
    with pytest.raises(InvalidInput) as exc:
        scoring.parse_score_sheet({"1": {"tech": "20.123"}}, [1], items, 2, complete=False)
    assert exc.value.code == "evaluation.score_too_precise"
    with pytest.raises(InvalidInput) as exc:
        scoring.parse_score_sheet({"1": {"price": "20"}}, [1], items, 2, complete=False)
    assert exc.value.code == "evaluation.item_not_yours"
    assert scoring.parse_score_sheet({"1": {"tech": "20.50"}}, [1], items, 2, complete=True) == {
        1: {"tech": Decimal("20.50")}
    }


# -- abnormally low, collusion ---------------------------------------------------------------------


def test_abnormally_low_below_the_share_of_the_average():
    result = lowprice.screen({1: 100, 2: 100, 3: 100, 4: 50}, AbnormalLowRule("average", Decimal("0.8")))
    assert result.flagged == (4,)  # average 87.5, threshold 70
    assert result.threshold_fen == Decimal("70.00")
    assert lowprice.screen({1: 100, 2: 100, 3: 79}, AbnormalLowRule("median", Decimal("0.8"))).flagged == (3,)


@given(
    st.dictionaries(st.integers(1, 20), st.integers(1, 10**9), min_size=1, max_size=10),
    st.decimals("0.5", "0.95", places=2),
)
def test_the_screen_never_flags_the_median_or_above(prices, share):
    result = lowprice.screen(prices, AbnormalLowRule("median", share))
    middle = outliers.median([Fraction(p) for p in prices.values()])
    assert all(prices[b] < middle for b in result.flagged)


def test_shared_indicators_and_price_patterns():
    signals = {
        1: {"deposit_account": "6222 0001"},
        2: {"deposit_account": "6222 0001"},
        3: {"key_personnel": "张三, 李四"},
        4: {"key_personnel": "李四"},
    }
    found = {(s.indicator, s.bid_ids) for s in collusion.shared_indicators(signals)}
    assert found == {("deposit_account", (1, 2)), ("key_personnel", (3, 4))}
    assert [s.bid_ids for s in collusion.price_pattern({1: 100, 2: 110, 3: 120, 4: 300})] == [(1, 2, 3)]
    assert collusion.price_pattern({1: 100, 2: 111, 3: 125}) == []


# -- inputs ----------------------------------------------------------------------------------------


def test_inputs_are_checked_with_field_paths():
    with pytest.raises(InvalidInput) as exc:
        config_from(
            {
                "method": "comprehensive",
                "items": [{"code": "t", "name": "技术", "category": "technical", "max_points": 60}],
            }
        )
    assert exc.value.code == "evaluation.price_item_required"
    with pytest.raises(InvalidInput) as exc:
        bids_from([{"entity_id": 1, "name": "甲", "price_fen": 0}])
    assert exc.value.details["field"] == "bids.0.price_fen"
    with pytest.raises(InvalidInput) as exc:
        bids_from([{"entity_id": 1, "name": "甲", "price_fen": 1}, {"entity_id": 1, "name": "乙", "price_fen": 2}])
    assert exc.value.code == "evaluation.bidder_duplicate"
    with pytest.raises(InvalidInput) as exc:
        check_kind_and_method(TenderKind.WORKS, Method.GP_COMPREHENSIVE)
    assert exc.value.code == "evaluation.method_not_for_kind"
    with pytest.raises(InvalidInput) as exc:
        committee_request_from(
            {"project_ref": "P", "region_code": "310112", "meeting_start": "2026-03-02T09:00:00", "lines": []}
        )
    assert exc.value.details["field"] in ("committee_request.lines", "committee_request.meeting_start")


def test_a_config_survives_its_json_form():
    config = EvaluationConfig(
        method=Method.COMPREHENSIVE,
        items=(
            ScoreItem("t", "技术", Category.TECHNICAL, Decimal(60)),
            ScoreItem("p", "价格", Category.PRICE, Decimal(40)),
        ),
    )
    assert config_from(config.as_json()) == config_from(config)
