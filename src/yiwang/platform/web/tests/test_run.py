"""``yiwang run`` for real: gunicorn + task worker + clock + live server on free loopback ports, in a fresh data
directory.

It answers, a live stream delivers an event published by another process (the embedded profile's database
broadcaster), a killed child comes back, Ctrl-C stops everything (gunicorn's workers included, live streams
told ``bye``) and exits 0.
Always the embedded profile (SQLite in a temporary directory): this tests the processes, not the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import yiwang

from .processes import Output, group_members, wait_until

SRC = str(Path(yiwang.__file__).resolve().parents[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, bind: str, live_bind: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    env.update(
        YIWANG_PROFILE="embedded",
        YIWANG_DATA_DIR=str(data_dir),
        YIWANG_BIND=bind,
        YIWANG_WEB_WORKERS="1",
        YIWANG_WEB_THREADS="2",
        # the children run this checkout's code (and the settings this test run uses)
        PYTHONPATH=os.pathsep.join([SRC, *filter(None, [os.environ.get("PYTHONPATH")])]),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "yiwang.config.settings"),
    )
    if live_bind:
        env["YIWANG_LIVE_BIND"] = live_bind
    return env


async def _watch_live(live_bind: str, env: dict[str, str]) -> tuple[list[str], list[dict]]:
    """Open a stream on the live server, publish from another process, return what the stream saw; then wait
    for the ``bye`` sent when the group stops (the caller sends Ctrl-C once the event arrived)."""
    from yiwang.platform.live.testing import TcpSseClient

    host, port = live_bind.rsplit(":", 1)
    client = await TcpSseClient(host, int(port), "/live/auction.lot:1").connect()
    assert client.status == 200
    publisher = await asyncio.create_subprocess_exec(
        *_yiwang(
            "shell",
            "-c",
            "from yiwang.platform.live.publish import publish; "
            "publish('auction.lot:1', 1, {'price': 1000000, 'leader': '甲'})",
        ),
        env=env,
    )
    assert await asyncio.wait_for(publisher.wait(), 60) == 0
    kinds: list[str] = []
    data: list[dict] = []
    while "update" not in kinds:
        for event in await asyncio.wait_for(client.read_events(), 20):
            kinds.append(event.event)
            data.append(json.loads(event.data))
    client.close()
    return kinds, data


def _yiwang(*args: str) -> list[str]:
    return [sys.executable, "-m", "yiwang.cli", *args]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_yiwang_run_supervises_web_worker_clock_and_live(tmp_path):
    bind = f"127.0.0.1:{_free_port()}"
    live_bind = f"127.0.0.1:{_free_port()}"
    env = _env(tmp_path, bind, live_bind)
    subprocess.run(_yiwang("migrate", "--no-input"), env=env, check=True, capture_output=True, timeout=120)

    proc = subprocess.Popen(_yiwang("run"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        pids = {
            name: int(out.wait_for(rf"started {name} \(pid (\d+)\)", 30).group(1))
            for name in ("web", "worker", "clock", "live")
        }
        out.wait_for(rf"is ready: http://{bind}/  live: http://{live_bind}/live/", 90)
        out.wait_for(
            rf"^live\s+\| live server on http://{live_bind}/live/<channel> \(database broadcaster, direct engine\)", 30
        )
        assert wait_until(lambda: _answers(f"http://{live_bind}/live/_health"), 30)
        kinds, data = asyncio.run(_watch_live(live_bind, env))
        assert kinds[-1] == "update"
        assert data[-1]["d"] == {"price": 1000000, "leader": "甲"}
        assert data[-1]["id"] == 1
        with urllib.request.urlopen(f"http://{bind}/api/v1/openapi.json", timeout=10) as response:
            assert response.status == 200
        out.wait_for(r"^clock\s+\| .*clock is the leader", 30)
        groups = set(pids.values())
        assert len(group_members({pids["web"]})) >= 2, "gunicorn and its worker run in the web group"

        # a child that dies is restarted, the others keep running
        mark = len(out.lines)
        os.kill(pids["clock"], signal.SIGKILL)
        out.wait_for(r"clock exited unexpectedly \(code -9\); restarting in", 10, start=mark)
        new_clock = int(out.wait_for(r"started clock \(pid (\d+)\)", 10, start=mark).group(1))
        assert new_clock != pids["clock"]
        groups.add(new_clock)
        with urllib.request.urlopen(f"http://{bind}/api/v1/openapi.json", timeout=10) as response:
            assert response.status == 200

        members = group_members(groups)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=30) == 0
        out.close()
        assert wait_until(lambda: not group_members(groups), 5), f"left behind: {group_members(groups)}"
        assert members
        assert not group_members(members)
        assert out.lines[-1].endswith("| stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http on loopback)
            return response.status == 200
    except OSError:
        return False


def test_yiwang_run_refuses_a_public_bind_without_public(tmp_path):
    env = _env(tmp_path, "0.0.0.0:8000")  # the point: it is refused
    result = subprocess.run(_yiwang("run"), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0:8000" in result.stderr


def test_yiwang_run_refuses_a_public_live_bind_without_public(tmp_path):
    env = _env(tmp_path, "127.0.0.1:8000", live_bind="0.0.0.0:8001")  # the point: it is refused
    result = subprocess.run(_yiwang("run"), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0:8001 (live server)" in result.stderr


def test_the_group_has_four_children_and_they_agree_on_the_live_address():
    from yiwang.platform.web.management.commands.run import children

    specs = children(bind="127.0.0.1:8000", workers=1, threads=1)
    assert [s.name for s in specs] == ["web", "worker", "clock", "live"]
    assert specs[3].argv[-4:] == ["yiwang.platform.live.serve", "--bind", "127.0.0.1:8001", "--public"]
    assert all(s.env == {"YIWANG_LIVE_BIND": "127.0.0.1:8001"} for s in specs)
    moved = children(bind="127.0.0.1:9000", workers=1, threads=1, live_bind="127.0.0.1:9100")
    assert moved[3].argv[-2] == "127.0.0.1:9100"


def test_only_refuses_what_it_does_not_know(tmp_path):
    env = _env(tmp_path, "127.0.0.1:8000")
    result = subprocess.run(
        _yiwang("run", "--only", "web,scheduler"), env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "--only takes web, worker, clock, live; not scheduler" in result.stderr
