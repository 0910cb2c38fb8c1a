"""Seating a committee in a remote cross-region evaluation (远程异地评标): who sits at which site, in which seat.

A session has one main site (主场: the centre the tenderer chose) and secondary sites (副场) at other
centres. Each expert sits at the taking-part site whose region covers their home region (the most specific
one when several do); an expert whose region has no site in the session travels to the main site. Within a
site, experts take the site's seats in seat-number order, each seat once; a site with more experts than the
seats it booked refuses the whole plan (nothing is seated).

Pure Python: no Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yiwang.kernel.ids import region_covers, region_level
from yiwang.services.venues.domain import errors

_SPECIFICITY = {"province": 0, "prefecture": 1, "county": 2}


@dataclass(frozen=True)
class SiteSeats:
    """One booking of a session: its key, the site's region, whether it is the main site, its seats (the
    numbers of the seats of the room that may be used, in order) and how many seats it booked."""

    key: int
    region: str
    main: bool
    seats: tuple[str, ...]
    booked: int


@dataclass(frozen=True)
class Member:
    expert_ref: str
    home_region: str


@dataclass(frozen=True)
class Placement:
    expert_ref: str
    key: int  # the booking
    seat: str | None  # None where the room has no numbered seats


def site_for(home_region: str, sites: Sequence[SiteSeats]) -> SiteSeats:
    """The site an expert from ``home_region`` sits at."""
    main = next(s for s in sites if s.main)
    covering = [s for s in sites if region_covers(s.region, home_region)]
    if not covering:
        return main
    best = max(_SPECIFICITY[region_level(s.region)] for s in covering)
    closest = [s for s in covering if _SPECIFICITY[region_level(s.region)] == best]
    return next((s for s in closest if s.main), min(closest, key=lambda s: s.key))


def check_committee(members: Sequence[Member]) -> None:
    if not members:
        raise errors.committee_empty()
    seen: set[str] = set()
    for m in members:
        if m.expert_ref in seen:
            raise errors.duplicate_expert(m.expert_ref)
        seen.add(m.expert_ref)


def plan(members: Sequence[Member], sites: Sequence[SiteSeats], *, numbered: dict[int, bool]) -> list[Placement]:
    """Place every member. ``numbered[key]`` says whether that booking's room has numbered seats (else the
    experts are expected there without a seat number, up to the seats booked)."""
    if sum(1 for s in sites if s.main) != 1:
        raise ValueError("a session has exactly one main site")
    check_committee(members)
    by_site: dict[int, list[Member]] = {s.key: [] for s in sites}
    for m in members:
        by_site[site_for(m.home_region, sites).key].append(m)
    short = []
    for s in sites:
        wanted = len(by_site[s.key])
        capacity = min(s.booked, len(s.seats)) if numbered[s.key] else s.booked
        if wanted > capacity:
            short.append({"booking_id": s.key, "experts": wanted, "seats": capacity})
    if short:
        raise errors.not_enough_seats(short)
    out: list[Placement] = []
    for s in sites:
        seats = list(s.seats) if numbered[s.key] else []
        for i, m in enumerate(by_site[s.key]):
            out.append(Placement(m.expert_ref, s.key, seats[i] if seats else None))
    return out
