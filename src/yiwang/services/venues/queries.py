"""Reads of the venues context, restricted by the acting user.

- The site and room directory (场所、房间、席位目录) is public: centres publish their evaluation seats.
- A booking is seen in full by the site's staff, regulators and auditors over the site's region, its
  requester and (for a remote session) the organising staff; to everyone else a room's calendar shows only
  that a time is taken ("已预约"), and the public 今日开标 list shows the titles owners marked public.
- Check-in codes are shown to the site's staff only; expert names to staff, regulators and auditors.

:func:`attendance_of` is the door for the evaluation context (trusted caller, no actor).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, Q
from django.utils.translation import get_language, gettext

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.periods import SHANGHAI, local_date
from yiwang.platform.clock import now
from yiwang.services.venues.conf import venues_settings
from yiwang.services.venues.domain import errors
from yiwang.services.venues.domain.rules import (
    APPLY_TYPE_LABELS_ZH,
    ATTENDANCE_LABELS_ZH,
    BOOKING_STATUS_LABELS_ZH,
    CHECK_IN_METHOD_LABELS_ZH,
    DIRECTION_LABELS_ZH,
    HOLDING,
    PERSON_KIND_LABELS_ZH,
    PURPOSE_KINDS,
    PURPOSE_LABELS_ZH,
    ROOM_KIND_LABELS_ZH,
    SEATED_KINDS,
    ApplyType,
    Attendance,
    BookingStatus,
    CheckInMethod,
    Direction,
    Interval,
    PersonKind,
    Purpose,
    RoomKind,
    Slot,
    attendance,
    free_slots,
    still_inside,
)
from yiwang.services.venues.models import (
    AccessEvent,
    Assignment,
    Booking,
    BookingHistory,
    Maintenance,
    RemoteSession,
    Room,
    Seat,
    SessionRole,
    Site,
)

OVERSEERS = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def is_staff_over(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def oversees(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, *OVERSEERS)


def is_venue_staff(actor: Actor) -> bool:
    """Holds the staff role somewhere (the pages for managing venues)."""
    return actor.is_system or bool(actor.region_scopes(Role.STAFF))


def _region_name(code: str) -> str:
    region = catalog.get_region(code)
    return region.name if region else code


# -- sites, rooms, seats ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatView:
    id: int
    number: str
    camera_id: str
    is_active: bool


@dataclass(frozen=True)
class RoomView:
    id: int
    site_id: int
    site_name: str
    region_code: str
    code: str
    name: str
    kind: str
    kind_label: str
    capacity: int
    isolated: bool
    recording: bool
    video_link: bool
    floor: str
    note: str
    is_active: bool
    version: int
    seated: bool
    seat_count: int
    buffer_before: int
    buffer_after: int
    seats: list[SeatView] = field(default_factory=list)


@dataclass(frozen=True)
class SiteView:
    id: int
    organisation_id: int
    organisation_name: str
    name: str
    region_code: str
    region_name: str
    address: str
    phone: str
    is_active: bool
    version: int
    rooms: list[RoomView] = field(default_factory=list)


def _room_view(room: Room, *, seat_count: int, seats: Iterable[Seat] = ()) -> RoomView:
    buffers = venues_settings().buffers_for(room.kind)
    return RoomView(
        id=room.pk,
        site_id=room.site_id,
        site_name=room.site.name,
        region_code=room.site.region_code,
        code=room.code,
        name=room.name,
        kind=room.kind,
        kind_label=ROOM_KIND_LABELS_ZH[RoomKind(room.kind)],
        capacity=room.capacity,
        isolated=room.isolated,
        recording=room.recording,
        video_link=room.video_link,
        floor=room.floor,
        note=room.note,
        is_active=room.is_active,
        version=room.version,
        seated=room.kind in SEATED_KINDS,
        seat_count=seat_count,
        buffer_before=buffers.before,
        buffer_after=buffers.after,
        seats=[SeatView(s.pk, s.number, s.camera_id, s.is_active) for s in seats],
    )


def _seat_counts(room_ids: Iterable[int]) -> dict[int, int]:
    rows = Seat.objects.filter(room_id__in=list(room_ids), is_active=True).values("room_id").annotate(n=Count("pk"))
    return {r["room_id"]: r["n"] for r in rows}


def _site_view(site: Site, rooms: list[Room] | None = None) -> SiteView:
    rooms = rooms if rooms is not None else list(site.rooms.select_related("site").order_by("code", "pk"))
    counts = _seat_counts(r.pk for r in rooms)
    return SiteView(
        id=site.pk,
        organisation_id=site.organisation_id,
        organisation_name=site.organisation.name,
        name=site.name,
        region_code=site.region_code,
        region_name=_region_name(site.region_code),
        address=site.address,
        phone=site.phone,
        is_active=site.is_active,
        version=site.version,
        rooms=[_room_view(r, seat_count=counts.get(r.pk, 0)) for r in rooms],
    )


def list_sites(*, region: str | None = None, active_only: bool = False) -> list[SiteView]:
    """The public directory of sites and their rooms (``region``: sites in that region and below)."""
    sites = Site.objects.select_related("organisation").order_by("region_code", "pk")
    if active_only:
        sites = sites.filter(is_active=True)
    rows = list(sites)
    if region:
        from yiwang.kernel.ids import region_covers

        rows = [s for s in rows if region_covers(region, s.region_code)]
    rooms: dict[int, list[Room]] = {}
    for room in Room.objects.filter(site__in=rows).select_related("site").order_by("code", "pk"):
        rooms.setdefault(room.site_id, []).append(room)
    return [_site_view(s, rooms.get(s.pk, [])) for s in rows]


def get_site(site_id: int) -> SiteView:
    site = Site.objects.select_related("organisation").filter(pk=site_id).first()
    if site is None:
        raise errors.not_found("site", site_id)
    return _site_view(site)


def get_room(room_id: int) -> RoomView:
    room = Room.objects.select_related("site").filter(pk=room_id).first()
    if room is None:
        raise errors.not_found("room", room_id)
    seats = list(room.seats.order_by("number"))
    return _room_view(room, seat_count=sum(1 for s in seats if s.is_active), seats=seats)


def sites_managed_by(actor: Actor) -> list[SiteView]:
    return [s for s in list_sites() if is_staff_over(actor, s.region_code)]


def _room_choice(site: str, room: str, kind: str, capacity: int) -> str:
    """A room in the booking form's list, in the page's language (the site and room names stay as entered)."""
    return gettext("%(site)s · %(room)s（%(kind)s，%(capacity)s人）") % {
        "site": site,
        "room": room,
        "kind": gettext(kind),
        "capacity": capacity,
    }


def room_choices(actor: Actor | None = None, *, purpose: str | None = None) -> list[tuple[int, str]]:
    """Rooms in use for a form's choice list (optionally only those serving ``purpose``)."""
    rooms = (
        Room.objects.filter(is_active=True, site__is_active=True)
        .select_related("site")
        .order_by("site__region_code", "site_id", "code")
    )
    kinds = PURPOSE_KINDS.get(Purpose(purpose)) if purpose else None
    return [
        (r.pk, _room_choice(r.site.name, r.name, ROOM_KIND_LABELS_ZH[RoomKind(r.kind)], r.capacity))
        for r in rooms
        if kinds is None or RoomKind(r.kind) in kinds
    ]


