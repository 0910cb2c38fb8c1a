"""Each Cardinal indicator on a small fixture, with the expected output computed by hand (the arithmetic is in the
comments). Quartiles are Cardinal's (statrs, Hyndman–Fan type 8): h = (n + 1/3)·τ + 1/3, q = x₍⌊h⌋₎ +
(h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), 1-based order statistics."""

from __future__ import annotations

import pytest

from yiwang.supervision.redflags.domain import ocds, registry
from yiwang.supervision.redflags.tests.builder import award, bid, jsonl, release


def run(releases, code, **params):
    snapshot, report = ocds.read_ocds(jsonl(releases), workers=1)
    assert report.malformed == 0
    out = registry.run(snapshot, [code], {code: params} if params else None)
    return out.outputs[code], registry.cardinal_json(out.outputs)


# -- R003 ----------------------------------------------------------------------------------------------------------

R003_FIXTURE = [
    release("A", start="2026-01-01T00:00:00Z", end="2026-01-11T00:00:00Z"),  # 10 days < 15 → flagged
    release("B", start="2026-01-01T00:00:00Z", end="2026-01-20T00:00:00Z"),  # 19 days
    release("C", start="2026-01-01T00:00:00Z", end="2026-01-15T23:00:00Z"),  # 14 d 23 h → 14 whole days → flagged
    release("D", start="2026-01-01T08:00:00+08:00", end="2026-01-16T00:00:00Z"),  # 00:00Z → 15 days: not < 15
    release("E", status="cancelled", start="2026-01-01T00:00:00Z", end="2026-01-02T00:00:00Z"),  # cancelled: excluded
    release("F", details="邀请招标", start="2026-01-01T00:00:00Z", end="2026-01-13T00:00:00Z"),  # 12 days
    release("G"),  # no tender period
    release("H", start="2026-01-01", end="2026-01-02"),  # not RFC 3339: not read
]


def test_r003_short_submission_period():
    out, js = run(R003_FIXTURE, "R003")
    assert out.population == 5  # A B C D F
    assert js["OCID"] == {"A": {"R003": 1.0}, "C": {"R003": 1.0}, "F": {"R003": 1.0}}
    assert [f.evidence["days"] for f in out.findings] == [10, 14, 12]


def test_r003_per_method_thresholds_and_global_threshold():
    out, js = run(R003_FIXTURE, "R003", procurement_method_details={"邀请招标": 10})
    assert js["OCID"] == {"A": {"R003": 1.0}, "C": {"R003": 1.0}}  # F: 12 ≥ 10
    out, js = run(R003_FIXTURE, "R003", threshold=10)
    assert "OCID" not in js  # 10, 14, 12 are all ≥ 10
    out, js = run(R003_FIXTURE, "R003", procurement_methods="selective")
    assert out.population == 0
    assert out.not_computable.code == "redflags.population_empty"


# -- R018 ----------------------------------------------------------------------------------------------------------

R018_FIXTURE = [
    release("A", method="open", tenderers=1),
    release("B", method="limited", tenderers=1),  # not competitive by default
    release("C", method="selective", tenderers=2),
    release("D", method="open", tenderers=1, status="cancelled"),
    release("E", method="open"),  # numberOfTenderers missing
]


def test_r018_single_bid():
    out, js = run(R018_FIXTURE, "R018")
    assert js["OCID"] == {"A": {"R018": 1.0}}
    assert out.population == 2  # A and C have a count and a competitive method
    out, js = run(R018_FIXTURE, "R018", procurement_methods="open|selective|limited")
    assert js["OCID"] == {"A": {"R018": 1.0}, "B": {"R018": 1.0}}


# -- R024 / R058 ---------------------------------------------------------------------------------------------------


def priced(ocid: str, winner_amount: float, second_amount: float, *, winner="W", second="S", extra=()):
    return release(ocid, bids=[bid(winner, winner_amount), bid(second, second_amount), *extra], awards=[award(winner)])


