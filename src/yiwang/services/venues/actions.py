"""State changes of venues: the only door to them. Every action is atomic, witnessed and announced on the feed.

Who may do what:

- **Sites, rooms, seats, maintenance windows**: trading-centre staff over the site's region (``Role.STAFF``).
- **Booking** (:func:`do_book_room`): any signed-in staff member, agency or market-entity user (and the
  platform on behalf of a trading context). A booking by staff over the room's site is approved at once; any
  other booking — notably another centre's staff booking this centre's room — waits for approval by the
  site's staff (待审批 → 审核通过/审核不通过 → 已办理). A pending booking already holds the room.
- **Change and cancel**: the requester or the site's staff, with a reason. A change by anyone but the site's
  staff sends the booking back for approval (申请类型 变更).
- **Remote cross-region evaluation** (:func:`do_create_remote_session`): staff over the main site; each
  secondary booking is approved by its own centre. Seating (:func:`do_seat_session`, :func:`do_seat_booking`):
  the organising staff or the platform — never the booking's requester as such (the committee is
  confidential).
- **Check-in**: the site's staff (scanning or manual), or the expert themself with the code shown at the desk.
- **Access log**: the site's staff (or a door controller holding the staff role).

Lock order, everywhere: a session, then rooms in primary-key order, then bookings in primary-key order.

The venues context does not know the experts context (siblings are independent): the caller gives each
expert as a reference with a home region (and optionally a name and account id). A check-in recorded here is
announced as ``venues.expert_checked_in.v1``; the trading context that owns the evaluation forwards it to the
experts context (``experts.actions.do_check_in``) — see docs/venues.md.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from yiwang.catalog import queries as catalog
from yiwang.identity import queries as identity
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import YiwangError
from yiwang.kernel.ids import region_covers, validate_region_code_format
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.outbox.feed import Visibility
from yiwang.services.venues import checks, lock_objects
from yiwang.services.venues.conf import venues_settings
from yiwang.services.venues.domain import errors, seating
from yiwang.services.venues.domain.rules import (
    HOLDING,
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
    attendance,
    check_access,
    check_transition,
    check_window,
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

SYSTEM = Actor.system("venues")
BOOKERS = (Role.STAFF, Role.AGENCY, Role.MARKET_ENTITY_USER)
REF = re.compile(r"^[\x21-\x7e]{1,120}$")
SEAT_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,12}$")
MAX_TEXT = 300
MAX_SEATS_PER_CALL = 500


# -- helpers ------------------------------------------------------------------------------------------------------


def is_staff_over(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def _signed_in(actor: Actor) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise errors.sign_in_required()


def _require_staff(actor: Actor, region_code: str, what_zh: str, what_en: str) -> None:
    _signed_in(actor)
    if not is_staff_over(actor, region_code):
        raise errors.forbidden(what_zh, what_en)


def _restricted(act: ActionRecorder, event: str, obj: Any, data: dict[str, Any]) -> None:
    act.emit(event, obj, data, visibility=Visibility.RESTRICTED)


def _text(value: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        if field == "reason":
            raise errors.reason_required()
        raise errors.invalid(field, "请填写此项", "This field is required")
    if len(text) > limit:
        raise errors.invalid(field, f"不得超过 {limit} 个字符", f"At most {limit} characters", limit=limit)
    return text


def _ref(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if not REF.match(text):
        raise errors.invalid(field, "引用须为 1–120 个可见 ASCII 字符", "A reference is 1-120 visible ASCII characters")
    return text


def _int(value: Any, field: str, *, low: int = 0, high: int = 100_000) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.invalid(field, "须为整数", "Must be a whole number") from None
    if isinstance(value, bool) or not low <= number <= high:
        raise errors.invalid(field, f"须在 {low} 到 {high} 之间", f"Must be between {low} and {high}")
    return number


def _aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise errors.invalid(field, "时间格式不正确", "Not a date and time")
    if value.tzinfo is None:
        raise errors.naive_time().at(field)
    return value


def _history(act: ActionRecorder, booking: Booking, what: str, reason: str = "", **data: Any) -> None:
    BookingHistory.objects.create(
        booking=booking,
        what=what,
        reason=reason,
        before=data.get("before", {}),
        after=data.get("after", {}),
        at=act.now,
        actor_ref=act.actor.ref,
        actor_label=act.actor.label[:200],
    )


def _site_of(room: Room) -> Site:
    return Site.objects.get(pk=room.site_id)


def _locked_room(room_id: int) -> Room:
    room = lock_objects.room_for_update(room_id).select_related("site").first()
    if room is None:
        raise errors.not_found("room", room_id).at("room_id")
    return room


def _locked_booking(booking_id: int) -> Booking:
    booking = lock_objects.booking_for_update(booking_id).first()
    if booking is None:
        raise errors.not_found("booking", booking_id)
    return booking


def _peek_booking(booking_id: int) -> Booking:
    booking = Booking.objects.select_related("room__site").filter(pk=booking_id).first()
    if booking is None:
        raise errors.not_found("booking", booking_id)
    return booking


# -- sites ---------------------------------------------------------------------------------------------------------


def do_create_site(
    *, actor: Actor, organisation_id: int, name: str, region_code: str, address: str, phone: str = ""
) -> Site:
    """登记场所: premises of a trading centre, in a region the centre serves (staff over that region)."""
    organisation = identity.get_organisation(organisation_id)
    if organisation is None:
        raise errors.not_found("organisation", organisation_id).at("organisation_id")
    if organisation.kind != "trading_centre" or not organisation.is_active:
        raise errors.not_a_trading_centre(organisation_id)
    try:
        region = catalog.require_region(region_code).code
    except YiwangError as exc:
        raise exc.at("region_code") from None
    if not region_covers(organisation.region_code, region):
        raise errors.region_outside_centre(region, organisation.region_code)
    name = _text(name, "name", required=True, limit=200)
    address = _text(address, "address", required=True)
    phone = _text(phone, "phone", limit=40)
    _require_staff(actor, region, "登记该区域的场所", "register sites in this region")
    with action(actor, "venues.create_site") as act:
        if Site.objects.filter(organisation=organisation, name=name).exists():
            raise errors.invalid("name", "该交易中心已有同名场所", "The centre already has a site of that name")
        site = Site.objects.create(
            organisation=organisation,
            name=name,
            region_code=region,
            address=address,
            phone=phone,
            created_at=act.now,
            updated_at=act.now,
        )
        facts = {"organisation_id": organisation.pk, "name": name, "region": region, "address": address}
        act.witness(site, facts)
        act.emit("venues.site_created.v1", site, facts)
        return site


SITE_FIELDS = ("name", "address", "phone", "is_active")


def do_update_site(
    *, actor: Actor, site_id: int, changes: Mapping[str, Any], expected_version: int | None = None
) -> Site:
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise errors.invalid(sorted(unknown)[0], "不能修改此项", "This field cannot be changed")
    with action(actor, "venues.update_site") as act:
        site = lock_objects.site_for_update(site_id).first()
        if site is None:
            raise errors.not_found("site", site_id)
        _require_staff(actor, site.region_code, "管理该场所", "manage this site")
        check_version(site.version, expected_version)
        before, after = {}, {}
        for field, value in changes.items():
            if field == "is_active":
                new: Any = bool(value)
            else:
                new = _text(value, field, required=field != "phone", limit=200 if field == "name" else MAX_TEXT)
            if getattr(site, field) != new:
                before[field], after[field] = getattr(site, field), new
                setattr(site, field, new)
        site.version += 1
        site.updated_at = act.now
        site.save()
        act.witness(site, {"before": before, "after": after, "version": site.version})
        act.emit("venues.site_updated.v1", site, {"changed": sorted(after)})
        return site


# -- rooms and seats -------------------------------------------------------------------------------------------------


def _room_kind(value: Any) -> RoomKind:
    try:
        return RoomKind(str(value))
    except ValueError:
        raise errors.invalid(
            "kind", "房间类型不正确", "Unknown room kind", allowed=[k.value for k in RoomKind]
        ) from None


def do_create_room(*, actor: Actor, site_id: int, data: Mapping[str, Any]) -> Room:
    """Add a room to a site: kind, capacity, isolation (default: evaluation rooms and remote areas are isolated),
    recording and video link."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise errors.not_found("site", site_id).at("site_id")
    _require_staff(actor, site.region_code, "管理该场所", "manage this site")
    kind = _room_kind(data.get("kind"))
    code = _text(data.get("code"), "code", required=True, limit=20)
    name = _text(data.get("name") or code, "name", required=True, limit=100)
    capacity = _int(data.get("capacity"), "capacity", low=1, high=2000)
    isolated = data.get("isolated")
    isolated = kind in SEATED_KINDS if isolated is None else bool(isolated)
    with action(actor, "venues.create_room") as act:
        if Room.objects.filter(site=site, code=code).exists():
            raise errors.room_exists(code)
        room = Room.objects.create(
            site=site,
            code=code,
            name=name,
            kind=kind,
            capacity=capacity,
            isolated=isolated,
            recording=bool(data.get("recording", False)),
            video_link=bool(data.get("video_link", False)),
            floor=_text(data.get("floor"), "floor", limit=40),
            note=_text(data.get("note"), "note"),
            created_at=act.now,
            updated_at=act.now,
        )
        facts = {
            "site_id": site.pk,
            "code": code,
            "kind": kind.value,
            "capacity": capacity,
            "isolated": isolated,
            "recording": room.recording,
            "video_link": room.video_link,
        }
        act.witness(room, facts)
        act.emit("venues.room_created.v1", room, facts)
        return room


