"""OCP Cardinal's red-flag indicators (R003 R018 R024 R025 R028 R030 R035 R036 R038 R048 R058), with Cardinal's
definitions, parameters, exclusions and Tukey-fence rules, over the snapshot frames.

Global exclusions (every indicator here): a process whose ``tender/status`` is ``cancelled`` or whose
``procurementMethodDetails`` is listed in ``excluded_procurement_method_details``; organisation references
without an id; amounts not in the main currency (price indicators). "Submitted" bids are pending, valid or
disqualified (not invited, withdrawn, or without a status). Quartiles are Cardinal's (Hyndman–Fan type 8), fences
inclusive; the guards Cardinal applies to avoid flagging most of a population when quartiles are 0 are kept.

Deviations, on purpose: a Tukey fence needs ``minimum_population`` values (default 2; Cardinal computes one
from a single value, which flags a lone tenderer winning everything as "excessive unsuccessful bids" — set 1
to reproduce Cardinal exactly); amounts are compared as parsed instants/numbers (Cardinal compares R030's dates as
text, equal when offsets are written alike); a winning amount of 0 gives no ratio for R024/R058 (Cardinal
divides by it); numeric ids are read as text (what ``ocdscardinal prepare`` does).
"""

from __future__ import annotations

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
    pipe_set,
    population_empty,
    population_too_small,
    register,
)
from yiwang.supervision.redflags.domain.stats import quantile, tukey

NOT_SUBMITTED = ("invited", "withdrawn")
FINAL_AWARD = ("active", "cancelled", "unsuccessful")
SOURCE = "OCP Cardinal (open-contracting/cardinal-rs)；OCP《Red flags for integrity》(2016)"

P_EXCLUDED = Parameter(
    "excluded_procurement_method_details",
    "",
    "codes",
    "不参与任何指标的采购方式细分（tender/procurementMethodDetails），以“|”分隔",
    "procurementMethodDetails values excluded from all indicators (|-separated)",
)
P_NO_PRICE = Parameter(
    "no_price_comparison_procurement_methods",
    "",
    "codes",
    "不作报价比较的采购方式细分（如预先定价、随机抽取），以“|”分隔",
    "procurementMethodDetails values whose bids are not price-compared",
)
P_PRICE = Parameter(
    "price_comparison_procurement_methods",
    "",
    "codes",
    "仅对这些采购方式细分作报价比较（设置后优先于上一参数）",
    "only these procurementMethodDetails values are price-compared (overrides the previous)",
)
P_CURRENCY = Parameter(
    "currency", None, "str", "主币种（缺省：快照中首个出现的币种）", "main currency (default: the first seen)"
)
P_MIN_POPULATION = Parameter(
    "minimum_population",
    2,
    "int",
    "计算 Tukey 界限至少需要的总体个数（Cardinal 对单个值也计算：设为 1 可完全复现）",
    "values needed for a Tukey fence (Cardinal computes one from a single value: 1 reproduces it)",
    minimum=1,
)
GLOBAL = (P_EXCLUDED,)
PRICE = (P_EXCLUDED, P_NO_PRICE, P_PRICE, P_CURRENCY)


# -- shared selections ------------------------------------------------------------------------------------------


def _matches_details(details: pl.Expr, include: frozenset[str], exclude: frozenset[str]) -> pl.Expr:
    """Cardinal's procurementMethodDetails filter: an allow list (if set) or a deny list; an absent value
    matches only a deny list."""
    if include:
        return details.is_not_null() & details.is_in(list(include))
    return details.is_null() | ~details.is_in(list(exclude))


def _kept(snapshot: Snapshot, params: Mapping[str, Any]) -> pl.DataFrame:
    """The processes every indicator considers (global exclusions)."""
    t = snapshot.tenders
    return t.filter(
        (pl.col("status").is_null() | (pl.col("status") != "cancelled"))
        & _matches_details(pl.col("procurement_method_details"), frozenset(), pipe_set(params.get(P_EXCLUDED.name)))
    )


def _price_comparable(tenders: pl.DataFrame, params: Mapping[str, Any]) -> pl.DataFrame:
    return tenders.filter(
        _matches_details(
            pl.col("procurement_method_details"),
            pipe_set(params.get(P_PRICE.name)),
            pipe_set(params.get(P_NO_PRICE.name)),
        )
    )


def _methods(tenders: pl.DataFrame, methods: frozenset[str]) -> pl.DataFrame:
    if not methods:
        return tenders
    return tenders.filter(pl.col("procurement_method").is_in(list(methods)))


def _main_currency(snapshot: Snapshot, params: Mapping[str, Any]) -> str | None:
    if params.get("currency"):
        return str(params["currency"])
    b = snapshot.bids.filter(pl.col("amount").is_not_null() & pl.col("currency").is_not_null())
    return b.get_column("currency")[0] if b.height else None


def _bids_of(snapshot: Snapshot, tenders: pl.DataFrame) -> pl.DataFrame:
    return snapshot.bids.join(tenders.select("ocid"), on="ocid", how="semi")


