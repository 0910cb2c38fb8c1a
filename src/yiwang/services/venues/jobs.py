"""Due jobs run by the platform clock: experts not arrived some time after their booking started."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from yiwang.kernel.errors import YiwangError
from yiwang.services.venues import actions
from yiwang.services.venues.conf import venues_settings
from yiwang.services.venues.domain.rules import BookingStatus
from yiwang.services.venues.models import Assignment

log = logging.getLogger("yiwang.venues.jobs")
BATCH = 200


def flag_no_shows(moment: datetime) -> int:
    """Approved bookings that started ``NO_SHOW_AFTER_MINUTES`` ago with experts not checked in and not yet
    flagged: one action per booking flags them (idempotent: flagged experts are not flagged again)."""
    due_start = moment - timedelta(minutes=venues_settings().no_show_after)
    booking_ids = (
        Assignment.objects.filter(
            checked_in_at__isnull=True,
            no_show_at__isnull=True,
            booking__status=BookingStatus.APPROVED,
            booking__start__lte=due_start,
        )
        .values_list("booking_id", flat=True)
        .distinct()
        .order_by("booking_id")[:BATCH]
    )
    done = 0
    for booking_id in list(booking_ids):
        try:
            done += len(actions.do_flag_no_shows(booking_id=booking_id))
        except YiwangError as exc:  # cancelled or completed meanwhile
            log.info("booking %s not flagged: %s", booking_id, exc.code)
    return done