ROOM_FIELDS = ("name", "capacity", "isolated", "recording", "video_link", "floor", "note", "is_active")


def do_update_room(
    *, actor: Actor, room_id: int, changes: Mapping[str, Any], expected_version: int | None = None
) -> Room:
    unknown = set(changes) - set(ROOM_FIELDS)
    if unknown:
        raise errors.invalid(sorted(unknown)[0], "不能修改此项", "This field cannot be changed")
    with action(actor, "venues.update_room") as act:
        room = _locked_room(room_id)
        _require_staff(actor, room.site.region_code, "管理该场所", "manage this site")
        check_version(room.version, expected_version)
        before, after = {}, {}
        for field, value in changes.items():
            if field in ("isolated", "recording", "video_link", "is_active"):
                new: Any = bool(value)
            elif field == "capacity":
                new = _int(value, "capacity", low=1, high=2000)
            else:
                new = _text(value, field, required=field == "name", limit={"name": 100, "floor": 40}.get(field, 300))
            if getattr(room, field) != new:
                before[field], after[field] = getattr(room, field), new
                setattr(room, field, new)
        room.version += 1
        room.updated_at = act.now
        room.save()
        act.witness(room, {"before": before, "after": after, "version": room.version})
        act.emit("venues.room_updated.v1", room, {"changed": sorted(after)})
        return room


def do_add_seats(*, actor: Actor, room_id: int, seats: Sequence[Mapping[str, Any]]) -> list[Seat]:
    """Number seats (工位) of an evaluation room or remote-evaluation area, each with its camera."""
    if not seats:
        raise errors.invalid("seats", "请至少添加一个席位", "Add at least one seat")
    if len(seats) > MAX_SEATS_PER_CALL:
        raise errors.invalid("seats", f"一次最多添加 {MAX_SEATS_PER_CALL} 个席位", "Too many seats at once")
    rows: list[tuple[str, str]] = []
    for item in seats:
        number = str(item.get("number") or "").strip().upper()
        if not SEAT_NUMBER.match(number):
            raise errors.invalid("numbers", "席位编号为 1–12 位字母、数字或连字符", "Seat numbers: 1-12 letters/digits")
        rows.append((number, _text(item.get("camera_id"), "camera_id", limit=60)))
    numbers = [n for n, _ in rows]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise errors.seat_exists(duplicates)
    with action(actor, "venues.add_seats") as act:
        room = _locked_room(room_id)
        _require_staff(actor, room.site.region_code, "管理该场所", "manage this site")
        if room.kind not in SEATED_KINDS:
            raise errors.room_not_seated(room.kind)
        taken = sorted(Seat.objects.filter(room=room, number__in=numbers).values_list("number", flat=True))
        if taken:
            raise errors.seat_exists(taken)
        created = Seat.objects.bulk_create(
            [Seat(room=room, number=n, camera_id=c, created_at=act.now) for n, c in rows]
        )
        act.witness(room, {"seats_added": [{"number": n, "camera_id": c} for n, c in rows]})
        act.emit("venues.seats_added.v1", room, {"numbers": numbers})
        return created