# -- maintenance ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaintenanceView:
    id: int
    room_id: int
    start: datetime
    end: datetime
    reason: str
    cancelled: bool


def list_maintenance_for(actor: Actor, room_id: int, *, include_past: bool = False) -> list[MaintenanceView]:
    room = Room.objects.select_related("site").filter(pk=room_id).first()
    if room is None:
        raise errors.not_found("room", room_id)
    rows = Maintenance.objects.filter(room=room, cancelled_at__isnull=True)
    if not include_past:
        rows = rows.filter(end__gt=now())
    staff = oversees(actor, room.site.region_code)
    return [
        MaintenanceView(m.pk, room.pk, m.start, m.end, m.reason if staff else "维护", m.cancelled_at is not None)
        for m in rows.order_by("start")
    ]


# -- bookings ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryView:
    what: str
    what_label: str
    reason: str
    at: datetime
    actor_label: str


HISTORY_LABELS = {
    "apply": "提交场地申请",
    "change": "变更",
    "cancel": "取消",
    "approve": "审核通过",
    "reject": "审核不通过",
    "complete": "办结",
    "seat": "安排席位",
}


@dataclass(frozen=True)
class BookingView:
    id: int
    room_id: int
    room_name: str
    room_kind: str
    site_id: int
    site_name: str
    region_code: str
    purpose: str
    purpose_label: str
    start: datetime
    end: datetime
    buffer_before: int
    buffer_after: int
    blocked_from: datetime
    blocked_until: datetime
    seats: int
    status: str
    status_label: str
    apply_type: str
    apply_type_label: str
    session_id: int | None
    session_role: str
    owner_ref: str
    title: str
    public_title: str
    requested_by_label: str
    requested_by_ref: str
    decided_at: datetime | None
    decision_note: str
    version: int
    check_in_code: str  # "" unless the reader is the site's staff
    may_decide: bool
    may_change: bool
    isolated: bool
    history: list[HistoryView] = field(default_factory=list)


