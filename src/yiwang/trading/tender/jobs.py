"""The clock's job for tendering: fire what fell due for each section whose ``next_check`` has come.

``next_check`` is an indexed column computed by :mod:`.domain.schedule` (a pure function of the section) every
time a section is saved. The job takes the due sections in order and runs :func:`actions.do_advance_section` on
each: under the row lock it fires only what is due *then* and stores the new ``next_check``, so two clocks, a
retry or a restart after downtime fire every due event exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError

log = logging.getLogger(__name__)
CLOCK = Actor.system("clock")


def advance_due_sections(moment: datetime) -> int:
    from yiwang.trading.tender import actions

    fired = 0
    for section_id in actions.due_section_ids(moment):
        try:
            if actions.do_advance_section(actor=CLOCK, section_id=section_id):
                fired += 1
        except YiwangError as exc:
            log.warning("tender: section %s not advanced: %s %s", section_id, exc.code, exc.details)
    return fired
