"""Validating one pushed record against its dataset definition (pure Python).

Every check yields a :class:`FieldError` with the field path and a stable code; a record is accepted only when
it has none. The checks that need no stored state are here; those that do (parent present, key taken,
stale ``DATA_TIMESTAMP``) are :func:`decide` over the stored state the caller looked up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from yiwang.kernel.canonical import canonical_json, sha256_hex

from .datasets import TRANSPORT_FIELDS, Dataset, FieldDef, code_sets, get_dataset

ADD, UPDATE, DELETE = "1", "2", "3"
DATA_TYPES = (ADD, UPDATE, DELETE)
_INT = re.compile(r"^-?[0-9]+$", re.ASCII)
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$", re.ASCII)
_DIGITS = {"datetime": re.compile(r"^[0-9]{14}$", re.ASCII), "date": re.compile(r"^[0-9]{8}$", re.ASCII)}
_FORMATS = {"datetime": "%Y%m%d%H%M%S", "date": "%Y%m%d"}

# Messages of each code, Chinese first; ``{f}`` is the field name.
MESSAGES: dict[str, tuple[str, str]] = {
    "exchange.field_required": ("必填字段 {f} 缺失", "mandatory field {f} is missing"),
    "exchange.too_long": ("字段 {f} 超过最大长度", "field {f} is longer than allowed"),
    "exchange.bad_type": ("字段 {f} 类型或格式不符", "field {f} has the wrong type or format"),
    "exchange.bad_code": ("字段 {f} 的代码值不在代码表中", "field {f} holds a code that is not in its code table"),
    "exchange.unknown_field": ("字段 {f} 不属于该数据集", "field {f} is not part of this dataset"),
    "exchange.unknown_dataset": ("未知的数据集", "unknown dataset"),
    "exchange.malformed_record": ("记录须为 JSON 对象", "a record must be a JSON object"),
    "exchange.parent_missing": ("上级数据未上报，请先上报", "the parent record has not been reported; report it first"),
    "exchange.parent_foreign": ("上级数据属于其他平台", "the parent record belongs to another platform"),
    "exchange.key_immutable": ("字段 {f} 一经上报不得修改", "field {f} cannot change once reported"),
    "exchange.key_taken": ("该主键的数据已由其他平台上报", "another platform already reported a record with this key"),
    "exchange.stale": (
        "数据时间戳早于已接收的版本",
        "DATA_TIMESTAMP is older than the version already received",
    ),
    "exchange.timestamp_reused": (
        "同一数据时间戳已接收过内容不同的版本",
        "a different version with the same DATA_TIMESTAMP was already received",
    ),
    "exchange.timestamp_in_future": ("数据时间戳晚于当前时间", "DATA_TIMESTAMP lies in the future"),
    "exchange.already_exists": (
        "数据已存在，请使用修改（DATA_TYPE=2）",
        "the record exists; use DATA_TYPE 2 to update it",
    ),
    "exchange.not_found": ("数据不存在，无法修改或删除", "no such record to update or delete"),
    "exchange.has_children": ("仍有下级数据，不能删除", "the record still has child records"),
    "exchange.concurrent_push": (
        "同一数据正被并发上报，请稍后重试",
        "the same record is being pushed concurrently; retry",
    ),
    "exchange.platform_mismatch": (
        "PLATFORM_CODE 与调用方平台不符",
        "PLATFORM_CODE is not the calling platform's code",
    ),
}


@dataclass(frozen=True)
class FieldError:
    code: str
    field: str  # the field path: "TENDER_PROJECT_CODE", or "" for the whole record
    message_zh: str
    message_en: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": dict(self.details),
        }


def error(code: str, field_name: str = "", /, **details: Any) -> FieldError:
    zh, en = MESSAGES[code]
    return FieldError(code, field_name, zh.format(f=field_name), en.format(f=field_name), details)


@dataclass(frozen=True)
class CodeBook:
    """The valid codes the checks use: catalogue tables by name, the current region codes. Built once per
    request by the caller (the spec code sets come from the definition table itself)."""

    catalog: Mapping[str, frozenset[str]]
    regions: frozenset[str]

    def allowed(self, f: FieldDef) -> frozenset[str] | None:
        source = f.code_source
        if source == "region":
            return self.regions
        if source == "spec":
            return code_sets()[f.code_table or ""].codes
        if source == "catalog":
            return self.catalog.get(f.code_table or "")
        return None


@dataclass(frozen=True)
class Checked:
    """A record that passed the stateless checks."""

    dataset: Dataset
    data_type: str
    data_key: str | None
    content: dict[str, Any]  # the record without transport fields and empty values (what is stored and digested)
    key: str
    digest: str

    @property
    def data_timestamp(self) -> str:
        return str(self.content["DATA_TIMESTAMP"])


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a record's content (docs/exchange.md §5)."""
    return sha256_hex(canonical_json(dict(content)))


