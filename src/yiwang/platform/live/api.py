"""``GET /api/v1/live/token?channel=…``: a fresh stream URL (with a token for private channels).

Pages get their URLs from ``live_url`` when rendered; ``static/live/live.js`` calls this when a private
stream's token expired and the server refused it (401).
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.schemas import ERRORS
from yiwang.platform.live import links

router = Router(tags=["live 实时推送"])


class TokenQuery(Schema):
    channel: str = Field(max_length=150, description="auction.lot:42, auction.bidder:42.A17 …")
    last_event_id: int | None = Field(None, ge=0)


class StreamUrlOut(Schema):
    url: str = Field(description="open it with EventSource")
    private: bool


@router.get("/token", auth=ActorAuth(required=False), response={200: StreamUrlOut, **ERRORS})
def stream_url(request, q: Query[TokenQuery]) -> dict[str, Any]:
    """The URL to watch ``channel``; for a private channel it carries a short-lived token for the caller,
    if the channel's owner allows the caller to watch it (403 ``live.not_allowed`` otherwise)."""
    actor = actor_of(request)
    url = links.checked_url(actor, q.channel, last_event_id=q.last_event_id)
    return {"url": url, "private": links.kind_of(q.channel).private}
