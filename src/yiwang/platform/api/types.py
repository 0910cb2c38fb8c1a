"""Pydantic field types that run the kernel's validators at the edge and keep their error codes.

A kernel validator raises ``YiwangError(code, zh, en, details)``; here it becomes a pydantic error whose
type is that code, so the API answers ``422 {"code": "uscc.check_digit", ...}`` with the field path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from yiwang.kernel.errors import YiwangError


def checked(validator: Callable[[Any], Any]) -> AfterValidator:
    def run(value: Any) -> Any:
        try:
            return validator(value)
        except YiwangError as exc:
            raise PydanticCustomError(
                exc.code,
                "{message_en}",
                {"message_zh": exc.message_zh, "message_en": exc.message_en, "details": exc.details},
            ) from None

    return AfterValidator(run)


def checked_str(validator: Callable[[str], Any]) -> Any:
    """``Annotated[str, checked(validator)]`` for validators that return the normalised string."""
    return Annotated[str, checked(validator)]