# d = (l − w) / w over six processes (w = 100): 0.001, 0.10, 0.11, 0.12, 0.13, 0.14
R024_FIXTURE = [
    priced("P1", 100, 100.1, extra=[bid("W", 150)]),  # the winner's lowest bid counts: d = 0.001
    priced("P2", 100, 110),
    priced("P3", 100, 111),
    priced("P4", 100, 112),
    priced("P5", 100, 113),
    priced("P6", 100, 114, extra=[bid("U", 90, currency="USD")]),  # another currency is skipped
    # excluded:
    priced("X1", 100, 95),  # the lowest bid did not win (not price-only)
    release("X2", bids=[bid("W", 100), bid("S", 120)], awards=[award("W"), award("S")]),  # two active awards
    release("X3", bids=[bid("W", 100), bid("S", 120)], awards=[award("W"), award("S", status="pending")]),  # not final
    release("X4", bids=[bid("W", 100), bid(["S", "T"], 120)], awards=[award("W")]),  # consortium bid only
    release("X5", bids=[bid("W", 100), bid("S", 120)], awards=[award(["W", "S"])]),  # two suppliers
    release("X6", bids=[bid("W", 100), bid("S", 120, status="disqualified")], awards=[award("W")]),  # no valid second
]


def test_r024_price_close_to_winning_bid():
    # sorted d: [0.001, 0.10, 0.11, 0.12, 0.13, 0.14], n = 6
    # q1: h = (6 + 1/3)·0.25 + 1/3 = 1.91667 → 0.001 + 0.91667 × (0.10 − 0.001) = 0.09175
    # q3: h = (6 + 1/3)·0.75 + 1/3 = 5.08333 → 0.13 + 0.08333 × (0.14 − 0.13) = 0.130833
    # lower fence = 0.09175 − 1.5 × (0.130833 − 0.09175) = 0.033125 > 0, q1 > 0: flag d ≤ 0.033125 → P1
    out, js = run(R024_FIXTURE, "R024")
    assert out.population == 6
    assert js["OCID"] == {"P1": {"R024": pytest.approx(0.001)}}
    assert js["Tenderer"] == {"W": {"R024": 0.0}, "S": {"R024": 0.0}}
    # (0.09175 is 0.0917499… in binary floating point, so it rounds down, as it does in Cardinal)
    assert js["Meta"]["R024"] == {"q1": 0.0917, "q3": 0.1308, "lower_fence": 0.0331}
    (finding,) = [f for f in out.findings if f.primary]
    assert finding.evidence["winner_amount"] == 100
    assert finding.evidence["second_amount"] == 100.1


# d over six processes: 0.01, 0.10, 0.12, 0.15, 0.20, 0.90
R058_FIXTURE = [
    priced(f"Q{i}", 100, 100 + d * 100) for i, d in enumerate((0.01, 0.10, 0.12, 0.15, 0.20, 0.90), start=1)
]


def test_r024_guard_and_r058_heavily_discounted_bid():
    # q1: h = 1.91667 → 0.01 + 0.91667 × 0.09 = 0.0925; q3: h = 5.08333 → 0.20 + 0.08333 × 0.70 = 0.258333
    # R024 lower fence = 0.0925 − 1.5 × 0.165833 = −0.15625 ≤ 0 → the guard: nothing flagged
    _, js = run(R058_FIXTURE, "R024")
    assert "OCID" not in js
    assert js["Meta"]["R024"] == {"q1": 0.0925, "q3": 0.2583, "lower_fence": -0.1562}
    # R058 upper fence = 0.258333 + 1.5 × 0.165833 = 0.507083 → Q6 (0.90)
    _out, js = run(R058_FIXTURE, "R058")
    assert js["OCID"] == {"Q6": {"R058": pytest.approx(0.9)}}
    assert js["Tenderer"] == {"W": {"R058": 0.0}}
    assert js["Meta"]["R058"] == {"q1": 0.0925, "q3": 0.2583, "upper_fence": 0.5071}


def test_r024_threshold_overrides_the_fence():
    # a fixed threshold 0.05: d ≤ 0.05 → Q1 (0.01); Meta carries the fence only
    _out, js = run(R058_FIXTURE, "R024", threshold=0.05)
    assert js["OCID"] == {"Q1": {"R024": pytest.approx(0.01)}}
    assert js["Meta"]["R024"] == {"lower_fence": 0.05}


