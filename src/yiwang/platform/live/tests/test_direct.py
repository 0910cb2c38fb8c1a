"""The direct engine (asyncio transports, the hub writes each frame into every connection) on a loopback port:
the same stream as the ASGI app's, resume, coalescing, refusals, backpressure and a graceful stop."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from yiwang.platform.live import direct, tokens
from yiwang.platform.live.asgi import LiveApp
from yiwang.platform.live.broadcast import MemoryBroadcaster, Message
from yiwang.platform.live.channels import kinds_from
from yiwang.platform.live.hub import MAX_PENDING
from yiwang.platform.live.testing import TcpSseClient

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

KEY = tokens.derive_key("test-secret")


class FakeStore:
    """The durable ``live_event`` rows, in memory (what the live server reads to catch watchers up)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Message]] = {}

    def add(self, channel: str, event_id: int, data: dict) -> str:
        text = json.dumps(data, separators=(",", ":"))
        self.rows.setdefault(channel, []).append(Message(channel, event_id, text))
        return text

    async def latest(self, channel):
        rows = self.rows.get(channel)
        return rows[-1] if rows else None

    async def after(self, channel, event_id, limit):
        return [m for m in self.rows.get(channel, []) if m.event_id > event_id][:limit]

    async def get(self, channel, event_id):
        return next((m for m in self.rows.get(channel, []) if m.event_id == event_id), None)

    def close(self) -> None:
        pass


async def start(store=None, **kinds):
    broadcaster = MemoryBroadcaster()
    overrides = {"t.state": {"mode": "state"}, "t.log": {"mode": "log"}, "t.fast": {"coalesce_ms": 200}, **kinds}
    live = LiveApp(broadcaster=broadcaster, kinds=kinds_from(overrides), token_key=KEY, store=store)
    server = await direct.DirectServer(live).start("127.0.0.1", 0)
    await asyncio.wait_for(live.hub.subscribed.wait(), 5)
    return server, broadcaster


