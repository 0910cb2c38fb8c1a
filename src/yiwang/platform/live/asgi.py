"""The live server: a small Starlette app served by uvicorn (``yiwang.platform.live.asgi:app``).

    GET /live/<channel>[?token=…][&last_event_id=N]   text/event-stream (see :mod:`.hub` for the format)
    GET /live/_health                                 {"channels": n, "watchers": n, "deliveries": n}

- Public channels need nothing; private ones (``Kind.private``) need ``?token=`` minted by the Django side for
  that channel (``yiwang.platform.live.links.live_url``): 401 ``live.token_required``/``live.token_invalid``,
  403 ``live.token_wrong_channel``. Unknown kinds or malformed names: 404 ``live.unknown_channel``.
- ``Last-Event-ID`` (the header an EventSource sends when it reconnects) or ``?last_event_id=`` resumes: a log
  channel replays what was missed from ``live_event``, a state channel sends its current state if newer.
- CORS: ``Access-Control-Allow-Origin: *``. Safe because no cookie is ever used here (credentials are the token
  in the URL), and it lets pages on the web server's port open streams on this port.
- No Django app or model is loaded: settings are read, and the database is touched only through
  :mod:`.store` to catch watchers up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from yiwang.platform.live import channels as names
from yiwang.platform.live import tokens
from yiwang.platform.live.broadcast import Broadcaster
from yiwang.platform.live.channels import Kind
from yiwang.platform.live.hub import Hub, Watcher, control_frame, wall_ms

CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
    (b"access-control-allow-headers", b"Last-Event-ID, Cache-Control"),
    (b"access-control-max-age", b"86400"),
]
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    (b"x-accel-buffering", b"no"),  # a reverse proxy must not buffer the stream
    *CORS,
]


def _error(status: int, code: str, zh: str, en: str) -> tuple[int, bytes]:
    body = {"code": code, "message_zh": zh, "message_en": en, "details": {}}
    return status, json.dumps(body, ensure_ascii=False).encode()


async def _send_json(send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json; charset=utf-8"), *CORS],
        }
    )
    await send({"type": "http.response.body", "body": body})


class StreamEndpoint:
    """``/live/<channel>`` as a plain ASGI app: one coroutine per connection, no per-event allocation beyond
    the shared frame."""

    def __init__(self, app: LiveApp):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": CORS})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _send_json(send, *_error(405, "live.method_not_allowed", "只支持 GET", "Only GET is allowed"))
            return
        name = scope["path_params"]["channel"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        refusal, kind = self.app.authorize(name, (query.get("token") or [None])[0])
        if refusal is not None:
            await _send_json(send, *refusal)
            return
        hub = self.app.hub
        if hub is None or hub.closing or hub.watchers >= hub.max_watchers:
            await _send_json(
                send,
                *_error(503, "live.unavailable", "实时推送暂不可用，请稍后重试", "Live streams are unavailable; retry"),
            )
            return
        assert kind is not None
        last = _last_event_id(scope, query)
        channel, watcher = await hub.join(name, kind, last)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
            await self._pump(watcher, receive, send)
        finally:
            hub.leave(channel, watcher)

    async def _pump(self, watcher: Watcher, receive, send) -> None:
        async def watch_disconnect() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    watcher.closed = True
                    watcher.wake.set()
                    return

        disconnect = asyncio.create_task(watch_disconnect())
        try:
            while True:
                await watcher.wake.wait()
                if watcher.overflow:
                    # this client reads too slowly for a log channel: it reconnects and catches up from the store
                    watcher.frames = [(0, control_frame("reset", self.app.now_ms()))]
                    watcher.closed = True
                body = watcher.take()
                if body and not disconnect.done():
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                if watcher.closed:
                    break
            if not disconnect.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            disconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await disconnect


def _last_event_id(scope, query) -> int | None:
    raw = None
    for key, value in scope.get("headers", []):
        if key == b"last-event-id":
            raw = value.decode("latin-1")
    if raw is None:
        raw = (query.get("last_event_id") or [None])[0]
    try:
        value = int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


class LiveApp:
    """Everything the endpoint needs, built from settings (``create_app``) or given by tests."""

    def __init__(
        self,
        *,
        broadcaster: Broadcaster,
        kinds: dict[str, Kind],
        token_key: bytes,
        store=None,
        now_ms: Callable[[], int] = wall_ms,
        max_watchers: int = 20_000,
        tick_every: float = 1.0,
    ):
        self.tick_every = tick_every
        self.broadcaster = broadcaster
        self.kinds = kinds
        self.token_key = token_key
        self.store = store
        self.now_ms = now_ms
        self.max_watchers = max_watchers
        self.hub: Hub | None = None

    def authorize(self, name: str, token: str | None) -> tuple[tuple[int, bytes] | None, Kind | None]:
        parsed = names.parse(name)
        kind = self.kinds.get(parsed[0]) if parsed else None
        if kind is None:
            return _error(404, "live.unknown_channel", "没有这个实时频道", "No such live channel"), None
        if kind.private:
            if not token:
                return _error(
                    401, "live.token_required", "私有频道需要访问令牌", "A private channel needs a token"
                ), None
            grant = tokens.check(self.token_key, token, now=self.now_ms() / 1000)
            if grant is None:
                return _error(
                    401, "live.token_invalid", "访问令牌无效或已过期", "The token is invalid or expired"
                ), None
            if not tokens.allows(grant, name):
                return _error(
                    403, "live.token_wrong_channel", "该令牌不能访问这个频道", "The token is not for this channel"
                ), None
        return None, kind

    async def startup(self) -> None:
        self.hub = Hub(
            self.broadcaster,
            self.kinds,
            store=self.store,
            now_ms=self.now_ms,
            max_watchers=self.max_watchers,
            tick_every=self.tick_every,
        )
        await self.hub.start()

    async def shutdown(self) -> None:
        if self.hub is not None:
            await self.hub.stop()
        if self.store is not None:
            self.store.close()

    def close_streams(self) -> None:
        """Say ``bye`` on every stream (on SIGTERM, before uvicorn waits for connections to end)."""
        if self.hub is not None:
            self.hub.close_all()

    def starlette(self) -> Starlette:
        async def health(request: Request) -> JSONResponse:
            stats = self.hub.stats() if self.hub else None
            return JSONResponse(
                {
                    "channels": stats.channels if stats else 0,
                    "watchers": stats.watchers if stats else 0,
                    "deliveries": stats.deliveries if stats else 0,
                    "subscribed": bool(self.hub and self.hub.subscribed.is_set()),
                    "t": self.now_ms(),
                    "fanout": stats.fanout if stats else {"n": 0},
                },
                headers={"access-control-allow-origin": "*", "cache-control": "no-store"},
            )

        @contextlib.asynccontextmanager
        async def lifespan(app):
            await self.startup()
            try:
                yield
            finally:
                await self.shutdown()

        app = Starlette(
            routes=[
                Route("/live/_health", health, methods=["GET"]),
                Route("/live/{channel}", StreamEndpoint(self), methods=["GET", "HEAD", "OPTIONS"]),
            ],
            lifespan=lifespan,
        )
        app.state.live = self
        return app


def create_app() -> Starlette:
    """The app built from Django's settings (``DJANGO_SETTINGS_MODULE``), without loading Django's apps."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    from yiwang.platform.live import config
    from yiwang.platform.live.broadcast import get_broadcaster
    from yiwang.platform.live.store import Store

    live = config.get()
    return LiveApp(
        broadcaster=get_broadcaster(),
        kinds=live.kinds,
        token_key=tokens.derive_key(live.secret_key),
        store=Store(),
        max_watchers=live.max_watchers,
    ).starlette()


def __getattr__(name: str):  # ``yiwang.platform.live.asgi:app`` is built on first access
    if name == "app":
        app = create_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)
