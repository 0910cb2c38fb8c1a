"""The red-flag engine's refusals (stable codes, Chinese and English messages)."""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied


def unknown_indicator(code: str) -> InvalidInput:
    return InvalidInput(
        "redflags.unknown_indicator",
        f"没有编码为“{code}”的预警指标",
        f"No indicator with code {code!r}",
        {"code": code},
    )


def unknown_parameter(code: str, name: str) -> InvalidInput:
    return InvalidInput(
        "redflags.unknown_parameter",
        f"指标 {code} 没有参数“{name}”",
        f"Indicator {code} has no parameter {name!r}",
        {"code": code, "parameter": name},
    )


def parameter_invalid(code: str, name: str, reason_zh: str, reason_en: str, value: Any = None) -> InvalidInput:
    return InvalidInput(
        "redflags.parameter_invalid",
        f"指标 {code} 的参数“{name}”不正确：{reason_zh}",
        f"Parameter {name!r} of indicator {code} is invalid: {reason_en}",
        {
            "code": code,
            "parameter": name,
            "value": value if isinstance(value, str | int | float | bool) else repr(value),
        },
    )


def no_indicators() -> InvalidInput:
    return InvalidInput("redflags.no_indicators", "请至少选择一个预警指标", "Choose at least one indicator")


def frame_invalid(name: str, reason_zh: str, reason_en: str, details: dict[str, Any] | None = None) -> InvalidInput:
    return InvalidInput(
        "redflags.frame_invalid",
        f"快照数据表“{name}”不正确：{reason_zh}",
        f"Snapshot frame {name!r} is invalid: {reason_en}",
        {"frame": name, **(details or {})},
    )


def ocds_unreadable(reason_zh: str, reason_en: str, details: dict[str, Any] | None = None) -> InvalidInput:
    return InvalidInput(
        "redflags.ocds_unreadable",
        f"无法读取 OCDS 文件：{reason_zh}",
        f"Cannot read the OCDS file: {reason_en}",
        details,
    )


def transition_refused(status: str, verb: str) -> Conflict:
    return Conflict(
        "redflags.wrong_status",
        f"预警当前状态（{status}）不允许此操作（{verb}）",
        f"The alert's status ({status}) does not allow this ({verb})",
        {"status": status, "action": verb},
    )


def reason_required() -> InvalidInput:
    return InvalidInput("redflags.reason_required", "请填写理由", "A reason is required").at("reason")


def reason_too_long() -> InvalidInput:
    return InvalidInput(
        "redflags.reason_too_long", "理由不得超过 2000 字", "The reason is longer than 2,000 characters"
    ).at("reason")


def assignee_invalid(who: str) -> InvalidInput:
    return InvalidInput(
        "redflags.assignee_invalid",
        f"“{who}”不是监管本预警所在区域的监管人员",
        f"{who!r} is not a regulator over the alert's region",
        {"assignee": who},
    ).at("assignee")


def codes_invalid(codes: list[str]) -> InvalidInput:
    return InvalidInput(
        "redflags.codes_invalid",
        "所选指标不属于该预警",
        "The indicators named are not on this alert",
        {"codes": codes},
    ).at("false_positive_codes")


def alert_not_found(alert_id: Any) -> NotFound:
    # the same answer for "does not exist" and "not in your region": existence itself is not disclosed
    return NotFound(
        "redflags.alert_not_found",
        "未找到该预警（或不在您的监管范围内）",
        "No such alert in your scope",
        {"id": alert_id},
    )


def run_not_found(run_id: Any) -> NotFound:
    return NotFound(
        "redflags.run_not_found",
        "未找到该筛查批次（或不在您的监管范围内）",
        "No such run in your scope",
        {"id": run_id},
    )


def forbidden() -> PermissionDenied:
    return PermissionDenied(
        "redflags.forbidden",
        "仅监管人员（及只读的审计人员）可以使用预警功能",
        "Regulators (and auditors, read-only) only",
    )


def region_not_covered(region: str) -> PermissionDenied:
    return PermissionDenied(
        "redflags.region_not_covered",
        f"您不监管行政区划 {region}",
        f"You do not supervise region {region}",
        {"region_code": region},
    )
