"""The clock's due jobs: lots whose ``next_check`` (the end of their current phase) has come, and sealed lots
whose bid box closed its opening (decided at once); closed lots whose follow-ups (成交公告, the losers' refunds)
are still missing after the close (``follow_up_due``)."""

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


def run_close_follow_ups(at: datetime) -> int:
    """Complete the close's follow-ups of every lot whose ``follow_up_due`` has come: what the close did not do
    (the process died right after it, or a follow-up failed) is done now, once; what is done is left alone."""
    from yiwang.trading.auction import actions

    done = 0
    for lot_id in actions.lots_to_follow_up(at):
        try:
            done += int(actions.do_complete_close(lot_id=lot_id))
        except YiwangError:  # pragma: no cover - failures are recorded on the lot and retried later
            log.exception("auction: completing the close of lot %s failed", lot_id)
    return done
