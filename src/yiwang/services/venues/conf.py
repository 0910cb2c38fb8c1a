"""Settings of the venues context (``settings.YIWANG_VENUES``), with defaults for everything::

    YIWANG_VENUES = {
        # set-up / clearing minutes around a booking, per room kind
        "BUFFERS_MINUTES": {"opening_hall": [15, 15], "evaluation_room": [30, 30], "remote_seats": [30, 30],
                            "negotiation_room": [15, 15], "auction_hall": [15, 15]},
        "LATE_AFTER_MINUTES": 0,        # a check-in later than start + this counts as late (迟到)
        "NO_SHOW_AFTER_MINUTES": 30,    # no check-in by start + this: flagged as not arrived (未到)
        "CHECK_IN_OPENS_MINUTES": 120,  # check-in opens this long before the start
        "MAX_BOOKING_HOURS": 24,        # one booking lasts at most this long
        "REQUIRE_DEVICE_DEPOSIT": True, # entering an isolated area requires phones/devices deposited
    }

These are operating choices of the trading centre (how long cleaning takes, when the desk opens), not legal
numbers, which is why they are settings and not rules-catalogue entries. A booking copies its buffers when it
is made, so a later change of settings never moves an existing booking into a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from yiwang.services.venues.domain.rules import Buffers, RoomKind

DEFAULT_BUFFERS: dict[str, tuple[int, int]] = {
    RoomKind.OPENING_HALL: (15, 15),
    RoomKind.EVALUATION_ROOM: (30, 30),
    RoomKind.REMOTE_SEATS: (30, 30),
    RoomKind.NEGOTIATION_ROOM: (15, 15),
    RoomKind.AUCTION_HALL: (15, 15),
}


@dataclass(frozen=True)
class VenuesSettings:
    buffers: dict[str, Buffers]
    late_after: int
    no_show_after: int
    check_in_opens: int
    max_booking_hours: int
    require_device_deposit: bool

    def buffers_for(self, kind: str) -> Buffers:
        return self.buffers.get(kind, Buffers(0, 0))


def venues_settings() -> VenuesSettings:
    raw = dict(getattr(settings, "YIWANG_VENUES", None) or {})
    buffers = {kind: Buffers(*pair) for kind, pair in DEFAULT_BUFFERS.items()}
    for kind, pair in dict(raw.get("BUFFERS_MINUTES") or {}).items():
        before, after = pair
        buffers[str(kind)] = Buffers(int(before), int(after))
    return VenuesSettings(
        buffers=buffers,
        late_after=int(raw.get("LATE_AFTER_MINUTES", 0)),
        no_show_after=int(raw.get("NO_SHOW_AFTER_MINUTES", 30)),
        check_in_opens=int(raw.get("CHECK_IN_OPENS_MINUTES", 120)),
        max_booking_hours=int(raw.get("MAX_BOOKING_HOURS", 24)),
        require_device_deposit=bool(raw.get("REQUIRE_DEVICE_DEPOSIT", True)),
    )
