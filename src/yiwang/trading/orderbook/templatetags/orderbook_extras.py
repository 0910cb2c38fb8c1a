"""``{% load orderbook_extras %}``: ``{{ fen|yuan }}`` (6001 → 60.01), ``{{ value_e4|index_value }}``."""

from __future__ import annotations

from django import template

from yiwang.trading.orderbook.views import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return _yuan(fen)


@register.filter
def index_value(value_e4: int | None) -> str:
    if value_e4 is None:
        return "—"
    return f"{value_e4 // 10_000}.{value_e4 % 10_000:04d}"


@register.filter
def tonnes(qty: int | None) -> str:
    return "—" if qty is None else f"{qty:,}"


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key) if isinstance(mapping, dict) else None