def _final_award_processes(snapshot: Snapshot, tenders: pl.DataFrame) -> pl.DataFrame:
    """Processes whose release has awards and bids and whose awards are all final (active, cancelled or
    unsuccessful; an award without a status is ignored), with the number of active awards and, when there is
    exactly one, its suppliers: ``ocid, n_active, supplier_ids``."""
    candidates = tenders.filter(pl.col("has_awards").fill_null(False) & pl.col("has_bids").fill_null(False))
    awards = snapshot.awards.join(candidates.select("ocid"), on="ocid", how="semi")
    per = awards.group_by("ocid").agg(
        pending=(pl.col("status").is_not_null() & ~pl.col("status").is_in(list(FINAL_AWARD))).any(),
        n_active=(pl.col("status") == "active").sum(),
        supplier_ids=pl.col("supplier_ids").filter(pl.col("status") == "active").first(),
    )
    out = candidates.select("ocid").join(per, on="ocid", how="left")
    return out.filter(~pl.col("pending").fill_null(False)).with_columns(pl.col("n_active").fill_null(0)).drop("pending")


def _single_winner(snapshot: Snapshot, tenders: pl.DataFrame) -> pl.DataFrame:
    """``ocid, supplier_id`` of processes with final awards and exactly one active award to exactly one supplier."""
    f = _final_award_processes(snapshot, tenders)
    return (
        f.filter((pl.col("n_active") == 1) & (pl.col("supplier_ids").list.len() == 1))
        .with_columns(supplier_id=pl.col("supplier_ids").list.first())
        .filter(pl.col("supplier_id").is_not_null())
        .select("ocid", "supplier_id")
    )


def _submitted() -> pl.Expr:
    """A submitted bid: it has a status, and the status is not invited or withdrawn (as Cardinal reads it)."""
    return pl.col("status").is_not_null() & ~pl.col("status").is_in(list(NOT_SUBMITTED))


def _too_small(out: IndicatorOutput, n: int, params: Mapping[str, Any], what_zh: str, what_en: str) -> bool:
    """Mark the indicator not computable when its population cannot carry a fence (empty, or below the minimum)."""
    minimum = int(params.get("minimum_population", 1))
    if n == 0:
        out.not_computable = population_empty(what_zh, what_en)
    elif n < minimum:
        out.not_computable = population_too_small(n, minimum, what_zh, what_en)
    return out.not_computable is not None