def record_content(record: Mapping[str, Any]) -> dict[str, Any]:
    """What is stored of a pushed record: every field but the transport fields, without null or empty values."""
    return {k: v for k, v in record.items() if k not in TRANSPORT_FIELDS and v is not None and v != ""}


def _text(value: Any) -> str | None:
    """A JSON scalar as the text whose length is checked (None for objects, arrays and booleans)."""
    if isinstance(value, (bool, dict | list)):
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def check_value(f: FieldDef, value: Any, codes: CodeBook) -> FieldError | None:
    text = _text(value)
    if text is None:
        return error("exchange.bad_type", f.name, expected=f.type)
    if f.type in ("string", "datetime", "date") and not isinstance(value, str):
        return error("exchange.bad_type", f.name, expected=f.type)
    if f.type == "code" and not isinstance(value, str | int):
        return error("exchange.bad_type", f.name, expected=f.type)
    if len(text) > f.max_length:
        return error("exchange.too_long", f.name, max_length=f.max_length, length=len(text))
    if f.type == "int" and (isinstance(value, float) or not _INT.match(text)):
        return error("exchange.bad_type", f.name, expected="int")
    if f.type == "decimal":
        if not (isinstance(value, int | float) or _DECIMAL.match(text)):
            return error("exchange.bad_type", f.name, expected="decimal")
        try:
            if not Decimal(text).is_finite():
                return error("exchange.bad_type", f.name, expected="decimal")
        except InvalidOperation:
            return error("exchange.bad_type", f.name, expected="decimal")
    if f.type in _DIGITS:
        if not _DIGITS[f.type].match(text):
            return error("exchange.bad_type", f.name, expected=_FORMATS[f.type].replace("%", ""))
        try:
            datetime.strptime(text, _FORMATS[f.type])  # noqa: DTZ007 — a calendar check only, no instant is made
        except ValueError:
            return error("exchange.bad_type", f.name, expected="a real date")
    if f.type == "code":
        allowed = codes.allowed(f)
        if allowed is None or text not in allowed:
            return error(
                "exchange.bad_code",
                f.name,
                table=f.code_table,
                value=text,
                allowed=sorted(allowed)[:50] if allowed and f.code_source != "region" else None,
            )
    return None


def check_record(dataset_name: Any, record: Any, codes: CodeBook) -> tuple[Checked | None, list[FieldError]]:
    """The stateless checks of one record: dataset known, fields known, mandatory present, types, lengths,
    codes, ``DATA_TYPE``. Returns the checked record or every error found."""
    dataset = get_dataset(dataset_name) if isinstance(dataset_name, str) else None
    if dataset is None:
        return None, [error("exchange.unknown_dataset", "dataset", dataset=str(dataset_name)[:64])]
    if not isinstance(record, dict):
        return None, [error("exchange.malformed_record", "record")]
    errors: list[FieldError] = []
    known = dataset.field_map
    transport = {f.name: f for f in _transport()}
    for name in record:
        if name not in known and name not in transport:
            errors.append(error("exchange.unknown_field", str(name)[:64]))
    data_type_value = record.get("DATA_TYPE")
    if data_type_value is None or data_type_value == "":
        errors.append(error("exchange.field_required", "DATA_TYPE"))
        data_type = ADD
    else:
        bad = check_value(transport["DATA_TYPE"], data_type_value, codes)
        if bad:
            errors.append(bad)
        data_type = str(data_type_value)
    data_key = record.get("DATA_KEY")
    if data_key not in (None, ""):
        bad = check_value(transport["DATA_KEY"], data_key, codes)
        if bad:
            errors.append(bad)
    needed = _mandatory_for(dataset, data_type)
    for f in dataset.fields:
        value = record.get(f.name)
        if value is None or value == "":
            if f.name in needed:
                errors.append(error("exchange.field_required", f.name))
            continue
        bad = check_value(f, value, codes)
        if bad:
            errors.append(bad)
    if errors:
        return None, errors
    content = record_content(record)
    return (
        Checked(
            dataset=dataset,
            data_type=data_type,
            data_key=str(data_key) if data_key not in (None, "") else None,
            content=content,
            key=dataset.key_of(content),
            digest=content_digest(content),
        ),
        [],
    )


