"""The clock loop, with one leader at a time.

Several clock processes may be started (for availability, or by accident); only the leader fires due jobs:

- **PostgreSQL**: a session advisory lock, held on a connection of its own that lives as long as the
  runner. Django's request connection is recycled (``CONN_MAX_AGE``) and closed after errors; a lock held on
  it would be dropped, and leadership would flap, every time that happens.
- **SQLite**: an exclusive ``flock`` on a file next to the database file (one machine shares one database).

Jobs are idempotent and guarded anyway, so a moment with two leaders (a leader whose connection died while it
was running a job) fires nothing twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection

from yiwang.platform.clock import due_jobs, now

log = logging.getLogger("yiwang.clock")
LEADER_LOCK_KEY = 0x59_57_43_4C  # "YWCL"


class Leadership:
    """Who leads the clocks of one database. ``check()`` answers, acquiring leadership when it is free."""

    def __init__(self) -> None:
        self._conn: Any = None  # PostgreSQL: the dedicated connection holding the advisory lock
        self._fd: int | None = None  # SQLite: the locked file
        self.leading = False

    def check(self) -> bool:
        try:
            if connection.vendor == "postgresql":
                self.leading = self._check_postgres()
            else:
                self.leading = self._check_file()
        except Exception:
            log.exception("clock leadership check failed; not leading until it succeeds")
            self.release()
        return self.leading

    def _check_postgres(self) -> bool:
        if self._conn is not None and self.leading:
            with self._conn.cursor() as cur:  # still alive? (a dead session has lost its lock)
                cur.execute("SELECT 1")
            return True
        if self._conn is None:
            self._conn = connection.get_new_connection(connection.get_connection_params())
            self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK_KEY])
            return bool(cur.fetchone()[0])

    def _check_file(self) -> bool:
        if self._fd is not None:
            return True
        name = str(connection.settings_dict["NAME"])
        if not name or name == ":memory:" or name.startswith("file:"):
            return True  # a private in-memory database: nobody to share it with
        fd = os.open(f"{name}-clock.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give leadership up (closing the session or file releases the lock)."""
        was_leading, self.leading = self.leading, False
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                if was_leading:  # hand over at once (a closed session's locks go only when the server notices)
                    with conn.cursor() as cur:
                        cur.execute("SELECT pg_advisory_unlock(%s)", [LEADER_LOCK_KEY])
            except Exception:
                log.debug("unlocking on the leader connection failed", exc_info=True)
            finally:
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def tick(last_run: dict[str, float], *, monotonic: Callable[[], float] = time.monotonic) -> int:
    """Run every job whose interval has passed. A failing job is logged and retried at its next interval;
    it never stops the other jobs. Returns how many items the jobs handled."""
    handled = 0
    for job in due_jobs():
        started = monotonic()
        previous = last_run.get(job.name)
        if previous is not None and started - previous < job.every_seconds:
            continue
        last_run[job.name] = started
        try:
            handled += job.run(now())
        except Exception:
            log.exception("due job %s failed; it runs again at its next interval", job.name)
    return handled


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))


def run(
    *,
    ticks: int | None = None,
    interval: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    leadership: Leadership | None = None,
) -> int:
    """Run the loop ``ticks`` times (forever when None) or until ``should_stop()``; returns items handled.

    A tick in which this process is not the leader fires nothing."""
    last_run: dict[str, float] = {}
    lead = leadership or Leadership()
    handled, count = 0, 0
    was_leading: bool | None = None
    try:
        while (ticks is None or count < ticks) and not should_stop():
            close_old_connections()
            leading = lead.check()
            if leading != was_leading:
                log.info("clock is %s", "the leader" if leading else "standing by (another clock leads)")
                was_leading = leading
            if leading:
                handled += tick(last_run)
            count += 1
            if ticks is None or count < ticks:
                _sleep(interval, should_stop)
    finally:
        if leadership is None:
            lead.release()
    return handled
