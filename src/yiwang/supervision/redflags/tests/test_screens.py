"""Price screens: each formula against a hand computation, a plain per-process reference implementation, and
properties (scale invariance, translation invariance where it holds, order invariance, thresholds → null)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.supervision.redflags.domain import registry, screens
from yiwang.supervision.redflags.domain.frames import make_snapshot


def table(*sections: list[float]) -> pl.DataFrame:
    rows = [{"ocid": f"S{i}", "amount": a} for i, amounts in enumerate(sections) for a in amounts]
    return screens.screens_table(pl.DataFrame(rows, schema={"ocid": pl.String, "amount": pl.Float64}))


def test_hand_computed_example():
    # bids 100, 110, 120, 150: mean 120, deviations −20 −10 0 30, Σd² = 1400, s² = 1400/3 = 466.667, s = 21.6025
    row = table([150, 100, 120, 110]).row(0, named=True)
    assert row["n"] == 4
    assert row["CV"] == pytest.approx(21.602469 / 120)  # s / mean = 0.180021
    assert row["SPD"] == pytest.approx(0.5)  # (150 − 100) / 100
    assert row["DIFFP"] == pytest.approx(0.1)  # (110 − 100) / 100
    # losing bids 110 120 150: mean 126.667, Σ(x − m)² = 866.667, s_L = √(866.667/2) = 20.8167
    assert row["RD"] == pytest.approx(10 / 20.816660)  # 0.480384
    assert row["RDNOR"] == pytest.approx(0.6)  # 3 × 10 / 50
    # Σd³ = −8000 − 1000 + 27000 = 18000; s³ = 466.667^1.5 = 10081.15; SKEW = 4/(3·2) × 18000/10081.15
    assert row["SKEW"] == pytest.approx(4 / 6 * 18000 / (1400 / 3) ** 1.5)  # 1.190333
    # Σd⁴ = 160000 + 10000 + 810000 = 980000; Σz⁴ = 980000 / 466.667² = 4.5
    # KURT = 4·5/(3·2·1) × 4.5 − 3·3²/(2·1) = 15 − 13.5 = 1.5
    assert row["KURT"] == pytest.approx(1.5)
    # KS: U = (b − 100)/50 = 0, .2, .4, 1; D⁺ = max(i/n − U) = max(.25, .30, .35, 0) = .35;
    # D⁻ = max(U − (i−1)/n) = max(0, −.05, −.1, .25) = .25 → 0.35
    assert row["KS"] == pytest.approx(0.35)


def test_too_few_bids_are_null_not_zero():
    t = table([100], [100, 120], [100, 110, 130])
    one, two, three = t.rows(named=True)
    for row in (one, two):
        assert all(row[s] is None for s in screens.SCREENS)
    assert three["KURT"] is None  # needs four bids
    assert all(three[s] is not None for s in screens.SCREENS if s != "KURT")


def test_equal_bids_have_zero_spread_and_no_shape():
    (row,) = table([200, 200, 200, 200, 200]).rows(named=True)
    assert row["CV"] == 0.0
    assert row["SPD"] == 0.0
    assert row["DIFFP"] == 0.0
    for s in ("RD", "RDNOR", "KURT", "SKEW", "KS"):
        assert row[s] is None


def test_large_amounts_with_tiny_differences_are_stable():
    (row,) = table([1e9, 1e9 + 1, 1e9 + 2, 1e9 + 3]).rows(named=True)
    assert row["RDNOR"] == pytest.approx(1.0)
    assert row["KS"] == pytest.approx(0.25)


def reference(amounts: list[float]) -> dict[str, float | None]:
    """The screens for one process, written plainly from the formulas."""
    b = sorted(amounts)
    n = len(b)
    out: dict[str, float | None] = dict.fromkeys(screens.SCREENS)
    if n < 3:
        return out
    mean = statistics.fmean(b)
    s = statistics.stdev(b)
    out["CV"] = s / mean
    out["SPD"] = (b[-1] - b[0]) / b[0]
    out["DIFFP"] = (b[1] - b[0]) / b[0]
    s_l = statistics.stdev(b[1:])
    out["RD"] = (b[1] - b[0]) / s_l if s_l > 0 else None
    spread = b[-1] - b[0]
    if spread > 0:
        out["RDNOR"] = (n - 1) * (b[1] - b[0]) / spread
        z = [(x - mean) / s for x in b]
        out["SKEW"] = n / ((n - 1) * (n - 2)) * sum(v**3 for v in z)
        if n >= 4:
            out["KURT"] = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * sum(v**4 for v in z) - 3 * (n - 1) ** 2 / (
                (n - 2) * (n - 3)
            )
        u = [(x - b[0]) / spread for x in b]
        out["KS"] = max(max((i + 1) / n - u[i], u[i] - i / n) for i in range(n))
    return out


amounts = st.lists(st.integers(min_value=1_000, max_value=10_000_000).map(lambda x: x / 100), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=6))
def test_vectorised_equals_the_plain_formulas(sections):
    t = table(*sections)
    for _i, row in enumerate(t.rows(named=True)):
        expected = reference(sections[int(row["ocid"][1:])])
        for s in screens.SCREENS:
            if expected[s] is None:
                assert row[s] is None or (s in ("RD",) and row[s] is None), (s, sections, row)
            else:
                assert row[s] == pytest.approx(expected[s], rel=1e-6, abs=1e-9), (s, row, expected)


@settings(max_examples=100, deadline=None)
@given(amounts.filter(lambda a: len(set(a)) >= 3), st.sampled_from([0.01, 0.5, 3.0, 1000.0]), st.randoms())
def test_scale_and_order_invariance(bids, factor, rnd):
    base = table(bids).row(0, named=True)
    shuffled = list(bids)
    rnd.shuffle(shuffled)
    scaled = table([x * factor for x in shuffled]).row(0, named=True)
    for s in screens.SCREENS:
        if base[s] is None:
            assert scaled[s] is None
        else:
            assert scaled[s] == pytest.approx(base[s], rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(amounts.filter(lambda a: len(set(a)) >= 3), st.sampled_from([1.0, 250.0, 1e5]))
def test_translation_invariance_of_the_shape_screens(bids, shift):
    base = table(bids).row(0, named=True)
    moved = table([x + shift for x in bids]).row(0, named=True)
    for s in ("RD", "RDNOR", "KURT", "SKEW", "KS"):  # CV, SPD and DIFFP are relative to the level: they change
        if base[s] is None:
            assert moved[s] is None
        else:
            assert moved[s] == pytest.approx(base[s], rel=1e-5, abs=1e-7)


@given(st.lists(st.integers(min_value=1, max_value=10**7).map(float), min_size=0, max_size=2))
def test_fewer_than_three_bids_are_never_computable(bids):
    if not bids:
        assert table().height == 0
        return
    row = table(bids).row(0, named=True)
    assert all(row[s] is None for s in screens.SCREENS)


def test_combined_score_ranks_the_cartel_shape_first():
    rng = np.random.default_rng(7)
    competitive = [list(rng.uniform(80, 120, 6)) for _ in range(30)]
    # an isolated low winner and tightly clustered cover bids: RD and DIFFP high, CV and SPD of L low
    cartel = [90.0, 100.0, 100.5, 101.0, 101.2, 101.5]
    t = table(cartel, *competitive)
    scored = t.with_columns(score=screens.combined_scores(t, 5)).sort("score", descending=True)
    assert scored.row(0, named=True)["ocid"] == "S0"


def snapshot_of(sections: dict[str, list[float]]):
    bids = [
        {"ocid": o, "bid_id": f"{o}-{i}", "status": "valid", "amount": a, "currency": "CNY", "tenderer_ids": [f"T{i}"]}
        for o, amounts in sections.items()
        for i, a in enumerate(amounts)
    ]
    return make_snapshot({"bids": pl.DataFrame(bids)}, currency="CNY")


def test_the_indicator_flags_upper_outliers_and_explains_them():
    rng = np.random.default_rng(3)
    sections = {f"C{i:02d}": list(rng.uniform(80, 120, 6)) for i in range(40)}
    sections["CARTEL"] = [90.0, 100.0, 100.5, 101.0, 101.2, 101.5]
    sections["SINGLE"] = [100.0]
    out = registry.run(snapshot_of(sections), ["SCREENS"]).outputs["SCREENS"]
    assert out.population == 42
    flagged = out.flagged()
    assert "CARTEL" in flagged
    finding = next(f for f in out.findings if f.unit_id == "CARTEL")
    assert set(finding.evidence["screens"]) == set(screens.SCREENS)
    assert finding.evidence["bids"][0]["amount"] == 90.0
    assert out.skipped["too_few_bids"] == 1
    single = out.per_unit.filter(pl.col("unit_id") == "SINGLE").row(0, named=True)
    assert single["value"] is None
    assert single["reason"] == "too_few_bids"


def test_the_indicator_on_a_tiny_or_empty_population_is_not_computable():
    out = registry.run(snapshot_of({"A": [100, 110, 130], "B": [5]}), ["SCREENS"]).outputs["SCREENS"]
    assert out.not_computable.code == "redflags.population_too_small"
    assert not out.findings
    out = registry.run(snapshot_of({}), ["SCREENS"]).outputs["SCREENS"]
    assert out.not_computable.code == "redflags.population_empty"
    out = registry.run(snapshot_of({"A": [1.0], "B": [2.0]}), ["SCREENS"]).outputs["SCREENS"]
    assert out.not_computable is not None
    assert not out.findings


def test_one_bid_per_bidder_the_lowest():
    snap = make_snapshot(
        {
            "bids": pl.DataFrame(
                [
                    {"ocid": "A", "bid_id": "1", "status": "valid", "amount": 100.0, "tenderer_ids": ["X"]},
                    {"ocid": "A", "bid_id": "2", "status": "valid", "amount": 90.0, "tenderer_ids": ["X"]},
                    {"ocid": "A", "bid_id": "3", "status": "disqualified", "amount": 50.0, "tenderer_ids": ["Y"]},
                    {"ocid": "A", "bid_id": "4", "status": "pending", "amount": 120.0, "tenderer_ids": ["Z"]},
                ]
            )
        }
    )
    used = screens.usable_bids(snap, {}).sort("amount")
    assert used.get_column("amount").to_list() == [90.0, 120.0]
    assert not math.isnan(used.get_column("amount").sum())