def test_r024_empty_population_is_not_computable_not_zero():
    out, js = run([release("X", bids=[bid("W", 100)], awards=[award("W")])], "R024")  # one bid: no second
    assert out.not_computable.code == "redflags.population_empty"
    assert "OCID" not in js
    assert js["Meta"]["R024"] == {"q1": None, "q3": None, "lower_fence": None}


# -- R025 ----------------------------------------------------------------------------------------------------------

# (winner, losers) per process; T1 bids in P1–P6 and never wins
R025_PROCESSES = {
    "P1": ("T2", ["T1", "T3", "T7"]),
    "P2": ("T3", ["T1", "T4"]),
    "P3": ("T4", ["T1", "T5"]),
    "P4": ("T5", ["T1", "T6"]),
    "P5": ("T6", ["T1", "T2"]),
    "P6": ("T7", ["T1"]),
    "P7": ("T7", []),
    "P8": ("T7", []),
    "P9": ("T8", ["T7"]),
}
R025_FIXTURE = [
    release(o, bids=[bid(w, 100), *[bid(x, 110) for x in losers]], awards=[award(w)])
    for o, (w, losers) in R025_PROCESSES.items()
] + [
    release("X1", bids=[bid("T1", 100), bid("T2", 110)], awards=[award("T1", status="pending")]),  # not final
    release("X2", bids=[bid("T1", 100), bid("T2", 110)], awards=[award("T1"), award("T2")]),  # two active awards
]


def test_r025_excessive_unsuccessful_bids():
    # wins/bids: T1 0/6, T2 1/2, T3 1/2, T4 1/2, T5 1/2, T6 1/2, T7 3/5, T8 1/1
    # ratios sorted [0, .5, .5, .5, .5, .5, .6, 1], n = 8
    # q1: h = (8 + 1/3)·0.25 + 1/3 = 2.41667 → x₂ + 0.41667 (x₃ − x₂) = 0.5
    # q3: h = (8 + 1/3)·0.75 + 1/3 = 6.58333 → 0.5 + 0.58333 × (0.6 − 0.5) = 0.558333
    # lower fence = 0.5 − 1.5 × 0.058333 = 0.4125 > 0
    # bid counts sorted [1, 2, 2, 2, 2, 2, 5, 6]: P75: h = 6.58333 → 2 + 0.58333 × (5 − 2) = 3.75
    # flagged: bids ≥ 3.75 and ratio ≤ 0.4125 → T1 (6 bids, 0)
    out, js = run(R025_FIXTURE, "R025")
    assert js["Tenderer"] == {"T1": {"R025": 0.0}}
    assert js["Meta"]["R025"] == {"q1": 0.5, "q3": 0.5583, "upper_fence": 3.75, "lower_fence": 0.4125}
    assert out.population == 8
    assert out.findings[0].evidence["valid_bids"] == 6


def test_r025_a_single_tenderer_is_not_a_population():
    # one tenderer winning its only process: Cardinal's fence is its own ratio (1.0 ≤ 1.0 → flagged);
    # by default a fence needs two values, so R025 is not computable
    releases = [release("Z1", bids=[bid("A", 100)], awards=[award("A")])]
    out, js = run(releases, "R025")
    assert out.not_computable.code == "redflags.population_too_small"
    assert "Tenderer" not in js
    out, js = run(releases, "R025", minimum_population=1)
    assert js["Tenderer"] == {"A": {"R025": 1.0}}


def test_r025_guard_when_most_tenderers_never_win():
    # with many never-winning tenderers q1 = 0: the guard keeps R025 silent
    releases = [
        release(f"G{i}", bids=[bid("W", 100), bid(f"L{i}", 110), bid(f"M{i}", 120)], awards=[award("W")])
        for i in range(4)
    ]
    _out, js = run(releases, "R025")
    assert "Tenderer" not in js
    assert js["Meta"]["R025"]["q1"] == 0.0


# -- R028 ----------------------------------------------------------------------------------------------------------

