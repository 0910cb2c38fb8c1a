"""Evaluation supervision: experts whose presence raises a bidder's win rate, scores that deviate from the rest of
the panel, and experts on whom the outcome hinged (leave one expert out).

Inputs (frames filled by the evaluation adapter once the evaluation app records them; tests build them):
``panels`` (ocid, expert_id, drawn) and ``scores`` (ocid, expert_id, tenderer_id, criterion_id, score,
max_points, subjective). Winners come from ``awards`` (active awards' suppliers); bidders from ``bids``.

Anchors: 《招标投标法实施条例》第41条②, 第49条; 财库〔2016〕198号; the 30 % deviation rate proposed for abnormal
scores by a provincial trading centre's study (reference/redflags.md §4).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any

import polars as pl

from yiwang.supervision.redflags.domain.frames import Snapshot
from yiwang.supervision.redflags.domain.network import participation, winners
from yiwang.supervision.redflags.domain.registry import (
    Family,
    Finding,
    Indicator,
    IndicatorOutput,
    Parameter,
    Unit,
    data_missing,
    population_empty,
    register,
)
from yiwang.supervision.redflags.domain.stats import bh_adjust, poisson_sf

BASIS = "《招标投标法实施条例》第41条②、第49条；《政府采购评审专家管理办法》（财库〔2016〕198号）"


# -- affinity: the expert's presence and the bidder's wins --------------------------------------------------------


def compute_affinity(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    panels = snapshot.frames["panels"]
    out = IndicatorOutput("EXP-AFFINITY")
    if not panels.height:
        out.not_computable = data_missing("panels", "评标委员会组成", "evaluation panels")
        return out
    if params["drawn_only"]:
        panels = panels.filter(pl.col("drawn").fill_null(False))
    part = participation(snapshot)
    n_bidders = part.group_by("ocid").agg(n=pl.len())
    won = winners(snapshot).rename({"winner": "tenderer_id"}).with_columns(won=pl.lit(1))
    joined = (
        panels.select("ocid", "expert_id")
        .unique()
        .join(part, on="ocid")
        .join(n_bidders, on="ocid")
        .join(won, on=["ocid", "tenderer_id"], how="left")
        .with_columns(pl.col("won").fill_null(0), expected=1.0 / pl.col("n"))
    )
    pairs = (
        joined.group_by(["expert_id", "tenderer_id"])
        .agg(
            together=pl.len(),
            observed=pl.col("won").sum(),
            expected=pl.col("expected").sum(),
            processes=pl.col("ocid").sort(),
        )
        .filter((pl.col("together") >= int(params["min_together"])) & (pl.col("observed") >= int(params["min_wins"])))
        .sort(["expert_id", "tenderer_id"])
    )
    out.population = pairs.height
    if not pairs.height:
        if not joined.height:
            out.not_computable = population_empty("专家与投标人同场的项目", "processes with both panels and bids")
        return out
    rows = pairs.to_dicts()
    pvalues = [poisson_sf(int(r["observed"]), float(r["expected"])) for r in rows]
    qvalues = bh_adjust(pvalues)
    favoured: dict[str, list[dict[str, Any]]] = {}
    for r, p, q in zip(rows, pvalues, qvalues, strict=True):
        if q <= float(params["alpha"]):
            favoured.setdefault(r["expert_id"], []).append(
                {
                    "tenderer": r["tenderer_id"],
                    "together": r["together"],
                    "wins": r["observed"],
                    "expected_wins": round(r["expected"], 4),
                    "lift": round(r["observed"] / r["expected"], 4) if r["expected"] else None,
                    "p_value": p,
                    "q_value": q,
                    "processes": r["processes"][:50],
                }
            )
    for expert in sorted(favoured):
        items = favoured[expert]
        out.findings.append(
            Finding(
                "EXP-AFFINITY",
                Unit.EXPERT,
                expert,
                max(i["lift"] or 0 for i in items),
                {"favoured_bidders": items, "alpha": float(params["alpha"]), "drawn_only": bool(params["drawn_only"])},
                related=tuple(("bidder", i["tenderer"]) for i in items),
            )
        )
    return out


register(
    Indicator(
        code="EXP-AFFINITY",
        name_zh="专家在场时特定投标人中标率异常高",
        name_en="Expert–bidder affinity",
        family=Family.EXPERT,
        units=(Unit.EXPERT,),
        basis=BASIS + "；随机抽取使专家在场成为外生变量",
        description_zh="对专家 e 与投标人 b：同场项目数 ≥ 最低值时，"
        "观察中标数 O 与期望 E = Σ1/nₜ（nₜ 为该项目投标人数）比较，"
        "泊松上尾概率经 Benjamini–Hochberg 校正后 q ≤ α 即预警。",
        description_en="For expert e and bidder b with enough joint processes: wins O against E = Σ1/nₜ; Poisson "
        "tail, BH-adjusted q ≤ alpha.",
        compute=compute_affinity,
        parameters=(
            Parameter("min_together", 3, "int", "同场项目数下限", "minimum joint processes", minimum=1),
            Parameter("min_wins", 2, "int", "中标数下限", "minimum wins", minimum=1),
            Parameter("alpha", 0.1, "float", "错误发现率 α", "false discovery rate", minimum=0, maximum=1),
            Parameter(
                "drawn_only",
                0,
                "int",
                "1 = 只计随机抽取的专家",
                "1 = randomly drawn experts only",
                minimum=0,
                maximum=1,
            ),
        ),
        needs=("panels", "bids", "awards"),
        weight=0.6,
        interpretation_zh="随机抽取下专家在场与否不应影响谁中标；持续的“专家在、某投标人就中”提示名单泄露或打招呼。",
    )
)


# -- score deviation (横向) ----------------------------------------------------------------------------------------


def deviations(scores: pl.DataFrame) -> pl.DataFrame:
    """Each score with its reference and d = (score − reference) / max_points: for a subjective criterion the
    median of the other experts' scores for the same bid, for an objective one the value most experts gave."""
    rows = []
    grouped = scores.group_by(["ocid", "tenderer_id", "criterion_id"], maintain_order=True).agg(
        pl.col("expert_id"), pl.col("score"), pl.col("max_points").first(), pl.col("subjective").first()
    )
    for g in grouped.iter_rows(named=True):
        experts, values = g["expert_id"], g["score"]
        if len(values) < 3:
            continue  # with two experts "the others" is one person: no panel to deviate from
        subjective = bool(g["subjective"]) if g["subjective"] is not None else True
        counts = Counter(values)
        majority, seen = counts.most_common(1)[0]
        for i, (expert, value) in enumerate(zip(experts, values, strict=True)):
            if subjective or seen * 2 <= len(values):
                median = statistics.median(values[:i] + values[i + 1 :])  # the rest of the panel
            else:
                median = majority  # objective points: the value most experts gave
            scale = g["max_points"] or max(max(values), 1.0)
            rows.append(
                {
                    "ocid": g["ocid"],
                    "tenderer_id": g["tenderer_id"],
                    "criterion_id": g["criterion_id"],
                    "expert_id": expert,
                    "score": value,
                    "others_median": median,
                    "max_points": scale,
                    "subjective": subjective,
                    "d": (value - median) / scale,
                }
            )
    schema = {
        "ocid": pl.String,
        "tenderer_id": pl.String,
        "criterion_id": pl.String,
        "expert_id": pl.String,
        "score": pl.Float64,
        "others_median": pl.Float64,
        "max_points": pl.Float64,
        "subjective": pl.Boolean,
        "d": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def compute_deviation(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    scores = snapshot.frames["scores"]
    out = IndicatorOutput("EXP-DEVIATION")
    if not scores.height:
        out.not_computable = data_missing("scores", "评分明细", "evaluation scores")
        return out
    dev = deviations(scores)
    out.population = dev.get_column("ocid").n_unique() if dev.height else 0
    if not dev.height:
        out.not_computable = population_empty("三名以上专家评分的项目", "processes scored by three or more experts")
        return out
    rate = float(params["rate"])
    bad = dev.filter(
        (pl.col("subjective") & (pl.col("d").abs() >= rate)) | (~pl.col("subjective") & (pl.col("d").abs() > 1e-9))
    ).sort(["ocid", "expert_id", "tenderer_id", "criterion_id"])
    for (ocid,), rows in bad.group_by(["ocid"], maintain_order=True):
        items = [
            {
                "expert": r["expert_id"],
                "tenderer": r["tenderer_id"],
                "criterion": r["criterion_id"],
                "score": r["score"],
                "others_median": r["others_median"],
                "max_points": r["max_points"],
                "deviation": round(r["d"], 4),
                "kind": "subjective_outlier" if r["subjective"] else "objective_disagreement",
            }
            for r in rows.iter_rows(named=True)
        ]
        experts = sorted({i["expert"] for i in items})
        out.findings.append(
            Finding(
                "EXP-DEVIATION",
                Unit.PROCESS,
                ocid,
                max(abs(i["deviation"]) for i in items),
                {"deviations": items, "rate": rate},
                ocid=ocid,
                related=tuple(("expert", e) for e in experts),
            )
        )
        for e in experts:
            out.findings.append(
                Finding("EXP-DEVIATION", Unit.EXPERT, e, None, {"ocid": ocid}, ocid=ocid, primary=False)
            )
    return out


register(
    Indicator(
        code="EXP-DEVIATION",
        name_zh="专家评分畸高畸低",
        name_en="Scoring outliers",
        family=Family.EXPERT,
        units=(Unit.PROCESS, Unit.EXPERT),
        basis=BASIS + "；评分偏离率 30% 的异常认定建议",
        description_zh="d =（专家评分 − 其他专家评分中位数）/ 该项满分；"
        "主观分 |d| ≥ 偏离率（缺省 30%）即预警，客观分任何不一致都预警。",
        description_en="d = (score − median of the other experts) / max points; subjective |d| ≥ rate, objective any "
        "disagreement.",
        compute=compute_deviation,
        parameters=(Parameter("rate", 0.30, "float", "偏离率阈值", "deviation rate", minimum=0.01, maximum=1),),
        needs=("scores",),
        weight=0.5,
        interpretation_zh="个别专家对特定投标人打分显著偏离其他专家，可能存在倾向性；客观分不一致通常是评审错误。",
    )
)


# -- leave one expert out ---------------------------------------------------------------------------------------


def _ranking(totals: dict[str, float]) -> str | None:
    if not totals:
        return None
    best = max(totals.values())
    leaders = sorted(t for t, v in totals.items() if abs(v - best) < 1e-9)
    return leaders[0] if len(leaders) == 1 else None


def compute_pivot(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    scores = snapshot.frames["scores"]
    out = IndicatorOutput("EXP-PIVOT")
    if not scores.height:
        out.not_computable = data_missing("scores", "评分明细", "evaluation scores")
        return out
    per_expert = scores.group_by(["ocid", "expert_id", "tenderer_id"]).agg(total=pl.col("score").sum())
    computed = 0
    for (ocid,), rows in per_expert.sort(["ocid", "expert_id", "tenderer_id"]).group_by(["ocid"], maintain_order=True):
        table: dict[str, dict[str, float]] = {}
        for r in rows.iter_rows(named=True):
            table.setdefault(r["expert_id"], {})[r["tenderer_id"]] = r["total"]
        experts = sorted(table)
        if len(experts) < 3:
            continue
        computed += 1
        tenderers = sorted({t for v in table.values() for t in v})

        def averaged(panel: list[str], tenderers: list[str] = tenderers, table: dict = table) -> dict[str, float]:
            return {t: sum(table[e].get(t, 0.0) for e in panel) / len(panel) for t in tenderers}

        full = averaged(experts)
        winner = _ranking(full)
        if winner is None:
            continue
        for e in experts:
            without = averaged([x for x in experts if x != e])
            other = _ranking(without)
            if other is not None and other != winner:
                out.findings.append(
                    Finding(
                        "EXP-PIVOT",
                        Unit.PROCESS,
                        ocid,
                        1.0,
                        {
                            "expert": e,
                            "winner": winner,
                            "winner_without_expert": other,
                            "averages": {t: round(v, 4) for t, v in full.items()},
                            "averages_without_expert": {t: round(v, 4) for t, v in without.items()},
                            "expert_totals": {t: table[e].get(t) for t in tenderers},
                        },
                        ocid=ocid,
                        related=(("expert", e), ("bidder", winner), ("bidder", other)),
                    )
                )
    out.population = computed
    if not computed:
        out.not_computable = population_empty("三名以上专家评分的项目", "processes scored by three or more experts")
    return out


register(
    Indicator(
        code="EXP-PIVOT",
        name_zh="去掉一名专家后中标人改变",
        name_en="Leave-one-expert-out winner change",
        family=Family.EXPERT,
        units=(Unit.PROCESS,),
        basis=BASIS,
        description_zh="各投标人得分取专家总分的平均；逐一去掉一名专家重新排名，第一名改变即说明结果取决于该专家（“一言堂”）。",
        description_en="Averages of the experts' totals; removing one expert at a time changes the first place.",
        compute=compute_pivot,
        needs=("scores",),
        weight=0.55,
        interpretation_zh="结果取决于单个专家本身不违规；与该专家评分偏离同时出现时应优先核查。",
    )
)
