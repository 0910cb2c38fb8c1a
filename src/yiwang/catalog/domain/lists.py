"""The six lists: their kinds, version states, item schemas, which version is in effect, and diffs.

Pure Python. Every item of a list has a ``key`` (stable across versions), an ``item_type``, a Chinese title and a
``data`` mapping whose fields are declared here, so one validator serves the loader, the staff forms and the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from yiwang.catalog.domain import platforms, rules
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.kernel.ids import validate_uscc


class ListKind(StrEnum):
    TRADING = "trading"
    RULES = "rules"
    PLATFORMS = "platforms"
    DISCLOSURE = "disclosure"
    SERVICES = "services"
    DUTIES = "duties"

    @property
    def label_zh(self) -> str:
        return LIST_LABELS_ZH[self.value]


LIST_LABELS_ZH = {
    "trading": "交易目录",
    "rules": "规则目录",
    "platforms": "平台目录",
    "disclosure": "公开目录",
    "services": "服务清单",
    "duties": "权责清单",
}
LIST_DESCRIPTIONS_ZH = {
    "trading": "哪些公共资源应进必进、能进则进，按交易品类分层管理",
    "rules": "现行有效的交易制度规则及其法定时限、比例、限额；未列入规则目录的，不得作为监管依据",
    "platforms": "市公共资源交易平台及其分平台、纳入“一网交易”的市场化交易平台",
    "disclosure": "各品类各阶段必须公开的信息、时限和发布渠道",
    "services": "交易服务事项及其办理时限、收费和渠道",
    "duties": "综合管理部门和行业主管部门的权力和责任",
}


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"

    @property
    def label_zh(self) -> str:
        return {"draft": "草稿", "published": "已发布", "superseded": "已被新版本取代"}[self.value]


IN_FORCE_STATUSES = (VersionStatus.PUBLISHED.value, VersionStatus.SUPERSEDED.value)

TIERS = {"must": "应进必进", "may": "能进则进"}
STAGES = {
    "plan": "采购/招标计划",
    "notice": "交易公告",
    "documents": "交易文件",
    "clarification": "澄清/变更",
    "opening": "开标/竞价",
    "evaluation": "评审",
    "candidates": "候选人公示",
    "result": "交易结果",
    "contract": "合同",
    "performance": "履约",
    "exception": "终止/流标",
    "complaint": "质疑投诉处理",
}
DOCUMENT_LEVELS = {
    "law": "法律",
    "admin_regulation": "行政法规",
    "judicial_interpretation": "司法解释",
    "dept_rule": "部门规章",
    "local_rule": "地方政府规章",
    "normative": "规范性文件",
    "standard": "技术标准",
    "policy": "政策文件",
}
DOCUMENT_STATUSES = {"in_force": "现行有效", "amended": "已修订", "repealed": "已废止", "pending": "尚未施行"}
PLATFORM_STATUSES = {"active": "运行", "suspended": "暂停", "closed": "撤销"}
AUTHORITY_ROLES = {"comprehensive": "综合管理部门", "industry": "行业主管部门", "other": "其他部门"}
DUTY_KINDS = {
    "coordination": "统筹协调",
    "rule_making": "制度规则",
    "supervision": "监督管理",
    "complaint": "投诉处理",
    "penalty": "行政处罚",
    "inspection": "监督检查",
    "service": "公共服务",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_zh: str
    type: str = (
        "text"  # text | longtext | list | bool | date | choice | rule_value | rule_unit | rule_kind | uscc | key
    )
    required: bool = False
    choices: Mapping[str, str] = field(default_factory=dict)
    help_zh: str = ""


def _f(name: str, label: str, type_: str = "text", *, required: bool = False, choices=None, help_zh="") -> FieldSpec:
    return FieldSpec(name, label, type_, required, dict(choices or {}), help_zh)


CONFIDENCE = {"✔": "✔ 已核对原文", "◇": "◇ 待核对现行原文"}
NOTE = _f("note", "备注", "longtext")
INFERRED = _f("inferred", "系推断（待主管部门确认）", "bool")

SCHEMAS: dict[str, dict[str, tuple[FieldSpec, ...]]] = {
    "trading": {
        "category": (
            _f("code", "品类编号", required=True),
            _f("authority", "行业主管部门"),
            _f("platforms", "交易平台（平台目录键，逗号分隔）", "list"),
            NOTE,
        ),
        "item": (
            _f("category", "所属品类（键）", "key", required=True),
            _f("tier", "层级", "choice", required=True, choices=TIERS),
            _f("authority", "行业主管部门"),
            _f("platforms", "交易平台（平台目录键，逗号分隔）", "list"),
            _f("basis", "依据"),
            INFERRED,
            NOTE,
        ),
    },
    "rules": {
        "document": (
            _f("number", "文号"),
            _f("issuer", "制定机关", required=True),
            _f("level", "效力层级", "choice", required=True, choices=DOCUMENT_LEVELS),
            _f("issued_on", "发布日期", "date"),
            _f("effective_on", "施行日期", "date"),
            _f("status", "状态", "choice", required=True, choices=DOCUMENT_STATUSES),
            _f("confidence", "核对情况", "choice", choices=CONFIDENCE),
            NOTE,
        ),
        "rule": (
            _f("value", "数值", "rule_value", required=True, help_zh="整数、小数或分数（如 2/3）"),
            _f("unit", "单位", "rule_unit", required=True, choices=rules.UNIT_LABELS_ZH),
            _f("kind", "类型", "rule_kind", required=True, choices=rules.KIND_LABELS_ZH),
            _f("anchor", "起算事件"),
            _f("applies_to", "适用范围（品类/程序代码，逗号分隔）", "list"),
            _f("document", "依据文件（规则目录中的文件键）", "key", required=True),
            _f("article", "条款"),
            _f("confidence", "核对情况", "choice", required=True, choices=CONFIDENCE),
            NOTE,
        ),
    },
    "platforms": {
        "platform": (
            _f("kind", "平台类别", "choice", required=True, choices=platforms.PLATFORM_KINDS),
            _f("short_name", "简称"),
            _f("operator", "运行服务机构", required=True),
            _f("uscc", "平台标识码（统一社会信用代码）", "uscc", required=True),
            _f("uscc_demo", "标识码为演示数据", "bool"),
            _f("categories", "服务品类（交易目录键，逗号分隔）", "list"),
            _f("status", "状态", "choice", required=True, choices=PLATFORM_STATUSES),
            _f("market_run", "市场化交易平台", "bool"),
            INFERRED,
            NOTE,
        ),
    },
    "disclosure": {
        "requirement": (
            _f("category", "品类（交易目录键）", "key", required=True),
            _f("stage", "阶段", "choice", required=True, choices=STAGES),
            _f("notice_types", "须公开的公告类型（代码表 notice_type，逗号分隔）", "list", required=True),
            _f("due_rule", "时限规则（规则目录键）"),
            _f("where", "发布渠道"),
            _f("basis", "依据"),
            INFERRED,
            NOTE,
        ),
    },
    "services": {
        "service": (
            _f("provider", "提供机构"),
            _f("time_limit", "办理时限", required=True),
            _f("time_limit_rule", "时限规则（规则目录键）"),
            _f("fee", "收费", required=True),
            _f("channel", "办理渠道（逗号分隔）", "list"),
            _f("basis", "依据"),
            INFERRED,
            NOTE,
        ),
    },
    "duties": {
        "authority": (
            _f("role", "部门类别", "choice", required=True, choices=AUTHORITY_ROLES),
            _f("short_name", "简称"),
            _f("categories", "主管品类（交易目录键，逗号分隔）", "list"),
            NOTE,
        ),
        "duty": (
            _f("authority", "部门（权责清单键）", "key", required=True),
            _f("duty_kind", "事项类别", "choice", required=True, choices=DUTY_KINDS),
            _f("basis", "依据", required=True),
            _f("categories", "涉及品类（交易目录键，逗号分隔）", "list"),
            INFERRED,
            NOTE,
        ),
    },
}

KEY = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,79}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def require_kind(kind: str) -> ListKind:
    try:
        return ListKind(kind)
    except ValueError:
        raise InvalidInput(
            "catalog.list_unknown",
            f"未知的目录清单“{kind}”",
            f"unknown list {kind!r}",
            {"list": kind, "allowed": [k.value for k in ListKind]},
        ) from None


def schema_for(kind: str, item_type: str) -> tuple[FieldSpec, ...]:
    types = SCHEMAS[require_kind(kind).value]
    if item_type not in types:
        raise InvalidInput(
            "catalog.item_type_unknown",
            f"{LIST_LABELS_ZH[kind]}没有“{item_type}”类条目",
            f"the {kind} list has no item type {item_type!r}",
            {"list": kind, "item_type": item_type, "allowed": sorted(types)},
        )
    return types[item_type]


def _field_error(spec: FieldSpec, value: Any, why_zh: str, why_en: str) -> InvalidInput:
    return InvalidInput(
        "catalog.field_invalid",
        f"“{spec.label_zh}”{why_zh}",
        f"field {spec.name!r} {why_en}",
        {"field": spec.name, "value": str(value)},
    )


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _clean_field(spec: FieldSpec, value: Any) -> Any:
    t = spec.type
    if t in ("text", "longtext", "key"):
        if not isinstance(value, str):
            raise _field_error(spec, value, "应为文本", "must be text")
        value = value.strip()
        if t == "key" and not KEY.match(value):
            raise _field_error(spec, value, "不是有效的键（小写字母、数字、._-）", "is not a valid key")
        if len(value) > (4000 if t == "longtext" else 300):
            raise _field_error(spec, value, "过长", "is too long")
        return value
    if t == "list":
        if isinstance(value, str):
            value = [part.strip() for part in re.split(r"[,，、\s]+", value) if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise _field_error(spec, value, "应为文本列表", "must be a list of text")
        return [v.strip() for v in value]
    if t == "bool":
        if isinstance(value, str) and value in ("true", "on", "1", "false", "0", ""):
            return value in ("true", "on", "1")
        if not isinstance(value, bool):
            raise _field_error(spec, value, "应为是/否", "must be true or false")
        return value
    if t == "date":
        if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
            raise _field_error(spec, value, "应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD")
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise _field_error(spec, value, "不是有效日期", "is not a valid date") from None
    if t == "choice":
        if value not in spec.choices:
            raise InvalidInput(
                "catalog.field_choice",
                f"“{spec.label_zh}”的取值“{value}”不在允许范围内",
                f"field {spec.name!r}: {value!r} is not one of the allowed values",
                {"field": spec.name, "value": str(value), "allowed": list(spec.choices)},
            )
        return value
    if t == "rule_value":
        return rules.format_rule_value(rules.parse_rule_value(value))
    if t == "rule_unit":
        return rules.check_unit(value)
    if t == "rule_kind":
        return rules.check_kind(value)
    if t == "uscc":
        if not isinstance(value, str):
            raise _field_error(spec, value, "应为文本", "must be text")
        return validate_uscc(value)
    raise AssertionError(f"unknown field type {t}")  # pragma: no cover


@dataclass(frozen=True)
class CleanItem:
    key: str
    item_type: str
    title_zh: str
    sort: int
    data: dict[str, Any]


def clean_item(kind: str, raw: Mapping[str, Any]) -> CleanItem:
    """Validate one item (``key``, ``item_type``/``type``, ``title_zh``, ``sort`` and the schema's fields at the
    top level or under ``data``); return it normalised or raise a specific :class:`InvalidInput`."""
    raw = dict(raw)
    nested = raw.pop("data", None) or {}
    key = raw.pop("key", "")
    item_type = raw.pop("item_type", None) or raw.pop("type", "")
    title = raw.pop("title_zh", "")
    sort = raw.pop("sort", 0)
    values = {**raw, **nested}
    if not isinstance(key, str) or not KEY.match(key.strip()):
        raise InvalidInput(
            "catalog.item_key_invalid",
            f"条目键“{key}”无效（小写字母、数字和 . _ -，不超过 80 个字符）",
            f"item key {key!r} is invalid (lower-case letters, digits, '.', '_', '-', at most 80)",
            {"field": "key", "value": str(key)},
        )
    specs = schema_for(kind, str(item_type))
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > 200:
        raise InvalidInput(
            "catalog.field_required",
            "请填写名称",
            "title_zh is required (at most 200 characters)",
            {"field": "title_zh"},
        )
    if isinstance(sort, str) and re.fullmatch(r"-?\d{1,6}", sort.strip()):
        sort = int(sort)
    if isinstance(sort, bool) or not isinstance(sort, int):
        raise InvalidInput("catalog.field_invalid", "排序应为整数", "sort must be an integer", {"field": "sort"})
    known = {s.name for s in specs}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInput(
            "catalog.field_unknown",
            f"未知字段：{'、'.join(unknown)}",
            f"unknown fields: {', '.join(unknown)}",
            {"fields": unknown, "allowed": sorted(known)},
        )
    data: dict[str, Any] = {}
    for spec in specs:
        value = values.get(spec.name)
        if _is_blank(value) and spec.type != "bool":
            if spec.required:
                raise InvalidInput(
                    "catalog.field_required",
                    f"请填写“{spec.label_zh}”",
                    f"field {spec.name!r} is required",
                    {"field": spec.name},
                )
            continue
        if value is None:
            continue
        cleaned = _clean_field(spec, value)
        if spec.type == "bool" and not cleaned:
            continue
        data[spec.name] = cleaned
    if kind == "platforms":
        platforms.check_platform_name(title.strip(), data["kind"])
    return CleanItem(key.strip(), str(item_type), title.strip(), sort, data)


def check_unique_keys(items: Iterable[CleanItem]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise Conflict(
                "catalog.item_duplicate",
                f"条目键“{item.key}”重复",
                f"duplicate item key {item.key!r}",
                {"key": item.key},
            )
        seen.add(item.key)


def check_references(kind: str, items: Iterable[CleanItem]) -> None:
    """References inside one version: a rule's document, a trading item's category, a duty's authority must be
    items of the same version (``catalog.reference_dangling``)."""
    items = list(items)
    by_type: dict[str, set[str]] = {}
    for item in items:
        by_type.setdefault(item.item_type, set()).add(item.key)
    wanted = {("rules", "rule"): ("document", "document"), ("trading", "item"): ("category", "category")}
    wanted[("duties", "duty")] = ("authority", "authority")
    for item in items:
        spec = wanted.get((kind, item.item_type))
        if spec is None:
            continue
        field_name, target_type = spec
        ref = item.data.get(field_name)
        if ref not in by_type.get(target_type, set()):
            raise InvalidInput(
                "catalog.reference_dangling",
                f"条目“{item.key}”引用的“{ref}”不在本版本中",
                f"item {item.key!r} refers to {ref!r}, which is not in this version",
                {"key": item.key, "field": field_name, "value": ref},
            )


# -- versions -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionRef:
    number: int
    status: str
    effective_from: date


def version_in_effect(versions: Iterable[VersionRef], on: date) -> VersionRef | None:
    """The published (or superseded) version with the latest ``effective_from`` on or before ``on``; on a tie
    the higher number wins. Drafts are never in effect."""
    candidates = [v for v in versions if v.status in IN_FORCE_STATUSES and v.effective_from <= on]
    if not candidates:
        return None
    return max(candidates, key=lambda v: (v.effective_from, v.number))


def check_effective_from(effective_from: date, *, today: date, latest_published: date | None) -> None:
    """A new version takes effect today or later, and not before the latest published version."""
    if effective_from < today:
        raise InvalidInput(
            "catalog.effective_from_past",
            f"生效日期 {effective_from.isoformat()} 早于今天 {today.isoformat()}",
            f"effective_from {effective_from.isoformat()} is in the past (today is {today.isoformat()})",
            {"field": "effective_from", "effective_from": effective_from.isoformat(), "today": today.isoformat()},
        )
    if latest_published is not None and effective_from < latest_published:
        raise InvalidInput(
            "catalog.effective_from_before_current",
            f"生效日期不得早于已发布的最新版本的生效日期 {latest_published.isoformat()}",
            f"effective_from is before that of the latest published version ({latest_published.isoformat()})",
            {"field": "effective_from", "latest_published": latest_published.isoformat()},
        )


def require_draft(status: str, kind: str, number: int) -> None:
    if status != VersionStatus.DRAFT.value:
        raise Conflict(
            "catalog.version_not_draft",
            f"{LIST_LABELS_ZH.get(kind, kind)}第 {number} 版已发布，不可修改；请新建草稿",
            f"version {number} of the {kind} list is {status} and cannot be changed; make a new draft",
            {"list": kind, "number": number, "status": status},
        )


# -- diffs --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemChange:
    key: str
    change: str  # added | removed | changed
    title_zh: str
    fields: tuple[tuple[str, Any, Any], ...] = ()  # (field, old, new) for changed items


def diff_items(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[ItemChange]:
    """Compare two versions given as ``key → {"title_zh", "item_type", "data"}``."""
    out: list[ItemChange] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            out.append(ItemChange(key, "added", b["title_zh"]))
        elif b is None and a is not None:
            out.append(ItemChange(key, "removed", a["title_zh"]))
        elif a is not None and b is not None:
            flat_a = {"title_zh": a["title_zh"], "item_type": a["item_type"], **a["data"]}
            flat_b = {"title_zh": b["title_zh"], "item_type": b["item_type"], **b["data"]}
            fields = tuple(
                (name, flat_a.get(name), flat_b.get(name))
                for name in sorted(set(flat_a) | set(flat_b))
                if flat_a.get(name) != flat_b.get(name)
            )
            if fields:
                out.append(ItemChange(key, "changed", b["title_zh"], fields))
    return out
