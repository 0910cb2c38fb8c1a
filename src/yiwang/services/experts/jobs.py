"""Due jobs run by the platform clock: answers past their deadline, and draws whose meeting has started."""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.kernel.errors import YiwangError
from yiwang.services.experts import actions
from yiwang.services.experts.models import Draw, DrawStatus, Seat, SeatStatus

log = logging.getLogger("yiwang.experts.jobs")
BATCH = 200


def answers_due(moment: datetime) -> int:
    """Seats still waiting for an answer after their deadline: recorded as no answer, next reserve called."""
    done = 0
    for seat_id in Seat.objects.filter(status=SeatStatus.NOTIFIED, respond_by__lte=moment).values_list("pk", flat=True)[
        :BATCH
    ]:
        try:
            actions.do_expire_answer(seat_id=seat_id)
            done += 1
        except YiwangError as exc:  # answered or cancelled meanwhile
            log.info("seat %s not expired: %s", seat_id, exc.code)
    return done


def unseal_due(moment: datetime) -> int:
    """Draws whose meeting has started are unsealed (the names become visible to the parties)."""
    done = 0
    for draw_id in (
        Draw.objects.filter(parent__isnull=True, unsealed_at__isnull=True, meeting_start__lte=moment)
        .exclude(status=DrawStatus.CANCELLED)
        .values_list("pk", flat=True)[:BATCH]
    ):
        try:
            actions.do_unseal_draw(actor=actions.SYSTEM, draw_id=draw_id)
            done += 1
        except YiwangError as exc:
            log.info("draw %s not unsealed: %s", draw_id, exc.code)
    return done
