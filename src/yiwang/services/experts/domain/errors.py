"""Collecting several field errors so a form can show them all at once (the first one is raised)."""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import YiwangError


class FieldErrors:
    """``add`` refusals located at fields; ``raise_if_any`` raises the first with ``details["errors"]`` listing
    all of them (field, code, both messages)."""

    def __init__(self) -> None:
        self.errors: list[YiwangError] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def run(self, field: str, check: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except YiwangError as exc:
            self.add(exc.at(field))
            return None

    def add(self, error: YiwangError) -> None:
        field = error.details.get("field")
        if field is None or not any(e.details.get("field") == field for e in self.errors):
            self.errors.append(error)

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
