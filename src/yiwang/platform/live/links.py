"""The Django side's door to live streams: the URL (and token) a page opens, and who may watch what.

    live_url(request, "auction.lot:42")                          public: no token
    live_url(request, "auction.bidder:42.A17", last_event_id=7)  private: a token for the signed-in actor

``live_url`` does not decide whether the actor may watch a private channel — the page that calls it does
(it shows that actor's own data). The token API (``GET /api/v1/live/token``) decides through the policy the
owning context registered with :func:`register_channel_policy`; private kinds without one are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.http import HttpRequest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput, NotAuthenticated, PermissionDenied
from yiwang.platform.clock import now as clock_now
from yiwang.platform.live import channels as names
from yiwang.platform.live import config, tokens

Policy = Callable[[Actor, str], bool]
_policies: dict[str, Policy] = {}


def register_channel_policy(kind: str, may_watch: Policy) -> None:
    """``may_watch(actor, channel)`` decides who gets a token for a private channel of ``kind`` through the API.
    Register it from the owning app's ``AppConfig.ready``."""
    _policies[kind] = may_watch


def _actor(who: HttpRequest | Actor) -> Actor:
    if isinstance(who, Actor):
        return who
    actor = getattr(who, "actor", None)
    if actor is None:
        from yiwang.platform.api.auth import resolve_actor

        actor = resolve_actor(who)
    return actor


def kind_of(channel: str) -> names.Kind:
    parsed = names.parse(channel)
    kind = config.get().kinds.get(parsed[0]) if parsed else None
    if kind is None:
        raise InvalidInput(
            "live.unknown_channel", "没有这个实时频道", "No such live channel", {"channel": str(channel)[:160]}
        )
    return kind


def token_for(actor: Actor, channels: list[str]) -> tuple[str, int]:
    """A token for ``actor`` to watch ``channels`` and when it expires (Unix seconds)."""
    live = config.get()
    now = clock_now().timestamp()
    token = tokens.mint(tokens.derive_key(live.secret_key), actor.ref, channels, now=now, ttl=live.token_ttl)
    return token, int(now) + live.token_ttl


def live_url(who: HttpRequest | Actor, channel: str, *, last_event_id: int | None = None) -> str:
    """The URL a page opens with ``new EventSource(url)`` (or ``YiwangLive.open``) to watch ``channel``.

    Pass ``last_event_id`` when the page was rendered from the state after that event, so the stream starts
    after it (nothing missed between rendering and connecting)."""
    kind = kind_of(channel)
    params: dict[str, str] = {}
    if kind.private:
        actor = _actor(who)
        if not actor.is_authenticated:
            raise NotAuthenticated("live.sign_in_required", "请先登录", "Sign in to watch this channel")
        params["token"] = token_for(actor, [channel])[0]
    if last_event_id:
        params["last_event_id"] = str(int(last_event_id))
    url = f"{config.get().url}/live/{quote(channel, safe=':.-_')}"
    return f"{url}?{urlencode(params)}" if params else url


def may_watch(actor: Actor, channel: str) -> bool:
    kind = kind_of(channel)
    if not kind.private:
        return True
    policy = _policies.get(kind.name)
    return bool(policy and actor.is_authenticated and policy(actor, channel))


def checked_url(actor: Actor, channel: str, *, last_event_id: int | None = None) -> str:
    """Like :func:`live_url`, but asks the kind's policy first (the token API)."""
    if not may_watch(actor, channel):
        raise PermissionDenied("live.not_allowed", "无权观看这个频道", "You may not watch this channel")
    return live_url(actor, channel, last_event_id=last_event_id)
