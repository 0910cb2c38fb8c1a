"""Helpers for tests that start processes: which of them are still alive, and waiting for lines of output."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from pathlib import Path


def alive(pid: int) -> bool:
    """Is ``pid`` a running process (a zombie waiting for its parent counts as gone)?"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def group_members(pgids: set[int]) -> set[int]:
    """Live processes whose process group is one of ``pgids``."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            pid = int(entry)
            try:
                if os.getpgid(pid) in pgids and alive(pid):
                    found.add(pid)
            except ProcessLookupError:
                continue
    return found


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Output:
    """Collects a process's output lines in a thread; ``wait_for(regex)`` returns the first match."""

    def __init__(self, proc: subprocess.Popen[str]):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                with self._cond:
                    self.lines.append(line.rstrip("\n"))
                    self._cond.notify_all()

    def close(self, timeout: float = 5) -> None:
        """Wait until the process closed its output (after it exited) and the reader is done."""
        self._thread.join(timeout)

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n" + self.text())
                self._cond.wait(left)

    def text(self) -> str:
        return "\n".join(self.lines[-60:])