def do_update_seat(*, actor: Actor, seat_id: int, camera_id: str | None = None, is_active: bool | None = None) -> Seat:
    with action(actor, "venues.update_seat") as act:
        seat = Seat.objects.select_related("room__site").filter(pk=seat_id).first()
        if seat is None:
            raise errors.not_found("seat", seat_id)
        _locked_room(seat.room_id)
        _require_staff(actor, seat.room.site.region_code, "管理该场所", "manage this site")
        changed: dict[str, Any] = {}
        if camera_id is not None:
            seat.camera_id = changed["camera_id"] = _text(camera_id, "camera_id", limit=60)
        if is_active is not None:
            seat.is_active = changed["is_active"] = bool(is_active)
        seat.save()
        act.witness(("venues.seat", seat.pk), {"room_id": seat.room_id, "number": seat.number, **changed})
        act.emit("venues.seat_updated.v1", seat.room, {"number": seat.number, **changed})
        return seat


def do_schedule_maintenance(*, actor: Actor, room_id: int, start: datetime, end: datetime, reason: str) -> Maintenance:
    """维护时段: the room cannot be booked then. Refused while bookings hold the room in that window."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        raise errors.end_before_start(start, end)
    reason = _text(reason, "reason", required=True)
    with action(actor, "venues.schedule_maintenance") as act:
        room = _locked_room(room_id)
        _require_staff(actor, room.site.region_code, "管理该场所", "manage this site")
        clashing = list(
            Booking.objects.filter(
                room=room, status__in=HOLDING, blocked_from__lt=end, blocked_until__gt=start
            ).values_list("start", "end")
        )
        if clashing:
            raise errors.maintenance_conflict(clashing)
        window = Maintenance.objects.create(
            room=room, start=start, end=end, reason=reason, created_by_ref=actor.ref, created_at=act.now
        )
        facts = {"room_id": room.pk, "start": iso_utc(start), "end": iso_utc(end), "reason": reason}
        act.witness(window, facts)
        _restricted(act, "venues.maintenance_scheduled.v1", window, facts)
        return window


def do_cancel_maintenance(*, actor: Actor, maintenance_id: int, reason: str) -> Maintenance:
    reason = _text(reason, "reason", required=True)
    with action(actor, "venues.cancel_maintenance") as act:
        peek = Maintenance.objects.filter(pk=maintenance_id).first()
        if peek is None:
            raise errors.not_found("maintenance", maintenance_id)
        room = _locked_room(peek.room_id)
        window = lock_objects.maintenance_for_update(maintenance_id).get()
        _require_staff(actor, room.site.region_code, "管理该场所", "manage this site")
        if window.cancelled_at is not None:
            raise errors.wrong_status("cancelled", "cancelled")
        window.cancelled_at, window.cancel_reason = act.now, reason
        window.save(update_fields=["cancelled_at", "cancel_reason"])
        act.witness(window, {"cancelled": True, "reason": reason})
        _restricted(act, "venues.maintenance_cancelled.v1", window, {"room_id": room.pk})
        return window


# -- bookings ---------------------------------------------------------------------------------------------------------


def _purpose(value: Any) -> Purpose:
    try:
        return Purpose(str(value))
    except ValueError:
        raise errors.invalid("purpose", "用途不正确", "Unknown purpose", allowed=[p.value for p in Purpose]) from None


def _booking_facts(booking: Booking) -> dict[str, Any]:
    return {
        "room_id": booking.room_id,
        "owner_ref": booking.owner_ref,
        "purpose": booking.purpose,
        "start": iso_utc(booking.start),
        "end": iso_utc(booking.end),
        "buffer_before": booking.buffer_before,
        "buffer_after": booking.buffer_after,
        "seats": booking.seats,
        "status": booking.status,
        "session_id": booking.session_id,
        "session_role": booking.session_role,
    }


def _event_data(booking: Booking) -> dict[str, Any]:
    return {
        "booking_id": booking.pk,
        "room_id": booking.room_id,
        "owner_ref": booking.owner_ref,
        "purpose": booking.purpose,
        "start": iso_utc(booking.start),
        "end": iso_utc(booking.end),
        "status": booking.status,
    }


def _saved(booking: Booking) -> None:
    """Save, turning the database's exclusion guard (PostgreSQL) into the same refusal the check gives."""
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if "venues_booking_no_overlap" not in str(exc):
            raise
        clashing = Booking.objects.filter(
            room_id=booking.room_id,
            status__in=HOLDING,
            blocked_from__lt=booking.blocked_until,
            blocked_until__gt=booking.blocked_from,
        ).exclude(pk=booking.pk)
        raise errors.room_conflict(list(clashing.order_by("start").values_list("start", "end"))) from None


def _new_booking(
    act: ActionRecorder,
    room: Room,
    *,
    owner_ref: str,
    purpose: Purpose,
    window: Interval,
    seats: int,
    title: str,
    public_title: str,
    session: RemoteSession | None = None,
    session_role: str = "",
) -> Booking:
    actor = act.actor
    buffers, block = checks.room_takes(room, purpose, window, seats, exclude=None, moment=act.now)
    approved = is_staff_over(actor, room.site.region_code)
    booking = Booking(
        room=room,
        session=session,
        session_role=session_role,
        owner_ref=owner_ref,
        title=title,
        public_title=public_title,
        purpose=purpose,
        start=window.start,
        end=window.end,
        buffer_before=buffers.before,
        buffer_after=buffers.after,
        blocked_from=block.start,
        blocked_until=block.end,
        seats=seats,
        status=BookingStatus.APPROVED if approved else BookingStatus.PENDING,
        apply_type=ApplyType.VENUE,
        requested_by_ref=actor.ref,
        requested_by_label=actor.label[:200],
        decided_by_ref=actor.ref if approved else "",
        decided_at=act.now if approved else None,
        check_in_code=f"{secrets.randbelow(1_000_000):06d}",
        created_at=act.now,
        updated_at=act.now,
    )
    _saved(booking)
    _history(act, booking, "apply", after=_booking_facts(booking))
    act.witness(booking, {**_booking_facts(booking), "auto_approved": approved})
    _restricted(act, "venues.booking_requested.v1", booking, {**_event_data(booking), "auto_approved": approved})
    return booking


