"""The live server's direct engine: SSE over plain asyncio transports, one hub write per watcher and no task.

Why: under uvicorn every update to every watcher wakes that watcher's coroutine, which passes the bytes through
the ASGI ``send`` (chunk framing, flow-control checks) before the socket sees them — about 25 µs of one core per
delivery, so one event to 10,000 watchers of a lot took ~250 ms of CPU before the last one got it. Here the
channel writes the one shared frame straight into each connection's transport (``Watcher.sink``): a
``transport.write`` of the same bytes object, normally one ``send()`` system call, and nothing else.

The HTTP it speaks is deliberately small: one request per connection (``connection: close``), a request head of
at most ``HEAD_MAX`` bytes, ``GET``/``HEAD``/``OPTIONS`` only; the stream's body runs until the connection
closes (no chunked framing, so every watcher gets identical bytes). The routes, refusals, CORS, ``Last-Event-ID``
resume, coalescing and backpressure are the same as the ASGI app's (:mod:`.asgi`), which stays for embedding
and tests; both use :class:`~yiwang.platform.live.asgi.LiveApp` for the checks and :class:`~.hub.Hub`.

Backpressure: a transport whose buffer is over ``HIGH_WATER`` pauses; while paused its watcher's mailbox keeps
only the newest state (state channels) or up to ``MAX_PENDING`` log frames, after which it gets ``reset`` and is
closed (the browser reconnects and catches up from the database). Nobody else waits for a slow reader.

``serve(live, host, port, stop=…)`` runs one process; ``reuse_port=True`` lets several processes (``python -m
yiwang.platform.live.serve --workers N``) listen on one port, the kernel spreading connections among them, each
with its own subscription to the broadcaster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from urllib.parse import parse_qs, unquote

from yiwang.platform.live.asgi import CORS, STREAM_HEADERS, LiveApp, _error
from yiwang.platform.live.hub import RETRY_MS

log = logging.getLogger("yiwang.live")

HEAD_MAX = 16 * 1024
HEAD_TIMEOUT = 10.0  # seconds a connection may take to send its request head (then it is closed)
HIGH_WATER = 256 * 1024
REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _head(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}".encode()]
    lines += [k + b": " + v for k, v in headers]
    lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _json_response(status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> bytes:
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *CORS,
        *extra,
    ]
    return _head(status, headers) + body


STREAM_HEAD = _head(200, STREAM_HEADERS)


class Request:
    __slots__ = ("headers", "method", "path", "query")

    def __init__(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]):
        self.method, self.path, self.query, self.headers = method, path, query, headers


def parse_request(head: bytes) -> Request | None:
    """The request line and headers (lower-cased names); None when malformed."""
    try:
        text = head.decode("latin-1")
        request_line, *lines = text.split("\r\n")
        method, target, version = request_line.split(" ")
    except ValueError:
        return None
    if not version.startswith("HTTP/1.") or not target.startswith("/"):
        return None
    path, _, query = target.partition("?")
    headers = {}
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        headers[name.lower()] = value.strip()
    return Request(method, unquote(path), parse_qs(query), headers)


class Connection(asyncio.Protocol):
    """One client connection; once streaming, it is its watcher's :class:`~.hub.Sink`."""

    def __init__(self, server: DirectServer):
        self.server = server
        self.live = server.live
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.requested = False
        self.open = False  # streaming, and the catch-up frames are in the mailbox: direct writes may start
        self.paused = False
        self.lost = False
        self.ending = False
        self.channel = None
        self.watcher = None
        self.timeout: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.server.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.set_write_buffer_limits(high=HIGH_WATER)
        self.timeout = asyncio.get_running_loop().call_later(HEAD_TIMEOUT, self._head_timeout)

    def _head_timeout(self) -> None:
        if not self.requested and not self.lost:
            self.requested = True
            self._reply(*_error(408, "live.request_timeout", "请求超时", "The request took too long"))

    def data_received(self, data: bytes) -> None:
        if self.requested:
            return  # one request per connection; anything after it is ignored
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > HEAD_MAX:
                self._reply(*_error(431, "live.bad_request", "请求头过大", "The request head is too large"))
            return
        self.requested = True
        self.timeout.cancel()
        request = parse_request(self.buffer[:end])
        self.buffer = b""
        if request is None:
            self._reply(*_error(400, "live.bad_request", "请求格式错误", "Malformed request"))
            return
        self._handle(request)

    def eof_received(self) -> bool:
        return False  # the client is gone: close

    def connection_lost(self, exc) -> None:
        self.lost = True
        if self.timeout is not None:
            self.timeout.cancel()
        self.server.connections.discard(self)
        if self.watcher is not None:
            self.watcher.closed = True
            self.live.hub.leave(self.channel, self.watcher)
            self.watcher = None

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.watcher is not None and self.open:
            self.watcher.drain()

    # -- Sink --------------------------------------------------------------------------------------------------------
    def ready(self) -> bool:
        return self.open and not self.paused and not self.lost

    def write(self, data: bytes) -> None:
        if not self.lost and not self.ending:
            self.transport.write(data)

    def end(self) -> None:
        if not self.ending:
            self.ending = True
            self.transport.close()  # after the buffered bytes are sent

    def abort(self) -> None:
        self.ending = True
        self.transport.abort()

    # -- requests ----------------------------------------------------------------------------------------------------
    def _reply(self, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:
        self.transport.write(_json_response(status, body, extra))
        self.end()

    def _handle(self, request: Request) -> None:
        live = self.live
        if not request.path.startswith("/live/"):
            self._reply(*_error(404, "live.unknown_channel", "没有这个实时频道", "No such live channel"))
            return
        if request.method == "OPTIONS":
            self.transport.write(_head(204, CORS))
            self.end()
            return
        if request.method not in ("GET", "HEAD"):
            self._reply(*_error(405, "live.method_not_allowed", "只支持 GET", "Only GET is allowed"))
            return
        name = request.path[len("/live/") :]
        if name == "_health":
            self._reply(200, json.dumps(self.server.health()).encode(), [(b"cache-control", b"no-store")])
            return
        refusal, kind = live.authorize(name, (request.query.get("token") or [None])[0])
        if refusal is not None:
            self._reply(*refusal)
            return
        hub = live.hub
        if hub is None or hub.closing or hub.watchers >= hub.max_watchers:
            self._reply(
                *_error(503, "live.unavailable", "实时推送暂不可用，请稍后重试", "Live streams are unavailable; retry")
            )
            return
        if request.method == "HEAD":
            self.transport.write(STREAM_HEAD)
            self.end()
            return
        self.transport.write(STREAM_HEAD + f"retry: {RETRY_MS}\n\n".encode())
        last = _last_event_id(request)
        self.server.spawn(self._join(name, kind, last))

    async def _join(self, name, kind, last) -> None:
        hub = self.live.hub
        try:
            channel, watcher = await hub.join(name, kind, last, sink=self)
        except Exception:
            # e.g. the database is unreachable while catching up: end the stream (the browser retries) rather
            # than leave it open and silent
            log.exception("live: a watcher of %s could not join", name)
            self.end()
            return
        if self.lost:  # the client left while it was catching up
            hub.leave(channel, watcher)
            return
        self.channel, self.watcher = channel, watcher
        self.open = True
        watcher.drain()  # what it missed (or the current state), then every update as it comes


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id")
    if raw is None:
        raw = (request.query.get("last_event_id") or [None])[0]
    try:
        value = int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


class DirectServer:
    """One process's listening socket(s), its connections and its :class:`LiveApp`."""

    def __init__(self, live: LiveApp):
        self.live = live
        self.connections: set[Connection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.base_events.Server | None = None

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live: a stream failed to start", exc_info=task.exception())

    def health(self) -> dict:
        hub = self.live.hub
        stats = hub.stats() if hub else None
        return {
            "channels": stats.channels if stats else 0,
            "watchers": stats.watchers if stats else 0,
            "deliveries": stats.deliveries if stats else 0,
            "subscribed": bool(hub and hub.subscribed.is_set()),
            "t": self.live.now_ms(),
            "pid": os.getpid(),  # with --workers N: which worker answered
            "fanout": stats.fanout if stats else {"n": 0},
        }

    async def start(self, host: str | None = None, port: int | None = None, *, reuse_port: bool = False, sock=None):
        await self.live.startup()
        loop = asyncio.get_running_loop()
        if sock is not None:
            self.server = await loop.create_server(lambda: Connection(self), sock=sock, backlog=4096)
        else:
            self.server = await loop.create_server(
                lambda: Connection(self), host, port, reuse_port=reuse_port or None, backlog=4096
            )
        return self

    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def stop(self, graceful: float = 3.0) -> None:
        """Stop accepting, say ``bye`` on every stream, wait (at most ``graceful`` s) for them to end, stop."""
        if self.server is not None:
            self.server.close()
        self.live.close_streams()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + graceful
        while self.connections and loop.time() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.transport.abort()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.sleep(0)
        await self.live.shutdown()


async def serve(
    live: LiveApp,
    host: str,
    port: int,
    *,
    stop: asyncio.Event,
    reuse_port: bool = False,
    graceful: float = 3.0,
    started: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set."""
    server = await DirectServer(live).start(host, port, reuse_port=reuse_port)
    if started is not None:
        started.set()
    try:
        await stop.wait()
    finally:
        await server.stop(graceful)