R028_FIXTURE = [
    release("P1", bids=[bid("A", 100), bid("B", 100)]),  # flagged
    release("P2", bids=[bid("A", 100), bid("A", 100)]),  # the same tenderer twice: allowed
    release("P3", bids=[bid("A", 100), bid("B", 100, currency="USD")]),  # different currencies
    release("P4", bids=[bid("A", 100), bid("B", 100, status="withdrawn")]),  # withdrawn: not submitted
    release("P5", bids=[bid(["A", "B"], 100), bid(["B", "A"], 100)]),  # the same set of tenderers
    release("P6", details="随机抽取", bids=[bid("C", 7), bid("D", 7)]),  # flagged unless price comparison is off
    release("P7", bids=[bid("E", 50), bid("F", 50), bid("E", 50)]),  # flagged
]


def test_r028_identical_bid_prices():
    _, js = run(R028_FIXTURE, "R028")
    assert js["OCID"] == {"P1": {"R028": 1.0}, "P6": {"R028": 1.0}, "P7": {"R028": 1.0}}
    assert set(js["Tenderer"]) == {"A", "B", "C", "D", "E", "F"}
    _, js = run(R028_FIXTURE, "R028", no_price_comparison_procurement_methods="随机抽取")
    assert set(js["OCID"]) == {"P1", "P7"}
    _out, js = run(R028_FIXTURE, "R028", price_comparison_procurement_methods="随机抽取")
    assert set(js["OCID"]) == {"P6"}  # an allow list: processes without the value are not compared


# -- R030 ----------------------------------------------------------------------------------------------------------

END = "2026-01-10T00:00:00Z"
R030_FIXTURE = [
    release("P1", end=END, bids=[bid("A", 100, date="2026-01-10T00:00:01Z")], awards=[award("A")]),  # late, won
    release(
        "P2", end=END, bids=[bid("B", 100, date="2026-01-10T01:00:00Z"), bid("A", 90, date=END)], awards=[award("A")]
    ),
    release("P3", end=END, bids=[bid("A", 100, "disqualified", date="2026-01-11T00:00:00Z")], awards=[award("A")]),
    release("P4", end=END, bids=[bid("A", 100, date=END)], awards=[award("A")]),  # exactly at the deadline
    # the deadline written with an offset (00:00Z) and a bid at 00:30Z: late as instants
    # (Cardinal compares the texts, "…T00:30:00Z" < "…T08:00:00+08:00", and would not flag it)
    release(
        "P5", end="2026-01-10T08:00:00+08:00", bids=[bid("C", 100, date="2026-01-10T00:30:00Z")], awards=[award("C")]
    ),
    release("P6", end=END, bids=[bid("D", 100, date="2026-01-11T00:00:00Z")]),  # no awards
]


def test_r030_late_bid_won():
    out, js = run(R030_FIXTURE, "R030")
    assert js["OCID"] == {"P1": {"R030": 1.0}, "P5": {"R030": 1.0}}
    assert js["Tenderer"] == {"A": {"R030": 1.0}, "C": {"R030": 1.0}}
    assert out.population == 5
    p1 = next(f for f in out.findings if f.unit_id == "P1")
    assert p1.evidence["late_bids"][0]["received"].startswith("2026-01-10T00:00:01")


# -- R035 ----------------------------------------------------------------------------------------------------------

R035_FIXTURE = [
    release(
        "P1", bids=[bid("A", 100), bid("B", 90, "disqualified"), bid("C", 95, "disqualified")], awards=[award("A")]
    ),
    release("P2", bids=[bid("A", 100), bid("B", 90), bid("C", 95, "disqualified")], awards=[award("A")]),  # two valid
    release("P3", bids=[bid("A", 100)], awards=[award("A")]),  # nobody disqualified
    release("P4", bids=[bid("A", 100), bid("C", 95, "disqualified")], awards=[award("B")]),  # valid ≠ awarded
    release(
        "P5", bids=[bid("A", 100), bid("A", 90, "disqualified"), bid("B", 95, "disqualified")], awards=[award("A")]
    ),
    release("P6", bids=[bid("A", 100), bid("B", 95, "disqualified")], awards=[award("A", status="pending")]),
]


