"""Refusals of the evaluation context (codes ``evaluation.*``), built in one place."""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied


def invalid(code: str, zh: str, en: str, field: str | None = None, **details: Any) -> InvalidInput:
    if field is not None:
        details["field"] = field
    return InvalidInput(f"evaluation.{code}", zh, en, details)


def conflict(code: str, zh: str, en: str, **details: Any) -> Conflict:
    return Conflict(f"evaluation.{code}", zh, en, details)


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("evaluation.forbidden", f"无权{what_zh}", f"not allowed to {what_en}")


def not_found(what: str = "evaluation", **details: Any) -> NotFound:
    labels = {
        "evaluation": ("未找到该评标", "no such evaluation"),
        "bid": ("未找到该投标", "no such bid"),
        "member": ("未找到该评标委员会成员", "no such committee member"),
        "sheet": ("未找到该评审表", "no such sheet"),
        "clarification": ("未找到该澄清", "no such clarification"),
        "document": ("未找到该投标文件", "no such bid document"),
    }
    zh, en = labels[what]
    return NotFound(f"evaluation.{what}_not_found", zh, en, details)


def wrong_stage(status: str, wanted: str | tuple[str, ...]) -> Conflict:
    wanted_list = [wanted] if isinstance(wanted, str) else list(wanted)
    return Conflict(
        "evaluation.wrong_stage",
        "评标当前阶段不能进行该操作",
        "the evaluation is not at a stage that allows this",
        {"status": status, "allowed": wanted_list},
    )
