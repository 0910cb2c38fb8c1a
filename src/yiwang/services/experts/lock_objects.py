"""Row locks of the experts context, gathered in one place and taken in primary-key order."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.services.experts.models import Draw, Expert, Performance, Seat, SeedCommitment


def expert_for_update(expert_id: int) -> QuerySet[Expert]:
    return Expert.objects.select_for_update().filter(pk=expert_id)


def draw_for_update(draw_id: int) -> QuerySet[Draw]:
    return Draw.objects.select_for_update().filter(pk=draw_id)


def seats_for_update(draw_id: int) -> QuerySet[Seat]:
    return Seat.objects.select_for_update().filter(draw_id=draw_id).order_by("pk")


def unused_commitment_for_update() -> QuerySet[SeedCommitment]:
    """Seed commitments no draw has used, oldest first; one being used by a concurrent draw is skipped."""
    used = Draw.objects.values("commitment_id")
    return SeedCommitment.objects.select_for_update(skip_locked=True).exclude(pk__in=used).order_by("pk")


def performance_for_update(seat_id: int) -> QuerySet[Performance]:
    return Performance.objects.select_for_update().filter(seat_id=seat_id)