def test_r035_all_except_winning_bid_disqualified():
    # P1: others disqualified {B, C} → 2; P5: {A, B} − {A} = {B} → 1
    _, js = run(R035_FIXTURE, "R035")
    assert js["OCID"] == {"P1": {"R035": 2.0}, "P5": {"R035": 1.0}}
    assert js["Tenderer"] == {"A": {"R035": 0.0}}
    _out, js = run(R035_FIXTURE, "R035", threshold=2)
    assert js["OCID"] == {"P1": {"R035": 2.0}}


# -- R036 ----------------------------------------------------------------------------------------------------------

R036_FIXTURE = [
    release("P1", bids=[bid("A", 90, "disqualified"), bid("B", 100)], awards=[award("B")]),  # flagged
    release(
        "P2", bids=[bid("A", 90, "disqualified"), bid("B", 100)], awards=[award("B", status="pending")]
    ),  # no active award
    release("P3", bids=[bid("A", 90), bid("B", 80, "withdrawn")], awards=[award("A")]),  # withdrawn is not submitted
    release(
        "P4", bids=[bid("A", 90, "disqualified"), bid("B", 95, "disqualified")], awards=[award("C")]
    ),  # no valid bid
    release(
        "P5", bids=[bid("A", 80, "disqualified", currency="USD"), bid("B", 100)], awards=[award("B")]
    ),  # other currency
    release("P6", bids=[bid("A", 90), bid("B", 90, "disqualified")], awards=[award("A")]),  # tie: the first is valid
    release(
        "P7", bids=[bid("B", 90, "disqualified"), bid("A", 90)], awards=[award("A")]
    ),  # tie: the first is disqualified
]


def test_r036_lowest_bid_disqualified():
    out, js = run(R036_FIXTURE, "R036")
    assert js["OCID"] == {"P1": {"R036": 1.0}, "P7": {"R036": 1.0}}
    assert out.population == 6  # P2 has no active award


# -- R038 ----------------------------------------------------------------------------------------------------------


def r038_process(ocid, buyer, bids):
    return release(ocid, buyer=buyer, procuring_entity="PE1", bids=bids)


R038_FIXTURE = [
    r038_process(
        "P1",
        "B1",
        [bid("T1", 1), bid("T2", 1), bid("T3", 1), bid("T4", 1), bid("T9", 1, "withdrawn"), bid("T9", 1, "invited")],
    ),
    *[
        r038_process(f"P{i}", f"B{i}", [bid("T1", 1), bid("T2", 1), bid("T3", 1), bid("T4", 1, "disqualified")])
        for i in range(2, 6)
    ],
    r038_process("P6", "B6", [bid("T5", 1, "disqualified"), bid("T6", 1, "disqualified")]),
    r038_process("P7", "B7", [bid("T1", 1)]),
]


def test_r038_excessive_disqualified_bids():
    # Buyers (submitted ≥ 2): B1 0/4, B2–B5 1/4, B6 2/2 (B7 has 1 submitted bid: below the minimum)
    #   sorted [0, .25, .25, .25, .25, 1], n = 6: q1 = 0 + 0.91667 × 0.25 = 0.229167;
    #   q3 = 0.25 + 0.08333 × 0.75 = 0.3125; upper = 0.3125 + 1.5 × 0.083333 = 0.4375 → B6 (1.0)
    # Procuring entity PE1: 6 disqualified / 23 submitted = 0.26087, a population of one: below the default
    #   minimum population (2), so no fence; with minimum_population = 1, as Cardinal: q1 = q3 = upper = 0.26087
    #   → flagged
    # Tenderers (submitted ≥ 2): T1 0/6, T2 0/5, T3 0/5, T4 4/5 → sorted [0, 0, 0, .8]:
    #   q1 = 0, q3 = 0 + 0.58333 × 0.8 = 0.466667, upper = 0.466667 + 0.7 = 1.166667 → none
    out, js = run(R038_FIXTURE, "R038")
    assert js["Buyer"] == {"B6": {"R038": 1.0}}
    assert "ProcuringEntity" not in js
    assert out.skipped == {"ProcuringEntity_population_too_small": 1}
    out, js = run(R038_FIXTURE, "R038", minimum_population=1)
    assert js["Buyer"] == {"B6": {"R038": 1.0}}
    assert js["ProcuringEntity"] == {"PE1": {"R038": pytest.approx(6 / 23)}}
    assert "Tenderer" not in js
    assert js["Meta"]["R038"] == {
        "Buyer_q1": 0.2292,
        "Buyer_q3": 0.3125,
        "Buyer_upper_fence": 0.4375,
        "ProcuringEntity_q1": 0.2609,
        "ProcuringEntity_q3": 0.2609,
        "ProcuringEntity_upper_fence": 0.2609,
        "Tenderer_q1": 0.0,
        "Tenderer_q3": 0.4667,
        "Tenderer_upper_fence": 1.1667,
    }


