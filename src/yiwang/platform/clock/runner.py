"""The clock loop. One leader at a time: on PostgreSQL a session advisory lock elects it, so several clock
processes can run for availability; on SQLite there is one machine and one clock. Jobs are idempotent and
guarded anyway, so a moment with two leaders (a lost connection) fires nothing twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import close_old_connections, connection

from yiwang.platform.clock import due_jobs, now

log = logging.getLogger("yiwang.clock")
LEADER_LOCK_KEY = 0x59_57_43_4C  # "YWCL"


def _try_lead() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK_KEY])
        return bool(cur.fetchone()[0])


def tick(last_run: dict[str, float]) -> int:
    """Run every job whose interval has passed. A failing job is logged and retried next tick."""
    handled = 0
    for job in due_jobs():
        if time.monotonic() - last_run.get(job.name, float("-inf")) < job.every_seconds:
            continue
        last_run[job.name] = time.monotonic()
        try:
            handled += job.run(now())
        except Exception:
            log.exception("due job %s failed; it runs again next tick", job.name)
    return handled


def run(*, ticks: int | None = None, interval: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Run the loop ``ticks`` times (forever when None) or until ``should_stop()``; returns items handled."""
    last_run: dict[str, float] = {}
    handled, count, leading = 0, 0, False
    while (ticks is None or count < ticks) and not should_stop():
        close_old_connections()
        if connection.connection is None:
            leading = False  # the session that held the advisory lock is gone; elect again
        if not leading:
            leading = _try_lead()
            if leading:
                log.info("clock is leader")
        if leading:
            handled += tick(last_run)
        count += 1
        if ticks is None or count < ticks:
            time.sleep(interval)
    return handled
