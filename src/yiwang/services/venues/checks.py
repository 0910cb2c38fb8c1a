"""The checks a booking must pass, shared by the booking actions (under the room's lock) and the booking form's
preview (a plain read, to tell the user at once; the action checks again when it books)."""

from __future__ import annotations

from datetime import datetime

from yiwang.services.venues.conf import venues_settings
from yiwang.services.venues.domain import errors
from yiwang.services.venues.domain.rules import (
    HOLDING,
    PURPOSE_KINDS,
    SEATED_KINDS,
    Buffers,
    Interval,
    Purpose,
    RoomKind,
    blocked,
)
from yiwang.services.venues.models import Booking, Maintenance, Room, Seat


def _seat_count(room: Room) -> int:
    return Seat.objects.filter(room=room, is_active=True).count()


def room_takes(
    room: Room,
    purpose: Purpose,
    window: Interval,
    seats: int,
    *,
    exclude: int | None,
    moment: datetime,
    check_past: bool = True,
) -> tuple[Buffers, Interval]:
    """Everything a booking of ``room`` for ``window`` must satisfy, checked under the room's lock: the room
    and its site are in use, serve the purpose, have the seats, are not in maintenance and not taken."""
    if not room.is_active:
        raise errors.room_inactive()
    if not room.site.is_active:
        raise errors.site_inactive()
    if RoomKind(room.kind) not in PURPOSE_KINDS[purpose]:
        raise errors.purpose_mismatch(room.kind, purpose.value)
    available = _seat_count(room) if room.kind in SEATED_KINDS else room.capacity
    if seats > available:
        raise errors.seats_exceed(seats, available)
    if check_past and window.start < moment:
        raise errors.start_in_past(window.start, moment)
    buffers = venues_settings().buffers_for(room.kind)
    block = blocked(window.start, window.end, buffers)
    maintenance = list(
        Maintenance.objects.filter(
            room=room, cancelled_at__isnull=True, start__lt=block.end, end__gt=block.start
        ).values_list("start", "end", "reason")
    )
    if maintenance:
        raise errors.room_in_maintenance(maintenance)
    clashing = Booking.objects.filter(
        room=room, status__in=HOLDING, blocked_from__lt=block.end, blocked_until__gt=block.start
    )
    if exclude is not None:
        clashing = clashing.exclude(pk=exclude)
    found = list(clashing.order_by("start").values_list("start", "end"))
    if found:
        raise errors.room_conflict(found)
    return buffers, block