def _check_booker(actor: Actor) -> None:
    _signed_in(actor)
    if not actor.is_system and not actor.has_role(*BOOKERS):
        raise errors.forbidden("预约场所", "book rooms")


def do_book_room(
    *,
    actor: Actor,
    room_id: int,
    owner_ref: str,
    purpose: str,
    start: datetime,
    end: datetime,
    seats: int = 0,
    title: str = "",
    public_title: str = "",
) -> Booking:
    """场所预约: book ``room_id`` for ``[start, end)`` on behalf of ``owner_ref`` (the caller's object, e.g.
    ``tender.section:12``). Buffers come from the settings for the room's kind. Refusals:
    ``venues.room_conflict`` (409, with the clashing bookings' times), ``venues.room_in_maintenance`` (409),
    ``venues.purpose_mismatch``, ``venues.seats_exceed``, ``venues.start_in_past``, ``venues.end_before_start``
    (422). Approved at once when ``actor`` is staff over the room's site, otherwise pending approval.
    ``public_title`` (optional) is shown on the public 今日开标 list."""
    _check_booker(actor)
    owner_ref = _ref(owner_ref, "owner_ref")
    kind = _purpose(purpose)
    conf = venues_settings()
    window = check_window(_aware(start, "start"), _aware(end, "end"), max_hours=conf.max_booking_hours)
    seats = _int(seats, "seats", high=2000)
    title = _text(title, "title", limit=200)
    public_title = _text(public_title, "public_title", limit=200)
    with action(actor, "venues.book_room") as act:
        room = _locked_room(room_id)
        return _new_booking(
            act,
            room,
            owner_ref=owner_ref,
            purpose=kind,
            window=window,
            seats=seats,
            title=title,
            public_title=public_title,
        )


def may_change(actor: Actor, booking: Booking, site_region: str) -> bool:
    return is_staff_over(actor, site_region) or (actor.is_authenticated and actor.ref == booking.requested_by_ref)


BOOKING_CHANGES = ("start", "end", "seats", "title", "public_title")


def do_change_booking(
    *,
    actor: Actor,
    booking_id: int,
    changes: Mapping[str, Any],
    reason: str,
    expected_version: int | None = None,
) -> Booking:
    """变更: new times, seats or titles, with the reason. The new window is checked like a new booking (its own
    old window does not count against it). A change by anyone but the site's staff needs approval again."""
    unknown = set(changes) - set(BOOKING_CHANGES)
    if unknown:
        raise errors.invalid(sorted(unknown)[0], "不能修改此项", "This field cannot be changed")
    reason = _text(reason, "reason", required=True)
    peek = _peek_booking(booking_id)
    conf = venues_settings()
    with action(actor, "venues.change_booking") as act:
        room = _locked_room(peek.room_id)
        booking = _locked_booking(booking_id)
        site_region = room.site.region_code
        if not may_change(actor, booking, site_region):
            raise errors.forbidden("变更该预约", "change this booking")
        check_version(booking.version, expected_version)
        if booking.session_id is not None:
            raise errors.session_booking()
        check_transition(booking.status, BookingStatus.PENDING)
        before = _booking_facts(booking)
        start = _aware(changes.get("start", booking.start), "start")
        end = _aware(changes.get("end", booking.end), "end")
        window = check_window(start, end, max_hours=conf.max_booking_hours)
        seats = _int(changes.get("seats", booking.seats), "seats", high=2000)
        buffers, block = checks.room_takes(
            room,
            Purpose(booking.purpose),
            window,
            seats,
            exclude=booking.pk,
            moment=act.now,
            check_past=window.start != booking.start,
        )
        booking.start, booking.end, booking.seats = window.start, window.end, seats
        booking.buffer_before, booking.buffer_after = buffers.before, buffers.after
        booking.blocked_from, booking.blocked_until = block.start, block.end
        if "title" in changes:
            booking.title = _text(changes["title"], "title", limit=200)
        if "public_title" in changes:
            booking.public_title = _text(changes["public_title"], "public_title", limit=200)
        if not is_staff_over(actor, site_region):
            booking.status, booking.decided_by_ref, booking.decided_at = BookingStatus.PENDING, "", None
        booking.apply_type = ApplyType.CHANGE
        booking.version += 1
        booking.updated_at = act.now
        _saved(booking)
        after = _booking_facts(booking)
        _history(act, booking, "change", reason, before=before, after=after)
        act.witness(booking, {"before": before, "after": after, "reason": reason, "version": booking.version})
        _restricted(act, "venues.booking_changed.v1", booking, _event_data(booking))
        return booking


def _cancel(act: ActionRecorder, booking: Booking, reason: str) -> None:
    check_transition(booking.status, BookingStatus.CANCELLED)
    if booking.assignments.filter(checked_in_at__isnull=False).exists():
        raise errors.wrong_status(booking.status, "cancelled (experts checked in)")
    removed = booking.assignments.count()
    booking.assignments.all().delete()
    booking.status, booking.apply_type, booking.cancelled_at = BookingStatus.CANCELLED, ApplyType.CANCEL, act.now
    booking.version += 1
    booking.updated_at = act.now
    booking.save()
    _history(act, booking, "cancel", reason)
    act.witness(booking, {"status": booking.status, "reason": reason, "assignments_removed": removed})
    _restricted(act, "venues.booking_cancelled.v1", booking, _event_data(booking))


