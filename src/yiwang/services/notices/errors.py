"""Refusals of the notices context (``notices.*`` codes) that are not pure field or state rules."""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation


def invalid(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(f"notices.{code}", zh, en, details)


def notice_not_found(notice_id: object) -> NotFound:
    return NotFound("notices.not_found", "没有这份公告", "no such notice", {"notice_id": str(notice_id)[:40]})


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied(
        "notices.forbidden",
        f"无权{what_zh}：须为该区域的交易中心工作人员或公告发布主体的用户",
        f"not allowed to {what_en}: staff over the region or a user of the publishing entity only",
    )


def correction_pending(notice_id: int, successor_id: int) -> Conflict:
    return Conflict(
        "notices.correction_pending",
        "本公告已有待发布的更正公告，请先发布或撤销该更正",
        "a correction of this notice is waiting to be published; publish or withdraw it first",
        {"notice_id": notice_id, "correction_id": successor_id},
    )


def publicity_too_short(rule: Any, start: str, end: str, earliest_end: str) -> RuleViolation:
    return RuleViolation(
        "notices.publicity_too_short",
        f"公示期不得少于{rule.describe()}（{rule.source}）：结束时间最早为 {earliest_end}",
        f"the publicity period must last at least {rule.value} {rule.unit} ({rule.rule_id})",
        {
            "rule_id": rule.rule_id,
            "source": rule.source,
            "field": "PUBLICITY_END_TIME",
            "start": start,
            "end": end,
            "earliest_end": earliest_end,
        },
    )


def subscription_not_found(subscription_id: object) -> NotFound:
    return NotFound(
        "notices.subscription_not_found",
        "没有这个订阅",
        "no such subscription",
        {"subscription_id": str(subscription_id)[:40]},
    )
