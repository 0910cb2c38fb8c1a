"""Property tests: random bookings, changes and cancellations never leave two overlapping bookings holding one
room, and every refusal was right; free slots are free; seating respects regions and seat counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import Conflict
from yiwang.kernel.ids import region_covers
from yiwang.services.venues import actions
from yiwang.services.venues.domain import seating
from yiwang.services.venues.domain.rules import HOLDING, Buffers, Interval, blocked, free_slots
from yiwang.services.venues.models import Booking
from yiwang.services.venues.tests.support import at, book

BASE = datetime(2026, 3, 3, tzinfo=UTC)

op = st.tuples(
    st.sampled_from(["book", "book", "book", "change", "cancel"]),
    st.integers(0, 1),  # which room
    st.integers(0, 40),  # start, in quarter hours after 07:00
    st.integers(1, 12),  # length in quarter hours
    st.integers(0, 30),  # which booking to change or cancel
)


def _holding(room):
    return list(Booking.objects.filter(room=room, status__in=HOLDING).exclude(pk__in=[]))


def _free(room, start, end, exclude=None):
    b = (room.kind == "evaluation_room" and Buffers(30, 30)) or Buffers(15, 15)
    mine = blocked(start, end, b)
    others = [x for x in _holding(room) if x.pk != exclude]
    return not any(Interval(x.blocked_from, x.blocked_until).overlaps(mine) for x in others)


@pytest.mark.django_db
def test_random_bookings_never_overlap(world):
    rooms = [world.evaluation, world.opening]

    @given(st.lists(op, min_size=1, max_size=20))
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def run(ops):
        Booking.objects.all().delete()
        for what, r, slot, length, pick in ops:
            room = rooms[r]
            start = at(7) + timedelta(minutes=15 * slot)
            end = start + timedelta(minutes=15 * length)
            existing = list(Booking.objects.filter(status__in=HOLDING).order_by("pk"))
            if what == "book" or not existing:
                expected = _free(room, start, end)
                try:
                    book(world.staff, room, start, end)
                    ok = True
                except Conflict:
                    ok = False
            elif what == "change":
                target = existing[pick % len(existing)]
                expected = _free(target.room, start, end, exclude=target.pk)
                try:
                    actions.do_change_booking(
                        actor=world.staff, booking_id=target.pk, changes={"start": start, "end": end}, reason="调整"
                    )
                    ok = True
                except Conflict:
                    ok = False
            else:
                target = existing[pick % len(existing)]
                actions.do_cancel_booking(actor=world.staff, booking_id=target.pk, reason="取消")
                expected = ok = True
            assert ok == expected
            for each in rooms:
                rows = _holding(each)
                for i, a in enumerate(rows):
                    for b in rows[i + 1 :]:
                        assert not (a.blocked_from < b.blocked_until and b.blocked_from < a.blocked_until)

    run()


intervals = st.lists(
    st.tuples(st.integers(0, 96), st.integers(1, 24)).map(
        lambda t: Interval(BASE + timedelta(minutes=15 * t[0]), BASE + timedelta(minutes=15 * (t[0] + t[1])))
    ),
    max_size=8,
)


@given(busy=intervals, before=st.integers(0, 60), after=st.integers(0, 60), minutes=st.integers(1, 240))
def test_free_slots_are_free_and_long_enough(busy, before, after, minutes):
    window = Interval(BASE, BASE + timedelta(hours=24))
    buffers = Buffers(before, after)
    for slot in free_slots(window, busy, buffers, min_minutes=minutes):
        assert window.start <= slot.earliest_start
        assert slot.latest_end <= window.end
        assert slot.minutes >= minutes
        for start, end in (
            (slot.earliest_start, slot.earliest_start + timedelta(minutes=minutes)),
            (slot.latest_end - timedelta(minutes=minutes), slot.latest_end),
        ):
            assert not any(blocked(start, end, buffers).overlaps(b) for b in busy)


REGIONS = ["310112", "310115", "310000", "320500", "320506", "330100", "340100"]


@given(
    homes=st.lists(st.sampled_from(REGIONS), min_size=1, max_size=12),
    secondary=st.lists(st.sampled_from(["310115", "320500", "330100"]), unique=True, max_size=3),
    seats=st.integers(1, 12),
)
def test_seating_places_everyone_once_in_a_covering_site(homes, secondary, seats):
    sites = [seating.SiteSeats(1, "310112", True, tuple(f"M{i:02d}" for i in range(seats)), seats)]
    sites += [
        seating.SiteSeats(i + 2, region, False, tuple(f"S{i}{j:02d}" for j in range(seats)), seats)
        for i, region in enumerate(secondary)
    ]
    members = [seating.Member(f"e:{i}", home) for i, home in enumerate(homes)]
    wanted: dict[int, int] = {}
    for m in members:
        key = seating.site_for(m.home_region, sites).key
        wanted[key] = wanted.get(key, 0) + 1
    if any(n > seats for n in wanted.values()):
        with pytest.raises(Conflict) as exc:
            seating.plan(members, sites, numbered={s.key: True for s in sites})
        assert exc.value.code == "venues.not_enough_seats"
        assert {s["booking_id"] for s in exc.value.details["sites"]} == {k for k, n in wanted.items() if n > seats}
        return
    placements = seating.plan(members, sites, numbered={s.key: True for s in sites})
    assert sorted(p.expert_ref for p in placements) == sorted(m.expert_ref for m in members)
    assert len({(p.key, p.seat) for p in placements}) == len(placements)
    by_key = {s.key: s for s in sites}
    for p, m in zip(sorted(placements, key=lambda p: int(p.expert_ref[2:])), members, strict=True):
        site = by_key[p.key]
        assert p.seat in site.seats
        covering = [s for s in sites if region_covers(s.region, m.home_region)]
        assert (site in covering) if covering else site.main