def do_cancel_booking(*, actor: Actor, booking_id: int, reason: str, expected_version: int | None = None) -> Booking:
    """取消 (the requester or the site's staff), with the reason; the room is free again at once. Cancelling the
    main-site booking of a remote session cancels the session; cancelling a secondary booking removes its
    experts from the seating (seat the committee again)."""
    reason = _text(reason, "reason", required=True)
    peek = _peek_booking(booking_id)
    if peek.session_id is not None and peek.session_role == SessionRole.MAIN:
        do_cancel_remote_session(actor=actor, session_id=peek.session_id, reason=reason)
        return _peek_booking(booking_id)
    with action(actor, "venues.cancel_booking") as act:
        if peek.session_id is not None:
            lock_objects.session_for_update(peek.session_id).first()
        room = _locked_room(peek.room_id)
        booking = _locked_booking(booking_id)
        session_creator = booking.session is not None and booking.session.created_by_ref == actor.ref
        if not (may_change(actor, booking, room.site.region_code) or session_creator):
            raise errors.forbidden("取消该预约", "cancel this booking")
        check_version(booking.version, expected_version)
        _cancel(act, booking, reason)
        return booking


def _decide(actor: Actor, booking_id: int, target: BookingStatus, note: str, code: str) -> Booking:
    with action(actor, code) as act:
        booking = _locked_booking(booking_id)
        room = Room.objects.select_related("site").get(pk=booking.room_id)
        _require_staff(actor, room.site.region_code, "审批该场所的预约", "decide on this site's bookings")
        if booking.status != BookingStatus.PENDING:
            raise errors.wrong_status(booking.status, target)
        booking.status = target
        booking.decided_by_ref, booking.decided_at, booking.decision_note = actor.ref, act.now, note
        booking.version += 1
        booking.updated_at = act.now
        booking.save()
        what = "approve" if target is BookingStatus.APPROVED else "reject"
        _history(act, booking, what, note)
        act.witness(booking, {"status": target.value, "apply_type": booking.apply_type, "note": note})
        event = "venues.booking_approved.v1" if target is BookingStatus.APPROVED else "venues.booking_rejected.v1"
        _restricted(act, event, booking, _event_data(booking))
        return booking


def do_approve_booking(*, actor: Actor, booking_id: int, note: str = "") -> Booking:
    """审核通过 (staff over the room's site)."""
    return _decide(actor, booking_id, BookingStatus.APPROVED, _text(note, "note"), "venues.approve_booking")


def do_reject_booking(*, actor: Actor, booking_id: int, reason: str) -> Booking:
    """审核不通过 (staff over the room's site), with the reason; the room is free again."""
    reason = _text(reason, "reason", required=True)
    return _decide(actor, booking_id, BookingStatus.REJECTED, reason, "venues.reject_booking")


def do_complete_booking(*, actor: Actor, booking_id: int, note: str = "") -> Booking:
    """已办理 (staff over the site, after the end): experts without a check-in are recorded as not arrived,
    and everyone the access log still shows inside the isolated area is named in the witness entry."""
    note = _text(note, "note")
    with action(actor, "venues.complete_booking") as act:
        booking = _locked_booking(booking_id)
        room = Room.objects.select_related("site").get(pk=booking.room_id)
        _require_staff(actor, room.site.region_code, "办结该预约", "complete this booking")
        check_transition(booking.status, BookingStatus.DONE)
        if act.now < booking.end:
            raise errors.not_finished(booking.end)
        no_shows = _flag_no_shows(act, booking, at_end=True)
        inside = still_inside(booking.access_events.order_by("at", "pk").values_list("person_ref", "direction"))
        booking.status, booking.completed_at, booking.decision_note = (
            BookingStatus.DONE,
            act.now,
            note or booking.decision_note,
        )
        booking.version += 1
        booking.updated_at = act.now
        booking.save()
        _history(act, booking, "complete", note, after={"no_show": no_shows, "still_inside": inside})
        act.witness(booking, {"status": "done", "no_show": no_shows, "still_inside": inside})
        _restricted(
            act,
            "venues.booking_completed.v1",
            booking,
            {**_event_data(booking), "no_show": no_shows, "still_inside": inside},
        )
        return booking


# -- remote cross-region evaluation ----------------------------------------------------------------------------------


def _site_spec(item: Mapping[str, Any], field: str) -> tuple[int, int]:
    return _int(item.get("room_id"), f"{field}.room_id", low=1, high=2**62), _int(
        item.get("seats"), f"{field}.seats", low=1, high=2000
    )


def do_create_remote_session(
    *,
    actor: Actor,
    owner_ref: str,
    start: datetime,
    end: datetime,
    main: Mapping[str, Any],
    secondaries: Sequence[Mapping[str, Any]],
    title: str = "",
) -> RemoteSession:
    """远程异地评标: book the main site's room (主场, staff over it: approved at once) and a room at each
    secondary site (副场: other trading centres; pending until each centre approves) for the same window.
    ``main`` and each of ``secondaries`` are ``{"room_id": …, "seats": …}``. Any refusal (a conflict at any
    site included) books nothing."""
    owner_ref = _ref(owner_ref, "owner_ref")
    title = _text(title, "title", limit=200)
    conf = venues_settings()
    window = check_window(_aware(start, "start"), _aware(end, "end"), max_hours=conf.max_booking_hours)
    main_room_id, main_seats = _site_spec(main, "main")
    if not secondaries:
        raise errors.invalid("secondaries", "请至少选择一个副场", "Choose at least one secondary site")
    specs = [_site_spec(s, f"secondaries[{i}]") for i, s in enumerate(secondaries)]
    room_ids = [main_room_id, *[r for r, _ in specs]]
    if len(set(room_ids)) != len(room_ids):
        raise errors.invalid("secondaries", "同一房间只能选择一次", "A room can be chosen once")
    _signed_in(actor)
    with action(actor, "venues.create_remote_session") as act:
        rooms = {r.pk: r for r in lock_objects.rooms_for_update(room_ids)}
        for rid in room_ids:
            if rid not in rooms:
                raise errors.not_found("room", rid).at("room_id")
        sites = {r.site_id: Site.objects.get(pk=r.site_id) for r in rooms.values()}
        for r in rooms.values():
            r.site = sites[r.site_id]
        main_room = rooms[main_room_id]
        _require_staff(actor, main_room.site.region_code, "组织该主场的远程异地评标", "organise sessions at this site")
        used_sites = {main_room.site_id}
        for rid, _ in specs:
            site = rooms[rid].site
            if site.organisation_id == main_room.site.organisation_id or site.pk in used_sites:
                raise errors.secondary_not_elsewhere(rid)
            used_sites.add(site.pk)
        session = RemoteSession.objects.create(
            owner_ref=owner_ref,
            title=title,
            start=window.start,
            end=window.end,
            created_by_ref=actor.ref,
            created_by_label=actor.label[:200],
            created_at=act.now,
        )
        made = [
            _new_booking(
                act,
                main_room,
                owner_ref=owner_ref,
                purpose=Purpose.EVALUATION,
                window=window,
                seats=main_seats,
                title=title,
                public_title="",
                session=session,
                session_role=SessionRole.MAIN,
            )
        ]
        for rid, seats in specs:
            made.append(
                _new_booking(
                    act,
                    rooms[rid],
                    owner_ref=owner_ref,
                    purpose=Purpose.EVALUATION,
                    window=window,
                    seats=seats,
                    title=title,
                    public_title="",
                    session=session,
                    session_role=SessionRole.SECONDARY,
                )
            )
        facts = {
            "owner_ref": owner_ref,
            "start": iso_utc(window.start),
            "end": iso_utc(window.end),
            "main_booking": made[0].pk,
            "secondary_bookings": [b.pk for b in made[1:]],
        }
        act.witness(session, facts)
        _restricted(act, "venues.session_created.v1", session, facts)
        return session


