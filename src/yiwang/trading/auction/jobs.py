"""The clock's due job: lots whose ``next_check`` (the end of their current phase) has come, and sealed lots
whose bid box closed its opening (decided at once)."""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError

log = logging.getLogger(__name__)


def run_due_lots(at: datetime) -> int:
    """Log a ``tick`` on every lot with a deadline at or before ``at`` (start, close, countdown…)."""
    from yiwang.trading.auction import actions

    done = 0
    for lot_id in actions.lots_due(at):
        try:
            done += int(actions.do_advance_lot(lot_id=lot_id))
        except YiwangError:  # retried on the next run; the lot keeps its next_check
            log.exception("auction: advancing lot %s failed", lot_id)
    for lot_id in actions.lots_to_decide():  # sealed lots whose bid box closed
        try:
            actions.do_decide_sealed_lot(actor=Actor.system("clock"), lot_id=lot_id)
            done += 1
        except YiwangError:
            log.exception("auction: deciding sealed lot %s failed", lot_id)
    return done