def check_not_future(checked: Checked, latest: str) -> FieldError | None:
    """``DATA_TIMESTAMP`` (local time, ``yyyyMMddHHmmss``) may not lie after ``latest`` (now plus the allowed
    clock skew, in the same form): a record cannot describe a state the sender has not reached yet."""
    if checked.data_timestamp > latest:
        return error("exchange.timestamp_in_future", "DATA_TIMESTAMP", given=checked.data_timestamp, latest=latest)
    return None


def _transport() -> tuple[FieldDef, ...]:
    from .datasets import transport_fields

    return transport_fields()


def _mandatory_for(dataset: Dataset, data_type: str) -> set[str]:
    """A delete needs only the keys and the common mandatory fields; add and update need every mandatory one."""
    if data_type == DELETE:
        return {*dataset.keys, "PLATFORM_CODE", "DATA_TIMESTAMP"}
    return {f.name for f in dataset.fields if f.mandatory} | set(dataset.keys)


# -- the stateful decision ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    """What the hub holds for one record key (the current version)."""

    platform_code: str
    data_timestamp: str
    digest: str
    deleted: bool
    content: Mapping[str, Any]


INSERT, REPLACE, REMOVE, UNCHANGED = "insert", "update", "delete", "unchanged"


def decide(
    checked: Checked,
    stored: Stored | None,
    *,
    platform_code: str,
    parent: Stored | bool | None,
    has_live_children: Callable[[], bool],
    data_key_target: str | None,
) -> tuple[str | None, FieldError | None]:
    """What to do with a checked record given the stored state: ``(outcome, None)`` or ``(None, error)``.

    ``parent``: the parent's stored state (None: missing; True: the dataset has no parent).
    ``data_key_target``: the record key the sender's ``DATA_KEY`` already names, if any.
    """
    op = checked.data_type
    ts = checked.data_timestamp
    if checked.content.get("PLATFORM_CODE") != platform_code:
        return None, error("exchange.platform_mismatch", "PLATFORM_CODE", given=checked.content.get("PLATFORM_CODE"))
    if data_key_target is not None and data_key_target != checked.key:
        old = dict(zip(checked.dataset.keys, data_key_target.split("|"), strict=False))
        changed = [k for k in checked.dataset.keys if str(checked.content.get(k, "")) != old.get(k, "")]
        name = next((k for k in changed if k in _immutable()), changed[0] if changed else checked.dataset.keys[0])
        return None, error("exchange.key_immutable", name, data_key=checked.data_key, reported=old.get(name))
    if stored is not None and stored.platform_code != platform_code:
        return None, error("exchange.key_taken", "", key=checked.key)
    if stored is not None and ts == stored.data_timestamp:
        same = checked.digest == stored.digest if op != DELETE else stored.deleted
        if same and (op == DELETE) == stored.deleted:
            return UNCHANGED, None
        return None, error("exchange.timestamp_reused", "DATA_TIMESTAMP", data_timestamp=ts)
    if stored is not None and ts < stored.data_timestamp:
        return None, error("exchange.stale", "DATA_TIMESTAMP", given=ts, stored=stored.data_timestamp)
    live = stored is not None and not stored.deleted
    if op in (ADD, UPDATE):
        if op == ADD and live:
            return None, error("exchange.already_exists", "", key=checked.key)
        if op == UPDATE and not live:
            return None, error("exchange.not_found", "", key=checked.key)
        if parent is None:
            return None, _parent_error(checked)
        if isinstance(parent, Stored) and parent.platform_code != platform_code:
            return None, error("exchange.parent_foreign", _parent_field(checked), parent=checked.dataset.parent.dataset)
        return (INSERT if op == ADD else REPLACE), None
    if not live:
        return None, error("exchange.not_found", "", key=checked.key)
    if has_live_children():
        return None, error("exchange.has_children", "", key=checked.key)
    return REMOVE, None


def _immutable() -> frozenset[str]:
    from .datasets import IMMUTABLE_KEYS

    return IMMUTABLE_KEYS


def _parent_field(checked: Checked) -> str:
    parent = checked.dataset.parent
    return next(iter(parent.fields)) if parent else ""


def _parent_error(checked: Checked) -> FieldError:
    parent = checked.dataset.parent
    assert parent is not None
    return error(
        "exchange.parent_missing",
        _parent_field(checked),
        parent=parent.dataset,
        parent_key={p: checked.content.get(c) for c, p in parent.fields.items()},
    )


def parent_key(checked: Checked) -> str | None:
    """The parent's record key (in the parent dataset's key order), or None when the dataset has no parent."""
    parent = checked.dataset.parent
    if parent is None:
        return None
    parent_ds = get_dataset(parent.dataset)
    assert parent_ds is not None
    by_parent_field = {p: checked.content.get(c) for c, p in parent.fields.items()}
    return parent_ds.key_of(by_parent_field)
