"""What staff record on site during an opening or an evaluation (现场见证记录), and which records go to
supervision.

Pure Python: no Django here.
"""

from __future__ import annotations

from enum import StrEnum


class RecordKind(StrEnum):
    OPENING_START = "opening_start"  # 开标开始
    OPENING_END = "opening_end"  # 开标结束
    EVALUATION_START = "evaluation_start"  # 评标开始
    EVALUATION_END = "evaluation_end"  # 评标结束
    IRREGULARITY = "irregularity"  # 异常情况
    ONSITE_OBJECTION = "onsite_objection"  # 现场质疑（异议）
    EQUIPMENT_FAILURE = "equipment_failure"  # 设备故障
    OTHER = "other"  # 其他


KIND_LABELS_ZH: dict[RecordKind, str] = {
    RecordKind.OPENING_START: "开标开始",
    RecordKind.OPENING_END: "开标结束",
    RecordKind.EVALUATION_START: "评标开始",
    RecordKind.EVALUATION_END: "评标结束",
    RecordKind.IRREGULARITY: "异常情况",
    RecordKind.ONSITE_OBJECTION: "现场质疑",
    RecordKind.EQUIPMENT_FAILURE: "设备故障",
    RecordKind.OTHER: "其他",
}

# Records of these kinds are reported to supervision unless staff say otherwise; staff may report any record.
FLAGGED_BY_DEFAULT = frozenset({RecordKind.IRREGULARITY, RecordKind.ONSITE_OBJECTION})

# How far ahead of the server's clock a recorded time may lie (clock skew of the recording device).
FUTURE_TOLERANCE_MINUTES = 5


def flagged(kind: RecordKind, requested: bool | None) -> bool:
    """Is a record of ``kind`` reported to supervision? ``requested`` (from staff) wins when given."""
    return (kind in FLAGGED_BY_DEFAULT) if requested is None else bool(requested)
