"""Due jobs of the bid box, fired by the clock process: start the openings that are due, close those whose
decryption window has ended. Each is an idempotent, guarded action; a refusal (someone was faster) is skipped."""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.services.bidbox import actions

log = logging.getLogger(__name__)
CLOCK = Actor.system("clock")


def start_due_openings(moment: datetime) -> int:
    done = 0
    for box_id in actions.boxes_due_to_start(moment):
        try:
            actions.do_start_opening(actor=CLOCK, box_id=box_id)
            done += 1
        except YiwangError as exc:
            log.info("bidbox: box %s not started: %s", box_id, exc.code)
    return done


def close_due_openings(moment: datetime) -> int:
    done = 0
    for box_id in actions.boxes_due_to_close(moment):
        try:
            actions.do_close_opening(actor=CLOCK, box_id=box_id)
            done += 1
        except YiwangError as exc:
            log.info("bidbox: box %s not closed: %s", box_id, exc.code)
    return done
