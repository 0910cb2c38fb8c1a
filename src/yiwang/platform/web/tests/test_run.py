"""``yiwang run`` for real: gunicorn + task worker + clock on a free loopback port, in a fresh data directory.

It answers, a killed child comes back, Ctrl-C stops everything (gunicorn's workers included) and exits 0.
Always the embedded profile (SQLite in a temporary directory): this tests the processes, not the database.
"""

from __future__ import annotations

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


def _env(data_dir: Path, bind: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    env.update(
        YIWANG_PROFILE="embedded",
        YIWANG_DATA_DIR=str(data_dir),
        YIWANG_BIND=bind,
        YIWANG_WEB_WORKERS="1",
        YIWANG_WEB_THREADS="2",
        PYTHONPATH=SRC,  # the children run this checkout's code
        DJANGO_SETTINGS_MODULE="yiwang.config.settings",
    )
    return env


def _yiwang(*args: str) -> list[str]:
    return [sys.executable, "-m", "yiwang.cli", *args]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_yiwang_run_supervises_web_worker_and_clock(tmp_path):
    bind = f"127.0.0.1:{_free_port()}"
    env = _env(tmp_path, bind)
    subprocess.run(_yiwang("migrate", "--no-input"), env=env, check=True, capture_output=True, timeout=120)

    proc = subprocess.Popen(_yiwang("run"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        pids = {
            name: int(out.wait_for(rf"started {name} \(pid (\d+)\)", 30).group(1))
            for name in ("web", "worker", "clock")
        }
        out.wait_for(rf"is ready: http://{bind}/", 90)
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


def test_yiwang_run_refuses_a_public_bind_without_public(tmp_path):
    env = _env(tmp_path, "0.0.0.0:8000")  # the point: it is refused
    result = subprocess.run(_yiwang("run"), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0:8000" in result.stderr