async def until(predicate, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def watch(server, path: str, n: int = 1, headers=None) -> list[TcpSseClient]:
    clients = await asyncio.gather(
        *(TcpSseClient("127.0.0.1", server.port(), path, headers).connect() for _ in range(n))
    )
    return list(clients)


async def events_of(client: TcpSseClient, count: int, timeout: float = 5.0, skip=("tick",)):
    got = []
    while len(got) < count:
        got += [e for e in await asyncio.wait_for(client.read_events(), timeout) if e.event not in skip]
    return got


async def raw(server, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port())
    writer.write(request)
    data = await asyncio.wait_for(reader.read(), 5)  # the server closes after one response
    writer.close()
    return data


async def test_many_watchers_get_the_same_frames_and_a_graceful_bye():
    server, broadcaster = await start()
    clients = await watch(server, "/live/t.state:1", 50)
    assert {c.status for c in clients} == {200}
    await until(lambda: server.live.hub.watchers == 50)
    for i in (1, 2, 3):
        broadcaster.publish("t.state:1", i, json.dumps({"price": i * 100}))
        got = await asyncio.gather(*(events_of(c, 1) for c in clients))
        assert all(g[0].event == "update" and g[0].id == str(i) and g[0].json()["d"] == {"price": i * 100} for g in got)
    fanout = server.health()["fanout"]  # the server's own account of each fan-out
    assert (fanout["n"], fanout["watchers_max"]) == (3, 50)
    assert 0 <= fanout["cpu_ms_p99"] <= fanout["cpu_ms_max"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.stop(graceful=5)
    byes = await asyncio.gather(*(events_of(c, 1) for c in clients))
    assert all(b[0].event == "bye" and b[0].retry == 2000 for b in byes)
    ends = await asyncio.gather(*(asyncio.wait_for(c.read_events(), 5) for c in clients))
    assert all(e == [] for e in ends)
    assert loop.time() - started < 4
    assert server.live.hub.watchers == 0
    for c in clients:
        c.close()


async def test_headers_and_format():
    server, broadcaster = await start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port())
    writer.write(b"GET /live/t.log%3A9 HTTP/1.1\r\nHost: x\r\n\r\n")
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    for line in ("content-type: text/event-stream", "x-accel-buffering: no", "access-control-allow-origin: *"):
        assert line in head
    assert "transfer-encoding" not in head  # the body runs to the close: identical bytes for every watcher
    assert await asyncio.wait_for(reader.readuntil(b"\n\n"), 5) == b"retry: 2000\n\n"
    await until(lambda: server.live.hub.watchers == 1)
    broadcaster.publish("t.log:9", 4, '{"a":1}')
    frame = await asyncio.wait_for(reader.readuntil(b"\n\n"), 5)
    assert frame.startswith(b'id: 4\nevent: update\ndata: {"t":')
    assert frame.endswith(b',"id":4,"d":{"a":1}}\n\n')
    writer.close()
    await until(lambda: server.live.hub.watchers == 0)  # a client that leaves is forgotten
    await server.stop()


async def test_a_log_channel_resumes_after_last_event_id_in_order():
    store = FakeStore()
    server, broadcaster = await start(store)
    for i in range(1, 6):
        store.add("t.log:1", i, {"n": i})
    (client,) = await watch(server, "/live/t.log:1", headers={"Last-Event-ID": "2"})
    got = await events_of(client, 3)
    assert [e.id for e in got] == ["3", "4", "5"]
    broadcaster.publish("t.log:1", 6, store.add("t.log:1", 6, {"n": 6}))
    assert [e.id for e in await events_of(client, 1)] == ["6"]
    (fresh,) = await watch(server, "/live/t.log:1?last_event_id=5")
    broadcaster.publish("t.log:1", 7, store.add("t.log:1", 7, {"n": 7}))
    assert [e.id for e in await events_of(fresh, 2)] == ["6", "7"]
    client.close()
    fresh.close()
    await server.stop()


async def test_joining_a_state_channel_gets_the_current_state_once():
    store = FakeStore()
    server, broadcaster = await start(store)
    store.add("t.state:1", 3, {"price": 3})
    (client,) = await watch(server, "/live/t.state:1")
    (first,) = await events_of(client, 1)
    assert (first.id, first.json()["d"]) == ("3", {"price": 3})
    (current,) = await watch(server, "/live/t.state:1", headers={"Last-Event-ID": "3"})
    broadcaster.publish("t.state:1", 4, store.add("t.state:1", 4, {"price": 4}))
    assert [e.id for e in await events_of(current, 1)] == ["4"]  # not 3 again
    client.close()
    current.close()
    await server.stop()


async def test_coalescing_sends_the_first_at_once_and_then_only_the_newest():
    server, broadcaster = await start()
    (client,) = await watch(server, "/live/t.fast:1")
    await until(lambda: server.live.hub.watchers == 1)
    for i in range(1, 51):
        broadcaster.publish("t.fast:1", i, json.dumps({"price": i}))
    got = await events_of(client, 2)
    assert [e.json()["d"]["price"] for e in got] == [1, 50]
    client.close()
    await server.stop()


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /live/nope:1 HTTP/1.1\r\n\r\n", 404, "live.unknown_channel"),
        (b"GET /other HTTP/1.1\r\n\r\n", 404, "live.unknown_channel"),
        (b"POST /live/t.log:1 HTTP/1.1\r\n\r\n", 405, "live.method_not_allowed"),
        (b"GET /live/notify.account:1 HTTP/1.1\r\n\r\n", 401, "live.token_required"),
        (b"GET /live/notify.account:1?token=bad HTTP/1.1\r\n\r\n", 401, "live.token_invalid"),
        (b"NONSENSE\r\n\r\n", 400, "live.bad_request"),
        (b"GET /live/t.log:1 HTTP/1.1\r\nX: " + b"a" * 20_000, 431, "live.bad_request"),
    ],
)
async def test_refusals_are_json_with_codes(request_bytes, status, code):
    server, _ = await start()
    response = await raw(server, request_bytes)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split(b" ")[1] == str(status).encode()
    assert json.loads(body)["code"] == code
    assert server.live.hub.watchers == 0
    await server.stop()


async def test_private_channel_with_a_token_preflight_and_health():
    server, _ = await start()
    token = tokens.mint(KEY, "u:1", ["notify.account:1"], now=time.time(), ttl=60)
    (mine,) = await watch(server, f"/live/notify.account:1?token={token}")
    assert mine.status == 200
    other = await raw(server, f"GET /live/notify.account:2?token={token} HTTP/1.1\r\n\r\n".encode())
    assert b'"live.token_wrong_channel"' in other
    preflight = await raw(server, b"OPTIONS /live/t.log:1 HTTP/1.1\r\n\r\n")
    assert preflight.startswith(b"HTTP/1.1 204 ")
    assert b"access-control-allow-headers: Last-Event-ID" in preflight
    health = await raw(server, b"GET /live/_health HTTP/1.1\r\n\r\n")
    body = json.loads(health.partition(b"\r\n\r\n")[2])
    assert body["subscribed"] is True
    assert body["watchers"] == 1
    mine.close()
    await server.stop()


async def test_a_full_server_refuses_with_503():
    server, _ = await start()
    server.live.hub.max_watchers = 1
    (first,) = await watch(server, "/live/t.log:1")
    await until(lambda: server.live.hub.watchers == 1)
    refused = await raw(server, b"GET /live/t.log:1 HTTP/1.1\r\n\r\n")
    assert b'"live.unavailable"' in refused
    first.close()
    await server.stop()


