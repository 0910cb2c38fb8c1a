"""The live server for real: uvicorn on a loopback port, many raw TCP watchers, a graceful stop."""

from __future__ import annotations

import asyncio
import json
import signal
import socket

import pytest

from yiwang.platform.live import tokens
from yiwang.platform.live.asgi import LiveApp
from yiwang.platform.live.broadcast import MemoryBroadcaster
from yiwang.platform.live.channels import kinds_from
from yiwang.platform.live.serve import build_server
from yiwang.platform.live.testing import TcpSseClient

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_uvicorn_serves_many_watchers_and_stops_gracefully():
    broadcaster = MemoryBroadcaster()
    live = LiveApp(broadcaster=broadcaster, kinds=kinds_from({}), token_key=tokens.derive_key("k"))
    port = _free_port()
    server = build_server(live.starlette(), f"127.0.0.1:{port}", graceful=5)
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started
    clients = await asyncio.gather(
        *(TcpSseClient("127.0.0.1", port, "/live/auction.lot:7").connect() for _ in range(100))
    )
    assert {c.status for c in clients} == {200}
    for _ in range(100):
        if live.hub.watchers == 100:
            break
        await asyncio.sleep(0.02)
    broadcaster.publish("auction.lot:7", 1, json.dumps({"price": 1_000_000}))
    firsts = await asyncio.gather(*(asyncio.wait_for(c.read_events(), 10) for c in clients))
    assert all(f[0].event == "update" and f[0].json()["d"] == {"price": 1_000_000} for f in firsts)

    loop = asyncio.get_running_loop()
    started = loop.time()
    server.handle_exit(signal.SIGTERM, None)  # what uvicorn does on SIGTERM, plus our bye
    server._captured_signals.clear()  # uvicorn would re-raise the signal at the end, ending this test run
    byes = await asyncio.gather(*(asyncio.wait_for(c.read_events(), 10) for c in clients))
    assert all(b[0].event == "bye" for b in byes)
    ends = await asyncio.gather(*(asyncio.wait_for(c.read_events(), 10) for c in clients))
    assert all(e == [] for e in ends)  # the server closed every stream
    await asyncio.wait_for(serving, 10)
    assert loop.time() - started < 4  # well before the 5 s graceful timeout: nobody waited for it
    for c in clients:
        c.close()
