"""零提供: the official record of an organisation, held by an authoritative source (the market-regulation
registry, an e-licence service …), and how registration data is checked against it.

Where an authoritative record exists, a registrant does not type what the state already knows: missing
fields are filled from the record, and data that contradicts it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from yiwang.kernel.errors import InvalidInput
from yiwang.registry.domain.rules import Difference, same_name

# Status of an organisation in the authoritative register, and ours.
OFFICIAL_STATUSES = ("active", "suspended", "cancelled")


@dataclass(frozen=True)
class OfficialRecord:
    """What an authoritative source says about the holder of a USCC. ``None`` = the source does not say."""

    uscc: str
    name: str
    kind: str | None = None  # legal_person | other_org | individual_business
    legal_rep_name: str | None = None
    region_code: str | None = None
    established_on: date | None = None
    registered_capital_fen: int | None = None
    enterprise_nature: str | None = None
    status: str = "active"
    address: str | None = None
    business_scope: str | None = None
    source: str = ""  # which source answered (shown to the user: 数据来源)

    def as_prefill(self) -> dict[str, Any]:
        """The record as registration data (only the fields the source knows)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("status", "source"):
                continue
            value = getattr(self, f.name)
            if value is not None and value != "":
                out[f.name] = value
        return out


# Fields compared with the record, and how.
CHECKED_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "legal_rep_name",
    "region_code",
    "established_on",
    "registered_capital_fen",
    "enterprise_nature",
)
_NAME_FIELDS = frozenset({"name", "legal_rep_name"})


def differences(given: Mapping[str, Any], record: OfficialRecord) -> list[Difference]:
    """Fields present in ``given`` (not None / empty) that contradict ``record``. Names compare after
    normalisation (full-width parentheses, white space); other values exactly."""
    out: list[Difference] = []
    for name in CHECKED_FIELDS:
        official = getattr(record, name)
        value = given.get(name)
        if official is None or value is None or value == "":
            continue
        same = same_name(str(value), str(official)) if name in _NAME_FIELDS else value == official
        if not same:
            out.append(Difference(name, value, official))
    return out


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def mismatch_error(diffs: list[Difference], record: OfficialRecord) -> InvalidInput:
    labels = "、".join(FIELD_LABELS_ZH.get(d.field, d.field) for d in diffs)
    return InvalidInput(
        "registry.authoritative_mismatch",
        f"以下信息与权威登记信息不一致：{labels}（请以登记机关记载为准）",
        "the data contradicts the authoritative record in: " + ", ".join(d.field for d in diffs),
        {
            "field": diffs[0].field,
            "source": record.source,
            "differences": [{"field": d.field, "given": _json(d.given), "official": _json(d.official)} for d in diffs],
        },
    )


def merge_prefill(given: Mapping[str, Any], record: OfficialRecord) -> dict[str, Any]:
    """``given`` with its missing fields filled from ``record`` (given values win; they were checked)."""
    merged = dict(given)
    for name, value in record.as_prefill().items():
        if merged.get(name) in (None, ""):
            merged[name] = value
    return merged


FIELD_LABELS_ZH: Mapping[str, str] = {
    "kind": "主体类型",
    "uscc": "统一社会信用代码",
    "id_document_type": "证件类型",
    "id_number": "证件号码",
    "name": "名称",
    "legal_rep_name": "法定代表人（负责人）姓名",
    "legal_rep_id_type": "法定代表人证件类型",
    "legal_rep_id_number": "法定代表人证件号码",
    "region_code": "所在行政区划",
    "address": "住所（经营场所）",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "contact_email": "电子邮箱",
    "registered_capital_fen": "注册资本",
    "established_on": "成立日期",
    "enterprise_nature": "企业性质",
    "business_scope": "经营范围",
    "roles": "主体角色",
    "status": "状态",
}
