"""条例 Art.40 / 87号令 Art.37 signals from e-bidding fingerprints and bid documents.

《招标投标法实施条例》第40条 treats bids as colluding (视为串通) when ① they were prepared by the same unit or
person, ② the same unit or person handled them, ③ they name the same project-management member, ④ they are
abnormally identical or their prices differ regularly, ⑤ they are mixed up, ⑥ their deposits came from the same
account; 财政部令第87号 Art.37 adds the same contact person to ③. Trading centres read ① from the bid tool's
machine codes (MAC, CPU, disk, board), the file-creation id and the cost-software dongle.

Each "same value" indicator groups the ``fingerprints`` frame by (process, kind, normalised value) and flags a
process where two or more different bidders share a value. Values held by more than ``max_holders`` bidders in
the whole snapshot are treated as common (a trading centre's public computer, an agency's switchboard, a NAT
address) and ignored, with the count in the evidence. Identity numbers are matched in full and shown masked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from yiwang.supervision.redflags.domain import minhash
from yiwang.supervision.redflags.domain.frames import FINGERPRINT_KINDS, Snapshot
from yiwang.supervision.redflags.domain.registry import (
    Family,
    Finding,
    Indicator,
    IndicatorOutput,
    Parameter,
    Unit,
    data_missing,
    pipe_set,
    population_empty,
    register,
)
from yiwang.supervision.redflags.domain.screens import usable_bids

ART40 = "《招标投标法实施条例》第40条"
ART37 = "《政府采购货物和服务招标投标管理办法》（财政部令第87号）第37条"
PLACEHOLDERS = frozenset(
    {"", "0", "NONE", "NULL", "UNKNOWN", "N/A", "000000000000", "FFFFFFFFFFFF", "127.0.0.1", "0.0.0.0", "::1"}  # noqa: S104 (a placeholder value, not a bind)
)


# -- normalising values -------------------------------------------------------------------------------------------


def normalise(kind: str, value: str) -> str:
    """The comparable form of a fingerprint value."""
    v = value.strip()
    if kind == "machine_mac":
        return re.sub(r"[^0-9A-Fa-f]", "", v).upper()
    if kind in (
        "machine_cpu",
        "machine_disk",
        "machine_board",
        "file_creation_id",
        "dongle_serial",
        "key_person",
        "registered_person",
        "agent",
    ):
        return re.sub(r"[\s\-_:]", "", v).upper()
    if kind == "contact_phone":
        digits = re.sub(r"\D", "", v)
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    if kind == "contact_email":
        return v.lower()
    if kind == "contact_name":
        return re.sub(r"\s", "", v)
    return v


def shown(kind: str, value: str) -> str:
    """How a value appears in evidence (identity numbers masked)."""
    if kind in ("key_person", "registered_person", "agent") and len(value) > 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    return value


def _normalised(fp: pl.DataFrame) -> pl.DataFrame:
    kinds = fp.get_column("kind").to_list()
    values = fp.get_column("value").to_list()
    normal = [normalise(k, v) for k, v in zip(kinds, values, strict=True)]
    return fp.with_columns(norm=pl.Series(normal, dtype=pl.String)).filter(
        ~pl.col("norm").str.to_uppercase().is_in(list(PLACEHOLDERS))
    )


def shared_values(
    snapshot: Snapshot, kinds: frozenset[str], max_holders: int
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(matches, common, population): per (process, kind, value) shared by ≥ 2 bidders — ``ocid kind norm value
    tenderers bids``; the values ignored as common; the number of processes with fingerprints of these kinds."""
    fp = snapshot.frames["fingerprints"].filter(pl.col("kind").is_in(list(kinds)))
    if not fp.height:
        return fp, fp, 0
    fp = _normalised(fp)
    population = fp.get_column("ocid").n_unique()
    holders = fp.group_by(["kind", "norm"]).agg(holders=pl.col("tenderer_id").n_unique())
    common = holders.filter(pl.col("holders") > max_holders)
    fp = fp.join(common.select("kind", "norm"), on=["kind", "norm"], how="anti")
    matches = (
        fp.group_by(["ocid", "kind", "norm"])
        .agg(
            value=pl.col("value").first(),
            tenderers=pl.col("tenderer_id").unique().sort(),
            bids=pl.col("bid_id").drop_nulls().unique().sort(),
            sources=pl.col("source").drop_nulls().unique().sort(),
        )
        .filter(pl.col("tenderers").list.len() >= 2)
        .sort(["ocid", "kind", "norm"])
    )
    return matches, common, population


