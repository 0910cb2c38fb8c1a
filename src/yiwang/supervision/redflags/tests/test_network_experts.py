"""Network screens (co-bidding pairs, rotation, losers as subcontractors) and expert screens (affinity, score
deviation, leave one expert out), on frames built by hand; and the small statistics they use."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from yiwang.supervision.redflags.domain import registry, stats
from yiwang.supervision.redflags.domain.frames import make_snapshot


def snapshot(processes, *, panels=None, scores=None, subcontracts=None):
    """processes: {ocid: (winner, [bidders…])}; dates one day apart in the order given."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    tenders, bids, awards = [], [], []
    for i, (ocid, (winner, bidders)) in enumerate(processes.items()):
        tenders.append({"ocid": ocid, "tender_end": t0 + timedelta(days=i), "has_bids": True, "has_awards": True})
        bids += [
            {
                "ocid": ocid,
                "bid_id": f"{ocid}-{b}",
                "status": "valid",
                "amount": 100.0 + k,
                "currency": "CNY",
                "tenderer_ids": [b],
            }
            for k, b in enumerate(bidders)
        ]
        if winner:
            awards.append({"ocid": ocid, "award_id": f"{ocid}-a", "status": "active", "supplier_ids": [winner]})
    frames = {
        "tenders": pl.DataFrame(tenders),
        "bids": pl.DataFrame(bids),
        "awards": pl.DataFrame(awards) if awards else None,
    }
    for name, rows in (("panels", panels), ("scores", scores), ("subcontracts", subcontracts)):
        if rows:
            frames[name] = pl.DataFrame(rows)
    return make_snapshot(frames, currency="CNY")


def background(n=40, seed=5):
    rng = np.random.default_rng(seed)
    firms = [f"F{i:02d}" for i in range(30)]
    out = {}
    for i in range(n):
        chosen = list(rng.choice(firms, size=4, replace=False))
        out[f"BG{i:02d}"] = (chosen[int(rng.integers(0, 4))], chosen)
    return out


def test_co_bidding_pair_with_a_recurrent_winner():
    processes = background()
    for i in range(8):  # A and B bid together eight times; A wins seven
        processes[f"AB{i}"] = ("A" if i else "B", ["A", "B", f"F{i:02d}"])
    out = registry.run(snapshot(processes), ["NET-COBID"]).outputs["NET-COBID"]
    finding = next(f for f in out.findings if f.unit_id == "A|B")
    # T = 48 processes, n_A = n_B = 8, c = 8: lift = 8 · 48 / (8 · 8) = 6
    assert finding.value == pytest.approx(6.0)
    assert finding.evidence["recurrent_winner"] == "A"
    assert len(finding.evidence["wins_a"]) == 7
    assert finding.evidence["q_value"] <= 0.05
    # p = P(X ≥ 8) for X ~ Hypergeometric(48, 8, 8) = 1 / C(48, 8)
    assert finding.evidence["p_value"] == pytest.approx(1 / math.comb(48, 8))


def test_co_bidding_needs_a_population():
    out = registry.run(snapshot({"P1": ("A", ["A", "B"])}), ["NET-COBID"]).outputs["NET-COBID"]
    assert out.not_computable.code == "redflags.population_too_small"


def test_rotation_of_winners():
    processes = background()
    rotation = ["A", "B", "C", "A", "B", "C"]
    for i, w in enumerate(rotation):
        processes[f"R{i}"] = (w, ["A", "B", "C"])
    out = registry.run(snapshot(processes), ["NET-ROTATE"]).outputs["NET-ROTATE"]
    finding = next(f for f in out.findings if f.unit_id == "A|B|C")
    assert finding.evidence["wins"] == {"A": 2, "B": 2, "C": 2}
    assert finding.evidence["gini"] == 0.0
    assert finding.evidence["group_win_share"] == 1.0
    assert [s["winner"] for s in finding.evidence["sequence"]] == rotation


def test_one_dominant_winner_is_not_rotation():
    processes = {f"D{i}": ("A", ["A", "B", "C"]) for i in range(6)}
    out = registry.run(snapshot(processes), ["NET-ROTATE"]).outputs["NET-ROTATE"]
    assert not out.findings


def test_losers_hired_as_subcontractors():
    processes = {"P1": ("A", ["A", "B", "C"]), "P2": ("B", ["A", "B"])}
    subs = [
        {"ocid": "P1", "contractor_id": "A", "subcontractor_id": "B", "amount": 5000.0},  # B lost P1
        {"ocid": "P2", "contractor_id": "B", "subcontractor_id": "Z", "amount": 100.0},  # Z did not bid
    ]
    out = registry.run(snapshot(processes, subcontracts=subs), ["NET-SUBCON"]).outputs["NET-SUBCON"]
    assert out.flagged() == {"P1": 1.0}
    out = registry.run(snapshot(processes), ["NET-SUBCON"]).outputs["NET-SUBCON"]
    assert out.not_computable.code == "redflags.data_missing"


# -- experts -----------------------------------------------------------------------------------------------------


