"""Simultaneous bookings of one room for overlapping times: exactly one wins — through the room's row lock,
and on PostgreSQL also through the exclusion constraint alone (with the lock taken away)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from yiwang.kernel.clock import ManualClock
from yiwang.kernel.errors import Conflict
from yiwang.platform.clock import use_clock
from yiwang.platform.testing import postgres_only
from yiwang.services.venues import lock_objects
from yiwang.services.venues.domain.rules import HOLDING
from yiwang.services.venues.models import Booking, Room
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at, book

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
THREADS = 8


def _race(staff, room, starts):
    barrier = threading.Barrier(len(starts))
    results: list[tuple[str, object]] = []
    lock = threading.Lock()

    def worker(start):
        try:
            with use_clock(ManualClock(T0)):
                barrier.wait(timeout=30)
                try:
                    b = book(staff, room, start, start + timedelta(hours=2))
                    outcome = ("ok", b.pk)
                except Conflict as exc:
                    outcome = ("conflict", exc.code)
                with lock:
                    results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(s,)) for s in starts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _no_overlaps(room) -> int:
    rows = list(Booking.objects.filter(room=room, status__in=HOLDING).values_list("blocked_from", "blocked_until"))
    for i, (a0, a1) in enumerate(rows):
        for b0, b1 in rows[i + 1 :]:
            assert not (a0 < b1 and b0 < a1)
    return len(rows)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_booking_exactly_one_wins(clock):
    world = support.make_world()
    starts = [at(9) + timedelta(minutes=5 * i) for i in range(THREADS)]  # all overlap each other
    results = _race(world.staff, world.evaluation, starts)
    assert sorted(r[0] for r in results) == ["conflict"] * (THREADS - 1) + ["ok"]
    assert {r[1] for r in results if r[0] == "conflict"} == {"venues.room_conflict"}
    assert _no_overlaps(world.evaluation) == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_exclusion_constraint_alone_lets_one_win(clock, monkeypatch):
    world = support.make_world()
    monkeypatch.setattr(lock_objects, "room_for_update", lambda room_id: Room.objects.filter(pk=room_id))
    starts = [at(9) + timedelta(minutes=5 * i) for i in range(THREADS)]
    results = _race(world.staff, world.evaluation, starts)
    assert sorted(r[0] for r in results) == ["conflict"] * (THREADS - 1) + ["ok"]
    assert {r[1] for r in results if r[0] == "conflict"} == {"venues.room_conflict"}
    assert _no_overlaps(world.evaluation) == 1


@postgres_only
@pytest.mark.django_db
def test_the_database_refuses_an_overlapping_row(world):
    first = book(world.staff, world.evaluation, at(9), at(11))
    clash = Booking.objects.get(pk=first.pk)
    clash.pk = None
    clash.start, clash.end = at(11, 30), at(12)
    clash.blocked_from, clash.blocked_until = at(11), at(12, 30)  # overlaps the first one's clearing time
    with pytest.raises(IntegrityError, match="venues_booking_no_overlap"), transaction.atomic():
        clash.save()
    clash.status = "cancelled"  # rows that do not hold the room are not constrained
    clash.save()
    assert Booking.objects.filter(room=world.evaluation).count() == 2
