"""Repeated-interaction screens: co-bidding pairs (with a recurrent winner), rotation of winners, losers who
become subcontractors. OCP R053, R057, R070; Conley & Decarolis (2016) coordinated entry; OECD checklist."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import polars as pl

from yiwang.supervision.redflags.domain.frames import Snapshot, bid_tenderers
from yiwang.supervision.redflags.domain.registry import (
    Family,
    Finding,
    Indicator,
    IndicatorOutput,
    Parameter,
    Unit,
    data_missing,
    population_too_small,
    register,
)
from yiwang.supervision.redflags.domain.stats import bh_adjust, gini, hypergeom_sf

NOT_SUBMITTED = ("invited", "withdrawn")


def participation(snapshot: Snapshot, max_bidders: int | None = None) -> pl.DataFrame:
    """Distinct (process, bidder) of submitted bids; processes with more than ``max_bidders`` bidders dropped
    (pairs grow as n²)."""
    bids = snapshot.bids.filter(pl.col("status").is_not_null() & ~pl.col("status").is_in(list(NOT_SUBMITTED)))
    part = bid_tenderers(bids).select("ocid", "tenderer_id").unique()
    if max_bidders is not None:
        part = part.filter(pl.len().over("ocid") <= max_bidders)
    return part


def winners(snapshot: Snapshot) -> pl.DataFrame:
    """(process, winner) of active awards."""
    return (
        snapshot.awards.filter(pl.col("status") == "active")
        .explode("supplier_ids")
        .select("ocid", winner="supplier_ids")
        .drop_nulls()
        .unique()
    )


def process_dates(snapshot: Snapshot) -> pl.DataFrame:
    awarded = snapshot.awards.group_by("ocid").agg(award_date=pl.col("date").min())
    return (
        snapshot.tenders.select("ocid", "tender_end")
        .join(awarded, on="ocid", how="left")
        .select("ocid", date=pl.coalesce("tender_end", "award_date"))
    )


def pair_counts(part: pl.DataFrame) -> pl.DataFrame:
    """c(a, b) = processes in which both a and b bid (a < b)."""
    left = part.rename({"tenderer_id": "a"})
    right = part.rename({"tenderer_id": "b"})
    return (
        left.join(right, on="ocid")
        .filter(pl.col("a") < pl.col("b"))
        .group_by(["a", "b"])
        .agg(c=pl.len(), processes=pl.col("ocid").sort())
    )


# -- co-bidding pairs ---------------------------------------------------------------------------------------------


def compute_cobidding(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    part = participation(snapshot, int(params["max_bidders"]))
    out = IndicatorOutput("NET-COBID")
    processes = part.get_column("ocid").n_unique()
    if processes < int(params["min_processes"]):
        out.not_computable = population_too_small(
            processes, int(params["min_processes"]), "有投标的项目", "processes with bids"
        )
        return out
    per_bidder = part.group_by("tenderer_id").agg(n=pl.len())
    pairs = pair_counts(part).filter(pl.col("c") >= int(params["min_co_bids"]))
    pairs = (
        pairs.join(per_bidder.rename({"tenderer_id": "a", "n": "n_a"}), on="a")
        .join(per_bidder.rename({"tenderer_id": "b", "n": "n_b"}), on="b")
        .with_columns(lift=pl.col("c") * processes / (pl.col("n_a") * pl.col("n_b")))
        .sort(["a", "b"])
    )
    out.population = pairs.height
    out.meta = {"processes": float(processes), "pairs_tested": float(pairs.height)}
    if not pairs.height:
        return out
    rows = pairs.to_dicts()
    pvalues = [hypergeom_sf(r["c"], processes, r["n_a"], r["n_b"]) for r in rows]
    qvalues = bh_adjust(pvalues)
    won = winners(snapshot)
    win_sets: dict[str, set[str]] = {}
    for w in won.iter_rows(named=True):
        win_sets.setdefault(w["winner"], set()).add(w["ocid"])
    for r, p, q in zip(rows, pvalues, qvalues, strict=True):
        if q > float(params["alpha"]) or r["lift"] < float(params["min_lift"]):
            continue
        together = r["processes"]
        wins_a = sorted(set(together) & win_sets.get(r["a"], set()))
        wins_b = sorted(set(together) & win_sets.get(r["b"], set()))
        recurrent = None
        for who, wins in ((r["a"], wins_a), (r["b"], wins_b)):
            if together and len(wins) / len(together) >= float(params["recurrent_share"]):
                recurrent = who
        evidence = {
            "together": r["c"],
            "bids_a": r["n_a"],
            "bids_b": r["n_b"],
            "processes_in_snapshot": processes,
            "lift": round(r["lift"], 4),
            "p_value": p,
            "q_value": q,
            "processes": together[:50],
            "wins_a": wins_a[:50],
            "wins_b": wins_b[:50],
            "recurrent_winner": recurrent,
        }
        out.findings.append(
            Finding(
                "NET-COBID",
                Unit.BIDDER_PAIR,
                f"{r['a']}|{r['b']}",
                r["lift"],
                evidence,
                related=(("bidder", r["a"]), ("bidder", r["b"])),
                severity=1.0 if recurrent else 0.7,
            )
        )
    return out


register(
    Indicator(
        code="NET-COBID",
        name_zh="共同投标频繁的投标人对",
        name_en="Co-bidding pairs",
        family=Family.NETWORK,
        units=(Unit.BIDDER_PAIR,),
        basis="OCP R053（共同投标且中标人固定）；Conley & Decarolis (2016) AEJ:Micro 协同进入检验；OECD 反串通投标指南",
        description_zh="两投标人共同投标的项目数 c ≥ 最低值，提升度 lift = c·T/(nₐ·n_b) ≥ 阈值，"
        "超几何分布上尾概率经 Benjamini–Hochberg 校正后 q ≤ α；共同投标中一方中标占比 ≥ θ 时标明“固定中标人”。",
        description_en="Pairs bidding together in c processes with lift ≥ min_lift and BH-adjusted hypergeometric "
        "q ≤ alpha; a recurrent winner is named when one wins ≥ θ of their joint processes.",
        compute=compute_cobidding,
        parameters=(
            Parameter("min_co_bids", 3, "int", "至少共同投标的项目数", "minimum joint processes", minimum=2),
            Parameter("min_lift", 2.0, "float", "提升度下限", "minimum lift", minimum=1),
            Parameter("alpha", 0.05, "float", "错误发现率 α", "false discovery rate", minimum=0, maximum=1),
            Parameter(
                "recurrent_share",
                0.8,
                "float",
                "“固定中标人”的中标占比 θ",
                "recurrent winner share",
                minimum=0.5,
                maximum=1,
            ),
            Parameter(
                "max_bidders",
                50,
                "int",
                "投标人多于此数的项目不计入（n² 增长）",
                "processes with more bidders are skipped",
                minimum=2,
            ),
            Parameter("min_processes", 10, "int", "快照至少的项目数", "minimum processes in the snapshot", minimum=2),
        ),
        min_population=10,
        needs=("bids", "awards"),
        weight=0.45,
        interpretation_zh="总是一起出现的投标人可能是围标组合；若其中一方总中标，另一方多为陪标。",
    )
)


# -- rotation -----------------------------------------------------------------------------------------------------


def _components(edges: list[tuple[str, str]]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return [sorted(g) for g in groups.values()]


def compute_rotation(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    part = participation(snapshot, int(params["max_bidders"]))
    out = IndicatorOutput("NET-ROTATE")
    won = winners(snapshot)
    if not won.height:
        out.not_computable = data_missing("awards", "中标结果", "award results")
        return out
    pairs = pair_counts(part).filter(pl.col("c") >= int(params["min_processes"]))
    groups = [
        g
        for g in _components([(r[0], r[1]) for r in pairs.select("a", "b").iter_rows()])
        if 2 <= len(g) <= int(params["max_group"])
    ]
    out.population = len(groups)
    dates = process_dates(snapshot)
    for group in groups:
        members = set(group)
        g_part = part.filter(pl.col("tenderer_id").is_in(group))
        joint = (
            g_part.group_by("ocid").agg(members=pl.col("tenderer_id").sort()).filter(pl.col("members").list.len() >= 2)
        )
        if joint.height < int(params["min_processes"]):
            continue
        group_won = won.filter(pl.col("winner").is_in(group)).group_by("ocid").agg(pl.col("winner").sort().first())
        joint = (
            joint.join(group_won, on="ocid", how="left")
            .join(dates, on="ocid", how="left")
            .sort(["date", "ocid"], nulls_last=True)
        )
        sequence = [
            {
                "ocid": r["ocid"],
                "date": r["date"].isoformat() if r["date"] else None,
                "winner": r["winner"],
                "bidders": r["members"],
            }
            for r in joint.iter_rows(named=True)
        ]
        wins = {m: sum(1 for s in sequence if s["winner"] == m) for m in group}
        group_share = sum(wins.values()) / len(sequence)
        g = gini(list(wins.values()))
        if group_share >= float(params["group_share"]) and min(wins.values()) >= 1 and g <= float(params["max_gini"]):
            ordered = [s["winner"] for s in sequence if s["winner"] in members]
            repeats = sum(1 for x, y in itertools.pairwise(ordered) if x == y)
            out.findings.append(
                Finding(
                    "NET-ROTATE",
                    Unit.BIDDER_GROUP,
                    "|".join(group),
                    group_share,
                    {
                        "members": group,
                        "joint_processes": len(sequence),
                        "wins": wins,
                        "group_win_share": round(group_share, 4),
                        "gini": round(g, 4),
                        "consecutive_repeats": repeats,
                        "sequence": sequence[:60],
                    },
                    related=tuple(("bidder", m) for m in group),
                )
            )
    return out


register(
    Indicator(
        code="NET-ROTATE",
        name_zh="轮流中标",
        name_en="Rotation of winners",
        family=Family.NETWORK,
        units=(Unit.BIDDER_GROUP,),
        basis="OCP R057（bid rotation）；OECD 反串通投标指南（轮流中标）；《招标投标法实施条例》第39条（约定中标人）",
        description_zh="经常共同投标的投标人组（共同投标 ≥ 最低项目数的连通组）在共同参与的项目中，"
        "组内中标占比 ≥ 阈值、"
        "每个成员至少中标一次、中标次数的基尼系数 ≤ 上限（轮流而非一家独大）。",
        description_en="Groups of frequent co-bidders that win most joint processes, each member at least once, "
        "with near-equal win counts (Gini ≤ max).",
        compute=compute_rotation,
        parameters=(
            Parameter("min_processes", 4, "int", "组内共同参与的最少项目数", "minimum joint processes", minimum=2),
            Parameter("group_share", 0.8, "float", "组内中标占比下限", "group win share", minimum=0, maximum=1),
            Parameter(
                "max_gini", 0.35, "float", "中标次数基尼系数上限", "maximum Gini of win counts", minimum=0, maximum=1
            ),
            Parameter("max_group", 8, "int", "组的最大人数", "largest group", minimum=2),
            Parameter(
                "max_bidders",
                50,
                "int",
                "投标人多于此数的项目不计入",
                "processes with more bidders are skipped",
                minimum=2,
            ),
        ),
        needs=("bids", "awards"),
        weight=0.5,
        interpretation_zh="同一批企业轮流坐庄是串通投标的经典形态；核对各次报价是否“陪标者高价”。",
    )
)


# -- losers who become subcontractors ----------------------------------------------------------------------------


def compute_subcontract(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    subs = snapshot.frames["subcontracts"]
    out = IndicatorOutput("NET-SUBCON")
    if not subs.height:
        out.not_computable = data_missing("subcontracts", "分包", "subcontracts")
        return out
    out.population = subs.get_column("ocid").n_unique()
    part = participation(snapshot)
    won = winners(snapshot)
    losers = part.join(won.rename({"winner": "tenderer_id"}), on=["ocid", "tenderer_id"], how="anti")
    hits = subs.join(
        losers.rename({"tenderer_id": "subcontractor_id"}), on=["ocid", "subcontractor_id"], how="semi"
    ).sort(["ocid", "subcontractor_id"])
    for (ocid,), rows in hits.group_by(["ocid"], maintain_order=True):
        items = [
            {"contractor": r["contractor_id"], "subcontractor": r["subcontractor_id"], "amount": r["amount"]}
            for r in rows.iter_rows(named=True)
        ]
        ids = sorted({i["contractor"] for i in items} | {i["subcontractor"] for i in items})
        out.findings.append(
            Finding(
                "NET-SUBCON",
                Unit.PROCESS,
                ocid,
                float(len(items)),
                {"subcontracts": items},
                ocid=ocid,
                related=tuple(("bidder", t) for t in ids),
            )
        )
    return out


register(
    Indicator(
        code="NET-SUBCON",
        name_zh="未中标人成为分包人",
        name_en="Losing bidders hired as subcontractors",
        family=Family.NETWORK,
        units=(Unit.PROCESS,),
        basis="OCP R070；OECD 反串通投标指南（中标人将工程分包给未中标人）",
        description_zh="同一项目中未中标的投标人成为中标人的分包人。",
        description_en="A losing bidder of a process is a subcontractor of its contractor.",
        compute=compute_subcontract,
        needs=("bids", "awards", "subcontracts"),
        weight=0.6,
        interpretation_zh="陪标的回报常以分包形式兑现；核对分包合同签订时间与金额。",
    )
)
