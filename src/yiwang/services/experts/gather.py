"""The local pool adapter: gathers :class:`ExpertFacts` from the database in a handful of set queries.

Only rows that can matter are read: the experts holding a requested specialty (an index range scan per
line), and of the related tables only unavailability and bookings overlapping the meeting, relationships
with the avoided firms, sanctions in force and assignments on the same project.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from yiwang.services.experts.domain.draw import Line, LinePool, assemble
from yiwang.services.experts.domain.eligibility import Criteria, ExpertFacts, Period, Tie
from yiwang.services.experts.domain.specialties import upper_bound
from yiwang.services.experts.models import (
    BOOKING_STATUSES,
    Expert,
    ExpertSpecialty,
    Sanction,
    Seat,
    SeatStatus,
    Unavailability,
)
from yiwang.services.experts.models import Tie as TieRow
from yiwang.services.experts.pools import LOCAL
from yiwang.services.experts.ports import credit_gate

# Seats that count as having sat (or been about to sit) on a committee, for the same-project rule.
SAT_STATUSES = (SeatStatus.NOTIFIED, SeatStatus.CONFIRMED, SeatStatus.CHECKED_IN, SeatStatus.ABSENT)


def _specialty_filter(codes: Iterable[str]) -> Q:
    q = Q()
    for code in codes:
        q |= Q(code__gte=code, code__lt=upper_bound(code))
    return q


def _raw_rows(qs: QuerySet, size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the driver returns them: Django's per-value converters cost
    more than the whole query on a 100 k pool, and the few columns read here are converted below."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows


@lru_cache(maxsize=64)
def _kinds(raw: str) -> frozenset[str]:
    return frozenset(json.loads(raw))


@lru_cache(maxsize=65536)
def _date(raw: str) -> date:
    return date.fromisoformat(raw)


def gather_facts(
    criteria: Criteria,
    *,
    specialties: Sequence[str] = (),
    expert_ids: Sequence[int] = (),
) -> list[ExpertFacts]:
    """Facts of the experts holding any of ``specialties`` (or of ``expert_ids``)."""
    if expert_ids:
        spec_qs = ExpertSpecialty.objects.filter(expert_id__in=list(expert_ids))
    else:
        spec_qs = ExpertSpecialty.objects.filter(_specialty_filter(specialties))
    held: dict[int, set[str]] = defaultdict(set)
    main: dict[int, set[str]] = defaultdict(set)
    for expert_id, code, is_main in _raw_rows(spec_qs.values_list("expert_id", "code", "is_main")):
        held[expert_id].add(code)
        if is_main:
            main[expert_id].add(code)
    if not held:
        return []
    experts = Expert.objects.filter(pk__in=spec_qs.values("expert_id")).values_list(
        "id", "status", "region_code", "birth_date", "kinds", "employer_entity_id", "employer_uscc", "id_number"
    )
    first, last = criteria.first_day, criteria.last_day

    unavailable: dict[int, list] = defaultdict(list)
    for e, s, t in Unavailability.objects.filter(
        withdrawn_at__isnull=True, start_date__lte=last, end_date__gte=first
    ).values_list("expert_id", "start_date", "end_date"):
        unavailable[e].append((s, t))

    bookings: dict[int, list] = defaultdict(list)
    for e, s, t in Seat.objects.filter(
        status__in=BOOKING_STATUSES, meeting_start__lt=criteria.window_end, meeting_end__gt=criteria.window_start
    ).values_list("expert_id", "meeting_start", "meeting_end"):
        bookings[e].append((s, t))

    ties: dict[int, list] = defaultdict(list)
    if criteria.avoided_entity_ids or criteria.avoided_usccs:
        for e, entity_id, uscc, ended in (
            TieRow.objects.filter(withdrawn_at__isnull=True)
            .filter(Q(entity_id__in=list(criteria.avoided_entity_ids)) | Q(uscc__in=list(criteria.avoided_usccs)))
            .values_list("expert_id", "entity_id", "uscc", "ended_on")
        ):
            ties[e].append(Tie(entity_id, uscc or None, ended))

    sanctions: dict[int, list] = defaultdict(list)
    for e, s, t in (
        Sanction.objects.filter(revoked_at__isnull=True, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .values_list("expert_id", "start_date", "end_date")
    ):
        sanctions[e].append(Period(s, t))
    # 失信联合惩戒: credit bars on serving as an expert count as sanctions (ports.CreditGate)
    barred = credit_gate().barred_people(first, last)

    recent: set[int] = set()
    if criteria.check_recent_project and criteria.recent_gap_days is not None:
        since = criteria.window_start - timedelta(days=criteria.recent_gap_days)
        recent = set(
            Seat.objects.filter(
                draw__project_ref=criteria.project_ref, status__in=SAT_STATUSES, meeting_start__gte=since
            ).values_list("expert_id", flat=True)
        )

    project = frozenset({criteria.project_ref})
    out = []
    for pk, status, region, birth, kinds, employer_id, employer_uscc, id_number in _raw_rows(experts):
        if id_number in barred:
            sanctions[pk].extend(Period(s, t) for s, t in barred[id_number])
        out.append(
            ExpertFacts(
                id=pk,
                status=status,
                region_code=region,
                birth_date=birth if isinstance(birth, date) else _date(birth),
                kinds=_kinds(kinds) if isinstance(kinds, str) else frozenset(kinds),
                employer_entity_id=employer_id,
                employer_uscc=employer_uscc or None,
                specialties=frozenset(held.get(pk, ())),
                main_specialties=frozenset(main.get(pk, ())),
                unavailable=tuple(unavailable.get(pk, ())),
                bookings=tuple(bookings.get(pk, ())),
                ties=tuple(ties.get(pk, ())),
                sanctions=tuple(sanctions.get(pk, ())),
                recent_projects=project if pk in recent else frozenset(),
            )
        )
    return out


class LocalPool:
    hub = LOCAL

    def line_pools(self, lines: Sequence[Line], criteria: Criteria) -> list[LinePool]:
        # Tens of thousands of small acyclic objects: the cyclic garbage collector would otherwise run many
        # times over every live object of the process (measured: twice the time in a long-lived worker).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return assemble(lines, gather_facts(criteria, specialties=[line.specialty for line in lines]), criteria)
        finally:
            if enabled:
                gc.enable()
