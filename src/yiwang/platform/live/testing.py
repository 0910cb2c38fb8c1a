"""Clients for tests and benchmarks: an in-process ASGI driver and a raw-socket SSE client (no httpx needed), and
:func:`in_thread` for database work from async tests."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class SseEvent:
    event: str
    data: str
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


class SseParser:
    """Incremental ``text/event-stream`` parser (the browser's algorithm, minus what we never send)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.last_id: str | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        self.buffer += chunk
        events = []
        while b"\n\n" in self.buffer:
            block, self.buffer = self.buffer.split(b"\n\n", 1)
            event, data, retry, has_id = "message", [], None, False
            for line in block.decode().split("\n"):
                if not line or line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
                elif field == "id":
                    self.last_id, has_id = value, True
                elif field == "retry":
                    retry = int(value)
            if data or has_id or retry is not None:
                if not data and retry is not None and event == "message":
                    continue  # a bare ``retry:`` block
                events.append(SseEvent(event, "\n".join(data), self.last_id if has_id else None, retry))
        return events


class AsgiStream:
    """Open one request against an ASGI app in this event loop and read its SSE events."""

    def __init__(self, app, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
        parts = urlsplit(path)
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8001),
        }
        self.app = app
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""
        self.events: asyncio.Queue[SseEvent] = asyncio.Queue()
        self.ended = asyncio.Event()
        self._started = asyncio.Event()
        self._disconnect = asyncio.Event()
        self._requested = False
        self._parser = SseParser()
        self.task: asyncio.Task[None] | None = None

    async def _receive(self) -> dict[str, Any]:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
            self._started.set()
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.body += chunk
            if self.headers.get("content-type", "").startswith("text/event-stream"):
                for event in self._parser.feed(chunk):
                    self.events.put_nowait(event)
            if not message.get("more_body", False):
                self.ended.set()

    async def open(self, timeout: float = 5) -> AsgiStream:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        await asyncio.wait_for(self._started.wait(), timeout)
        return self

    async def next(self, timeout: float = 5, skip: tuple[str, ...] = ("tick",)) -> SseEvent:
        while True:
            event = await asyncio.wait_for(self.events.get(), timeout)
            if event.event not in skip:
                return event

    def pending(self) -> list[SseEvent]:
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out

    def json(self) -> Any:
        return json.loads(self.body)

    async def close(self, timeout: float = 5) -> None:
        self._disconnect.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout)


class TcpSseClient:
    """A minimal HTTP/1.1 SSE client on a raw asyncio connection (thousands fit in one process)."""

    def __init__(self, host: str, port: int, path: str, headers: dict[str, str] | None = None):
        self.host, self.port, self.path, self.extra = host, port, path, headers or {}
        self.parser = SseParser()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.status = 0
        self._chunked = False
        self._raw = b""

    async def connect(self) -> TcpSseClient:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in self.extra.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self._chunked = any(h.lower() == "transfer-encoding: chunked" for h in header_lines)
        return self

    async def read_events(self) -> list[SseEvent]:
        """The next event(s) as they arrive; [] when the server closed the stream."""
        assert self.reader is not None
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return []
            self._raw += chunk
            body = self._dechunk() if self._chunked else self._take_all()
            events = self.parser.feed(body)
            if events:
                return events

    def _take_all(self) -> bytes:
        out, self._raw = self._raw, b""
        return out

    def _dechunk(self) -> bytes:
        out = []
        while True:
            end = self._raw.find(b"\r\n")
            if end < 0:
                break
            size = int(self._raw[:end].split(b";")[0], 16)
            if len(self._raw) < end + 2 + size + 2:
                break
            out.append(self._raw[end + 2 : end + 2 + size])
            self._raw = self._raw[end + 2 + size + 2 :]
        return b"".join(out)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a fresh thread with its own database connection (closed after): code under test that
    touches the database from async tests, where Django refuses synchronous database calls."""
    from django.db import connection  # here: the SSE clients above are used by benchmarks without Django

    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if errors:
        raise errors[0]
    return result[0] if result else None
