"""Consistency and duplicate checks over the records of one sub-platform (pure Python; docs/exchange.md §8).

**Stage order** (环节顺序). Every dataset has a stage in its chain (the tender project, the purchase project, the
deal): 项目 1, 招标项目 2, 标段 3, 招标公告 4, 开标记录/评标专家 5, 中标候选人公示 6, 中标结果公告 7, 合同 8 … (the
``stage`` of the definition table). A record of stage *s* is checked against the earlier stages of its own
category (works, gp, land, state assets) that the table defines, among the datasets that share its chain field
(项目 is the parent of a 招标项目, which the push already checks, not a stage of the same chain):

- ``quality.stage_missing``: when the record arrived, no record of an earlier stage was there for its chain (for
  two datasets that hang under the same parent dataset, e.g. a result and its opening under a section, for the
  same parent record) — e.g. a result notice before any bid opening;
- ``quality.stage_order``: a record of an earlier stage whose own event time (notice sent, bid opening …, only
  when both records fill their event-time field) is later than this record's — e.g. a result sent before the
  opening took place.

**Duplicates** (重复数据): the *content digest* of a record is the SHA-256 of the canonical JSON of its
significant fields — its content without its own key fields, ``PLATFORM_CODE``, ``PUB_SERVICE_PLAT_CODE``,
``DATA_TIMESTAMP``, the transport fields and empty values. The reference to the parent stays significant: a
section called 施工总承包 in two tenders is two sections, while a tender project pushed again under a new code
(same project, same content) is a duplicate — and its children then differ by their parent, so the finding is
on the record where the repetition starts. Two live records of the same dataset with the same digest are the
same content under different keys; the later one (by arrival) is the duplicate (``quality.duplicate_content``),
the earlier one is named with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yiwang.kernel.canonical import canonical_json, sha256_hex

from .datasets import Dataset, all_datasets, get_dataset
from .quality import event_moment

NOT_SIGNIFICANT = frozenset({"PLATFORM_CODE", "PUB_SERVICE_PLAT_CODE", "DATA_TIMESTAMP", "DATA_TYPE", "DATA_KEY"})


@dataclass(frozen=True)
class ChainRecord:
    """One live record as the checks see it."""

    record_id: int
    dataset: str
    key: str
    chain: str
    parent_key: str
    arrival: int  # the position of its first version in the exchange's log (order of arrival)
    content: Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    """One rule a record broke, naming the record and the other record(s) concerned."""

    measure: str  # acceptance | completeness | timeliness | consistency | duplicates
    rule: str  # e.g. quality.stage_missing
    dataset: str
    key: str
    record_id: int | None
    message_zh: str
    related: tuple[tuple[str, str], ...] = ()  # (dataset, key) of the other records named
    value: str = ""  # the measured figure, when there is one (a lag, a completeness)


def shown_key(dataset: Dataset | None, key: str) -> str:
    """The key as reports show it: hashed for datasets with personal data (their keys hold identity numbers)."""
    if dataset is not None and dataset.personal_data:
        return "sha256:" + sha256_hex(key.encode("utf-8"))[:16]
    return key


def _later(a: str, b: str) -> bool:
    """Is moment ``a`` later than ``b``? (At the day when one of them is a date.)"""
    width = min(len(a), len(b))
    return a[:width] > b[:width]


def significant_digest(dataset: Dataset, content: Mapping[str, Any]) -> str | None:
    """The content digest over the significant fields (None when a record has no significant field filled)."""
    skip = set(NOT_SIGNIFICANT) | set(dataset.keys)
    significant = {k: v for k, v in content.items() if k not in skip and v not in (None, "")}
    if not significant:
        return None
    return sha256_hex(canonical_json({"dataset": dataset.table, "content": significant}))


def _earlier_stages(dataset: Dataset) -> list[tuple[int, tuple[Dataset, ...]]]:
    by_stage: dict[int, list[Dataset]] = defaultdict(list)
    for d in all_datasets():
        if d.category == dataset.category and d.stage < dataset.stage and d.chain_field == dataset.chain_field:
            by_stage[d.stage].append(d)
    return sorted((stage, tuple(ds)) for stage, ds in by_stage.items())


def _same_place(subject: ChainRecord, sds: Dataset, other: ChainRecord, ods: Dataset) -> bool:
    if subject.chain != other.chain:
        return False
    if sds.parent is not None and ods.parent is not None and sds.parent.dataset == ods.parent.dataset:
        return subject.parent_key == other.parent_key
    return True


def _names(datasets: Iterable[Dataset]) -> str:
    return "或".join(d.name_zh for d in datasets)


def stage_findings(records: Sequence[ChainRecord], subjects: Iterable[ChainRecord]) -> list[Finding]:
    """The stage-order findings of ``subjects`` against every live record in ``records`` (their universe)."""
    by_chain: dict[str, list[ChainRecord]] = defaultdict(list)
    for r in records:
        by_chain[r.chain].append(r)
    findings: list[Finding] = []
    for subject in subjects:
        sds = get_dataset(subject.dataset)
        if sds is None:
            continue
        missing: list[str] = []
        late: list[ChainRecord] = []
        out_of_order: list[ChainRecord] = []
        moment = event_moment(sds, subject.content)
        for _stage, stage_datasets in _earlier_stages(sds):
            tables = {d.table for d in stage_datasets}
            there = [
                o
                for o in by_chain[subject.chain]
                if o.dataset in tables and _same_place(subject, sds, o, get_dataset(o.dataset))  # type: ignore[arg-type]
            ]
            before = [o for o in there if o.arrival < subject.arrival]
            if not before:
                missing.append(_names(stage_datasets))
                late.extend(there)
            if moment is not None:
                for o in there:
                    other = event_moment(get_dataset(o.dataset), o.content)  # type: ignore[arg-type]
                    if other is not None and _later(other, moment):
                        out_of_order.append(o)
        key = shown_key(sds, subject.key)
        if missing:
            arrived_later = "；其后才收到：" + "、".join(f"{o.dataset} {o.key}" for o in late) if late else ""
            findings.append(
                Finding(
                    "consistency",
                    "quality.stage_missing",
                    subject.dataset,
                    key,
                    subject.record_id,
                    f"{sds.name_zh}上报时，前序环节（{'、'.join(missing)}）尚无数据{arrived_later}",
                    tuple((o.dataset, shown_key(get_dataset(o.dataset), o.key)) for o in late),
                )
            )
        if out_of_order:
            first = out_of_order[0]
            findings.append(
                Finding(
                    "consistency",
                    "quality.stage_order",
                    subject.dataset,
                    key,
                    subject.record_id,
                    f"{sds.name_zh}的时间（{moment}）早于前序环节 "
                    + "、".join(
                        f"{get_dataset(o.dataset).name_zh}（{event_moment(get_dataset(o.dataset), o.content)}）"  # type: ignore[union-attr,arg-type]
                        for o in out_of_order
                    ),
                    tuple((o.dataset, shown_key(get_dataset(o.dataset), o.key)) for o in out_of_order),
                    value=f"{first.dataset}",
                )
            )
    return findings


def duplicate_findings(records: Sequence[ChainRecord], subjects: Iterable[ChainRecord]) -> list[Finding]:
    """The ``subjects`` whose content digest equals that of a live record of the same dataset that arrived
    earlier (under another key)."""
    first_of: dict[str, ChainRecord] = {}
    for r in sorted(records, key=lambda r: r.arrival):
        ds = get_dataset(r.dataset)
        digest = significant_digest(ds, r.content) if ds is not None else None
        if digest is not None and digest not in first_of:
            first_of[digest] = r
    findings = []
    for subject in subjects:
        ds = get_dataset(subject.dataset)
        digest = significant_digest(ds, subject.content) if ds is not None else None
        original = first_of.get(digest) if digest is not None else None
        if ds is None or original is None or original.record_id == subject.record_id:
            continue
        findings.append(
            Finding(
                "duplicates",
                "quality.duplicate_content",
                subject.dataset,
                shown_key(ds, subject.key),
                subject.record_id,
                f"{ds.name_zh}内容与已报送的 {shown_key(ds, original.key)} 相同（键不同）",
                ((original.dataset, shown_key(ds, original.key)),),
                value=(digest or "")[:16],
            )
        )
    return findings
