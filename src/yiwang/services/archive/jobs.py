"""The archive's due job: the retention sweep (保存期限检查). It marks versions past retention as eligible for
disposal and deletes nothing; staff dispose of them explicitly."""

from __future__ import annotations

from datetime import datetime

from yiwang.kernel.actors import Actor
from yiwang.services.archive import actions

SWEEP_EVERY_SECONDS = 3600
CLOCK = Actor.system("clock")


def retention_sweep(moment: datetime) -> int:
    return actions.do_mark_disposal_eligible(actor=CLOCK, moment=moment)
