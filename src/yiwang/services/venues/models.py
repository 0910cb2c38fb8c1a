"""Persistence of venues (场所): sites, rooms, seats, maintenance windows, bookings (场所预约), remote
cross-region evaluation sessions (远程异地评标), expected experts with their seats and check-ins, and the access
log of isolated evaluation areas.

A booking names its owner by a reference the caller gives (``tender.section:12``); the venues context never
reads the owner. Names of people are kept on the rows that need them (the check-in desk searches by name) and
never enter a witness payload or a feed event: those speak of references.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from yiwang.services.venues.constraints import RoomTimeExclusion
from yiwang.services.venues.domain.rules import (
    APPLY_TYPE_LABELS_ZH,
    ATTENDANCE_LABELS_ZH,
    BOOKING_STATUS_LABELS_ZH,
    CHECK_IN_METHOD_LABELS_ZH,
    DIRECTION_LABELS_ZH,
    HOLDING,
    PERSON_KIND_LABELS_ZH,
    PURPOSE_LABELS_ZH,
    ROOM_KIND_LABELS_ZH,
    BookingStatus,
)


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(k.value, v) for k, v in labels.items()]


class Site(models.Model):
    """A trading centre's premises (交易场所): an address with rooms."""

    organisation = models.ForeignKey("identity.Organisation", on_delete=models.PROTECT, related_name="venue_sites")
    name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=6, db_index=True)
    address = models.CharField(max_length=300)
    phone = models.CharField(max_length=40, blank=True, default="")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["region_code", "pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="venues_site_name_once")]
        verbose_name = "交易场所"

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    code = models.CharField(max_length=20)  # the door sign: 开标室1, P201 …
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=_choices(ROOM_KIND_LABELS_ZH))
    capacity = models.PositiveIntegerField()
    isolated = models.BooleanField(default=False)  # access-controlled, devices deposited, entries logged
    recording = models.BooleanField(default=False)  # 全程录音录像
    video_link = models.BooleanField(default=False)  # 远程音视频连线
    floor = models.CharField(max_length=40, blank=True, default="")
    note = models.CharField(max_length=300, blank=True, default="")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["site", "code", "pk"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="venues_room_code_once")]
        verbose_name = "房间"

    def __str__(self) -> str:
        return f"{self.site.name} {self.name}"


class Seat(models.Model):
    """A numbered seat (工位) of an evaluation room or remote-evaluation area, with its camera."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="seats")
    number = models.CharField(max_length=12)
    camera_id = models.CharField(max_length=60, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["room", "number"]
        constraints = [models.UniqueConstraint(fields=["room", "number"], name="venues_seat_number_once")]

    def __str__(self) -> str:
        return f"{self.room_id}:{self.number}"


class Maintenance(models.Model):
    """A window in which the room cannot be booked (维护、检修、布展)."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="maintenance")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by_ref = models.CharField(max_length=120)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["room", "end", "start"], name="venues_maint_room_idx")]

    def __str__(self) -> str:
        return f"maintenance {self.pk} of room {self.room_id}"


class RemoteSession(models.Model):
    """远程异地评标: one main-site booking (主场) and secondary-site bookings (副场) for one meeting window."""

    owner_ref = models.CharField(max_length=120, db_index=True)
    title = models.CharField(max_length=200, blank=True, default="")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_by_ref = models.CharField(max_length=120)
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start", "-pk"]
        verbose_name = "远程异地评标场次"

    def __str__(self) -> str:
        return f"session {self.pk}"


class SessionRole(models.TextChoices):
    MAIN = "main", "主场"
    SECONDARY = "secondary", "副场"


