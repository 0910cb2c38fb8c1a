"""Template filters of the evaluation pages: yuan amounts from fen, local times, labels."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.kernel.money import Money
from yiwang.trading.tender.evaluation.domain.states import STATUS_LABELS_ZH, Status

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    if fen in (None, ""):
        return ""
    try:
        return f"{Money(int(fen)).format_yuan()} 元"
    except (TypeError, ValueError):
        return str(fen)


@register.filter
def status_label(value: str) -> str:
    try:
        return STATUS_LABELS_ZH[Status(value)]
    except ValueError:
        return value


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, mapping.get(str(key)))
    return None