def do_add_session_site(*, actor: Actor, session_id: int, room_id: int, seats: int) -> Booking:
    """Add a secondary site to a session (after another centre refused, say)."""
    seats = _int(seats, "seats", low=1, high=2000)
    with action(actor, "venues.add_session_site") as act:
        session = lock_objects.session_for_update(session_id).first()
        if session is None:
            raise errors.not_found("session", session_id)
        main = session.bookings.select_related("room__site").get(session_role=SessionRole.MAIN)
        _require_staff(actor, main.room.site.region_code, "组织该主场的远程异地评标", "organise sessions at this site")
        if session.cancelled_at is not None:
            raise errors.wrong_status("cancelled", "secondary")
        room = _locked_room(room_id)
        taking_part = session.bookings.filter(status__in=HOLDING).select_related("room__site")
        if room.site.organisation_id == main.room.site.organisation_id or room.site_id in {
            b.room.site_id for b in taking_part
        }:
            raise errors.secondary_not_elsewhere(room_id)
        window = Interval(session.start, session.end)
        booking = _new_booking(
            act,
            room,
            owner_ref=session.owner_ref,
            purpose=Purpose.EVALUATION,
            window=window,
            seats=seats,
            title=session.title,
            public_title="",
            session=session,
            session_role=SessionRole.SECONDARY,
        )
        session.version += 1
        session.save(update_fields=["version"])
        act.witness(session, {"secondary_added": booking.pk})
        return booking


def do_cancel_remote_session(*, actor: Actor, session_id: int, reason: str) -> RemoteSession:
    """Cancel every booking of the session (the organising staff or the platform)."""
    reason = _text(reason, "reason", required=True)
    with action(actor, "venues.cancel_remote_session") as act:
        session = lock_objects.session_for_update(session_id).first()
        if session is None:
            raise errors.not_found("session", session_id)
        bookings = list(session.bookings.select_related("room__site").order_by("pk"))
        main = next(b for b in bookings if b.session_role == SessionRole.MAIN)
        if not (is_staff_over(actor, main.room.site.region_code) or actor.ref == session.created_by_ref):
            raise errors.forbidden("取消该远程异地评标场次", "cancel this session")
        if session.cancelled_at is not None:
            raise errors.wrong_status("cancelled", "cancelled")
        lock_objects.rooms_for_update([b.room_id for b in bookings])
        for b in bookings:
            locked = _locked_booking(b.pk)
            if locked.status in (BookingStatus.PENDING, BookingStatus.APPROVED):
                _cancel(act, locked, reason)
        session.cancelled_at = act.now
        session.version += 1
        session.save(update_fields=["cancelled_at", "version"])
        act.witness(session, {"cancelled": True, "reason": reason})
        _restricted(act, "venues.session_cancelled.v1", session, {"session_id": session.pk})
        return session