class Booking(models.Model):
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    session = models.ForeignKey(RemoteSession, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")
    session_role = models.CharField(max_length=10, choices=SessionRole.choices, blank=True, default="")
    owner_ref = models.CharField(max_length=120, db_index=True)  # given by the caller: "tender.section:12"
    title = models.CharField(max_length=200, blank=True, default="")  # seen by the owner, staff and overseers
    public_title = models.CharField(max_length=200, blank=True, default="")  # shown on 今日开标 when set
    purpose = models.CharField(max_length=12, choices=_choices(PURPOSE_LABELS_ZH))
    start = models.DateTimeField()
    end = models.DateTimeField()
    buffer_before = models.PositiveIntegerField()  # minutes, copied from the settings when booked
    buffer_after = models.PositiveIntegerField()
    blocked_from = models.DateTimeField()  # start − buffer_before
    blocked_until = models.DateTimeField()  # end + buffer_after
    seats = models.PositiveIntegerField(default=0)  # seats (or places) requested
    status = models.CharField(max_length=10, choices=_choices(BOOKING_STATUS_LABELS_ZH), db_index=True)
    apply_type = models.CharField(max_length=8, choices=_choices(APPLY_TYPE_LABELS_ZH), default="venue")
    requested_by_ref = models.CharField(max_length=120)
    requested_by_label = models.CharField(max_length=200)
    decided_by_ref = models.CharField(max_length=120, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True, default="")
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    check_in_code = models.CharField(max_length=8)  # shown at the desk; an expert types it to confirm
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["room", "blocked_until", "blocked_from"], name="venues_booking_room_idx"),
            models.Index(fields=["start"], name="venues_booking_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="venues_booking_start_before_end"),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=models.F("start")) & Q(blocked_until__gte=models.F("end")),
                name="venues_booking_blocked_covers",
            ),
            RoomTimeExclusion(
                name="venues_booking_no_overlap",
                room="room",
                start="blocked_from",
                end="blocked_until",
                status="status",
                holding=[s.value for s in HOLDING],
            ),
        ]
        verbose_name = "场所预约"

    def __str__(self) -> str:
        return f"booking {self.pk}"

    @property
    def ref(self) -> str:
        return f"venues.booking:{self.pk}"

    @property
    def holds_room(self) -> bool:
        return self.status in HOLDING

    @property
    def status_label(self) -> str:
        return BOOKING_STATUS_LABELS_ZH[BookingStatus(self.status)]


class BookingHistory(models.Model):
    """What happened to a booking (申请、变更、取消、审批、办结), with the reason given."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    what = models.CharField(max_length=12)  # apply | change | cancel | approve | reject | complete | seat
    reason = models.CharField(max_length=300, blank=True, default="")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.what}"


class Assignment(models.Model):
    """An expert expected at a booking (from the committee the caller gave), their seat, and their check-in."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="assignments")
    session = models.ForeignKey(
        RemoteSession, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    seat = models.ForeignKey(Seat, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments")
    expert_ref = models.CharField(max_length=100)  # the caller's reference: "experts.seat:88"
    name = models.CharField(max_length=50, blank=True, default="")
    home_region = models.CharField(max_length=6)
    account_id = models.BigIntegerField(null=True, blank=True)  # lets the expert confirm their own check-in
    checked_in_at = models.DateTimeField(null=True, blank=True)
    check_in_method = models.CharField(
        max_length=14, blank=True, default="", choices=_choices(CHECK_IN_METHOD_LABELS_ZH)
    )
    checked_in_by_ref = models.CharField(max_length=120, blank=True, default="")
    late = models.BooleanField(default=False)
    no_show_at = models.DateTimeField(null=True, blank=True)  # when the no-show flag was raised
    attendance = models.CharField(max_length=10, choices=_choices(ATTENDANCE_LABELS_ZH), default="expected")

    class Meta:
        ordering = ["booking", "seat__number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "expert_ref"], name="venues_assignment_expert_once"),
            models.UniqueConstraint(
                fields=["booking", "seat"], condition=Q(seat__isnull=False), name="venues_assignment_seat_once"
            ),
            models.UniqueConstraint(
                fields=["session", "expert_ref"],
                condition=Q(session__isnull=False),
                name="venues_assignment_session_expert_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert_ref} at booking {self.booking_id}"


class AccessEvent(models.Model):
    """One entry into or exit from an isolated evaluation area (进出记录)."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="access_events")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="access_events")
    person_ref = models.CharField(max_length=100)
    person_name = models.CharField(max_length=50, blank=True, default="")
    person_kind = models.CharField(max_length=10, choices=_choices(PERSON_KIND_LABELS_ZH))
    direction = models.CharField(max_length=5, choices=_choices(DIRECTION_LABELS_ZH))
    at = models.DateTimeField()
    method = models.CharField(max_length=20, blank=True, default="")  # card | face | manual
    devices_deposited = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True, default="")
    recorded_by_ref = models.CharField(max_length=120)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["booking", "person_ref", "at"], name="venues_access_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_ref} {self.direction} {self.at:%H:%M}"