def _shared_indicator(
    code: str, kinds_default: str, *, severity: Callable[[list[dict[str, Any]]], float] | None = None
) -> Callable[[Snapshot, Mapping[str, Any]], IndicatorOutput]:
    def compute(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
        kinds = pipe_set(params.get("kinds") or kinds_default)
        out = IndicatorOutput(code)
        if not snapshot.frames["fingerprints"].height:
            out.not_computable = data_missing("fingerprints", "电子投标特征", "e-bidding fingerprints")
            return out
        matches, common, out.population = shared_values(snapshot, kinds, int(params["max_holders"]))
        out.meta = {"common_values_ignored": float(common.height)}
        if not out.population:
            out.not_computable = population_empty("有此类特征记录的项目", "processes with fingerprints of these kinds")
            return out
        for (ocid,), rows in matches.group_by(["ocid"], maintain_order=True):
            items = [
                {
                    "kind": r["kind"],
                    "kind_label": FINGERPRINT_KINDS.get(r["kind"], r["kind"]),
                    "value": shown(r["kind"], r["norm"]),
                    "tenderers": r["tenderers"],
                    "bids": r["bids"],
                    "sources": r["sources"],
                }
                for r in rows.iter_rows(named=True)
            ]
            linked = sorted({t for item in items for t in item["tenderers"]})
            pairs = sorted(
                {(a, b) for item in items for i, a in enumerate(item["tenderers"]) for b in item["tenderers"][i + 1 :]}
            )
            evidence = {
                "matches": items,
                "linked_tenderers": linked,
                "pairs": [list(p) for p in pairs],
                "max_holders": int(params["max_holders"]),
            }
            value = float(len(linked))
            out.findings.append(
                Finding(
                    code,
                    Unit.PROCESS,
                    ocid,
                    value,
                    evidence,
                    ocid=ocid,
                    related=tuple(("bidder", t) for t in linked),
                    severity=severity(items) if severity else 1.0,
                )
            )
            for a, b in pairs:
                out.findings.append(
                    Finding(code, Unit.BIDDER_PAIR, f"{a}|{b}", 1.0, evidence, ocid=ocid, primary=False)
                )
        return out

    return compute


def _machine_severity(items: list[dict[str, Any]]) -> float:
    # one matching component (a CPU serial alone) is strong suspicion but weaker proof than the MAC or several
    kinds = {i["kind"] for i in items}
    return 1.0 if ("machine_mac" in kinds or len(kinds) >= 2) else 0.7


def _kinds_param(default: str) -> Parameter:
    return Parameter("kinds", default, "codes", "比对的特征类别（以“|”分隔）", "fingerprint kinds compared")


def _holders_param(default: int) -> Parameter:
    return Parameter(
        "max_holders",
        default,
        "int",
        "同一取值为超过此数的投标人共有时视为公共值而忽略（如交易中心公用电脑、代理总机、NAT 出口 IP）",
        "values held by more bidders than this are common and ignored",
        minimum=2,
    )


SHARED = (
    (
        "CN-40-1",
        "同一机器制作投标文件",
        "Bids authored on the same machine",
        "machine_mac|machine_cpu|machine_disk|machine_board",
        ART40 + "第1项（投标文件由同一单位或个人编制）；" + ART37 + "第1项",
        "两个以上投标人的投标文件制作机器码（网卡 MAC、CPU、硬盘、主板序列号之一）相同。",
        5,
        0.9,
        _machine_severity,
        "同一台电脑制作多家投标文件，通常意味着同一人编制；单一部件（"
        "如仅 CPU）一致时证明力较弱，应结合其他部件与文件属性核实。",
    ),
    (
        "CN-40-1F",
        "同一文件来源或同一加密锁",
        "Same file-creation id or software dongle",
        "file_creation_id|dongle_serial",
        ART40 + "第1项；各地电子投标文件雷同认定办法",
        "两个以上投标人的投标文件创建标识码相同（由同一份下载的招标文件制作），或造价软件加密锁序列号相同。",
        5,
        0.85,
        None,
        "创建标识码相同说明由同一份源文件制作；加密锁相同说明由同一操作人使用同一授权编制。",
    ),
    (
        "CN-40-IP",
        "同一 IP 地址上传投标文件",
        "Bids uploaded from the same IP address",
        "upload_ip",
        ART40 + "第2项（委托同一单位或个人办理投标事宜）",
        "两个以上投标人的投标文件从同一 IP 地址上传。",
        3,
        0.4,
        None,
        "同一出口 IP 可能只是共用网络（NAT、同一写字楼）；单独出现时证明力弱，与机器码、保证金账户一致时意义大。",
    ),
    (
        "CN-40-2",
        "同一委托代理人办理投标",
        "Same agent handled the bids",
        "agent",
        ART40 + "第2项",
        "两个以上投标人的投标委托代理人（证件号）相同。",
        3,
        0.8,
        None,
        "同一人代理多家投标，属于“委托同一单位或个人办理投标事宜”。",
    ),
    (
        "CN-40-3",
        "同一项目管理成员",
        "Same project-management member",
        "key_person|registered_person",
        ART40 + "第3项（载明的项目管理成员为同一人）",
        "两个以上投标人载明的项目负责人或项目管理成员（证件号）相同，或两家在主体库登记了同一人员。",
        3,
        0.85,
        None,
        "同一人被多家投标人列为项目管理成员，可能是挂靠或出借资质。",
    ),
    (
        "CN-87-37-3",
        "同一联系人员",
        "Same contact person",
        "contact_phone|contact_email",
        ART37 + "第3项（项目管理成员或者联系人员为同一人）",
        "两个以上投标人的联系人电话、电子邮箱或姓名相同（缺省不比较姓名；重名常见，须配合其他信息）。",
        3,
        0.6,
        None,
        "联系方式相同提示同一人操作；同名不同人常见，姓名只作辅助。",
    ),
    (
        "CN-40-6",
        "投标保证金从同一账户转出",
        "Deposits paid from the same account",
        "deposit_payer",
        ART40 + "第6项（不同投标人的投标保证金从同一单位或者个人的账户转出）",
        "两个以上投标人的投标保证金付款账户相同（资金系统的到账流水比对）。",
        3,
        0.95,
        None,
        "法定“视为串通”情形，证明力强；核对银行流水与付款人。",
    ),
)

for code, zh, en, kinds, basis, description, holders, weight, sev, interpretation in SHARED:
    register(
        Indicator(
            code=code,
            name_zh=zh,
            name_en=en,
            family=Family.FINGERPRINT,
            units=(Unit.PROCESS, Unit.BIDDER_PAIR),
            basis=basis,
            description_zh=description,
            compute=_shared_indicator(code, kinds, severity=sev),
            parameters=(
                _kinds_param(kinds),
                _holders_param(holders),
            ),
            min_population=2,
            needs=("fingerprints",),
            weight=weight,
            interpretation_zh=interpretation,
        )
    )


# -- ④ regular price differences ------------------------------------------------------------------------------------


def progression_table(bids: pl.DataFrame, min_bids: int, eps: float, tail_digits: int) -> pl.DataFrame:
    """Per process with ≥ ``min_bids`` usable bids: whether the sorted bids form an arithmetic progression (equal
    gaps within ``eps`` of the mean gap), a geometric one (equal log-gaps within ``eps``), or all end in the same
    non-zero ``tail_digits`` digits (in fen). Vectorised over sorted arrays."""
    b = bids.filter(pl.col("amount") > 0).with_columns(n=pl.len().over("ocid")).filter(pl.col("n") >= min_bids)
    if not b.height:
        return pl.DataFrame(
            schema={
                "ocid": pl.String,
                "n": pl.Int64,
                "arithmetic": pl.Boolean,
                "geometric": pl.Boolean,
                "same_tail": pl.Boolean,
                "gap_deviation": pl.Float64,
                "ratio_deviation": pl.Float64,
                "tail": pl.String,
            }
        )
    b = b.sort(["ocid", "amount"])
    ocid = b.get_column("ocid")
    x = b.get_column("amount").to_numpy().astype(np.float64)
    starts = np.flatnonzero(np.concatenate(([True], (ocid.to_numpy()[1:] != ocid.to_numpy()[:-1]))))
    n = np.diff(np.append(starts, x.size))
    ends = starts + n - 1
    group = np.repeat(np.arange(starts.size), n)
    last = np.zeros(x.size, dtype=bool)
    last[ends] = True

    def deviation(values: np.ndarray) -> np.ndarray:
        gaps = np.empty_like(values)
        gaps[:-1] = values[1:] - values[:-1]
        gaps[last] = np.nan
        mean_gap = (values[ends] - values[starts]) / (n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(gaps - mean_gap[group]) / mean_gap[group]
        rel = np.where(last, -np.inf, rel)
        worst = np.maximum.reduceat(rel, starts)
        return np.where(mean_gap > 0, worst, np.inf)

    gap_dev = deviation(x)
    ratio_dev = deviation(np.log(x))
    fen = np.rint(x * 100).astype(np.int64)
    modulus = 10**tail_digits
    tails = fen % modulus
    same = (np.minimum.reduceat(tails, starts) == np.maximum.reduceat(tails, starts)) & (tails[starts] != 0)
    return pl.DataFrame(
        {
            "ocid": ocid.gather(starts),
            "n": n.astype(np.int64),
            "arithmetic": gap_dev <= eps,
            "geometric": ratio_dev <= eps,
            "same_tail": same,
            "gap_deviation": np.where(np.isfinite(gap_dev), gap_dev, np.nan),
            "ratio_deviation": np.where(np.isfinite(ratio_dev), ratio_dev, np.nan),
            "tail": [str(t).zfill(tail_digits) for t in tails[starts]],
        }
    ).with_columns(pl.col("gap_deviation", "ratio_deviation").fill_nan(None))


def compute_progression(snapshot: Snapshot, params: Mapping[str, Any]) -> IndicatorOutput:
    bids = usable_bids(snapshot, params)
    min_bids = int(params["min_bids"])
    out = IndicatorOutput("CN-40-4P")
    if not bids.height:
        out.not_computable = population_empty("有有效报价的项目", "processes with valid bids")
        return out
    table = progression_table(bids, min_bids, float(params["eps"]), int(params["tail_digits"]))
    out.population = table.height
    too_few = bids.group_by("ocid").len().filter(pl.col("len") < min_bids).height
    if too_few:
        out.skipped = {"too_few_bids": too_few}
    out.per_unit = table.rename({"ocid": "unit_id"})
    if not table.height:
        out.not_computable = population_empty(
            f"有至少 {min_bids} 个有效报价的项目", f"processes with at least {min_bids} valid bids"
        )
        return out
    flagged = table.filter(pl.col("arithmetic") | pl.col("geometric") | pl.col("same_tail"))
    if not flagged.height:
        return out
    detail = (
        bids.join(flagged.select("ocid"), on="ocid", how="semi")
        .sort(["ocid", "amount"])
        .group_by("ocid", maintain_order=True)
        .agg(pl.struct("tenderer_id", "amount", "bid_id").alias("bids"))
    )
    lists = {r["ocid"]: r["bids"] for r in detail.iter_rows(named=True)}
    for row in flagged.sort("ocid").iter_rows(named=True):
        seq = lists[row["ocid"]]
        amounts = [s["amount"] for s in seq]
        patterns = [p for p in ("arithmetic", "geometric", "same_tail") if row[p]]
        evidence = {
            "patterns": patterns,
            "bids": seq,
            "gaps": [round(b - a, 2) for a, b in itertools.pairwise(amounts)],
            "ratios": [round(b / a, 6) for a, b in itertools.pairwise(amounts)],
            "gap_deviation": row["gap_deviation"],
            "ratio_deviation": row["ratio_deviation"],
            "eps": float(params["eps"]),
            "tail": row["tail"] if row["same_tail"] else None,
        }
        linked = sorted({s["tenderer_id"] for s in seq if s["tenderer_id"]})
        out.findings.append(
            Finding(
                "CN-40-4P",
                Unit.PROCESS,
                row["ocid"],
                float(row["n"]),
                evidence,
                ocid=row["ocid"],
                related=tuple(("bidder", t) for t in linked),
                severity=min(1.0, 0.6 + 0.1 * row["n"]),
            )
        )
    return out


register(
    Indicator(
        code="CN-40-4P",
        name_zh="投标报价呈规律性差异",
        name_en="Bid prices in regular progression",
        family=Family.FINGERPRINT,
        units=(Unit.PROCESS,),
        basis=ART40 + "第4项（投标报价呈规律性差异）；" + ART37 + "第4项",
        description_zh="项目内有效报价排序后：相邻差额相等（等差，偏差 ≤ eps）、"
        "相邻比值相等（等比）或全部报价（以分计）末几位相同且非零。",
        description_en="Sorted valid bids with equal gaps (arithmetic), equal ratios (geometric), or the same non-zero "
        "trailing digits (in fen).",
        compute=compute_progression,
        parameters=(
            Parameter("currency", None, "str", "主币种", "main currency"),
            Parameter("min_bids", 3, "int", "至少的有效报价个数", "minimum valid bids", minimum=3),
            Parameter(
                "eps", 0.001, "float", "相对偏差容许值（0.001 = 0.1%）", "relative tolerance", minimum=0, maximum=0.2
            ),
            Parameter(
                "tail_digits",
                3,
                "int",
                "比较的末位位数（以分计）",
                "trailing digits compared (fen)",
                minimum=2,
                maximum=8,
            ),
        ),
        min_population=1,
        needs=("bids",),
        weight=0.75,
        interpretation_zh="独立编制的报价几乎不可能等差、等比或尾数一致；这是“规律性差异”的典型形态。",
    )
)


# -- ④ abnormally identical documents ------------------------------------------------------------------------------

TEMPLATE = "__tender__"  # a documents row with this tenderer id holds the tender documents' own text


def compute_documents(
    snapshot: Snapshot, params: Mapping[str, Any], tokenize: Callable[[str], Sequence[str]] | None = None
) -> IndicatorOutput:
    docs = snapshot.frames["documents"]
    out = IndicatorOutput("CN-40-4D")
    if not docs.height:
        out.not_computable = data_missing("documents", "投标文件文本", "bid document texts")
        return out
    k = int(params["shingle_words"])
    threshold = float(params["threshold"])
    perms = minhash.Permutations.make(int(params["num_perm"]))
    template_sets: dict[str, set[str]] = {}
    for row in docs.filter(pl.col("tenderer_id") == TEMPLATE).iter_rows(named=True):
        template_sets.setdefault(row["ocid"], set()).update(minhash.shingles(row["text"], k, tokenize))
    bidders = docs.filter(pl.col("tenderer_id") != TEMPLATE)
    per_process = bidders.group_by("ocid", maintain_order=True).agg(
        pl.struct("tenderer_id", "bid_id", "text").alias("docs")
    )
    computable = 0
    for row in per_process.sort("ocid").iter_rows(named=True):
        entries = row["docs"]
        if len({e["tenderer_id"] for e in entries}) < 2:
            out.skipped["too_few_documents"] = out.skipped.get("too_few_documents", 0) + 1
            continue
        computable += 1
        template = template_sets.get(row["ocid"], set())
        sets = [minhash.shingles(e["text"], k, tokenize) - template for e in entries]
        sigs = [minhash.signature(minhash.hashes(s), perms) for s in sets]
        pairs = []
        for i in range(len(entries)):
            for j in range(i + 1, len(entries)):
                a, b = entries[i], entries[j]
                if a["tenderer_id"] == b["tenderer_id"] or not sets[i] or not sets[j]:
                    continue
                est = minhash.estimate(sigs[i], sigs[j])
                if est < threshold - 0.1:  # MinHash error margin; exact Jaccard decides
                    continue
                exact = minhash.jaccard(sets[i], sets[j])
                if exact >= threshold:
                    shared = sorted(sets[i] & sets[j], key=len, reverse=True)
                    pairs.append(
                        {
                            "tenderers": sorted([a["tenderer_id"], b["tenderer_id"]]),
                            "bids": [a["bid_id"], b["bid_id"]],
                            "jaccard": round(exact, 4),
                            "minhash_estimate": round(est, 4),
                            "shared_shingles": len(sets[i] & sets[j]),
                            "shingles": [len(sets[i]), len(sets[j])],
                            "examples": [s.replace("\u241f", "") for s in shared[:5]],
                        }
                    )
        if pairs:
            linked = sorted({t for p in pairs for t in p["tenderers"]})
            evidence = {"pairs": pairs, "threshold": threshold, "shingle_words": k, "template_removed": bool(template)}
            best = max(p["jaccard"] for p in pairs)
            out.findings.append(
                Finding(
                    "CN-40-4D",
                    Unit.PROCESS,
                    row["ocid"],
                    best,
                    evidence,
                    ocid=row["ocid"],
                    related=tuple(("bidder", t) for t in linked),
                    severity=min(1.0, best),
                )
            )
            for p in pairs:
                out.findings.append(
                    Finding(
                        "CN-40-4D",
                        Unit.BIDDER_PAIR,
                        "|".join(p["tenderers"]),
                        p["jaccard"],
                        p,
                        ocid=row["ocid"],
                        primary=False,
                    )
                )
    out.population = computable
    if not computable:
        out.not_computable = population_empty(
            "有两个以上投标人文本的项目", "processes with texts of two or more bidders"
        )
    return out


register(
    Indicator(
        code="CN-40-4D",
        name_zh="投标文件异常一致",
        name_en="Abnormally identical bid documents",
        family=Family.FINGERPRINT,
        units=(Unit.PROCESS, Unit.BIDDER_PAIR),
        basis=ART40 + "第4项（不同投标人的投标文件异常一致）",
        description_zh="同一项目两个投标人的投标文件文本（jieba 分词、k 词连缀片段，"
        "去除招标文件自身文本）的 Jaccard 相似度 ≥ 阈值；"
        "先用 MinHash 估计，再精确计算。",
        description_en="Jaccard similarity of two bidders' document shingles (jieba tokens, k-word shingles, the "
        "tender documents' own text removed) ≥ threshold; MinHash first, exact Jaccard reported.",
        compute=compute_documents,
        parameters=(
            Parameter("threshold", 0.6, "float", "Jaccard 相似度阈值", "Jaccard threshold", minimum=0.05, maximum=1),
            Parameter("shingle_words", 5, "int", "片段词数 k", "words per shingle", minimum=1, maximum=20),
            Parameter("num_perm", 128, "int", "MinHash 置换个数", "MinHash permutations", minimum=16, maximum=1024),
        ),
        min_population=2,
        needs=("documents",),
        weight=0.8,
        interpretation_zh="相同的错别字、相同的段落组织与措辞提示同一来源；先排除招标文件格式条款造成的一致。",
    )
)
