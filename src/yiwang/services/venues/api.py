"""Venues API (``/api/v1/venues``).

- Directory (public): ``GET /sites``, ``GET /sites/{id}``, ``GET /rooms/{id}``, ``GET /today`` (今日开标).
- Management (staff over the site): ``POST /sites``, ``PATCH /sites/{id}``, ``POST /rooms``, ``PATCH /rooms/{id}``,
  ``POST /rooms/{id}/seats``, ``POST /seats/{id}``, ``GET|POST /rooms/{id}/maintenance``,
  ``POST /maintenance/{id}/cancel``.
- Bookings: ``GET /availability`` (free slots of a room kind in a window), ``GET|POST /bookings``,
  ``GET|PATCH /bookings/{id}``, ``POST /bookings/{id}/cancel|approve|reject|complete``, ``GET /approvals``.
- Remote cross-region evaluation: ``POST /sessions``, ``GET /sessions/{id}``, ``POST /sessions/{id}/sites``,
  ``POST /sessions/{id}/seating``, ``POST /sessions/{id}/cancel``; one booking: ``POST /bookings/{id}/seating``.
- On the day: ``POST /bookings/{id}/check-ins``, ``GET /bookings/{id}/attendance``, ``GET /my-check-ins``,
  ``POST /bookings/{id}/access-events``, ``GET /bookings/{id}/access-log``.

Every POST takes ``Idempotency-Key``; PATCH requires ``If-Match`` (ETag = version); cancel accepts it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, updates
from yiwang.services.venues import actions, queries
from yiwang.services.venues.domain.rules import DIRECTION_LABELS_ZH, PERSON_KIND_LABELS_ZH, Direction, PersonKind
from yiwang.services.venues.schemas import (
    ACT_ERRORS,
    PATCH_ERRORS,
    READ_ERRORS,
    AccessEventOut,
    AccessIn,
    AccessLogOut,
    AssignmentOut,
    AvailabilityQuery,
    BookingIn,
    BookingOut,
    BookingPatch,
    BookingQuery,
    CheckInIn,
    CheckInOut,
    CommitteeIn,
    ExpectedExpertOut,
    MaintenanceIn,
    MaintenanceOut,
    MyCheckInOut,
    NoteIn,
    OpeningOut,
    ReasonIn,
    RoomIn,
    RoomOut,
    RoomPatch,
    RoomSlotsOut,
    SeatOut,
    SeatPatchIn,
    SeatsIn,
    SessionIn,
    SessionOut,
    SiteIn,
    SiteOut,
    SitePatch,
    SiteSeatsIn,
    TodayQuery,
)

router = Router(tags=["venues 场所预约"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/venues"

OPTIONAL_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "可选：预约的 ETag / optional: the booking's ETag (412 if it changed)",
}


def _optional_version(request: HttpRequest) -> int | None:
    return if_match_version(request) if request.headers.get("If-Match") else None


# -- directory ------------------------------------------------------------------------------------------------------


@router.get("/sites", auth=PUBLIC, response={200: list[SiteOut], **READ_ERRORS})
def list_sites(request: HttpRequest, region: str | None = None):
    """场所目录: sites with their rooms (kind, capacity, isolation, equipment, seats), public."""
    return queries.list_sites(region=region)


@router.get("/sites/{site_id}", auth=PUBLIC, response={200: SiteOut, **READ_ERRORS})
def get_site(request: HttpRequest, response: HttpResponse, site_id: int):
    view = queries.get_site(site_id)
    response["ETag"] = etag(view.version)
    return view


@router.get("/rooms/{room_id}", auth=PUBLIC, response={200: RoomOut, **READ_ERRORS})
def get_room(request: HttpRequest, response: HttpResponse, room_id: int):
    """A room with its numbered seats and cameras (席位目录)."""
    view = queries.get_room(room_id)
    response["ETag"] = etag(view.version)
    return view


@router.get("/today", auth=PUBLIC, response={200: list[OpeningOut], **READ_ERRORS})
def today(request: HttpRequest, q: Query[TodayQuery]):
    """今日开标: the day's openings whose owners marked a public title (room, time, title)."""
    return queries.todays_openings(q.day, region=q.region)


