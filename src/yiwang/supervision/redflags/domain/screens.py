"""Price-distribution screens per process (Imhof; Huber & Imhof; Wallimann, Imhof & Huber), vectorised.

For a process with valid bids b₁ ≤ b₂ ≤ … ≤ bₙ (mean b̄, sample standard deviation s, losing bids L = b₂…bₙ):

======  =========================================================  ==========  =====================
screen  formula                                                    collusion   computable when
======  =========================================================  ==========  =====================
CV      s / b̄                                                      low         n ≥ 3
SPD     (bₙ − b₁) / b₁                                             low         n ≥ 3, b₁ > 0
DIFFP   (b₂ − b₁) / b₁                                             high        n ≥ 3, b₁ > 0
RD      (b₂ − b₁) / s_L   (s_L: sample sd of the losing bids)      high        n ≥ 3, s_L > 0
RDNOR   (n − 1)(b₂ − b₁) / (bₙ − b₁)                               high        n ≥ 3, bₙ > b₁
KURT    n(n+1)/((n−1)(n−2)(n−3)) Σzᵢ⁴ − 3(n−1)²/((n−2)(n−3))       high        n ≥ 4, s > 0
SKEW    n/((n−1)(n−2)) Σzᵢ³                (zᵢ = (bᵢ − b̄)/s)       low         n ≥ 3, s > 0
KS      sup |F̂ₙ(x) − U(x)|, U uniform on [b₁, bₙ]                  high        n ≥ 3, bₙ > b₁
======  =========================================================  ==========  =====================

A value that cannot be computed is null with its reason, never 0. The combined score of a process is the mean,
over the screens it has, of the screen's robust z-score in the population, oriented so that positive looks
collusive (low CV, high RD …); it is flagged when it is an upper Tukey outlier of all scores (or ≥
``score_threshold`` when set) and has at least ``min_screens`` screens.

Implementation: one sort by (process, amount), then NumPy ``reduceat`` over the sorted arrays (no per-process
Python); ranks by Polars. 10 M bids in 2 M processes run in a few seconds on two cores (bench/redflags_bench.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from yiwang.supervision.redflags.domain.frames import Snapshot, bid_tenderers
from yiwang.supervision.redflags.domain.registry import (
    Family,
    Finding,
    Indicator,
    IndicatorOutput,
    NotComputable,
    Parameter,
    Unit,
    population_empty,
    population_too_small,
    register,
)
from yiwang.supervision.redflags.domain.stats import tukey

SCREENS = ("CV", "SPD", "DIFFP", "RD", "RDNOR", "KURT", "SKEW", "KS")
# +1: a high value looks collusive; −1: a low value does
ORIENTATION = {"CV": -1, "SPD": -1, "DIFFP": 1, "RD": 1, "RDNOR": 1, "KURT": 1, "SKEW": -1, "KS": 1}
MIN_BIDS = {"CV": 3, "SPD": 3, "DIFFP": 3, "RD": 3, "RDNOR": 3, "KURT": 4, "SKEW": 3, "KS": 3}
SCREEN_LABELS_ZH = {
    "CV": "变异系数",
    "SPD": "报价极差率",
    "DIFFP": "最低两价差率",
    "RD": "相对距离",
    "RDNOR": "标准化相对距离",
    "KURT": "峰度",
    "SKEW": "偏度",
    "KS": "KS 统计量（与均匀分布）",
}
USABLE_STATUSES = ("valid", "pending")

REASONS = {
    "too_few_bids": ("有效报价不足 3 个，无法计算", "fewer than 3 valid bids: not computable"),
    "too_few_bids_for_kurt": ("有效报价不足 4 个，峰度无法计算", "fewer than 4 valid bids: no kurtosis"),
    "zero_lowest": ("最低报价为 0，无法计算比率", "the lowest bid is 0: not computable"),
    "zero_dispersion": ("报价无离散（全部相同），无法计算", "no dispersion (equal bids): not computable"),
    "zero_losing_dispersion": ("未中标报价无离散，无法计算", "no dispersion among losing bids: not computable"),
}


def _sorted(section: np.ndarray, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The bids sorted by (process, amount), as (process codes, amounts, unit). When every amount is a whole
    number of fen (hundredths: money as the platform keeps it), amounts in fen are packed with the process code
    into one 64-bit key — one single-key sort instead of a two-key sort, three to six times faster on 10 M bids;
    otherwise both keys are sorted, exactly."""
    scaled = amount * 100.0
    fen = np.rint(scaled)
    code_bits = max(1, int(section.max()).bit_length()) if section.size else 1
    fen_bits = 62 - code_bits
    whole = bool(np.all(np.abs(scaled - fen) <= 1e-3))  # a thousandth of a fen: float noise, not a fraction
    if whole and section.min() >= 0 and fen.min() >= 0 and fen.max() < 2.0**fen_bits:
        key = (section.astype(np.int64) << np.int64(fen_bits)) | fen.astype(np.int64)
        key = pl.Series(key).sort().to_numpy()
        return key >> np.int64(fen_bits), (key & np.int64((1 << fen_bits) - 1)).astype(np.float64), 100.0
    df = pl.DataFrame({"s": section, "b": amount}).sort(["s", "b"])
    return df.get_column("s").to_numpy(), df.get_column("b").to_numpy().astype(np.float64), 1.0


