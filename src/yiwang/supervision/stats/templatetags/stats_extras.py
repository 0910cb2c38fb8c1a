"""Display filters of the statistics pages: money in fen as 元/万元, indicator results with their unit or the
reason they are not computable, a period's name (Chinese, or its key under the English switch). Units and
reasons are Chinese message ids, translated under the English switch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    """``123456`` → ``1,234.56 元``."""
    if fen is None:
        return "—"
    return _("%(amount)s 元") % {"amount": f"{Decimal(int(fen)) / 100:,.2f}"}


@register.filter
def wanyuan(fen: Any) -> str:
    """``1234567890`` → ``1,234.57 万元``."""
    if fen is None:
        return "—"
    return _("%(amount)s 万元") % {"amount": f"{Decimal(int(fen)) / 1_000_000:,.2f}"}


@register.filter
def result_text(indicator: Any) -> str:
    """An indicator's value with its unit, or why it cannot be computed."""
    result = getattr(indicator, "result", indicator)
    unit = getattr(getattr(indicator, "definition", None), "unit", "")
    if not result.computable:
        return _("不可计算（样本为空）") if result.reason == "empty" else _("不可计算（仅一个样本）")
    value = result.value
    match unit:
        case "percent":
            return f"{value}%"
        case "fen":
            return wanyuan(value)
        case "days":
            return _("%(n)s 天") % {"n": value}
        case "bidders":
            return _("%(n)s 家") % {"n": value}
        case "count":
            return _("%(n)s 宗") % {"n": value}
    return str(value)


@register.filter
def short_result(result: Any) -> str:
    """A group's rate: ``6.7%`` or ``—`` (with the reason in the title)."""
    return f"{result.value}%" if result.computable else "—"


@register.filter
def indicator(indicator_set: Any, code: str) -> str:
    """``s|indicator:"savings_rate"``: one indicator of a set, as text."""
    return result_text(indicator_set.get(code))


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``names|get_item:code``: a dictionary lookup in a template (the key itself when absent)."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.filter
def period_label(period: Any) -> str:
    """A period's name: ``2026年第一季度`` in Chinese, its key (``2026-Q1``) under the English switch."""
    return period.key if (get_language() or "").startswith("en") else period.label_zh