# -- management -----------------------------------------------------------------------------------------------------


@creates(router, "/sites", response={201: SiteOut, **ACT_ERRORS})
def create_site(request: HttpRequest, response: HttpResponse, payload: SiteIn):
    """登记场所 (staff over its region). ``422 venues.not_a_trading_centre`` / ``venues.region_outside_centre``."""
    site = actions.do_create_site(actor=actor_of(request), **payload.model_dump())
    response["Location"] = f"{BASE}/sites/{site.pk}"
    return Status(201, get_site(request, response, site.pk))


@updates(router, "/sites/{site_id}", response={200: SiteOut, **PATCH_ERRORS})
def update_site(request: HttpRequest, response: HttpResponse, site_id: int, payload: SitePatch):
    expected = if_match_version(request)
    actions.do_update_site(
        actor=actor_of(request),
        site_id=site_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=expected,
    )
    return get_site(request, response, site_id)


@creates(router, "/rooms", response={201: RoomOut, **ACT_ERRORS})
def create_room(request: HttpRequest, response: HttpResponse, payload: RoomIn):
    """Add a room (staff over the site). ``409 venues.room_exists``."""
    data = payload.model_dump()
    room = actions.do_create_room(actor=actor_of(request), site_id=data.pop("site_id"), data=data)
    response["Location"] = f"{BASE}/rooms/{room.pk}"
    return Status(201, get_room(request, response, room.pk))


@updates(router, "/rooms/{room_id}", response={200: RoomOut, **PATCH_ERRORS})
def update_room(request: HttpRequest, response: HttpResponse, room_id: int, payload: RoomPatch):
    expected = if_match_version(request)
    actions.do_update_room(
        actor=actor_of(request),
        room_id=room_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=expected,
    )
    return get_room(request, response, room_id)


@creates(router, "/rooms/{room_id}/seats", response={201: list[SeatOut], **ACT_ERRORS})
def add_seats(request: HttpRequest, room_id: int, payload: SeatsIn):
    """Number seats of an evaluation room or remote area. ``409 venues.seat_exists``, ``422 venues.room_not_seated``."""
    seats = actions.do_add_seats(
        actor=actor_of(request), room_id=room_id, seats=[s.model_dump() for s in payload.seats]
    )
    return Status(201, [SeatOut(id=s.pk, number=s.number, camera_id=s.camera_id, is_active=s.is_active) for s in seats])


@acts(router, "/seats/{seat_id}", response={200: SeatOut, **ACT_ERRORS})
def update_seat(request: HttpRequest, seat_id: int, payload: SeatPatchIn):
    """Change a seat's camera or take it out of use."""
    seat = actions.do_update_seat(actor=actor_of(request), seat_id=seat_id, **payload.model_dump())
    return SeatOut(id=seat.pk, number=seat.number, camera_id=seat.camera_id, is_active=seat.is_active)


@router.get("/rooms/{room_id}/maintenance", response={200: list[MaintenanceOut], **READ_ERRORS})
def list_maintenance(request: HttpRequest, room_id: int):
    """Coming maintenance windows (the reason for overseers of the site)."""
    return queries.list_maintenance_for(actor_of(request), room_id)


@creates(router, "/rooms/{room_id}/maintenance", response={201: MaintenanceOut, **ACT_ERRORS})
def schedule_maintenance(request: HttpRequest, room_id: int, payload: MaintenanceIn):
    """维护时段. ``409 venues.maintenance_conflict`` when bookings hold the room then (their times listed)."""
    m = actions.do_schedule_maintenance(actor=actor_of(request), room_id=room_id, **payload.model_dump())
    return Status(
        201, MaintenanceOut(id=m.pk, room_id=m.room_id, start=m.start, end=m.end, reason=m.reason, cancelled=False)
    )


