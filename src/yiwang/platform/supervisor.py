"""A small process supervisor: the web server, the task worker and the clock as one group (``yiwang run``).

- Each child runs in its own process group, so a terminal's Ctrl-C reaches only the supervisor, which then
  stops the children in order: SIGTERM to each group (gunicorn's workers included), SIGKILL after a timeout.
  On Linux a child also gets SIGTERM if the supervisor itself dies (``PR_SET_PDEATHSIG``): no orphans.
- Output is line-buffered and prefixed with the child's name (``web  | …``).
- A child that exits while the group is running is restarted after a backoff (0.5 s, 1 s, 2 s … up to 10 s).
  After ``max_failures`` exits within ``failure_window`` seconds the supervisor gives up: it stops everything
  and exits non-zero, rather than restarting a broken program forever.
- When ``ready_url`` answers 200 the supervisor says so, with the address to open.

Pure standard library; no Django here (the ``run`` command builds the command lines from the profile).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import ipaddress
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None  # added to the supervisor's environment


@dataclass
class _Child:
    spec: ChildSpec
    proc: subprocess.Popen[str] | None = None
    pump: threading.Thread | None = None
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    pids: list[int] = field(default_factory=list)  # every pid this child has had (for tests and logs)


def _pdeathsig() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to send SIGTERM to the child when its parent dies (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:  # runs in the child between fork and exec: async-signal-safe calls only
        prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return hook


_PREEXEC = _pdeathsig()


def _kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


class Supervisor:
    def __init__(
        self,
        children: list[ChildSpec],
        *,
        out: TextIO | None = None,
        stop_timeout: float = 10.0,
        max_failures: int = 5,
        failure_window: float = 60.0,
        backoff: tuple[float, float] = (0.5, 10.0),
        ready_url: str | None = None,
        ready_message: str = "ready",
        ready_timeout: float = 120.0,
        poll: float = 0.1,
    ):
        self.children = [_Child(spec) for spec in children]
        self.out = out or sys.stdout
        self.stop_timeout = stop_timeout
        self.max_failures = max_failures
        self.failure_window = failure_window
        self.backoff = backoff
        self.ready_url = ready_url
        self.ready_message = ready_message
        self.ready_timeout = ready_timeout
        self.poll = poll
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._width = max([len(c.spec.name) for c in self.children] + [6])

    # -- output ----------------------------------------------------------------------------------------------------
    def say(self, message: str, who: str = "yiwang") -> None:
        with self._write_lock:
            self.out.write(f"{who:<{self._width}} | {message.rstrip()}\n")
            self.out.flush()

    def _pump(self, child: _Child, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.say(line, child.spec.name)
        proc.stdout.close()

    # -- children --------------------------------------------------------------------------------------------------
    def _start(self, child: _Child) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(child.spec.env or {})}
        proc = subprocess.Popen(  # our own command lines, no shell  # noqa: S603
            child.spec.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            env=env,
            process_group=0,  # its own group: Ctrl-C is ours to pass on, and killpg reaches grandchildren
            preexec_fn=_PREEXEC,
        )
        child.proc, child.restart_at = proc, None
        child.pids.append(proc.pid)
        child.pump = threading.Thread(target=self._pump, args=(child, proc), name=f"pump-{child.spec.name}")
        child.pump.daemon = True
        child.pump.start()
        self.say(f"started {child.spec.name} (pid {proc.pid})")

    def _reap(self, child: _Child, code: int, now: float) -> bool:
        """A child exited on its own: schedule its restart. False when it failed too often (give up)."""
        assert child.proc is not None
        _kill_group(child.proc.pid, signal.SIGKILL)  # leftovers of the dead child (a web worker …)
        child.exits.append(now)
        while child.exits and now - child.exits[0] > self.failure_window:
            child.exits.popleft()
        if len(child.exits) >= self.max_failures:
            self.say(
                f"{child.spec.name} exited (code {code}) {len(child.exits)} times within "
                f"{self.failure_window:.0f} s; giving up and stopping everything"
            )
            return False
        low, high = self.backoff
        delay = min(high, low * 2 ** (len(child.exits) - 1))
        child.restart_at = now + delay
        self.say(f"{child.spec.name} exited unexpectedly (code {code}); restarting in {delay:.1f} s")
        return True

    def _shutdown(self) -> None:
        running = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        if running:
            self.say("stopping " + ", ".join(c.spec.name for c in running))
        for child in running:
            assert child.proc is not None
            _kill_group(child.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.spec.name} did not stop within {self.stop_timeout:.0f} s; killing it")
        for child in running:
            # whatever is left in the child's group (a stuck worker, a grandchild, the child itself) is killed
            assert child.proc is not None
            _kill_group(child.proc.pid, signal.SIGKILL)
            child.proc.wait()
        for child in self.children:
            if child.pump is not None:
                child.pump.join(timeout=5)

    # -- readiness ---------------------------------------------------------------------------------------------------
    def _watch_ready(self) -> None:
        assert self.ready_url is not None
        deadline = time.monotonic() + self.ready_timeout
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                # an http:// URL on loopback, made by the run command
                with urllib.request.urlopen(self.ready_url, timeout=10) as response:  # noqa: S310
                    if response.status == 200:
                        self.say(self.ready_message)
                        return
            except (urllib.error.URLError, OSError):
                pass
            self._stopping.wait(0.25)
        if not self._stopping.is_set():
            self.say(f"the web server did not answer within {self.ready_timeout:.0f} s")

    # -- the loop --------------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to stop (from a signal handler or another thread)."""
        self._stopping.set()

    def run(self) -> int:
        """Start the children and supervise them until stopped. 0 after a requested stop, 1 after giving up."""
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, lambda signum, frame: self.stop())
        code = 0
        try:
            for child in self.children:
                self._start(child)
            if self.ready_url:
                threading.Thread(target=self._watch_ready, name="ready", daemon=True).start()
            while not self._stopping.is_set():
                now = time.monotonic()
                for child in self.children:
                    if child.restart_at is not None:
                        if now >= child.restart_at:
                            self._start(child)
                        continue
                    assert child.proc is not None
                    exit_code = child.proc.poll()
                    if exit_code is not None and not self._stopping.is_set() and not self._reap(child, exit_code, now):
                        code = 1
                        self._stopping.set()
                        break
                self._stopping.wait(self.poll)
        finally:
            self._shutdown()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.say("stopped" if code == 0 else "stopped after repeated failures")
        return code


def is_loopback_bind(bind: str) -> bool:
    """``127.0.0.1:8000``, ``[::1]:8000``, ``localhost:8000`` and unix sockets stay on this machine."""
    if bind.startswith("unix:"):
        return True
    host = bind.rsplit(":", 1)[0] if ":" in bind else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
