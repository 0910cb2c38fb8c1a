"""``{% load live %}`` · ``{% live_url "auction.lot:42" %}`` · ``{% live_url channel last_event_id=seq %}``."""

from __future__ import annotations

from django import template

from yiwang.platform.live.links import live_url as _live_url

register = template.Library()


@register.simple_tag(takes_context=True)
def live_url(context, channel: str, last_event_id: int | None = None) -> str:
    request = context.get("request")
    actor = context.get("actor") or (getattr(request, "actor", None) if request is not None else None)
    who = actor if actor is not None else request
    return _live_url(who, channel, last_event_id=last_event_id)
