"""Checking what people type into credit forms and the API (each refusal a specific code, field named)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from yiwang.kernel.errors import InvalidInput, YiwangError


class FieldErrors:
    """Collects per-field refusals; ``raise_if_any`` raises the first one with all of them in ``details``."""

    def __init__(self) -> None:
        self.errors: list[YiwangError] = []

    def add(self, error: YiwangError) -> None:
        self.errors.append(error)

    def run(self, field: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except YiwangError as exc:
            self.errors.append(exc.at(field))
            return None

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first = self.errors[0]
        if len(self.errors) > 1:
            first.details["errors"] = [
                {
                    "field": e.details.get("field"),
                    "code": e.code,
                    "message_zh": e.message_zh,
                    "message_en": e.message_en,
                }
                for e in self.errors
            ]
        raise first


def text(data: Mapping[str, Any], field: str, *, max_length: int, required: bool = True, prefix: str = "credit") -> str:
    value = data.get(field)
    value = "" if value is None else str(value).strip()
    if not value:
        if required:
            raise InvalidInput(f"{prefix}.field_required", "此项必填", f"{field} is required", {"field": field})
        return ""
    if len(value) > max_length:
        raise InvalidInput(
            f"{prefix}.field_too_long",
            f"最多 {max_length} 个字符",
            f"{field} is longer than {max_length} characters",
            {"field": field, "max_length": max_length},
        )
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise InvalidInput(
            f"{prefix}.field_invalid", "含有控制字符", f"{field} has control characters", {"field": field}
        )
    return value


def a_date(value: Any, field: str, *, required: bool = True, prefix: str = "credit") -> date | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{prefix}.field_required", "此项必填", f"{field} is required", {"field": field})
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            f"{prefix}.date_invalid", "日期格式应为 YYYY-MM-DD", f"{field} is not a date", {"field": field}
        ) from None


def choice(value: Any, field: str, allowed: Iterable[str], *, code: str, zh: str) -> str:
    options = list(allowed)
    value = "" if value is None else str(value).strip()
    if value not in options:
        raise InvalidInput(code, zh, f"{field} must be one of {options}", {"field": field, "allowed": options})
    return value


def an_int(value: Any, field: str, *, required: bool = True, prefix: str = "credit") -> int | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{prefix}.field_required", "此项必填", f"{field} is required", {"field": field})
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{prefix}.field_invalid", "应为整数", f"{field} must be an integer", {"field": field})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{prefix}.field_invalid", "应为整数", f"{field} must be an integer", {"field": field}
        ) from None
    if number <= 0:
        raise InvalidInput(f"{prefix}.field_invalid", "应为正整数", f"{field} must be positive", {"field": field})
    return number