@acts(router, "/maintenance/{maintenance_id}/cancel", response={200: MaintenanceOut, **ACT_ERRORS})
def cancel_maintenance(request: HttpRequest, maintenance_id: int, payload: ReasonIn):
    m = actions.do_cancel_maintenance(actor=actor_of(request), maintenance_id=maintenance_id, reason=payload.reason)
    return MaintenanceOut(id=m.pk, room_id=m.room_id, start=m.start, end=m.end, reason=m.reason, cancelled=True)


# -- bookings ---------------------------------------------------------------------------------------------------------


@router.get("/availability", response={200: list[RoomSlotsOut], **READ_ERRORS})
def availability(request: HttpRequest, q: Query[AvailabilityQuery]):
    """空闲时段: for each room of ``kind`` (in ``region`` or ``site_id``, with at least ``seats``), where a
    meeting of at least ``min_minutes`` fits in ``[start, end)`` with the room's buffers (31 days at most)."""
    rooms = queries.availability(
        kind=q.kind,
        start=q.start,
        end=q.end,
        min_minutes=q.min_minutes,
        region=q.region,
        site_id=q.site_id,
        seats=q.seats,
    )
    return [
        {
            "room": r.room,
            "slots": [
                {"earliest_start": s.earliest_start, "latest_end": s.latest_end, "minutes": s.minutes} for s in r.slots
            ],
        }
        for r in rooms
    ]


def _booking(request: HttpRequest, response: HttpResponse, booking_id: int) -> Any:
    view = queries.get_booking_for(actor_of(request), booking_id)
    response["ETag"] = etag(view.version)
    return view


@router.get("/bookings", response={200: list[BookingOut], **READ_ERRORS})
def list_bookings(request: HttpRequest, q: Query[BookingQuery]):
    """Bookings the caller may see (their own; all of the sites they oversee)."""
    return queries.list_bookings_for(actor_of(request), **q.model_dump())


@creates(router, "/bookings", response={201: BookingOut, **ACT_ERRORS})
def book_room(request: HttpRequest, response: HttpResponse, payload: BookingIn):
    """场所预约. ``409 venues.room_conflict`` (``details.clashes``: the clashing bookings' times only),
    ``409 venues.room_in_maintenance``; ``422 venues.purpose_mismatch`` / ``venues.seats_exceed`` /
    ``venues.start_in_past`` / ``venues.end_before_start``. Approved at once for the site's staff, else
    ``pending`` (待审批) until the site's centre decides."""
    booking = actions.do_book_room(actor=actor_of(request), **payload.model_dump())
    response["Location"] = f"{BASE}/bookings/{booking.pk}"
    return Status(201, _booking(request, response, booking.pk))


@router.get("/bookings/{booking_id}", response={200: BookingOut, **READ_ERRORS})
def get_booking(request: HttpRequest, response: HttpResponse, booking_id: int):
    return _booking(request, response, booking_id)


@updates(router, "/bookings/{booking_id}", response={200: BookingOut, **PATCH_ERRORS})
def change_booking(request: HttpRequest, response: HttpResponse, booking_id: int, payload: BookingPatch):
    """变更 (the requester or the site's staff) with ``reason``. Checked again like a new booking; a change by
    anyone but the site's staff goes back to 待审批."""
    expected = if_match_version(request)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason")
    actions.do_change_booking(
        actor=actor_of(request), booking_id=booking_id, changes=changes, reason=reason, expected_version=expected
    )
    return _booking(request, response, booking_id)