def test_expert_presence_raises_a_bidders_win_rate():
    processes, panels = {}, []
    for i in range(12):  # four bidders each time: a fair chance of 1/4
        ocid = f"E{i:02d}"
        with_e1 = i < 6
        processes[ocid] = ("A" if with_e1 else ["B", "C", "D", "A"][i % 4], ["A", "B", "C", "D"])
        panels += [
            {"ocid": ocid, "expert_id": x, "drawn": True}
            for x in (["E1", "E2", "E3"] if with_e1 else ["E4", "E5", "E6"])
        ]
    out = registry.run(snapshot(processes, panels=panels), ["EXP-AFFINITY"]).outputs["EXP-AFFINITY"]
    flagged = out.flagged()
    # with E1 on the panel A won 6 of 6; expected 6 × 1/4 = 1.5; P(X ≥ 6 | Poisson(1.5)) ≈ 0.0045
    assert set(flagged) >= {"E1"}
    item = next(
        i
        for i in next(f for f in out.findings if f.unit_id == "E1").evidence["favoured_bidders"]
        if i["tenderer"] == "A"
    )
    assert item["wins"] == 6
    assert item["expected_wins"] == 1.5
    assert item["lift"] == 4.0
    assert item["p_value"] == pytest.approx(stats.poisson_sf(6, 1.5))


def score_rows(ocid, table, subjective=True, max_points=20.0):
    return [
        {
            "ocid": ocid,
            "expert_id": e,
            "tenderer_id": t,
            "criterion_id": "tech",
            "score": s,
            "max_points": max_points,
            "subjective": subjective,
        }
        for e, row in table.items()
        for t, s in row.items()
    ]


def test_scoring_outliers_and_objective_disagreement():
    scores = score_rows("S1", {"E1": {"A": 18, "B": 10}, "E2": {"A": 11, "B": 10}, "E3": {"A": 10, "B": 11}})
    scores += score_rows("S1", {"E1": {"A": 5}, "E2": {"A": 5}, "E3": {"A": 4}}, subjective=False, max_points=5)
    for r in scores[-3:]:
        r["criterion_id"] = "price"
    out = registry.run(snapshot({"S1": ("A", ["A", "B"])}, scores=scores), ["EXP-DEVIATION"]).outputs["EXP-DEVIATION"]
    (finding,) = [f for f in out.findings if f.primary]
    kinds = {(d["expert"], d["tenderer"], d["criterion"]): d for d in finding.evidence["deviations"]}
    # E1 gave A 18; the others' median (11 + 10)/2 = 10.5; d = 7.5/20 = 0.375 ≥ 0.30
    assert kinds[("E1", "A", "tech")]["deviation"] == 0.375
    # objective price points: E3 gave 4 where the others gave 5: d = −1/5
    assert kinds[("E3", "A", "price")]["kind"] == "objective_disagreement"
    assert len(kinds) == 2


def test_leave_one_expert_out_winner_change():
    # averages: A (18 + 11 + 10)/3 = 13, B (10 + 12 + 14)/3 = 12 → A wins; without E1: A 10.5, B 13 → B
    scores = score_rows("S1", {"E1": {"A": 18, "B": 10}, "E2": {"A": 11, "B": 12}, "E3": {"A": 10, "B": 14}})
    out = registry.run(snapshot({"S1": ("A", ["A", "B"])}, scores=scores), ["EXP-PIVOT"]).outputs["EXP-PIVOT"]
    (finding,) = out.findings
    assert finding.evidence["expert"] == "E1"
    assert finding.evidence["winner"] == "A"
    assert finding.evidence["winner_without_expert"] == "B"
    assert finding.evidence["averages"] == {"A": 13.0, "B": 12.0}


def test_expert_screens_without_scores_are_not_computable():
    out = registry.run(snapshot({"S1": ("A", ["A", "B"])}), ["EXP-AFFINITY", "EXP-DEVIATION", "EXP-PIVOT"]).outputs
    assert {c: o.not_computable.code for c, o in out.items()} == dict.fromkeys(out, "redflags.data_missing")


# -- statistics --------------------------------------------------------------------------------------------------


def test_quantile_matches_numpy_median_unbiased():
    rng = np.random.default_rng(1)
    for n in (2, 3, 5, 8, 13, 50):
        x = rng.normal(size=n)
        for tau in (0.25, 0.5, 0.75):
            assert stats.quantile(x, tau) == pytest.approx(float(np.quantile(x, tau, method="median_unbiased")))
    assert math.isnan(stats.quantile([], 0.25))
    assert stats.quantile([7.0], 0.25) == 7.0 == stats.quantile([7.0], 0.75)


def test_tails_and_bh():
    assert stats.poisson_sf(0, 3.0) == 1.0
    assert stats.poisson_sf(2, 1.0) == pytest.approx(1 - math.exp(-1) * 2)
    assert stats.hypergeom_sf(1, 10, 3, 3) == pytest.approx(1 - math.comb(7, 3) / math.comb(10, 3))
    assert stats.bh_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])
    assert stats.gini([2, 2, 2]) == 0.0
    assert stats.gini([0, 0, 9]) == pytest.approx(2 / 3)
    assert stats.round4(0.00005) == 0.0001
    assert stats.round4(-0.00005) == -0.0001
    assert stats.round4(float("nan")) is None