def _organiser_region(booking: Booking) -> str | None:
    if booking.session_id is None:
        return None
    main = Booking.objects.filter(session_id=booking.session_id, session_role=SessionRole.MAIN).select_related(
        "room__site"
    )
    first = main.first()
    return first.room.site.region_code if first else None


def may_see(actor: Actor, booking: Booking) -> bool:
    region = booking.room.site.region_code
    if oversees(actor, region):
        return True
    if actor.is_authenticated and actor.ref == booking.requested_by_ref:
        return True
    organiser = _organiser_region(booking)
    return organiser is not None and is_staff_over(actor, organiser)


def _booking_view(actor: Actor, b: Booking, *, history: bool = False) -> BookingView:
    site = b.room.site
    staff = is_staff_over(actor, site.region_code)
    may_change_it = staff or (actor.is_authenticated and actor.ref == b.requested_by_ref)
    rows = []
    if history:
        rows = [
            HistoryView(h.what, HISTORY_LABELS.get(h.what, h.what), h.reason, h.at, h.actor_label)
            for h in BookingHistory.objects.filter(booking=b).order_by("at", "pk")
        ]
    return BookingView(
        id=b.pk,
        room_id=b.room_id,
        room_name=b.room.name,
        room_kind=b.room.kind,
        site_id=site.pk,
        site_name=site.name,
        region_code=site.region_code,
        purpose=b.purpose,
        purpose_label=PURPOSE_LABELS_ZH[Purpose(b.purpose)],
        start=b.start,
        end=b.end,
        buffer_before=b.buffer_before,
        buffer_after=b.buffer_after,
        blocked_from=b.blocked_from,
        blocked_until=b.blocked_until,
        seats=b.seats,
        status=b.status,
        status_label=BOOKING_STATUS_LABELS_ZH[BookingStatus(b.status)],
        apply_type=b.apply_type,
        apply_type_label=APPLY_TYPE_LABELS_ZH[ApplyType(b.apply_type)],
        session_id=b.session_id,
        session_role=b.session_role,
        owner_ref=b.owner_ref,
        title=b.title,
        public_title=b.public_title,
        requested_by_label=b.requested_by_label,
        requested_by_ref=b.requested_by_ref,
        decided_at=b.decided_at,
        decision_note=b.decision_note,
        version=b.version,
        check_in_code=b.check_in_code if staff else "",
        may_decide=staff and b.status == BookingStatus.PENDING,
        may_change=may_change_it and b.status in (BookingStatus.PENDING, BookingStatus.APPROVED),
        isolated=b.room.isolated,
        history=rows,
    )


def _booking(booking_id: int) -> Booking:
    booking = Booking.objects.select_related("room__site").filter(pk=booking_id).first()
    if booking is None:
        raise errors.not_found("booking", booking_id)
    return booking


def get_booking_for(actor: Actor, booking_id: int) -> BookingView:
    """The booking in full, if ``actor`` may see it; otherwise ``venues.booking_not_found``."""
    booking = _booking(booking_id)
    if not may_see(actor, booking):
        raise errors.not_found("booking", booking_id)
    return _booking_view(actor, booking, history=True)