def _ordered(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_row_index("_order")


# -- R003 ---------------------------------------------------------------------------------------------------------


def compute_r003(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    t = _methods(_kept(snapshot, params), pipe_set(params["procurement_methods"]))
    t = t.filter(pl.col("tender_start").is_not_null() & pl.col("tender_end").is_not_null())
    out = IndicatorOutput("R003", population=t.height)
    if not t.height:
        out.not_computable = population_empty("有投标期起止时间的项目", "processes with a tender period")
        return out
    per_method: dict[str, int] = dict(params.get("procurement_method_details") or {})
    micro = (pl.col("tender_end") - pl.col("tender_start")).dt.total_microseconds()
    # whole days, truncated toward zero (chrono's num_days)
    days = (micro.abs() // 86_400_000_000) * micro.sign()
    t = t.with_columns(days=days).with_columns(
        threshold=pl.col("procurement_method_details")
        .replace_strict(per_method, default=params["threshold"], return_dtype=pl.Int64)
        .fill_null(params["threshold"])
        if per_method
        else pl.lit(params["threshold"], dtype=pl.Int64)
    )
    for row in t.filter(pl.col("days") < pl.col("threshold")).iter_rows(named=True):
        out.findings.append(
            Finding(
                "R003",
                Unit.PROCESS,
                row["ocid"],
                1.0,
                {
                    "tender_start": row["tender_start"].isoformat(),
                    "tender_end": row["tender_end"].isoformat(),
                    "days": row["days"],
                    "threshold_days": row["threshold"],
                    "procurement_method": row["procurement_method"],
                    "procurement_method_details": row["procurement_method_details"],
                },
                ocid=row["ocid"],
            )
        )
    return out


register(
    Indicator(
        code="R003",
        name_zh="投标期过短",
        name_en="Short submission period",
        family=Family.CARDINAL,
        units=(Unit.PROCESS,),
        basis=SOURCE + "；《招标投标法》第24条（自招标文件发出之日起至提交投标文件截止之日止，最短不得少于20日）",
        description_zh="投标期（tenderPeriod 开始至截止）的整日数小于阈值（可按采购方式细分分别设定）。",
        description_en="Whole days of tenderPeriod (start to end) below the threshold (per procurementMethodDetails).",
        compute=compute_r003,
        parameters=(
            *GLOBAL,
            Parameter("threshold", 15, "int", "最短天数（整日）", "minimum whole days", minimum=0),
            Parameter(
                "procurement_methods", "", "codes", "仅检查这些采购方式（缺省：全部）", "only these procurementMethods"
            ),
            Parameter(
                "procurement_method_details",
                {},
                "map",
                '按采购方式细分设定的最短天数（如 {"邀请招标": 10}）',
                "minimum days per procurementMethodDetails",
            ),
        ),
        needs=("tenders",),
        weight=0.35,
        interpretation_zh="投标期过短会限制竞争，常见于已内定中标人的项目；请核对公告发布与截止时间及法定期限。",
    )
)


# -- R018 ---------------------------------------------------------------------------------------------------------


def compute_r018(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    t = _methods(_kept(snapshot, params), pipe_set(params["procurement_methods"]))
    t = t.filter(pl.col("number_of_tenderers").is_not_null())
    out = IndicatorOutput("R018", population=t.height)
    if not t.height:
        out.not_computable = population_empty("有投标人数的竞争性项目", "competitive processes with numberOfTenderers")
        return out
    for row in t.filter(pl.col("number_of_tenderers") == 1).iter_rows(named=True):
        out.findings.append(
            Finding(
                "R018",
                Unit.PROCESS,
                row["ocid"],
                1.0,
                {"number_of_tenderers": 1, "procurement_method": row["procurement_method"]},
                ocid=row["ocid"],
            )
        )
    return out


register(
    Indicator(
        code="R018",
        name_zh="仅收到一份投标",
        name_en="Single bid received",
        family=Family.CARDINAL,
        units=(Unit.PROCESS,),
        basis=SOURCE,
        description_zh="竞争性采购方式（缺省：open、selective）的项目只有一个投标人（tender/numberOfTenderers = 1）。",
        description_en="A competitive process (open, selective by default) with numberOfTenderers = 1.",
        compute=compute_r018,
        parameters=(
            *GLOBAL,
            Parameter(
                "procurement_methods",
                "open|selective",
                "codes",
                "视为竞争性的采购方式",
                "procurementMethods treated as competitive",
            ),
        ),
        procedures=("open", "selective"),
        needs=("tenders",),
        weight=0.3,
        interpretation_zh="单一投标使价格失去竞争约束；重复出现于同一招标人或同一类项目时更值得关注。",
    )
)


# -- the second-lowest-bid ratio (R024, R058) -----------------------------------------------------------------------


def second_lowest_bid_ratios(snapshot: Snapshot, params: Mapping[str, Any]) -> pl.DataFrame:
    """Per process: the winner's lowest valid bid w, the lowest valid bid of any other tenderer l, and
    d = (l − w) / w — where the awards are final, exactly one award is active, to exactly one supplier, the
    bids are valid, single-tenderer, with an amount in the main currency, and l ≥ w (else the award was not on
    price alone). Columns ``ocid, winner, winner_amount, winner_bid, second, second_amount, second_bid, ratio``."""
    tenders = _price_comparable(_kept(snapshot, params), params)
    winners = _single_winner(snapshot, tenders)
    currency = _main_currency(snapshot, params)
    bt = bid_tenderers(_ordered(_bids_of(snapshot, winners)))
    bt = bt.filter(
        (pl.col("status") == "valid")
        & (pl.col("n_tenderers") == 1)
        & pl.col("amount").is_not_null()
        & pl.col("currency").is_not_null()
        & (pl.col("currency") == pl.lit(currency, dtype=pl.String))
    ).join(winners, on="ocid")
    # the first of equal amounts wins a tie, as in a left-to-right scan
    bt = bt.sort(["amount", "_order"])
    w = (
        bt.filter(pl.col("tenderer_id") == pl.col("supplier_id"))
        .group_by("ocid", maintain_order=True)
        .first()
        .select("ocid", winner="tenderer_id", winner_amount="amount", winner_bid="bid_id")
    )
    s = (
        bt.filter(pl.col("tenderer_id") != pl.col("supplier_id"))
        .group_by("ocid", maintain_order=True)
        .first()
        .select("ocid", second="tenderer_id", second_amount="amount", second_bid="bid_id")
    )
    both = w.join(s, on="ocid").filter(
        (pl.col("second_amount") >= pl.col("winner_amount")) & (pl.col("winner_amount") > 0)
    )
    return both.with_columns(ratio=(pl.col("second_amount") - pl.col("winner_amount")) / pl.col("winner_amount")).sort(
        "ocid"
    )


def _ratio_evidence(row: Mapping[str, Any], fences: Mapping[str, float | None]) -> dict[str, Any]:
    return {
        "winner": row["winner"],
        "winner_bid": row["winner_bid"],
        "winner_amount": row["winner_amount"],
        "second": row["second"],
        "second_bid": row["second_bid"],
        "second_amount": row["second_amount"],
        "ratio": row["ratio"],
        **{k: v for k, v in fences.items()},
    }


def compute_r024(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    ratios = second_lowest_bid_ratios(snapshot, params)
    out = IndicatorOutput("R024", population=ratios.height)
    values = ratios.get_column("ratio").to_numpy()
    if params.get("threshold") is None:
        fences = tukey(values)
        q1, lower = fences.q1, fences.lower
        out.meta = {"q1": fences.q1, "q3": fences.q3, "lower_fence": lower}
    else:
        q1, lower = 1.0, float(params["threshold"])  # Cardinal's dummy q1 passes the guard
        out.meta = {"lower_fence": lower}
    out.per_unit = ratios.select(unit_id="ocid", value="ratio")
    if _too_small(out, ratios.height, params, "可比较的中标价与次低价", "winning and second-lowest bids"):
        return out
    # Guard: a non-positive fence would flag nothing real (or, with q1 = 0, most processes).
    if q1 > 0 and lower > 0:
        for row in ratios.filter(pl.col("ratio") <= lower).iter_rows(named=True):
            evidence = _ratio_evidence(row, {"lower_fence": lower})
            out.findings.append(
                Finding(
                    "R024",
                    Unit.PROCESS,
                    row["ocid"],
                    row["ratio"],
                    evidence,
                    ocid=row["ocid"],
                    related=(("bidder", row["winner"]), ("bidder", row["second"])),
                )
            )
            for who in (row["winner"], row["second"]):
                out.findings.append(Finding("R024", Unit.BIDDER, who, 0.0, evidence, ocid=row["ocid"], primary=False))
    return out


def compute_r058(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    ratios = second_lowest_bid_ratios(snapshot, params)
    out = IndicatorOutput("R058", population=ratios.height)
    values = ratios.get_column("ratio").to_numpy()
    if params.get("threshold") is None:
        fences = tukey(values)
        upper = fences.upper
        out.meta = {"q1": fences.q1, "q3": fences.q3, "upper_fence": upper}
    else:
        upper = float(params["threshold"])
        out.meta = {"upper_fence": upper}
    out.per_unit = ratios.select(unit_id="ocid", value="ratio")
    if _too_small(out, ratios.height, params, "可比较的中标价与次低价", "winning and second-lowest bids"):
        return out
    if upper > 0:
        for row in ratios.filter(pl.col("ratio") >= upper).iter_rows(named=True):
            evidence = _ratio_evidence(row, {"upper_fence": upper})
            out.findings.append(
                Finding(
                    "R058",
                    Unit.PROCESS,
                    row["ocid"],
                    row["ratio"],
                    evidence,
                    ocid=row["ocid"],
                    related=(("bidder", row["winner"]),),
                )
            )
            out.findings.append(
                Finding("R058", Unit.BIDDER, row["winner"], 0.0, evidence, ocid=row["ocid"], primary=False)
            )
    return out


register(
    Indicator(
        code="R024",
        name_zh="中标价与次低价过于接近",
        name_en="Price close to winning bid",
        family=Family.CARDINAL,
        units=(Unit.PROCESS, Unit.BIDDER),
        basis=SOURCE + "；Tóth, Fazekas et al. (2015) 串通投标识别工具",
        description_zh="d =（次低有效报价 − 中标报价）/ 中标报价；d ≤ 下限（Q1 − 1.5·IQR，或设定阈值）即预警。"
        "仅限奖项已定、恰有一个有效授标且只授予一家、单一投标人报价、同一币种、最低价中标的项目。",
        description_en="d = (second-lowest valid bid − winning bid) / winning bid; flagged when d ≤ Q1 − 1.5·IQR "
        "(or the threshold).",
        compute=compute_r024,
        parameters=(
            *PRICE,
            Parameter("threshold", None, "float", "固定下限（设置后不用 Tukey 下限）", "fixed lower fence", minimum=0),
            P_MIN_POPULATION,
        ),
        needs=("tenders", "bids", "awards"),
        weight=0.35,
        interpretation_zh="陪标者常把报价贴近中标价以示竞争；结合报价分布和投标人关联查看。",
    )
)
register(
    Indicator(
        code="R058",
        name_zh="中标价大幅低于次低价",
        name_en="Heavily discounted bid",
        family=Family.CARDINAL,
        units=(Unit.PROCESS, Unit.BIDDER),
        basis=SOURCE,
        description_zh="与 R024 相同的 d，d ≥ 上限（Q3 + 1.5·IQR，或设定阈值）即预警；排除条件同 R024。",
        description_en="The same d as R024, flagged when d ≥ Q3 + 1.5·IQR (or the threshold).",
        compute=compute_r058,
        parameters=(
            *PRICE,
            Parameter("threshold", None, "float", "固定上限（设置后不用 Tukey 上限）", "fixed upper fence", minimum=0),
            P_MIN_POPULATION,
        ),
        needs=("tenders", "bids", "awards"),
        weight=0.3,
        interpretation_zh="中标价孤立地远低于其他报价，可能是低价抢标后变更追加，或其他报价为陪标；关注履约变更。",
    )
)


# -- R025 ---------------------------------------------------------------------------------------------------------


def compute_r025(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    winners = _single_winner(snapshot, _kept(snapshot, params))
    bt = bid_tenderers(_bids_of(snapshot, winners)).filter((pl.col("status") == "valid") & (pl.col("n_tenderers") == 1))
    per_process = bt.select("ocid", "tenderer_id").unique().join(winners, on="ocid")
    fractions = (
        per_process.group_by("tenderer_id")
        .agg(wins=(pl.col("tenderer_id") == pl.col("supplier_id")).sum(), bids=pl.len())
        .with_columns(ratio=pl.col("wins") / pl.col("bids"))
        .sort("tenderer_id")
    )
    out = IndicatorOutput("R025", population=fractions.height)
    out.per_unit = fractions.select(unit_id="tenderer_id", value="ratio", wins="wins", bids="bids")
    upper = quantile(fractions.get_column("bids").cast(pl.Float64).to_numpy(), params["percentile"] / 100.0)
    if params.get("threshold") is None:
        fences = tukey(fractions.get_column("ratio").to_numpy())
        q1, lower = fences.q1, fences.lower
        out.meta = {"q1": fences.q1, "q3": fences.q3}
    else:
        q1, lower = 1.0, float(params["threshold"])
        out.meta = {}
    out.meta.update({"upper_fence": upper, "lower_fence": lower})
    if _too_small(out, fractions.height, params, "有效投标的投标人", "tenderers with valid bids"):
        return out
    if q1 > 0 and lower > 0:
        for row in fractions.filter((pl.col("bids") >= upper) & (pl.col("ratio") <= lower)).iter_rows(named=True):
            out.findings.append(
                Finding(
                    "R025",
                    Unit.BIDDER,
                    row["tenderer_id"],
                    row["ratio"],
                    {
                        "wins": row["wins"],
                        "valid_bids": row["bids"],
                        "ratio": row["ratio"],
                        "bids_percentile_fence": upper,
                        "lower_fence": lower,
                    },
                )
            )
    return out


register(
    Indicator(
        code="R025",
        name_zh="投标次数多而中标率异常低",
        name_en="Excessive unsuccessful bids",
        family=Family.CARDINAL,
        units=(Unit.BIDDER,),
        basis=SOURCE + "；OECD《政府采购反串通投标指南》（总是投标、从不中标）",
        description_zh="投标人的中标数/有效投标项目数；投标项目数 ≥ 第 P 百分位（"
        "缺省 75）且比率 ≤ Q1 − 1.5·IQR（或阈值）即预警。",
        description_en="Wins / processes with a valid bid; flagged when the bid count is at least the P-th percentile "
        "and the ratio ≤ Q1 − 1.5·IQR (or the threshold).",
        compute=compute_r025,
        parameters=(
            *GLOBAL,
            Parameter(
                "percentile",
                75,
                "int",
                "投标项目数的百分位（“经常投标”的门槛）",
                "percentile of bid counts",
                minimum=0,
                maximum=100,
            ),
            Parameter("threshold", None, "float", "固定中标率下限", "fixed lower fence for the ratio", minimum=0),
            P_MIN_POPULATION,
        ),
        needs=("tenders", "bids", "awards"),
        weight=0.3,
        interpretation_zh="经常投标却几乎不中标的企业可能是陪标者；看其常与谁同场投标（共同投标网络）。",
    )
)


# -- R028 ---------------------------------------------------------------------------------------------------------


def compute_r028(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    tenders = _price_comparable(_kept(snapshot, params), params)
    bids = _ordered(_bids_of(snapshot, tenders)).filter(
        _submitted()
        & pl.col("tenderer_ids").is_not_null()
        & pl.col("amount").is_not_null()
        & pl.col("currency").is_not_null()
    )
    bids = bids.with_columns(ids=pl.col("tenderer_ids").list.drop_nulls().list.unique().list.sort()).filter(
        pl.col("ids").list.len() > 0
    )
    out = IndicatorOutput("R028", population=tenders.join(bids.select("ocid").unique(), on="ocid", how="semi").height)
    if not out.population:
        out.not_computable = population_empty("有报价的项目", "processes with priced bids")
        return out
    # each bid against the previous bid at the same price: different tenderers → both flagged
    paired = (
        bids.sort("_order")
        .with_columns(
            prev_ids=pl.col("ids").shift(1).over(["ocid", "amount", "currency"]),
            prev_bid=pl.col("bid_id").shift(1).over(["ocid", "amount", "currency"]),
        )
        .filter(pl.col("prev_ids").is_not_null() & (pl.col("ids") != pl.col("prev_ids")))
    )
    by_process: dict[str, dict[str, Any]] = {}
    for row in paired.iter_rows(named=True):
        entry = by_process.setdefault(row["ocid"], {"prices": [], "tenderers": set()})
        entry["prices"].append(
            {
                "amount": row["amount"],
                "currency": row["currency"],
                "bids": [row["prev_bid"], row["bid_id"]],
                "tenderers": sorted(set(row["ids"]) | set(row["prev_ids"])),
            }
        )
        entry["tenderers"].update(row["ids"], row["prev_ids"])
    for ocid in sorted(by_process):
        entry = by_process[ocid]
        evidence = {"identical_prices": entry["prices"], "tenderers": sorted(entry["tenderers"])}
        out.findings.append(
            Finding(
                "R028",
                Unit.PROCESS,
                ocid,
                1.0,
                evidence,
                ocid=ocid,
                related=tuple(("bidder", t) for t in sorted(entry["tenderers"])),
            )
        )
        for t in sorted(entry["tenderers"]):
            out.findings.append(Finding("R028", Unit.BIDDER, t, 1.0, evidence, ocid=ocid, primary=False))
    return out


register(
    Indicator(
        code="R028",
        name_zh="不同投标人报价完全相同",
        name_en="Identical bid prices",
        family=Family.CARDINAL,
        units=(Unit.PROCESS, Unit.BIDDER),
        basis=SOURCE + "；《招标投标法实施条例》第40条④（投标报价呈规律性差异）",
        description_zh="同一项目中两个不同投标人（组）的已递交投标报价（金额与币种）完全相同。",
        description_en="Two different tenderers (sets) submitted bids with the same amount and currency.",
        compute=compute_r028,
        parameters=(*GLOBAL, P_NO_PRICE, P_PRICE),
        needs=("tenders", "bids"),
        weight=0.6,
        interpretation_zh="独立编制的报价几乎不可能分文不差；核对两份投标文件的编制来源与报价构成。",
    )
)


# -- R030 ---------------------------------------------------------------------------------------------------------


def compute_r030(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    tenders = _kept(snapshot, params).filter(
        pl.col("tender_end").is_not_null() & pl.col("has_awards").fill_null(False) & pl.col("has_bids").fill_null(False)
    )
    out = IndicatorOutput("R030", population=tenders.height)
    if not tenders.height:
        out.not_computable = population_empty("有投标截止时间和授标的项目", "processes with a deadline and awards")
        return out
    suppliers = (
        snapshot.awards.join(tenders.select("ocid"), on="ocid", how="semi")
        .filter(pl.col("status") == "active")
        .explode("supplier_ids")
        .select("ocid", tenderer_id="supplier_ids")
        .drop_nulls()
        .unique()
    )
    late = (
        bid_tenderers(_bids_of(snapshot, tenders))
        .join(tenders.select("ocid", "tender_end"), on="ocid")
        .filter((pl.col("status") == "valid") & pl.col("date").is_not_null() & (pl.col("date") > pl.col("tender_end")))
        .join(suppliers, on=["ocid", "tenderer_id"], how="semi")
        .sort(["ocid", "tenderer_id", "date"])
    )
    for (ocid,), rows in late.group_by(["ocid"], maintain_order=True):
        evidence = {
            "tender_end": rows["tender_end"][0].isoformat(),
            "late_bids": [
                {"bid": r["bid_id"], "tenderer": r["tenderer_id"], "received": r["date"].isoformat()}
                for r in rows.iter_rows(named=True)
            ],
        }
        ids = sorted(set(rows["tenderer_id"].to_list()))
        out.findings.append(
            Finding("R030", Unit.PROCESS, ocid, 1.0, evidence, ocid=ocid, related=tuple(("bidder", t) for t in ids))
        )
        for t in ids:
            out.findings.append(Finding("R030", Unit.BIDDER, t, 1.0, evidence, ocid=ocid, primary=False))
    return out


register(
    Indicator(
        code="R030",
        name_zh="逾期投标中标",
        name_en="Late bid won",
        family=Family.CARDINAL,
        units=(Unit.PROCESS, Unit.BIDDER),
        basis=SOURCE + "；《招标投标法》第28条（逾期送达的投标文件，招标人应当拒收）",
        description_zh="有效投标的递交时间晚于投标截止时间，且该投标人是有效授标的供应商。",
        description_en="A valid bid dated after tenderPeriod/endDate whose tenderer is an active award's supplier.",
        compute=compute_r030,
        parameters=GLOBAL,
        needs=("tenders", "bids", "awards"),
        weight=0.7,
        interpretation_zh="逾期文件本应拒收；核对开标记录、系统接收时间和见证日志。",
    )
)


# -- R035 ---------------------------------------------------------------------------------------------------------


def compute_r035(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    threshold = max(int(params["threshold"]), 1)
    final = _final_award_processes(snapshot, _kept(snapshot, params))
    out = IndicatorOutput("R035", population=final.height)
    if not final.height:
        out.not_computable = population_empty("授标已确定的项目", "processes with final awards")
        return out
    suppliers = (
        snapshot.awards.join(final.select("ocid"), on="ocid", how="semi")
        .filter(pl.col("status") == "active")
        .explode("supplier_ids")
        .drop_nulls("supplier_ids")
        .group_by("ocid")
        .agg(suppliers=pl.col("supplier_ids").unique().sort())
    )
    bt = bid_tenderers(_bids_of(snapshot, final))
    valid = bt.filter(pl.col("status") == "valid").group_by("ocid").agg(valid=pl.col("tenderer_id").unique().sort())
    disq = (
        bt.filter(pl.col("status") == "disqualified")
        .group_by("ocid")
        .agg(disqualified=pl.col("tenderer_id").unique().sort(), disqualified_bids=pl.col("bid_id").unique().sort())
    )
    joined = valid.join(suppliers, on="ocid").join(disq, on="ocid", how="left").sort("ocid")
    for row in joined.iter_rows(named=True):
        if len(row["valid"]) != 1 or row["valid"] != row["suppliers"]:
            continue
        others = sorted(set(row["disqualified"] or []) - set(row["valid"]))
        if len(others) >= threshold:
            winner = row["valid"][0]
            evidence = {
                "winner": winner,
                "disqualified_tenderers": others,
                "disqualified_bids": row["disqualified_bids"] or [],
                "threshold": threshold,
            }
            out.findings.append(
                Finding(
                    "R035",
                    Unit.PROCESS,
                    row["ocid"],
                    float(len(others)),
                    evidence,
                    ocid=row["ocid"],
                    related=(("bidder", winner),),
                )
            )
            out.findings.append(Finding("R035", Unit.BIDDER, winner, 0.0, evidence, ocid=row["ocid"], primary=False))
    return out


register(
    Indicator(
        code="R035",
        name_zh="除中标人外其他投标均被否决",
        name_en="All except winning bid disqualified",
        family=Family.CARDINAL,
        units=(Unit.PROCESS, Unit.BIDDER),
        basis=SOURCE + "；乌克兰 ProZorro 风险指标 sas-3-2",
        description_zh="仅一个投标人有有效投标且即为全部中标人，另有不少于阈值（"
        "缺省 1）个投标人的投标被否决；值为被否决的投标人数。",
        description_en="Exactly one tenderer with valid bids, who is all the active awards' suppliers, and at least "
        "`threshold` other tenderers disqualified; the value is their number.",
        compute=compute_r035,
        parameters=(
            *GLOBAL,
            Parameter("threshold", 1, "int", "被否决的其他投标人至少几个", "minimum disqualified others", minimum=1),
        ),
        needs=("tenders", "bids", "awards"),
        weight=0.5,
        interpretation_zh="评审中否决其他全部投标以保送特定投标人；调阅否决理由与评审记录。",
    )
)


# -- R036 ---------------------------------------------------------------------------------------------------------


def compute_r036(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    tenders = _price_comparable(_kept(snapshot, params), params).filter(pl.col("has_awards").fill_null(False))
    with_active = snapshot.awards.filter(pl.col("status") == "active").select("ocid").unique()
    tenders = tenders.join(with_active, on="ocid", how="semi")
    currency = _main_currency(snapshot, params)
    bids = _ordered(_bids_of(snapshot, tenders)).filter(
        _submitted() & pl.col("amount").is_not_null() & (pl.col("currency") == pl.lit(currency, dtype=pl.String))
    )
    out = IndicatorOutput("R036", population=bids.select("ocid").n_unique())
    if not out.population:
        out.not_computable = population_empty("已授标且有报价的项目", "awarded processes with priced bids")
        return out
    per = (
        bids.sort(["amount", "_order"])
        .group_by("ocid", maintain_order=True)
        .agg(
            lowest_status=pl.col("status").first(),
            lowest_amount=pl.col("amount").first(),
            lowest_bid=pl.col("bid_id").first(),
            lowest_tenderers=pl.col("tenderer_ids").first(),
            has_valid=(pl.col("status") == "valid").any(),
            lowest_valid=pl.col("amount").filter(pl.col("status") == "valid").min(),
        )
    )
    for row in (
        per.filter(pl.col("has_valid") & (pl.col("lowest_status") == "disqualified")).sort("ocid").iter_rows(named=True)
    ):
        out.findings.append(
            Finding(
                "R036",
                Unit.PROCESS,
                row["ocid"],
                1.0,
                {
                    "lowest_bid": row["lowest_bid"],
                    "lowest_amount": row["lowest_amount"],
                    "lowest_tenderers": row["lowest_tenderers"] or [],
                    "lowest_valid_amount": row["lowest_valid"],
                    "currency": currency,
                },
                ocid=row["ocid"],
                related=tuple(("bidder", t) for t in (row["lowest_tenderers"] or [])),
            )
        )
    return out


register(
    Indicator(
        code="R036",
        name_zh="最低价投标被否决",
        name_en="Lowest bid disqualified",
        family=Family.CARDINAL,
        units=(Unit.PROCESS,),
        basis=SOURCE,
        description_zh="项目已有有效授标、有带金额的有效投标，而最低的已递交报价被否决（假定以价格为唯一评标标准）。",
        description_en="An awarded process with a valid priced bid whose lowest submitted bid is disqualified.",
        compute=compute_r036,
        parameters=PRICE,
        needs=("tenders", "bids", "awards"),
        weight=0.35,
        interpretation_zh="最低价被否决未必违规（综合评分法、不响应）；核对否决理由是否充分。",
    )
)


# -- R038 ---------------------------------------------------------------------------------------------------------


def _r038_group(
    out: IndicatorOutput,
    fractions: pl.DataFrame,
    unit: Unit,
    group: str,
    minimum: int,
    threshold: float | None,
    minimum_population: int,
) -> None:
    eligible = fractions.filter(pl.col("submitted") >= minimum).with_columns(
        ratio=pl.col("disqualified") / pl.col("submitted")
    )
    if eligible.height < max(1, minimum_population):
        if eligible.height:
            out.skipped[f"{group}_population_too_small"] = eligible.height
        return
    if threshold is None:
        f = tukey(eligible.get_column("ratio").to_numpy())
        out.meta[f"{group}_q1"] = f.q1
        out.meta[f"{group}_q3"] = f.q3
        upper = f.upper
    else:
        upper = threshold
    out.meta[f"{group}_upper_fence"] = upper
    out.population += eligible.height
    if upper > 0:
        for row in eligible.filter(pl.col("ratio") >= upper).sort("id").iter_rows(named=True):
            out.findings.append(
                Finding(
                    "R038",
                    unit,
                    row["id"],
                    row["ratio"],
                    {
                        "disqualified": row["disqualified"],
                        "submitted": row["submitted"],
                        "ratio": row["ratio"],
                        "upper_fence": upper,
                        "processes": row.get("processes"),
                    },
                )
            )


def compute_r038(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    tenders = _kept(snapshot, params)
    bids = _bids_of(snapshot, tenders).filter(_submitted())
    out = IndicatorOutput("R038")
    if not bids.height:
        out.not_computable = population_empty("已递交的投标", "submitted bids")
        return out
    bids = bids.with_columns(dq=(pl.col("status") == "disqualified").cast(pl.Int64))
    per_process = (
        bids.group_by("ocid")
        .agg(disqualified=pl.col("dq").sum(), submitted=pl.len())
        .join(tenders.select("ocid", "buyer_id", "procuring_entity_id"), on="ocid")
    )
    threshold = params.get("threshold")
    threshold = None if threshold is None else float(threshold)
    for column, unit, group in (
        ("buyer_id", Unit.BUYER, "Buyer"),
        ("procuring_entity_id", Unit.PROCURING_ENTITY, "ProcuringEntity"),
    ):
        fractions = (
            per_process.filter(pl.col(column).is_not_null())
            .group_by(column)
            .agg(disqualified=pl.col("disqualified").sum(), submitted=pl.col("submitted").sum(), processes=pl.len())
            .rename({column: "id"})
        )
        # Cardinal compares minimum_contracting_processes with the summed submitted bids (its denominator)
        _r038_group(
            out,
            fractions,
            unit,
            group,
            int(params["minimum_contracting_processes"]),
            threshold,
            int(params["minimum_population"]),
        )
    tenderers = (
        bid_tenderers(bids)
        .group_by("tenderer_id")
        .agg(disqualified=pl.col("dq").sum(), submitted=pl.len(), processes=pl.col("ocid").n_unique())
        .rename({"tenderer_id": "id"})
    )
    _r038_group(
        out,
        tenderers,
        Unit.BIDDER,
        "Tenderer",
        int(params["minimum_submitted_bids"]),
        threshold,
        int(params["minimum_population"]),
    )
    if not out.population:
        out.not_computable = population_empty(
            "达到最低投标数的招标人/代理/投标人", "buyers, procuring entities or tenderers above the minimums"
        )
    return out


register(
    Indicator(
        code="R038",
        name_zh="否决投标比例异常高",
        name_en="Excessive disqualified bids",
        family=Family.CARDINAL,
        units=(Unit.BUYER, Unit.PROCURING_ENTITY, Unit.BIDDER),
        basis=SOURCE + "；乌克兰 ProZorro 风险指标 sas-3-5",
        description_zh="按招标人、采购代理、投标人分别计算 被否决投标数/已递交投标数；≥ Q3 + 1.5·IQR（或阈值）即预警。"
        "招标人与代理的已递交投标数须 ≥ minimum_contracting_processes，投标人的须 ≥ minimum_submitted_bids。",
        description_en="Disqualified / submitted bids per buyer, procuring entity and tenderer; flagged when ≥ "
        "Q3 + 1.5·IQR (or the threshold).",
        compute=compute_r038,
        parameters=(
            *GLOBAL,
            Parameter("threshold", None, "float", "固定上限（比例）", "fixed upper fence (ratio)", minimum=0),
            Parameter(
                "minimum_submitted_bids", 2, "int", "投标人至少递交的投标数", "minimum bids per tenderer", minimum=1
            ),
            Parameter(
                "minimum_contracting_processes",
                2,
                "int",
                "招标人/代理至少的已递交投标数（与 Cardinal 相同，按投标数比较）",
                "minimum (submitted bids) per buyer / procuring entity, as Cardinal compares it",
                minimum=1,
            ),
            P_MIN_POPULATION,
        ),
        needs=("tenders", "bids"),
        weight=0.35,
        interpretation_zh="某招标人或代理大量否决投标，可能以否决排挤竞争者；某投标人经常被否决，可能是陪标（故意不响应）。",
    )
)


# -- R048 ---------------------------------------------------------------------------------------------------------


def compute_r048(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    digits = int(params["digits"])
    tenders = _kept(snapshot, params)
    awards = (
        snapshot.awards.join(tenders.select("ocid"), on="ocid", how="semi")
        .filter((pl.col("status") == "active") & (pl.col("supplier_ids").list.len() == 1))
        .with_columns(supplier_id=pl.col("supplier_ids").list.first())
        .filter(pl.col("supplier_id").is_not_null())
    )
    items = (
        snapshot.frames["award_items"]
        .filter(pl.col("classification_id").is_not_null())
        .join(awards.select("ocid", "award_id", "supplier_id"), on=["ocid", "award_id"])
    )
    per = (
        items.group_by("supplier_id")
        .agg(
            processes=pl.col("ocid").n_unique(),
            codes=pl.col("classification_id").str.slice(0, digits).unique().sort(),
        )
        .with_columns(n_codes=pl.col("codes").list.len())
    )
    eligible = per.filter(pl.col("processes") >= int(params["minimum_contracting_processes"])).sort("supplier_id")
    out = IndicatorOutput("R048", population=eligible.height)
    out.per_unit = eligible.select(unit_id="supplier_id", value=pl.col("n_codes").cast(pl.Float64))
    if params.get("threshold") is None:
        f = tukey(eligible.get_column("n_codes").cast(pl.Float64).to_numpy())
        upper = f.upper
        out.meta = {"q1": f.q1, "q3": f.q3, "upper_fence": upper}
    else:
        upper = float(params["threshold"])
        out.meta = {"upper_fence": upper}
    if _too_small(
        out,
        eligible.height,
        params,
        "授标项目数达到最低要求的供应商",
        "suppliers above the minimum number of processes",
    ):
        return out
    for row in eligible.filter(pl.col("n_codes") >= upper).iter_rows(named=True):
        out.findings.append(
            Finding(
                "R048",
                Unit.BIDDER,
                row["supplier_id"],
                float(row["n_codes"]),
                {
                    "classifications": row["codes"],
                    "processes": row["processes"],
                    "upper_fence": upper,
                    "digits": digits,
                },
            )
        )
    return out


register(
    Indicator(
        code="R048",
        name_zh="中标品目跨度异常大",
        name_en="Heterogeneous supplier",
        family=Family.CARDINAL,
        units=(Unit.BIDDER,),
        basis=SOURCE,
        description_zh="供应商各有效授标中标的（单一供应商授标）品目分类代码前 N 位（缺省 2）的不同取值个数；"
        "仅计授标项目数 ≥ 最低值（缺省 20）的供应商，个数 ≥ Q3 + 1.5·IQR（或阈值）即预警。",
        description_en="Distinct first-level classifications (first `digits` characters) over a supplier's awarded "
        "items, among suppliers with ≥ minimum processes; flagged when ≥ Q3 + 1.5·IQR (or the threshold).",
        compute=compute_r048,
        parameters=(
            *GLOBAL,
            Parameter("digits", 2, "int", "分类代码取前几位", "classification prefix length", minimum=1, maximum=20),
            Parameter("threshold", None, "int", "固定上限（个数）", "fixed upper fence (count)", minimum=0),
            Parameter(
                "minimum_contracting_processes", 20, "int", "至少的授标项目数", "minimum awarded processes", minimum=1
            ),
            P_MIN_POPULATION,
        ),
        needs=("tenders", "awards", "award_items"),
        weight=0.3,
        interpretation_zh="经营范围异常宽的供应商可能是空壳或挂靠；核对资质、人员和业绩。",
    )
)