def screen_frame(section: np.ndarray, amount: np.ndarray) -> dict[str, np.ndarray]:
    """Screens for bids given as (process code, amount) arrays, any order. Process codes are non-negative integers.

    Returns arrays over the distinct processes (in ascending code order): ``section``, ``n`` and each screen
    (NaN where not computable), plus ``b1``, ``b2``, ``bn``, ``mean``, ``sd``, ``sd_losing`` (in the amounts' unit)."""
    if section.size == 0:
        empty = np.zeros(0)
        names = (*SCREENS, "b1", "b2", "bn", "mean", "sd", "sd_losing")
        return {"section": section[:0], "n": np.zeros(0, dtype=np.int64), **dict.fromkeys(names, empty)}
    s, b, unit = _sorted(section, amount)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    n = np.diff(np.append(starts, s.size)).astype(np.int64)
    ends = starts + n - 1
    nf = n.astype(np.float64)
    total = np.add.reduceat(b, starts)
    mean = total / nf
    # per-bid work in place, broadcasting per-process values with np.repeat (faster than fancy indexing)
    d = np.repeat(mean, n)
    np.subtract(b, d, out=d)  # d = b − mean
    work = d * d  # d²
    m2 = np.add.reduceat(work, starts)
    np.multiply(work, d, out=d)  # d = d³ (d is no longer needed)
    m3 = np.add.reduceat(d, starts)
    np.multiply(work, work, out=work)  # d⁴
    m4 = np.add.reduceat(work, starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = m2 / (nf - 1.0)
        sd = np.sqrt(var)
        b1 = b[starts]
        b2 = np.where(n >= 2, b[np.minimum(starts + 1, ends)], np.nan)
        bn = b[ends]
        spread = bn - b1
        # losing bids (all but the lowest): their own mean and squared deviations (a second pass: the shortcut
        # through the full sums loses the precision RD needs when the losing bids nearly coincide)
        mean_l = (total - b1) / (nf - 1.0)
        np.subtract(b, np.repeat(mean_l, n), out=work)
        work[starts] = 0.0
        np.multiply(work, work, out=work)
        m2_l = np.add.reduceat(work, starts)
        sd_l = np.sqrt(m2_l / (nf - 2.0))
        z3 = m3 / (sd**3)
        z4 = m4 / (var * var)
        cv = sd / mean
        spd = spread / b1
        diffp = (b2 - b1) / b1
        rd = (b2 - b1) / sd_l
        rdnor = (nf - 1.0) * (b2 - b1) / spread
        kurt = nf * (nf + 1.0) / ((nf - 1.0) * (nf - 2.0) * (nf - 3.0)) * z4 - 3.0 * (nf - 1.0) ** 2 / (
            (nf - 2.0) * (nf - 3.0)
        )
        skew = nf / ((nf - 1.0) * (nf - 2.0)) * z3
        # KS against the uniform on [b1, bn]: D = max_i max(i/n − U(bᵢ), U(bᵢ) − (i−1)/n); with
        # D⁺ᵢ = i/n − U(bᵢ), the second term is 1/n − D⁺ᵢ
        inv_n = np.repeat(1.0 / nf, n)
        rank = np.arange(1.0, s.size + 1.0) - np.repeat(starts.astype(np.float64), n)  # i = 1 … n in each process
        np.multiply(rank, inv_n, out=rank)  # i/n
        np.subtract(b, np.repeat(b1, n), out=work)
        np.multiply(work, np.repeat(1.0 / spread, n), out=work)  # U(bᵢ)
        np.subtract(rank, work, out=rank)  # D⁺ᵢ
        np.subtract(inv_n, rank, out=work)  # 1/n − D⁺ᵢ
        np.maximum(rank, work, out=rank)
        ks = np.maximum.reduceat(rank, starts)
    # tiny dispersions relative to the amounts are rounding noise, not dispersion
    eps = 1e-12 * np.maximum(np.abs(mean), 1.0)
    flat = spread <= eps
    flat_l = ~(sd_l > eps)
    out = {
        "CV": np.where((n >= 3) & (mean != 0), cv, np.nan),
        "SPD": np.where((n >= 3) & (b1 > 0), spd, np.nan),
        "DIFFP": np.where((n >= 3) & (b1 > 0), diffp, np.nan),
        "RD": np.where((n >= 3) & ~flat_l, rd, np.nan),
        "RDNOR": np.where((n >= 3) & ~flat, rdnor, np.nan),
        "KURT": np.where((n >= 4) & ~flat, kurt, np.nan),
        "SKEW": np.where((n >= 3) & ~flat, skew, np.nan),
        "KS": np.where((n >= 3) & ~flat, ks, np.nan),
    }
    return {
        "section": s[starts],
        "n": n,
        **out,
        "b1": b1 / unit,
        "b2": b2 / unit,
        "bn": bn / unit,
        "mean": mean / unit,
        "sd": np.where(n >= 2, sd, np.nan) / unit,
        "sd_losing": np.where(n >= 3, sd_l, np.nan) / unit,
    }


def combined_score_array(columns: dict[str, np.ndarray], min_screens: int) -> np.ndarray:
    """The combined score of each process: the mean, over the screens it has, of the screen's robust z-score in
    the population, oriented so that positive looks collusive — z = ±(x − median) / (1.4826 · MAD), clipped to
    ±6 so one extreme screen cannot carry the score; NaN below ``min_screens`` screens. A screen whose MAD is 0
    (most values equal) contributes 0. ``columns``: the screens as float arrays, NaN where not computable."""
    size = len(next(iter(columns.values()))) if columns else 0
    total = np.zeros(size)
    count = np.zeros(size)
    for screen in SCREENS:
        x = np.asarray(columns[screen], dtype=np.float64)
        ok = ~np.isnan(x)
        values = x[ok]
        if not values.size:
            continue
        median = np.median(values)
        mad = np.median(np.abs(values - median)) * 1.4826
        if mad > 0:
            z = np.zeros(size)
            z[ok] = np.clip((values - median) / mad * ORIENTATION[screen], -6.0, 6.0)
            total += z
        count += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_screens, total / count, np.nan)