def booking_version(booking_id: int) -> int | None:
    return Booking.objects.filter(pk=booking_id).values_list("version", flat=True).first()


def list_bookings_for(
    actor: Actor,
    *,
    room_id: int | None = None,
    site_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
    owner_ref: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[BookingView]:
    """Bookings ``actor`` may see, by start time (``start``/``end`` select those overlapping the window)."""
    rows = Booking.objects.select_related("room__site").order_by("start", "pk")
    if room_id is not None:
        rows = rows.filter(room_id=room_id)
    if site_id is not None:
        rows = rows.filter(room__site_id=site_id)
    if start is not None:
        rows = rows.filter(end__gt=start)
    if end is not None:
        rows = rows.filter(start__lt=end)
    if status:
        rows = rows.filter(status=status)
    if owner_ref:
        rows = rows.filter(owner_ref=owner_ref)
    if not actor.is_system:
        scopes = actor.region_scopes(*OVERSEERS)
        visible = Q(requested_by_ref=actor.ref) if actor.is_authenticated else Q(pk__in=[])
        for scope in scopes:
            visible |= Q(room__site__region_code__startswith=_prefix(scope))
        rows = rows.filter(visible)
    limit = max(1, min(limit, 500))
    return [_booking_view(actor, b) for b in rows[offset : offset + limit]]


def _prefix(scope: str) -> str:
    if scope.endswith("0000"):
        return scope[:2]
    if scope.endswith("00"):
        return scope[:4]
    return scope


def approval_queue_for(actor: Actor) -> list[BookingView]:
    """待审批: pending bookings of the sites ``actor`` is staff over, oldest first."""
    scopes = actor.region_scopes(Role.STAFF)
    if not scopes and not actor.is_system:
        return []
    rows = (
        Booking.objects.filter(status=BookingStatus.PENDING).select_related("room__site").order_by("created_at", "pk")
    )
    if not actor.is_system:
        where = Q(pk__in=[])
        for scope in scopes:
            where |= Q(room__site__region_code__startswith=_prefix(scope))
        rows = rows.filter(where)
    return [_booking_view(actor, b) for b in rows[:200]]


# -- the calendar and availability -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str  # booking | maintenance
    start: datetime
    end: datetime
    blocked_from: datetime
    blocked_until: datetime
    label: str
    status: str
    status_label: str
    booking_id: int | None
    visible: bool  # the reader may open the booking


@dataclass(frozen=True)
class DayColumn:
    day: date
    blocks: list[Block]


@dataclass(frozen=True)
class CalendarRow:
    room: RoomView
    days: list[DayColumn]


@dataclass(frozen=True)
class CalendarView:
    days: list[date]
    rows: list[CalendarRow]
    hours: list[int]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def calendar_for(actor: Actor, *, first_day: date, days: int = 1, site_id: int | None = None) -> CalendarView:
    """The room calendar (占用情况): every room of the site (or of all sites) for ``days`` days. Bookings the
    reader may not open show only as 已预约."""
    days = max(1, min(days, 7))
    dates = [first_day + timedelta(days=i) for i in range(days)]
    lo, _ = _day_bounds(dates[0])
    _, hi = _day_bounds(dates[-1])
    rooms_q = Room.objects.select_related("site").filter(is_active=True, site__is_active=True)
    if site_id is not None:
        rooms_q = rooms_q.filter(site_id=site_id)
    rooms = list(rooms_q.order_by("site__region_code", "site_id", "code"))
    counts = _seat_counts(r.pk for r in rooms)
    bookings: dict[int, list[Booking]] = {}
    for b in (
        Booking.objects.filter(room__in=rooms, status__in=HOLDING, blocked_from__lt=hi, blocked_until__gt=lo)
        .select_related("room__site")
        .order_by("start")
    ):
        bookings.setdefault(b.room_id, []).append(b)
    maint: dict[int, list[Maintenance]] = {}
    for m in Maintenance.objects.filter(room__in=rooms, cancelled_at__isnull=True, start__lt=hi, end__gt=lo):
        maint.setdefault(m.room_id, []).append(m)
    out = []
    for room in rooms:
        blocks: list[Block] = []
        for b in bookings.get(room.pk, []):
            visible = may_see(actor, b)
            label = (b.title or b.public_title or b.owner_ref) if visible else (b.public_title or gettext("已预约"))
            blocks.append(
                Block(
                    "booking",
                    b.start,
                    b.end,
                    b.blocked_from,
                    b.blocked_until,
                    label,
                    b.status,
                    BOOKING_STATUS_LABELS_ZH[BookingStatus(b.status)],
                    b.pk,
                    visible,
                )
            )
        for m in maint.get(room.pk, []):
            blocks.append(
                Block(
                    "maintenance",
                    m.start,
                    m.end,
                    m.start,
                    m.end,
                    gettext("维护"),
                    "maintenance",
                    gettext("维护"),
                    None,
                    False,
                )
            )
        columns = []
        for day in dates:
            d0, d1 = _day_bounds(day)
            columns.append(
                DayColumn(
                    day,
                    sorted((x for x in blocks if x.blocked_from < d1 and x.blocked_until > d0), key=lambda x: x.start),
                )
            )
        out.append(CalendarRow(_room_view(room, seat_count=counts.get(room.pk, 0)), columns))
    return CalendarView(dates, out, list(range(8, 19)))


@dataclass(frozen=True)
class RoomSlots:
    room: RoomView
    slots: list[Slot]


def availability(
    *,
    kind: str | None = None,
    start: datetime,
    end: datetime,
    min_minutes: int = 60,
    region: str | None = None,
    site_id: int | None = None,
    seats: int = 0,
) -> list[RoomSlots]:
    """Free slots (空闲时段) of the rooms of ``kind`` in ``[start, end)``: where a meeting of at least
    ``min_minutes`` fits with the room's buffers, around bookings and maintenance windows. Rooms with fewer
    than ``seats`` seats (or places) are left out. Nothing private is returned."""
    if start.tzinfo is None or end.tzinfo is None:
        raise errors.naive_time()
    if end <= start:
        raise errors.end_before_start(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end - start > timedelta(days=31):
        raise errors.invalid("end", "查询时段不得超过 31 天", "Query at most 31 days at once")
    if kind:
        try:
            RoomKind(kind)
        except ValueError:
            raise errors.invalid("kind", "房间类型不正确", "Unknown room kind") from None
    rooms_q = Room.objects.select_related("site").filter(is_active=True, site__is_active=True)
    if kind:
        rooms_q = rooms_q.filter(kind=kind)
    if site_id is not None:
        rooms_q = rooms_q.filter(site_id=site_id)
    rooms = list(rooms_q.order_by("site__region_code", "site_id", "code"))
    if region:
        from yiwang.kernel.ids import region_covers

        rooms = [r for r in rooms if region_covers(region, r.site.region_code)]
    counts = _seat_counts(r.pk for r in rooms)
    conf = venues_settings()
    window = Interval(start, end)
    busy: dict[int, list[Interval]] = {}
    for room_id, b0, b1 in Booking.objects.filter(
        room__in=rooms,
        status__in=HOLDING,
        blocked_from__lt=end + timedelta(days=1),
        blocked_until__gt=start - timedelta(days=1),
    ).values_list("room_id", "blocked_from", "blocked_until"):
        busy.setdefault(room_id, []).append(Interval(b0, b1))
    for room_id, m0, m1 in Maintenance.objects.filter(
        room__in=rooms, cancelled_at__isnull=True, start__lt=end + timedelta(days=1), end__gt=start - timedelta(days=1)
    ).values_list("room_id", "start", "end"):
        busy.setdefault(room_id, []).append(Interval(m0, m1))
    out = []
    moment = now()
    for room in rooms:
        places = counts.get(room.pk, 0) if room.kind in SEATED_KINDS else room.capacity
        if places < seats:
            continue
        slots = free_slots(
            window, busy.get(room.pk, []), conf.buffers_for(room.kind), min_minutes=min_minutes, not_before=moment
        )
        if slots:
            out.append(RoomSlots(_room_view(room, seat_count=counts.get(room.pk, 0)), slots))
    return out


# -- remote sessions -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatMapEntry:
    seat: str | None
    camera_id: str
    expert_ref: str
    name: str  # "" unless the reader oversees the site
    home_region: str
    attendance: str
    attendance_label: str
    checked_in_at: datetime | None


@dataclass(frozen=True)
class SiteMap:
    booking: BookingView
    role: str
    role_label: str
    entries: list[SeatMapEntry]
    free_seats: list[str]


@dataclass(frozen=True)
class SessionView:
    id: int
    owner_ref: str
    title: str
    start: datetime
    end: datetime
    cancelled: bool
    created_by_label: str
    ready: bool  # every taking-part booking approved
    version: int
    sites: list[SiteMap]
    experts: int


def _attendance_of(a: Assignment, booking: Booking, at: datetime) -> Attendance:
    if a.no_show_at is not None and a.checked_in_at is None:
        return Attendance.NO_SHOW
    conf = venues_settings()
    return attendance(a.checked_in_at, booking.start, at, late_after=conf.late_after, no_show_after=conf.no_show_after)


def _entries(actor: Actor, booking: Booking, at: datetime) -> tuple[list[SeatMapEntry], list[str]]:
    names = oversees(actor, booking.room.site.region_code) or (
        (region := _organiser_region(booking)) is not None and is_staff_over(actor, region)
    )
    rows = list(booking.assignments.select_related("seat").order_by("seat__number", "pk"))
    used = {a.seat_id for a in rows}
    free = [s.number for s in booking.room.seats.filter(is_active=True).order_by("number") if s.pk not in used]
    entries = []
    for a in rows:
        status = _attendance_of(a, booking, at)
        entries.append(
            SeatMapEntry(
                a.seat.number if a.seat else None,
                a.seat.camera_id if a.seat else "",
                a.expert_ref,
                a.name if names else "",
                a.home_region,
                status.value,
                ATTENDANCE_LABELS_ZH[status],
                a.checked_in_at,
            )
        )
    return entries, free


def get_session_for(actor: Actor, session_id: int) -> SessionView:
    session = RemoteSession.objects.filter(pk=session_id).first()
    if session is None:
        raise errors.not_found("session", session_id)
    bookings = list(session.bookings.select_related("room__site").order_by("pk"))
    main = next(b for b in bookings if b.session_role == SessionRole.MAIN)
    if not (
        oversees(actor, main.room.site.region_code)
        or (actor.is_authenticated and actor.ref == session.created_by_ref)
        or any(oversees(actor, b.room.site.region_code) for b in bookings)
    ):
        raise errors.not_found("session", session_id)
    at = now()
    sites = []
    for b in sorted(bookings, key=lambda x: (x.session_role != SessionRole.MAIN, x.pk)):
        entries, free = _entries(actor, b, at)
        sites.append(
            SiteMap(
                _booking_view(actor, b),
                b.session_role,
                SessionRole(b.session_role).label,
                entries,
                free,
            )
        )
    taking_part = [b for b in bookings if b.status in HOLDING]
    return SessionView(
        id=session.pk,
        owner_ref=session.owner_ref,
        title=session.title,
        start=session.start,
        end=session.end,
        cancelled=session.cancelled_at is not None,
        created_by_label=session.created_by_label,
        ready=bool(taking_part) and all(b.status == BookingStatus.APPROVED for b in taking_part),
        version=session.version,
        sites=sites,
        experts=sum(len(s.entries) for s in sites),
    )


def list_sessions_for(actor: Actor, *, limit: int = 50) -> list[RemoteSession]:
    if actor.is_system:
        return list(RemoteSession.objects.order_by("-start", "-pk")[:limit])
    scopes = actor.region_scopes(*OVERSEERS)
    where = Q(created_by_ref=actor.ref) if actor.is_authenticated else Q(pk__in=[])
    for scope in scopes:
        where |= Q(bookings__room__site__region_code__startswith=_prefix(scope))
    return list(RemoteSession.objects.filter(where).distinct().order_by("-start", "-pk")[:limit])


# -- attendance -------------------------------------------------------------------------------------------------------


class AttendanceRow(NamedTuple):
    """One expected expert (a tuple: ``expert_ref, checked_in_at, seat, status``)."""

    expert_ref: str
    checked_in_at: datetime | None
    seat: str | None
    status: str


def attendance_of(booking_id: int) -> list[AttendanceRow]:
    """For the evaluation context: each expected expert, when they checked in, their seat, and their status
    (``expected`` 待签到 · ``present`` 已签到 · ``late`` 迟到 · ``no_show`` 未到) as of now."""
    booking = _booking(booking_id)
    at = now()
    return [
        AttendanceRow(
            a.expert_ref, a.checked_in_at, a.seat.number if a.seat else None, _attendance_of(a, booking, at).value
        )
        for a in booking.assignments.select_related("seat").order_by("seat__number", "pk")
    ]


@dataclass(frozen=True)
class ExpectedExpert:
    assignment_id: int
    expert_ref: str
    name: str
    home_region: str
    seat: str | None
    camera_id: str
    checked_in_at: datetime | None
    method_label: str
    attendance: str
    attendance_label: str
    late: bool


def attendance_for(actor: Actor, booking_id: int, *, q: str = "") -> list[ExpectedExpert]:
    """The check-in desk's list (site staff, overseers): ``q`` matches the name or the reference."""
    booking = _booking(booking_id)
    if not may_see(actor, booking):
        raise errors.not_found("booking", booking_id)
    names = oversees(actor, booking.room.site.region_code) or actor.ref == booking.requested_by_ref
    rows = booking.assignments.select_related("seat").order_by("seat__number", "pk")
    q = q.strip()
    if q:
        rows = (
            rows.filter(Q(expert_ref__icontains=q) | Q(name__icontains=q))
            if names
            else rows.filter(expert_ref__icontains=q)
        )
    at = now()
    out = []
    for a in rows:
        status = _attendance_of(a, booking, at)
        out.append(
            ExpectedExpert(
                a.pk,
                a.expert_ref,
                a.name if names else "",
                a.home_region,
                a.seat.number if a.seat else None,
                a.seat.camera_id if a.seat else "",
                a.checked_in_at,
                CHECK_IN_METHOD_LABELS_ZH[CheckInMethod(a.check_in_method)] if a.check_in_method else "",
                status.value,
                ATTENDANCE_LABELS_ZH[status],
                a.late,
            )
        )
    return out


@dataclass(frozen=True)
class MyCheckIn:
    booking_id: int
    site_name: str
    room_name: str
    start: datetime
    end: datetime
    seat: str | None
    expert_ref: str
    checked_in_at: datetime | None


def my_check_ins(actor: Actor) -> list[MyCheckIn]:
    """The signed-in expert's places today (to confirm their own check-in with the code shown at the desk)."""
    if not actor.is_authenticated or not actor.has_role(Role.EXPERT):
        return []
    try:
        account_id = int(actor.id)
    except ValueError:
        return []
    day0, day1 = _day_bounds(local_date(now()))
    rows = (
        Assignment.objects.filter(
            account_id=account_id,
            booking__status=BookingStatus.APPROVED,
            booking__start__lt=day1,
            booking__end__gt=day0,
        )
        .select_related("booking__room__site", "seat")
        .order_by("booking__start")
    )
    return [
        MyCheckIn(
            a.booking_id,
            a.booking.room.site.name,
            a.booking.room.name,
            a.booking.start,
            a.booking.end,
            a.seat.number if a.seat else None,
            a.expert_ref,
            a.checked_in_at,
        )
        for a in rows
    ]


# -- access log -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessRow:
    id: int
    at: datetime
    person_ref: str
    person_name: str
    person_kind: str
    person_kind_label: str
    direction: str
    direction_label: str
    devices_deposited: bool
    method: str
    note: str


@dataclass(frozen=True)
class Occupant:
    person_ref: str
    person_name: str
    person_kind_label: str
    since: datetime
    flagged: bool  # still inside after the booking's end


@dataclass(frozen=True)
class AccessLogView:
    booking: BookingView
    events: list[AccessRow]
    inside: list[Occupant]
    ended: bool
    flagged: list[Occupant]


def access_log_for(actor: Actor, booking_id: int) -> AccessLogView:
    """进出记录 of an isolated area during a booking (site staff, regulators, auditors): every event, who is
    inside now, and — once the booking has ended — everyone still inside, flagged."""
    booking = _booking(booking_id)
    if not oversees(actor, booking.room.site.region_code):
        raise errors.not_found("booking", booking_id)
    events = list(AccessEvent.objects.filter(booking=booking).order_by("at", "pk"))
    rows = [
        AccessRow(
            e.pk,
            e.at,
            e.person_ref,
            e.person_name,
            e.person_kind,
            PERSON_KIND_LABELS_ZH[PersonKind(e.person_kind)],
            e.direction,
            DIRECTION_LABELS_ZH[Direction(e.direction)],
            e.devices_deposited,
            e.method,
            e.note,
        )
        for e in events
    ]
    inside_refs = set(still_inside((e.person_ref, e.direction) for e in events))
    last_entry: dict[str, AccessEvent] = {}
    for e in events:
        if e.direction == Direction.ENTER:
            last_entry[e.person_ref] = e
    ended = now() >= booking.end
    inside = [
        Occupant(
            ref,
            last_entry[ref].person_name,
            PERSON_KIND_LABELS_ZH[PersonKind(last_entry[ref].person_kind)],
            last_entry[ref].at,
            ended,
        )
        for ref in sorted(inside_refs, key=lambda r: (last_entry[r].at, last_entry[r].pk))
    ]
    return AccessLogView(_booking_view(actor, booking), rows, inside, ended, [o for o in inside if o.flagged])


# -- the public list of today's openings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningView:
    site_name: str
    address: str
    room_name: str
    start: datetime
    end: datetime
    title: str


def todays_openings(day: date | None = None, *, region: str | None = None) -> list[OpeningView]:
    """今日开标: approved (or done) opening bookings of the day whose owner marked a public title."""
    day = day or local_date(now())
    d0, d1 = _day_bounds(day)
    rows = (
        Booking.objects.filter(
            purpose=Purpose.OPENING,
            status__in=(BookingStatus.APPROVED, BookingStatus.DONE),
            start__gte=d0,
            start__lt=d1,
        )
        .exclude(public_title="")
        .select_related("room__site")
        .order_by("start", "pk")
    )
    out = []
    for b in rows:
        if region:
            from yiwang.kernel.ids import region_covers

            if not region_covers(region, b.room.site.region_code):
                continue
        out.append(OpeningView(b.room.site.name, b.room.site.address, b.room.name, b.start, b.end, b.public_title))
    return out


def label_maps() -> dict[str, Any]:
    """Label tables for templates and schemas."""
    return {
        "kinds": ROOM_KIND_LABELS_ZH,
        "purposes": PURPOSE_LABELS_ZH,
        "statuses": BOOKING_STATUS_LABELS_ZH,
        "person_kinds": PERSON_KIND_LABELS_ZH,
        "methods": CHECK_IN_METHOD_LABELS_ZH,
    }


# -- the booking form's live check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    ok: bool
    code: str
    message: str
    clashes: list[tuple[datetime, datetime]]
    blocked_from: datetime | None
    blocked_until: datetime | None
    buffer_before: int
    buffer_after: int


def preview_booking(
    *, room_id: int, purpose: str, start: datetime, end: datetime, seats: int = 0, exclude: int | None = None
) -> Preview:
    """Would this booking be taken now? The same checks as the booking action, as a plain read (the action
    checks again under the room's lock when it books)."""
    from yiwang.kernel.errors import YiwangError
    from yiwang.services.venues import checks
    from yiwang.services.venues.domain.rules import check_window

    room = Room.objects.select_related("site").filter(pk=room_id).first()
    try:
        if room is None:
            raise errors.not_found("room", room_id)
        try:
            kind = Purpose(purpose)
        except ValueError:
            raise errors.invalid("purpose", "用途不正确", "Unknown purpose") from None
        window = check_window(start, end, max_hours=venues_settings().max_booking_hours)
        buffers, block = checks.room_takes(room, kind, window, seats, exclude=exclude, moment=now())
    except YiwangError as exc:
        clashes = [
            (datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"]))
            for c in exc.details.get("clashes", [])
        ]
        message = exc.message_en if get_language() == "en" else exc.message_zh
        return Preview(False, exc.code, message, clashes, None, None, 0, 0)
    return Preview(True, "", "该时段可以预约", [], block.start, block.end, buffers.before, buffers.after)