def _members(committee: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(committee):
        field = f"committee[{i}]"
        ref = str(item.get("expert_ref") or "").strip()
        if not REF.match(ref) or len(ref) > 100:
            raise errors.invalid(f"{field}.expert_ref", "专家引用格式不正确", "Bad expert reference")
        try:
            region = validate_region_code_format(str(item.get("home_region") or ""))
        except YiwangError as exc:
            raise exc.at(f"{field}.home_region") from None
        account = item.get("account_id")
        out.append(
            {
                "expert_ref": ref,
                "home_region": region,
                "name": _text(item.get("name"), f"{field}.name", limit=50),
                "account_id": None if account in (None, "") else _int(account, f"{field}.account_id", high=2**62),
            }
        )
    seating.check_committee([seating.Member(m["expert_ref"], m["home_region"]) for m in out])
    return out


def _seat(
    act: ActionRecorder, bookings: list[Booking], main_key: int, members: list[dict[str, Any]]
) -> list[Assignment]:
    if Assignment.objects.filter(booking__in=bookings, checked_in_at__isnull=False).exists():
        raise errors.seating_locked()
    sites, numbered, seat_rows = [], {}, {}
    for b in bookings:
        room = b.room
        rows = (
            list(Seat.objects.filter(room=room, is_active=True).order_by("number")) if room.kind in SEATED_KINDS else []
        )
        seat_rows[b.pk] = {s.number: s for s in rows}
        numbered[b.pk] = room.kind in SEATED_KINDS
        sites.append(
            seating.SiteSeats(
                key=b.pk,
                region=room.site.region_code,
                main=b.pk == main_key,
                seats=tuple(s.number for s in rows),
                booked=b.seats,
            )
        )
    placements = seating.plan(
        [seating.Member(m["expert_ref"], m["home_region"]) for m in members], sites, numbered=numbered
    )
    Assignment.objects.filter(booking__in=bookings).delete()
    by_ref = {m["expert_ref"]: m for m in members}
    session_id = bookings[0].session_id
    made = Assignment.objects.bulk_create(
        [
            Assignment(
                booking_id=p.key,
                session_id=session_id,
                seat=seat_rows[p.key][p.seat] if p.seat else None,
                expert_ref=p.expert_ref,
                name=by_ref[p.expert_ref]["name"],
                home_region=by_ref[p.expert_ref]["home_region"],
                account_id=by_ref[p.expert_ref]["account_id"],
            )
            for p in placements
        ]
    )
    for b in bookings:
        _history(act, b, "seat", after={"experts": sum(1 for p in placements if p.key == b.pk)})
    return made


def do_seat_session(*, actor: Actor, session_id: int, committee: Sequence[Mapping[str, Any]]) -> list[Assignment]:
    """Seat the committee of a remote session: ``committee`` is a list of ``{"expert_ref", "home_region",
    "name"?, "account_id"?}``. Each expert sits at the taking-part site of their region, else at the main
    site; seats in number order, each once. Refused while a secondary booking awaits approval
    (``venues.session_pending``), when a site has too few seats (``venues.not_enough_seats``) or once an
    expert has checked in (``venues.seating_locked``). Seating again replaces the previous plan."""
    members = _members(committee)
    with action(actor, "venues.seat_session") as act:
        session = lock_objects.session_for_update(session_id).first()
        if session is None:
            raise errors.not_found("session", session_id)
        if session.cancelled_at is not None:
            raise errors.wrong_status("cancelled", "seat")
        all_bookings = list(session.bookings.select_related("room__site").order_by("pk"))
        main = next(b for b in all_bookings if b.session_role == SessionRole.MAIN)
        _require_staff(actor, main.room.site.region_code, "安排该场次的席位", "seat this session")
        pending = [b.pk for b in all_bookings if b.status == BookingStatus.PENDING]
        if pending:
            raise errors.session_pending(pending)
        taking_part = [b for b in all_bookings if b.status == BookingStatus.APPROVED]
        if main not in taking_part:
            raise errors.wrong_status(main.status, "seat")
        locked = [_locked_booking(b.pk) for b in taking_part]
        for fresh, b in zip(locked, taking_part, strict=True):
            fresh.room = b.room
        made = _seat(act, locked, main.pk, members)
        facts = {
            "seating": [
                {"expert_ref": a.expert_ref, "booking_id": a.booking_id, "seat": a.seat.number if a.seat else None}
                for a in made
            ]
        }
        session.version += 1
        session.save(update_fields=["version"])
        act.witness(session, facts)
        _restricted(act, "venues.committee_seated.v1", session, {"session_id": session.pk, "experts": len(made)})
        return made


def do_seat_booking(*, actor: Actor, booking_id: int, committee: Sequence[Mapping[str, Any]]) -> list[Assignment]:
    """Seat (or, in rooms without numbered seats, list) the experts expected at one booking: site staff or
    the platform. Same rules as :func:`do_seat_session` with a single site."""
    members = _members(committee)
    with action(actor, "venues.seat_booking") as act:
        booking = _locked_booking(booking_id)
        room = Room.objects.select_related("site").get(pk=booking.room_id)
        _require_staff(actor, room.site.region_code, "安排该预约的席位", "seat this booking")
        if booking.session_id is not None:
            raise errors.session_booking()
        if booking.status != BookingStatus.APPROVED:
            raise errors.wrong_status(booking.status, "seat")
        booking.room = room
        made = _seat(act, [booking], booking.pk, members)
        facts = {"seating": [{"expert_ref": a.expert_ref, "seat": a.seat.number if a.seat else None} for a in made]}
        act.witness(booking, facts)
        _restricted(act, "venues.committee_seated.v1", booking, {"booking_id": booking.pk, "experts": len(made)})
        return made


# -- check-in ----------------------------------------------------------------------------------------------------------


def _method(value: Any) -> CheckInMethod:
    try:
        return CheckInMethod(str(value))
    except ValueError:
        raise errors.invalid(
            "method", "签到方式不正确", "Unknown check-in method", allowed=[m.value for m in CheckInMethod]
        ) from None


def is_expert_account(actor: Actor, assignment: Assignment) -> bool:
    return (
        actor.kind is ActorKind.ACCOUNT
        and assignment.account_id is not None
        and actor.id == str(assignment.account_id)
        and actor.has_role(Role.EXPERT)
    )


def do_check_in_expert(
    *, actor: Actor, booking_id: int, expert_ref: str, method: str = "staff_scan", code: str = ""
) -> Assignment:
    """签到: the site's staff (``staff_scan``/``staff_manual``) or the expert themself (``self_confirm`` with
    the booking's on-site code). Opens ``CHECK_IN_OPENS_MINUTES`` before the start and closes at the end; later
    than ``start + LATE_AFTER_MINUTES`` counts as late. Announces ``venues.expert_checked_in.v1`` (restricted)
    for the evaluation context, which forwards it to the experts context."""
    how = _method(method)
    conf = venues_settings()
    _signed_in(actor)
    # an expert confirming their own check-in is recorded without their name (the account ref stays), like
    # the experts context does while a draw is sealed: the log must not tie a name to a project early
    recorder = Actor(actor.kind, actor.id, "评标评审专家", actor.grants) if how is CheckInMethod.SELF_CONFIRM else actor
    with action(recorder, "venues.check_in_expert") as act:
        booking = _locked_booking(booking_id)
        room = Room.objects.select_related("site").get(pk=booking.room_id)
        assignment = Assignment.objects.filter(booking=booking, expert_ref=str(expert_ref or "").strip()).first()
        staff = is_staff_over(actor, room.site.region_code)
        if how is CheckInMethod.SELF_CONFIRM:
            if assignment is None or not is_expert_account(actor, assignment):
                raise errors.forbidden("为他人签到", "check others in")
            if not secrets.compare_digest(str(code or "").strip(), booking.check_in_code):
                raise errors.check_in_code_wrong()
        elif not staff:
            raise errors.forbidden("为专家签到", "check experts in")
        if booking.status != BookingStatus.APPROVED:
            raise errors.booking_not_active(booking.status)
        opens = booking.start - timedelta(minutes=conf.check_in_opens)
        if act.now < opens:
            raise errors.check_in_not_open(opens)
        if act.now >= booking.end:
            raise errors.booking_not_active("ended")
        if assignment is None:
            raise errors.not_expected(str(expert_ref or ""))
        if assignment.checked_in_at is not None:
            raise errors.already_checked_in(assignment.checked_in_at)
        status = attendance(
            act.now, booking.start, act.now, late_after=conf.late_after, no_show_after=conf.no_show_after
        )
        assignment.checked_in_at, assignment.check_in_method = act.now, how
        assignment.checked_in_by_ref = actor.ref
        assignment.late = status is Attendance.LATE
        assignment.attendance = status
        assignment.save()
        seat = assignment.seat.number if assignment.seat_id else None
        facts = {
            "booking_id": booking.pk,
            "expert_ref": assignment.expert_ref,
            "method": how.value,
            "late": assignment.late,
            "seat": seat,
            "after_no_show_flag": assignment.no_show_at is not None,
        }
        act.witness(("venues.assignment", assignment.pk), facts)
        _restricted(
            act,
            "venues.expert_checked_in.v1",
            booking,
            {
                "booking_id": booking.pk,
                "owner_ref": booking.owner_ref,
                "expert_ref": assignment.expert_ref,
                "checked_in_at": iso_utc(act.now),
                "late": assignment.late,
                "seat": seat,
            },
        )
        return assignment


def _no_show_due(booking: Booking) -> datetime:
    return booking.start + timedelta(minutes=venues_settings().no_show_after)


def _flag_no_shows(act: ActionRecorder, booking: Booking, *, at_end: bool = False) -> list[str]:
    if act.now < _no_show_due(booking) and not at_end:
        return []
    rows = list(booking.assignments.filter(checked_in_at__isnull=True, no_show_at__isnull=True).order_by("pk"))
    for a in rows:
        a.no_show_at, a.attendance = act.now, Attendance.NO_SHOW
        a.save(update_fields=["no_show_at", "attendance"])
    return [a.expert_ref for a in rows]


def do_flag_no_shows(*, actor: Actor = SYSTEM, booking_id: int) -> list[str]:
    """未到: experts still not checked in ``NO_SHOW_AFTER_MINUTES`` after the start are flagged (the clock
    runs this; staff may too). Returns the references flagged (none: nothing is written)."""
    booking = _peek_booking(booking_id)
    _require_staff(actor, booking.room.site.region_code, "记录专家未到", "flag no-shows")
    if not booking.assignments.filter(checked_in_at__isnull=True, no_show_at__isnull=True).exists():
        return []
    with action(actor, "venues.flag_no_shows") as act:
        booking = _locked_booking(booking_id)
        if booking.status != BookingStatus.APPROVED:
            raise errors.booking_not_active(booking.status)
        if act.now < _no_show_due(booking):
            raise errors.no_show_not_due(_no_show_due(booking))
        flagged = _flag_no_shows(act, booking)
        if not flagged:
            return []
        act.witness(booking, {"no_show": flagged})
        _restricted(
            act,
            "venues.experts_not_arrived.v1",
            booking,
            {"booking_id": booking.pk, "owner_ref": booking.owner_ref, "expert_refs": flagged},
        )
        return flagged


# -- access log of isolated areas ---------------------------------------------------------------------------------


def _person_kind(value: Any) -> PersonKind:
    try:
        return PersonKind(str(value))
    except ValueError:
        raise errors.invalid(
            "person_kind", "人员类别不正确", "Unknown kind of person", allowed=[k.value for k in PersonKind]
        ) from None


def _direction(value: Any) -> Direction:
    try:
        return Direction(str(value))
    except ValueError:
        raise errors.invalid("direction", "须为 enter 或 leave", "enter or leave") from None


def do_record_access(
    *,
    actor: Actor,
    booking_id: int,
    person_ref: str,
    person_kind: str,
    direction: str,
    name: str = "",
    method: str = "manual",
    devices_deposited: bool = False,
    note: str = "",
) -> AccessEvent:
    """进出登记 of an isolated evaluation area during a booking: everyone (experts, staff, supervisors, others).
    Entry only within the booking's blocked time, after devices were deposited (when the settings require it);
    an expert must be one the booking expects. Leaving is recorded whenever it happens."""
    kind, way = _person_kind(person_kind), _direction(direction)
    person_ref = _ref(person_ref, "person_ref")
    if len(person_ref) > 100:
        raise errors.invalid("person_ref", "人员引用过长", "The person reference is too long")
    name = _text(name, "name", limit=50)
    method = _text(method, "method", limit=20) or "manual"
    note = _text(note, "note")
    conf = venues_settings()
    _signed_in(actor)
    with action(actor, "venues.record_access") as act:
        booking = _locked_booking(booking_id)
        room = Room.objects.select_related("site").get(pk=booking.room_id)
        _require_staff(actor, room.site.region_code, "登记隔离区进出", "log access to this area")
        if not room.isolated:
            raise errors.room_not_isolated()
        if way is Direction.ENTER:
            if booking.status != BookingStatus.APPROVED:
                raise errors.booking_not_active(booking.status)
            if not booking.blocked_from <= act.now < booking.blocked_until:
                raise errors.access_outside_booking(booking.blocked_from, booking.blocked_until)
            if conf.require_device_deposit and not devices_deposited:
                raise errors.devices_not_deposited()
            if kind is PersonKind.EXPERT and not booking.assignments.filter(expert_ref=person_ref).exists():
                raise errors.not_expected(person_ref)
        last = AccessEvent.objects.filter(booking=booking, person_ref=person_ref).order_by("-at", "-pk").first()
        check_access(last is not None and last.direction == Direction.ENTER, way, person_ref)
        event = AccessEvent.objects.create(
            booking=booking,
            room=room,
            person_ref=person_ref,
            person_name=name,
            person_kind=kind,
            direction=way,
            at=act.now,
            method=method,
            devices_deposited=bool(devices_deposited),
            note=note,
            recorded_by_ref=actor.ref,
        )
        facts = {
            "booking_id": booking.pk,
            "room_id": room.pk,
            "person_ref": person_ref,
            "person_kind": kind.value,
            "direction": way.value,
            "devices_deposited": event.devices_deposited,
            "method": method,
        }
        act.witness(event, facts)
        _restricted(act, "venues.access_recorded.v1", booking, facts)
        return event