def combined_scores(values: pl.DataFrame, min_screens: int) -> pl.Series:
    """:func:`combined_score_array` over a table of screens (null = not computable); null where no score."""
    columns = {s: values.get_column(s).cast(pl.Float64).fill_null(np.nan).to_numpy() for s in SCREENS}
    return pl.Series("score", combined_score_array(columns, min_screens)).fill_nan(None)


def screens_table(bids: pl.DataFrame) -> pl.DataFrame:
    """Per process: ``ocid, n`` and the eight screens (null = not computable), with ``b1 b2 bn mean sd sd_losing``.
    ``bids``: ``ocid`` and ``amount`` of the usable bids."""
    codes = bids.select(pl.col("ocid").cast(pl.Categorical).to_physical().alias("code"), "ocid", "amount")
    arrays = screen_frame(codes.get_column("code").to_numpy().astype(np.int64), codes.get_column("amount").to_numpy())
    lookup = codes.select("code", "ocid").unique("code")
    table = (
        pl.DataFrame({k: v for k, v in arrays.items()})
        .rename({"section": "code"})
        .with_columns([pl.col(c).fill_nan(None) for c in (*SCREENS, "b2", "sd", "sd_losing")])
    )
    table = table.with_columns(pl.col("code").cast(lookup.schema["code"]))
    return lookup.join(table, on="code").drop("code").sort("ocid")