async def test_a_connection_that_never_sends_its_request_is_closed(monkeypatch):
    monkeypatch.setattr(direct, "HEAD_TIMEOUT", 0.1)
    server, _ = await start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port())
    writer.write(b"GET /live/t.log:1 HTTP/1.1\r\n")  # and nothing more
    response = await asyncio.wait_for(reader.read(), 5)
    assert response.startswith(b"HTTP/1.1 408 ")
    assert json.loads(response.partition(b"\r\n\r\n")[2])["code"] == "live.request_timeout"
    writer.close()
    await until(lambda: not server.connections)
    await server.stop()


def _stalled_reader(port: int, path: str) -> socket.socket:
    """A client that sends its request and then never reads (a tiny receive buffer fills at once)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\n\r\n".encode())
    return sock


async def test_a_stalled_reader_does_not_hold_up_the_others(monkeypatch):
    monkeypatch.setattr(direct, "HIGH_WATER", 16 * 1024)
    server, broadcaster = await start()
    stalled_state = _stalled_reader(server.port(), "/live/t.state:1")
    stalled_log = _stalled_reader(server.port(), "/live/t.log:1")
    (state_ok,) = await watch(server, "/live/t.state:1")
    (log_ok,) = await watch(server, "/live/t.log:1")
    await until(lambda: server.live.hub.watchers == 4)
    big = "x" * 60_000
    loop = asyncio.get_running_loop()
    n = MAX_PENDING + 150
    for i in range(1, n + 1):
        broadcaster.publish("t.state:1", i, json.dumps({"i": i, "pad": big}))
        broadcaster.publish("t.log:1", i, json.dumps({"i": i, "pad": big}))
        t0 = loop.time()
        (s,) = await events_of(state_ok, 1)
        (g,) = await events_of(log_ok, 1)
        assert (s.id, g.id) == (str(i), str(i))  # every event, in order, to the readers
        assert loop.time() - t0 < 2
    # the log channel's stalled reader was cut off (MAX_PENDING behind with a blocked connection) ...
    await until(lambda: server.live.hub.watchers == 3)
    assert "t.log:1" in {c.channel.name for c in server.connections if c.watcher is not None}
    # ... the state channel's stalled reader holds only the newest state, then gets it when it reads again
    stalled = next(c for c in server.connections if c.watcher is not None and c.watcher.replace and c.paused)
    assert [event_id for event_id, _ in stalled.watcher.frames] == [n]
    stalled_state.setblocking(False)
    received = b""
    deadline = loop.time() + 20
    while f"id: {n}\n".encode() not in received[-130_000:] and loop.time() < deadline:
        try:
            received += stalled_state.recv(1 << 20)
        except BlockingIOError:
            await asyncio.sleep(0.005)
    ids = [int(line[4:]) for line in received.decode().split("\n") if line.startswith("id: ")]
    assert ids[-1] == n
    assert ids == sorted(ids)  # in order ...
    assert len(ids) < n  # ... skipping what was replaced while it did not read
    for sock in (stalled_state, stalled_log):
        sock.close()
    state_ok.close()
    log_ok.close()
    await server.stop()


def test_redis_messages_are_cut_not_re_encoded():
    from yiwang.platform.live.backends.redis import parse

    data = '{"price":1050000,"名":"甲","end_at":"2026-03-02T09:05:00+08:00"}'
    assert parse("auction.lot:1", f'{{"i":42,"d":{data}}}'.encode()) == Message("auction.lot:1", 42, data)
    spaced = parse("auction.lot:1", '{"d": {"a": 1}, "i": 7}')  # another publisher's spelling: decoded
    assert spaced == Message("auction.lot:1", 7, '{"a":1}')
    assert parse("auction.lot:1", b"not json") is None
    assert parse("auction.lot:1", b'{"d":1}') is None


async def test_a_stream_whose_catch_up_fails_is_ended_not_left_silent():
    class BrokenStore(FakeStore):
        async def latest(self, channel):
            raise OSError("database unreachable")

    server, _ = await start(BrokenStore())
    (client,) = await watch(server, "/live/t.state:1")
    assert client.status == 200
    assert await asyncio.wait_for(client.read_events(), 5) == []  # closed: EventSource retries
    await until(lambda: server.live.hub.watchers == 0)
    client.close()
    await server.stop()


def test_workers_share_one_port_and_stop_together(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    port = _free_port()
    env = {
        **os.environ,
        "YIWANG_DATA_DIR": str(tmp_path),
        "YIWANG_LIVE_BROADCASTER": "memory",
        "DJANGO_SETTINGS_MODULE": "yiwang.config.settings",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "yiwang.platform.live.serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 40
        while len(pids) < 2 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/live/_health", timeout=2) as answer:
                    pids.add(json.loads(answer.read())["pid"])
            except OSError:
                time.sleep(0.1)
        assert len(pids) == 2  # two processes answer on the one port
        assert server.pid not in pids
        server.send_signal(signal.SIGTERM)
        assert server.wait(20) == 0  # passed on to both workers, which stopped
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
