"""The clock job that screens the platform's own data periodically (``YIWANG_REDFLAGS_PLATFORM_EVERY_MINUTES``,
default once a day; 0 turns it off) over the platform's region. Idempotent: the time of the last clock run is
read from the runs themselves."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.supervision.redflags import actions
from yiwang.supervision.redflags.models import Run, RunSource

log = logging.getLogger(__name__)
CLOCK = Actor.system("clock")


def interval() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "YIWANG_REDFLAGS_PLATFORM_EVERY_MINUTES", 24 * 60)))


def last_clock_run() -> Run | None:
    return Run.objects.filter(source=RunSource.PLATFORM, started_by=CLOCK.ref).order_by("-started_at", "-pk").first()


def run_due_platform_screen(moment: datetime) -> int:
    every = interval()
    if every <= timedelta(0):
        return 0
    last = last_clock_run()
    if last is not None and moment - last.started_at < every:
        return 0
    try:
        run = actions.do_run_platform(actor=CLOCK, region_code=settings.YIWANG_PLATFORM_REGION)
    except YiwangError as exc:
        log.warning("redflags: the platform screen was refused: %s", exc.code)
        return 0
    log.info("redflags: platform screen run %s (%s alerts)", run.pk, run.alerts_raised)
    return 1