@acts(
    router,
    "/bookings/{booking_id}/cancel",
    response={200: BookingOut, **ACT_ERRORS},
    openapi_extra={"parameters": [OPTIONAL_IF_MATCH]},
)
def cancel_booking(request: HttpRequest, response: HttpResponse, booking_id: int, payload: ReasonIn):
    """取消 (the requester or the site's staff) with ``reason``."""
    actions.do_cancel_booking(
        actor=actor_of(request),
        booking_id=booking_id,
        reason=payload.reason,
        expected_version=_optional_version(request),
    )
    return _booking(request, response, booking_id)


@acts(router, "/bookings/{booking_id}/approve", response={200: BookingOut, **ACT_ERRORS})
def approve_booking(request: HttpRequest, response: HttpResponse, booking_id: int, payload: NoteIn):
    """审核通过 (staff over the room's site)."""
    actions.do_approve_booking(actor=actor_of(request), booking_id=booking_id, note=payload.note)
    return _booking(request, response, booking_id)


@acts(router, "/bookings/{booking_id}/reject", response={200: BookingOut, **ACT_ERRORS})
def reject_booking(request: HttpRequest, response: HttpResponse, booking_id: int, payload: ReasonIn):
    """审核不通过 (staff over the room's site) with ``reason``."""
    actions.do_reject_booking(actor=actor_of(request), booking_id=booking_id, reason=payload.reason)
    return _booking(request, response, booking_id)


@acts(router, "/bookings/{booking_id}/complete", response={200: BookingOut, **ACT_ERRORS})
def complete_booking(request: HttpRequest, response: HttpResponse, booking_id: int, payload: NoteIn):
    """已办理 (staff over the site, after the end): no-shows recorded, people still inside named."""
    actions.do_complete_booking(actor=actor_of(request), booking_id=booking_id, note=payload.note)
    return _booking(request, response, booking_id)


@router.get("/approvals", response={200: list[BookingOut], **READ_ERRORS})
def approval_queue(request: HttpRequest):
    """待审批: pending bookings of the sites the caller is staff over."""
    return queries.approval_queue_for(actor_of(request))


# -- remote sessions and seating ------------------------------------------------------------------------------------


def _assignments(made: list[Any]) -> list[dict[str, Any]]:
    return [
        {"expert_ref": a.expert_ref, "booking_id": a.booking_id, "seat": a.seat.number if a.seat else None}
        for a in made
    ]


@creates(router, "/sessions", response={201: SessionOut, **ACT_ERRORS})
def create_session(request: HttpRequest, response: HttpResponse, payload: SessionIn):
    """远程异地评标: the main site (staff over it) and secondary sites at other centres, same window. Any
    refusal at any site books nothing."""
    data = payload.model_dump()
    session = actions.do_create_remote_session(actor=actor_of(request), **data)
    response["Location"] = f"{BASE}/sessions/{session.pk}"
    return Status(201, queries.get_session_for(actor_of(request), session.pk))


@router.get("/sessions/{session_id}", response={200: SessionOut, **READ_ERRORS})
def get_session(request: HttpRequest, session_id: int):
    """The session with its sites and seat map (names for overseers of each site)."""
    return queries.get_session_for(actor_of(request), session_id)


@creates(router, "/sessions/{session_id}/sites", response={201: BookingOut, **ACT_ERRORS})
def add_session_site(request: HttpRequest, response: HttpResponse, session_id: int, payload: SiteSeatsIn):
    """Add a secondary site (after another centre refused, say)."""
    booking = actions.do_add_session_site(
        actor=actor_of(request), session_id=session_id, room_id=payload.room_id, seats=payload.seats
    )
    response["Location"] = f"{BASE}/bookings/{booking.pk}"
    return Status(201, _booking(request, response, booking.pk))


@acts(router, "/sessions/{session_id}/seating", response={200: list[AssignmentOut], **ACT_ERRORS})
def seat_session(request: HttpRequest, session_id: int, payload: CommitteeIn):
    """Seat the committee by home region (main site otherwise). ``409 venues.session_pending`` /
    ``venues.not_enough_seats`` / ``venues.seating_locked``; ``422 venues.duplicate_expert``."""
    made = actions.do_seat_session(
        actor=actor_of(request), session_id=session_id, committee=[m.model_dump() for m in payload.committee]
    )
    return _assignments(made)