def usable_bids(snapshot: Snapshot, params: Mapping[str, Any]) -> pl.DataFrame:
    """One amount per (process, tenderer): the lowest of its usable bids (valid or not yet evaluated, with a
    positive amount, in the main currency)."""
    bids = snapshot.bids.filter(pl.col("status").is_in(list(USABLE_STATUSES)) & (pl.col("amount") > 0))
    currency = params.get("currency") or snapshot.main_currency()
    if currency:
        bids = bids.filter(pl.col("currency").is_null() | (pl.col("currency") == currency))
    per = bid_tenderers(bids).group_by(["ocid", "tenderer_id"]).agg(pl.col("amount").min(), pl.col("bid_id").first())
    # bids without a tenderer still count (OCDS data sometimes omits them)
    anonymous = bids.filter(pl.col("tenderer_ids").list.len().fill_null(0) == 0).select(
        "ocid", pl.lit(None, dtype=pl.String).alias("tenderer_id"), "amount", "bid_id"
    )
    return pl.concat([per.select("ocid", "tenderer_id", "amount", "bid_id"), anonymous], how="vertical")


def compute_screens(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    bids = usable_bids(snapshot, params)
    out = IndicatorOutput("SCREENS")
    if not bids.height:
        out.not_computable = population_empty("有有效报价的项目", "processes with valid bids")
        return out
    table = screens_table(bids)
    table = table.with_columns(score=combined_scores(table, int(params["min_screens"])))
    out.population = table.height
    # per process, why a screen is missing (the first reason that applies); null when all eight are computed
    table = table.with_columns(
        reason=pl.when(pl.col("n") < 3)
        .then(pl.lit("too_few_bids"))
        .when(pl.col("bn") <= pl.col("b1"))
        .then(pl.lit("zero_dispersion"))
        .when(pl.col("b1") <= 0)
        .then(pl.lit("zero_lowest"))
        .when(pl.col("RD").is_null())
        .then(pl.lit("zero_losing_dispersion"))
        .when(pl.col("n") < 4)
        .then(pl.lit("too_few_bids_for_kurt"))
        .otherwise(None)
    )
    out.skipped = {r: c for r, c in table.get_column("reason").drop_nulls().value_counts().iter_rows()}
    out.per_unit = table.rename({"ocid": "unit_id"}).with_columns(value=pl.col("score"))
    scores = table.get_column("score").drop_nulls()
    if not scores.len():
        n1 = int(table.get_column("n").max() or 0)
        out.not_computable = NotComputable(
            "redflags.population_too_small",
            f"没有一个项目有足够的有效报价（至少 {MIN_BIDS['CV']} 个）计算筛查指标",
            f"No process has enough valid bids (at least {MIN_BIDS['CV']}) for the screens",
            {"max_bids": n1},
        )
        return out
    minimum = int(params["min_population"])
    if scores.len() < minimum:
        out.not_computable = population_too_small(
            scores.len(), minimum, "可计算综合得分的项目", "processes with a combined score"
        )
        return out
    if params.get("score_threshold") is not None:
        cut = float(params["score_threshold"])
        out.meta = {"score_threshold": cut}
    else:
        f = tukey(scores.to_numpy())
        cut = f.upper
        out.meta = {"score_q1": f.q1, "score_q3": f.q3, "score_upper_fence": cut}
    table = table.with_columns(
        percentile=pl.when(pl.col("score").is_not_null()).then(
            (pl.col("score").rank("average") - 1.0) / pl.max_horizontal(pl.col("score").count() - 1, pl.lit(1))
        )
    )
    flagged = table.filter(pl.col("score").is_not_null() & (pl.col("score") >= cut) & (pl.col("score") > 0)).sort(
        "score", descending=True
    )
    flagged = flagged.head(int(params["max_flags"]))
    if flagged.height:
        bid_lists = (
            bids.join(flagged.select("ocid"), on="ocid", how="semi")
            .sort(["ocid", "amount"])
            .group_by("ocid", maintain_order=True)
            .agg(bids=pl.struct("tenderer_id", "amount", "bid_id"))
        )
        detail = {r["ocid"]: r["bids"] for r in bid_lists.iter_rows(named=True)}
        for row in flagged.iter_rows(named=True):
            screens = {k: row[k] for k in SCREENS}
            out.findings.append(
                Finding(
                    "SCREENS",
                    Unit.PROCESS,
                    row["ocid"],
                    row["score"],
                    {
                        "score": row["score"],
                        "cut": cut,
                        "percentile": row["percentile"],
                        "n": row["n"],
                        "screens": screens,
                        "collusive_direction": {k: ("高" if ORIENTATION[k] > 0 else "低") for k in SCREENS},
                        "bids": detail.get(row["ocid"], []),
                        "imhof_rd_above_1": (row["RD"] or 0) > 1,
                    },
                    ocid=row["ocid"],
                    severity=float(min(1.0, max(0.0, row["percentile"] or 0.0))),
                )
            )
    return out


register(
    Indicator(
        code="SCREENS",
        name_zh="报价分布筛查（综合）",
        name_en="Price-distribution screens (combined)",
        family=Family.SCREEN,
        units=(Unit.PROCESS,),
        basis="Imhof (2019) JCLE；Huber & Imhof (2019) IJIO 65；Wallimann, Imhof & Huber (2023)；"
        "《招标投标法实施条例》第40条④（投标报价呈规律性差异）",
        description_zh="每个项目按有效报价计算 CV、SPD、DIFFP、RD、RDNOR、"
        "KURT、SKEW、KS 八项筛查值（n ≥ 3，KURT n ≥ 4）；"
        "综合得分 = 各筛查值在全体项目中的稳健 z 分数（按“越像串通越高”定向，截断于 ±6）的平均；"
        "得分为上侧 Tukey 异常值（或 ≥ 阈值）即预警，强度为得分在总体中的百分位。",
        description_en="Eight screens per process (n ≥ 3; KURT n ≥ 4); the combined score is the mean oriented robust "
        "z-score; flagged when it is an upper Tukey outlier (or ≥ the threshold); severity is its percentile.",
        compute=compute_screens,
        parameters=(
            Parameter("currency", None, "str", "主币种（缺省：首个出现的币种）", "main currency"),
            Parameter(
                "min_screens",
                5,
                "int",
                "计算综合得分至少需要的筛查值个数",
                "screens needed for a score",
                minimum=1,
                maximum=8,
            ),
            Parameter(
                "score_threshold",
                None,
                "float",
                "固定得分阈值（缺省用 Tukey 上限）",
                "fixed score threshold",
                minimum=0,
            ),
            Parameter(
                "min_population",
                10,
                "int",
                "可比较项目数下限（得分是总体内的排序）",
                "processes needed (scores are ranks)",
                minimum=1,
            ),
            Parameter(
                "max_flags", 1000, "int", "每批最多预警的项目数（按得分）", "most processes flagged per run", minimum=1
            ),
        ),
        min_population=10,
        needs=("bids",),
        weight=0.35,
        interpretation_zh="报价簇拥（CV、SPD 低）而中标价孤立（DIFFP、"
        "RD 高）是卡特尔的典型特征；筛查只说明“值得细看”，不是证据。",
    )
)
