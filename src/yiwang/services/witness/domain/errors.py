"""The refusals of on-site witness records (``onsite.*``).

Pure Python: no Django here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied


def not_found(record_id: Any) -> NotFound:
    return NotFound(
        "onsite.record_not_found", "现场记录不存在", "No such on-site record", {"record_id": str(record_id)[:40]}
    )


def sign_in_required() -> PermissionDenied:
    return PermissionDenied("onsite.sign_in_required", "请先登录", "Sign in first")


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("onsite.forbidden", f"无权{what_zh}", f"Not allowed to {what_en}")


def invalid(field: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput("onsite.invalid", zh, en, {"field": field, **details})


def kind_invalid(allowed: list[str]) -> InvalidInput:
    return InvalidInput(
        "onsite.kind_invalid", "记录类型不正确", "Unknown kind of record", {"field": "kind", "allowed": allowed}
    )


def description_required() -> InvalidInput:
    return InvalidInput(
        "onsite.description_required", "请填写情况说明", "Describe what happened", {"field": "description"}
    )


def occurred_in_future(occurred_at: datetime, moment: datetime) -> InvalidInput:
    return InvalidInput(
        "onsite.occurred_in_future",
        "发生时间不能晚于当前时间",
        "The time of the event cannot be in the future",
        {"field": "occurred_at", "occurred_at": iso_utc(occurred_at), "server_time": iso_utc(moment)},
    )


def already_corrected(newer_id: int) -> Conflict:
    return Conflict(
        "onsite.already_corrected",
        "该记录已被更正，请对最新的更正记录再作更正",
        "This record was already corrected; correct the latest correction instead",
        {"corrected_by": newer_id},
    )


def reason_required() -> InvalidInput:
    return InvalidInput(
        "onsite.reason_required", "请填写更正原因", "Give the reason for the correction", {"field": "reason"}
    )


def too_many_attachments(limit: int) -> InvalidInput:
    return InvalidInput(
        "onsite.too_many_attachments",
        f"每条记录最多 {limit} 个附件",
        f"At most {limit} attachments per record",
        {"field": "attachments", "limit": limit},
    )