@acts(router, "/sessions/{session_id}/cancel", response={200: SessionOut, **ACT_ERRORS})
def cancel_session(request: HttpRequest, session_id: int, payload: ReasonIn):
    actions.do_cancel_remote_session(actor=actor_of(request), session_id=session_id, reason=payload.reason)
    return queries.get_session_for(actor_of(request), session_id)


@acts(router, "/bookings/{booking_id}/seating", response={200: list[AssignmentOut], **ACT_ERRORS})
def seat_booking(request: HttpRequest, booking_id: int, payload: CommitteeIn):
    """Seat the experts expected at one booking (site staff)."""
    made = actions.do_seat_booking(
        actor=actor_of(request), booking_id=booking_id, committee=[m.model_dump() for m in payload.committee]
    )
    return _assignments(made)


# -- check-in and access ----------------------------------------------------------------------------------------------


@creates(router, "/bookings/{booking_id}/check-ins", response={201: CheckInOut, **ACT_ERRORS})
def check_in(request: HttpRequest, booking_id: int, payload: CheckInIn):
    """签到 (site staff; or the expert with ``self_confirm`` and the desk's code). ``404 venues.not_expected``,
    ``409 venues.already_checked_in`` / ``venues.check_in_not_open``, ``403 venues.check_in_code_wrong``."""
    a = actions.do_check_in_expert(actor=actor_of(request), booking_id=booking_id, **payload.model_dump())
    return Status(
        201,
        CheckInOut(
            booking_id=a.booking_id,
            expert_ref=a.expert_ref,
            seat=a.seat.number if a.seat else None,
            checked_in_at=a.checked_in_at,
            method=a.check_in_method,
            late=a.late,
            attendance=a.attendance,
        ),
    )


@router.get("/bookings/{booking_id}/attendance", response={200: list[ExpectedExpertOut], **READ_ERRORS})
def attendance(request: HttpRequest, booking_id: int, q: str = ""):
    """The experts expected, their seats and check-ins (``q``: name or reference)."""
    return queries.attendance_for(actor_of(request), booking_id, q=q)


@router.get("/my-check-ins", response={200: list[MyCheckInOut], **READ_ERRORS})
def my_check_ins(request: HttpRequest):
    """The signed-in expert's places today."""
    return queries.my_check_ins(actor_of(request))


@creates(router, "/bookings/{booking_id}/access-events", response={201: AccessEventOut, **ACT_ERRORS})
def record_access(request: HttpRequest, booking_id: int, payload: AccessIn):
    """进出登记 of an isolated area (site staff, door controllers with the staff role). ``409
    venues.already_inside`` / ``venues.not_inside`` / ``venues.room_not_isolated`` /
    ``venues.access_outside_booking``; ``422 venues.devices_not_deposited``."""
    e = actions.do_record_access(actor=actor_of(request), booking_id=booking_id, **payload.model_dump())
    return Status(
        201,
        AccessEventOut(
            id=e.pk,
            at=e.at,
            person_ref=e.person_ref,
            person_name=e.person_name,
            person_kind=e.person_kind,
            person_kind_label=PERSON_KIND_LABELS_ZH[PersonKind(e.person_kind)],
            direction=e.direction,
            direction_label=DIRECTION_LABELS_ZH[Direction(e.direction)],
            devices_deposited=e.devices_deposited,
            method=e.method,
            note=e.note,
        ),
    )


@router.get("/bookings/{booking_id}/access-log", response={200: AccessLogOut, **READ_ERRORS})
def access_log(request: HttpRequest, booking_id: int):
    """Every entry and exit, who is inside, and (after the end) who is still inside, flagged."""
    return queries.access_log_for(actor_of(request), booking_id)
