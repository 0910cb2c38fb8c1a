"""Template filters of the auction pages."""

from __future__ import annotations

from django import template

from yiwang.kernel.money import Money

register = template.Library()


@register.filter
def auction_yuan(fen: int | None) -> str:
    """``1234567`` → ``¥12,345.67``; empty for None."""
    if fen is None or fen == "":
        return ""
    return Money(int(fen)).format_yuan(symbol=True)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    """``{{ labels|get_item:lot.phase }}``."""
    return mapping.get(key, "") if isinstance(mapping, dict) else ""
