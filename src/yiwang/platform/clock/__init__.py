"""The platform clock: which time counts, and the process that fires due deadlines.

``now()`` is the only way platform code reads the time. The clock process (``yiwang clock``) runs every
registered due job once a second; a job finds what fell due (a ``next_check``-style column) and fires a
guarded, idempotent action for each, so a restarted clock fires what fell due while it was down, once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.clock import Clock

_override = threading.local()
_configured: Clock | None = None


def get_clock() -> Clock:
    clock = getattr(_override, "clock", None)
    if clock is not None:
        return clock
    global _configured
    if _configured is None:
        _configured = import_string(settings.YIWANG_CLOCK)()
    return _configured


def now() -> datetime:
    return get_clock().now()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Use ``clock`` in this thread (tests, demo scripts)."""
    previous = getattr(_override, "clock", None)
    _override.clock = clock
    try:
        yield clock
    finally:
        _override.clock = previous


@dataclass(frozen=True)
class DueJob:
    name: str
    run: Callable[[datetime], int]  # fires what is due at ``now``; returns how many items it handled
    every_seconds: int = 1


_jobs: dict[str, DueJob] = {}


def register_due_job(name: str, run: Callable[[datetime], int], every_seconds: int = 1) -> None:
    """Contexts register their due jobs in ``AppConfig.ready`` (a port: declared here, implemented above)."""
    _jobs[name] = DueJob(name, run, every_seconds)


def due_jobs() -> list[DueJob]:
    return sorted(_jobs.values(), key=lambda j: j.name)
