"""Small template helpers of the catalog pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item_label(mapping: dict, key: str) -> str:
    return mapping.get(key, key)
