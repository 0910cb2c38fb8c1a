"""Refusals of the notify app (``notify.*`` codes)."""

from __future__ import annotations

from yiwang.kernel.errors import InvalidInput, NotFound


def invalid(field: str, zh: str, en: str, **details: object) -> InvalidInput:
    return InvalidInput(f"notify.{field}_invalid", zh, en, {"field": field, **details})


def body_too_long(limit: int) -> InvalidInput:
    return InvalidInput(
        "notify.body_too_long",
        f"消息正文最长 {limit} 个字符",
        f"the message body is longer than {limit} characters",
        {"field": "body", "max": limit},
    )


def message_not_found(message_id: object) -> NotFound:
    return NotFound(
        "notify.message_not_found",
        "没有这条站内信",
        "no such message in your inbox",
        {"message_id": str(message_id)[:40]},
    )
