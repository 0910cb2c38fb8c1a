"""Row locks of the venues context, gathered in one place and taken in primary-key order.

Booking a room locks the room's row first: two transactions booking the same room queue on that lock, so the
second one sees the first one's booking when it checks for conflicts (on PostgreSQL the exclusion constraint
``venues_booking_no_overlap`` is the backstop; on SQLite the single writer serialises them anyway).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from yiwang.services.venues.models import Booking, Maintenance, RemoteSession, Room, Site


def site_for_update(site_id: int) -> QuerySet[Site]:
    return Site.objects.select_for_update().filter(pk=site_id)


def room_for_update(room_id: int) -> QuerySet[Room]:
    return Room.objects.select_for_update().filter(pk=room_id)


def rooms_for_update(room_ids: Iterable[int]) -> list[Room]:
    """Several rooms, locked in primary-key order (so two sessions over the same rooms cannot deadlock)."""
    return list(Room.objects.select_for_update().filter(pk__in=sorted(set(room_ids))).order_by("pk"))


def booking_for_update(booking_id: int) -> QuerySet[Booking]:
    return Booking.objects.select_for_update().filter(pk=booking_id)


def session_for_update(session_id: int) -> QuerySet[RemoteSession]:
    return RemoteSession.objects.select_for_update().filter(pk=session_id)


def maintenance_for_update(maintenance_id: int) -> QuerySet[Maintenance]:
    return Maintenance.objects.select_for_update().filter(pk=maintenance_id)