# -- R048 ----------------------------------------------------------------------------------------------------------


def r048_fixture():
    releases = []
    # S1: three processes, three items each, nine first-level classifications
    for i, codes in enumerate(
        (
            ["45000000", "33000000", "72000000"],
            ["79000000", "09000000", "15000000"],
            ["30000000", "34000000", "44000000"],
        )
    ):
        releases.append(release(f"S1-{i}", awards=[award("S1", items=codes)]))
    # S2–S4: one classification; S5–S7: two (two processes each)
    for s in ("S2", "S3", "S4"):
        releases += [release(f"{s}-{i}", awards=[award(s, items=["45100000"])]) for i in range(2)]
    for s in ("S5", "S6", "S7"):
        releases += [
            release(f"{s}-0", awards=[award(s, items=["45100000"])]),
            release(f"{s}-1", awards=[award(s, items=["33100000"])]),
        ]
    releases.append(
        release("S8-0", awards=[award("S8", items=["99000000", "98000000", "97000000", "96000000"])])
    )  # one process only
    releases.append(release("X1", awards=[award(["S2", "S9"], items=["11000000"])]))  # two suppliers: not counted
    releases.append(release("X2", awards=[award("S2", status="cancelled", items=["12000000"])]))  # not active
    return releases


def test_r048_heterogeneous_supplier():
    # lengths (≥ 2 processes): S2–S4 1, S5–S7 2, S1 9 → sorted [1, 1, 1, 2, 2, 2, 9], n = 7
    # q1: h = (7 + 1/3)·0.25 + 1/3 = 2.16667 → x₂ + 0.16667 (x₃ − x₂) = 1
    # q3: h = (7 + 1/3)·0.75 + 1/3 = 5.83333 → x₅ + 0.83333 (x₆ − x₅) = 2; upper = 2 + 1.5 × 1 = 3.5 → S1 (9)
    out, js = run(r048_fixture(), "R048", minimum_contracting_processes=2)
    assert js["Tenderer"] == {"S1": {"R048": 9.0}}
    assert js["Meta"]["R048"] == {"q1": 1.0, "q3": 2.0, "upper_fence": 3.5}
    assert out.population == 7
    # by default a supplier needs 20 processes: nobody is eligible — not computable, not 0
    out, js = run(r048_fixture(), "R048")
    assert out.not_computable.code == "redflags.population_empty"
    assert "Tenderer" not in js


# -- global exclusions and the output shape --------------------------------------------------------------------------


def test_global_exclusion_by_procurement_method_details():
    releases = [release("A", method="open", tenderers=1, details="随机抽取"), release("B", method="open", tenderers=1)]
    _out, js = run(releases, "R018", excluded_procurement_method_details="随机抽取")
    assert js["OCID"] == {"B": {"R018": 1.0}}


def test_cardinal_json_shape_for_all_indicators():
    extra = release("R035-1", bids=[bid("A", 100), bid("B", 90, "disqualified")], awards=[award("A")])
    snapshot, _ = ocds.read_ocds(jsonl([*R024_FIXTURE, extra]), workers=1)
    out = registry.run(snapshot, [i.code for i in registry.all_indicators() if i.family == registry.Family.CARDINAL])
    js = registry.cardinal_json(out.outputs)
    assert set(js) <= {"OCID", "Buyer", "ProcuringEntity", "Tenderer", "Meta"}
    assert all(
        isinstance(v, float)
        for group in ("OCID", "Tenderer")
        for item in js.get(group, {}).values()
        for v in item.values()
    )
    maps = registry.cardinal_json(out.outputs, maps=True)["Maps"]
    assert maps["ocid_tenderer_r024"] == {"P1": ["S", "W"]}
