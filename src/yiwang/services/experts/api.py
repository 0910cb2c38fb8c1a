"""Experts API (``/api/v1/experts``): the specialty classification and pool statistics (public), the pool
(staff, regulators, auditors; the expert for their own record), draws (request, sealed view per role, unseal,
replay, supplementary draw, cancel), answers, check-in, absence and performance records.

Every POST takes ``Idempotency-Key`` (``creates`` and ``acts``); updates require ``If-Match`` (ETag = version).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from yiwang.kernel.errors import NotFound
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut
from yiwang.services.experts import actions, queries
from yiwang.services.experts.schemas import (
    AnswerIn,
    CommitteeCheckOut,
    DrawIn,
    DrawListItemOut,
    DrawOut,
    ExpertIn,
    ExpertListOut,
    ExpertOut,
    ExpertPatch,
    ExpertStatusIn,
    NoteIn,
    PerformanceListOut,
    PerformanceOut,
    PerformancePatch,
    PoolStatOut,
    ReasonIn,
    ReplayOut,
    SanctionIn,
    SanctionOut,
    SeatOut,
    SpecialtyOut,
    TaskOut,
    TieIn,
    TieOut,
    UnavailabilityIn,
    UnavailabilityOut,
)

router = Router(tags=["experts 专家库与专家抽取"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/experts"
DRAW_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 503: ErrorOut}


# -- public -----------------------------------------------------------------------------------------------------


@router.get("/specialties", auth=PUBLIC, response={200: list[SpecialtyOut], **ERRORS})
def list_specialties(request: HttpRequest, parent: str | None = None, level: int | None = None):
    """The specialty classification (专业分类): ``level`` 1 大类 (A/B/C), 2 一级 (A08), 3 二级, 4 三级 (7 位)."""
    return queries.list_specialties(parent=parent, level=level)


@router.get("/statistics", auth=PUBLIC, response={200: list[PoolStatOut], **ERRORS})
def statistics(request: HttpRequest):
    """Active experts per first-level category (nothing personal)."""
    return queries.pool_statistics()


class CommitteeQuery(Schema):
    kind: str
    experts: int
    representatives: int = 0
    budget_fen: int | None = None
    large: bool = False


@router.get("/committee-check", auth=PUBLIC, response={200: CommitteeCheckOut, **ERRORS})
def committee_check(request: HttpRequest, q: Query[CommitteeQuery]):
    """Does a committee of ``experts`` + ``representatives`` comply (size, odd number, experts' share, GP
    large-budget size)? The numbers come from the rules catalogue."""
    from yiwang.kernel.errors import InvalidInput

    if q.kind not in ("works", "gp"):
        raise InvalidInput("experts.kind_invalid", "评审类别须为 works 或 gp", "kind is works or gp", {"field": "kind"})
    problems = queries.check_committee_composition(
        q.kind, q.experts, q.representatives, budget_fen=q.budget_fen, large=q.large
    )
    return {"ok": not problems, "problems": problems}


# -- the pool -------------------------------------------------------------------------------------------------------


class PoolQuery(Schema):
    q: str = ""
    specialty: str | None = None
    region: str | None = None
    status: str | None = None
    kind: str | None = None
    limit: int = 20
    offset: int = 0


@router.get("/pool", response={200: ExpertListOut, **ERRORS})
def list_experts(request: HttpRequest, f: Query[PoolQuery]):
    """Search the pool (staff, regulators, auditors)."""
    page = queries.list_experts_for(
        actor_of(request),
        q=f.q,
        specialty=f.specialty,
        region=f.region,
        status=f.status,
        kind=f.kind,
        limit=f.limit,
        offset=f.offset,
    )
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "items": page.items}


def _expert(request: HttpRequest, response: HttpResponse, expert_id: int):
    view = queries.get_expert_for(actor_of(request), expert_id)
    response["ETag"] = etag(view.version)
    return view


@creates(router, "/pool", response={201: ExpertOut, **CREATE_ERRORS})
def enrol_expert(request: HttpRequest, response: HttpResponse, payload: ExpertIn):
    """入库 (staff over the expert's region). ``409 experts.duplicate_expert`` for a known identity number;
    ``422 experts.experience_insufficient`` / ``experts.title_insufficient`` / ``experts.over_age_limit``."""
    data = payload.model_dump()
    data["specialties"] = [s.model_dump() for s in payload.specialties]
    expert = actions.do_enrol_expert(actor=actor_of(request), data=data)
    response["Location"] = f"{BASE}/pool/{expert.pk}"
    return Status(201, _expert(request, response, expert.pk))


@router.get("/pool/{expert_id}", response={200: ExpertOut, **ERRORS})
def get_expert(request: HttpRequest, response: HttpResponse, expert_id: int):
    return _expert(request, response, expert_id)


@updates(router, "/pool/{expert_id}", response={200: ExpertOut, **UPDATE_ERRORS})
def update_expert(request: HttpRequest, response: HttpResponse, expert_id: int, payload: ExpertPatch):
    """Change the record (only the fields sent). ``If-Match`` required."""
    expected = if_match_version(request)
    changes = payload.model_dump(exclude_unset=True)
    if payload.specialties is not None:
        changes["specialties"] = [s.model_dump() for s in payload.specialties]
    actions.do_update_expert(actor=actor_of(request), expert_id=expert_id, changes=changes, expected_version=expected)
    return _expert(request, response, expert_id)


@updates(router, "/pool/{expert_id}/status", method="PUT", response={200: ExpertOut, **UPDATE_ERRORS})
def change_status(request: HttpRequest, response: HttpResponse, expert_id: int, payload: ExpertStatusIn):
    """暂停 suspend · 恢复 reinstate · 出库 retire, with the reason. ``If-Match`` required."""
    expected = if_match_version(request)
    actions.do_change_expert_status(
        actor=actor_of(request),
        expert_id=expert_id,
        change=payload.action,
        reason=payload.reason,
        expected_version=expected,
    )
    return _expert(request, response, expert_id)


@creates(router, "/pool/{expert_id}/unavailability", response={201: UnavailabilityOut, **CREATE_ERRORS})
def declare_unavailability(request: HttpRequest, response: HttpResponse, expert_id: int, payload: UnavailabilityIn):
    """Days the expert cannot evaluate (the expert or staff)."""
    row = actions.do_declare_unavailability(
        actor=actor_of(request),
        expert_id=expert_id,
        start_date=payload.start_date,
        end_date=payload.end_date,
        reason=payload.reason,
    )
    return Status(201, queries.UnavailabilityView(row.pk, row.start_date, row.end_date, row.reason, row.declared_at))


@router.delete("/pool/{expert_id}/unavailability/{row_id}", response={204: None, **ERRORS})
def withdraw_unavailability(request: HttpRequest, expert_id: int, row_id: int):
    actions.do_withdraw_unavailability(actor=actor_of(request), expert_id=expert_id, unavailability_id=row_id)
    return Status(204, None)


@creates(router, "/pool/{expert_id}/ties", response={201: TieOut, **CREATE_ERRORS})
def declare_tie(request: HttpRequest, response: HttpResponse, expert_id: int, payload: TieIn):
    """申报利害关系 with a firm named by registry id or USCC (the expert or staff)."""
    tie = actions.do_declare_tie(actor=actor_of(request), expert_id=expert_id, data=payload.model_dump())
    view = next(t for t in queries.get_expert_for(actor_of(request), expert_id).ties if t.id == tie.pk)
    return Status(201, view)


@router.delete("/pool/{expert_id}/ties/{tie_id}", response={204: None, **ERRORS})
def withdraw_tie(request: HttpRequest, expert_id: int, tie_id: int, reason: str):
    """Withdraw a declaration made in error (staff)."""
    actions.do_withdraw_tie(actor=actor_of(request), expert_id=expert_id, tie_id=tie_id, reason=reason)
    return Status(204, None)


@creates(router, "/pool/{expert_id}/sanctions", response={201: SanctionOut, **CREATE_ERRORS})
def record_sanction(request: HttpRequest, response: HttpResponse, expert_id: int, payload: SanctionIn):
    """Record a sanction with its period (staff or regulators over the region)."""
    row = actions.do_record_sanction(actor=actor_of(request), expert_id=expert_id, data=payload.model_dump())
    view = next(s for s in queries.get_expert_for(actor_of(request), expert_id).sanctions if s.id == row.pk)
    return Status(201, view)


@router.delete("/pool/{expert_id}/sanctions/{sanction_id}", response={204: None, **ERRORS})
def revoke_sanction(request: HttpRequest, expert_id: int, sanction_id: int, reason: str):
    actions.do_revoke_sanction(actor=actor_of(request), expert_id=expert_id, sanction_id=sanction_id, reason=reason)
    return Status(204, None)


@router.get("/pool/{expert_id}/performance", response={200: PerformanceListOut, **ERRORS})
def performance(request: HttpRequest, expert_id: int):
    """The expert's assignments (attendance, evaluation time, score deviation, complaints, rating)."""
    summary, rows = queries.list_performance_for(actor_of(request), expert_id)
    return {"summary": summary, "items": rows}


# -- draws ------------------------------------------------------------------------------------------------------------


@router.get("/draws", response={200: list[DrawListItemOut], **ERRORS})
def list_draws(request: HttpRequest, project_ref: str | None = None, limit: int = 20, offset: int = 0):
    """Draws of the regions the caller oversees, newest first."""
    return queries.list_draws_for(actor_of(request), project_ref=project_ref, limit=limit, offset=offset)


@creates(router, "/draws", response={201: DrawOut, **DRAW_ERRORS})
def request_draw(request: HttpRequest, response: HttpResponse, payload: DrawIn):
    """抽取专家. Refusals: ``422 experts.committee_invalid`` (composition), ``422 experts.draw_unsatisfiable``
    (per line: needed, eligible, holders and exclusions by reason — nobody is drawn), ``503
    experts.remote_pool_unavailable`` (another hub)."""
    data = payload.model_dump()
    draw = actions.do_request_draw(actor=actor_of(request), data=data)
    response["Location"] = f"{BASE}/draws/{draw.pk}"
    return Status(201, queries.get_draw_for(actor_of(request), draw.pk))


@router.get("/draws/{draw_id}", response={200: DrawOut, **ERRORS})
def get_draw(request: HttpRequest, draw_id: int):
    """The draw as the caller may see it: overseers everything; the tenderer and agency counts and status
    (names once unsealed); a drawn expert their own seat."""
    return queries.get_draw_for(actor_of(request), draw_id)


@acts(router, "/draws/{draw_id}/unseal", response={200: DrawOut, **CREATE_ERRORS})
def unseal(request: HttpRequest, draw_id: int):
    """启封 (staff over the region): the names become visible to the parties; the witness log gets the seat
    list, its salt, the seed secret and the request, so anyone can check the sealed digests."""
    actions.do_unseal_draw(actor=actor_of(request), draw_id=draw_id)
    return queries.get_draw_for(actor_of(request), draw_id)


@acts(router, "/draws/{draw_id}/supplementary", response={200: DrawOut, **DRAW_ERRORS})
def supplementary(request: HttpRequest, draw_id: int):
    """补抽 the lines that are short after the reserves ran out."""
    actions.do_supplementary_draw(actor=actor_of(request), draw_id=draw_id)
    return queries.get_draw_for(actor_of(request), draw_id)


@acts(router, "/draws/{draw_id}/cancel", response={200: DrawOut, **CREATE_ERRORS})
def cancel(request: HttpRequest, draw_id: int, payload: ReasonIn):
    actions.do_cancel_draw(actor=actor_of(request), draw_id=draw_id, reason=payload.reason)
    return queries.get_draw_for(actor_of(request), draw_id)


@router.get("/draws/{draw_id}/replay", response={200: list[ReplayOut], **ERRORS})
def replay(request: HttpRequest, draw_id: int):
    """Recompute the draw (and its supplementary draws) from the recorded inputs and compare (overseers).
    ``candidates`` are the eligible expert ids per line, in canonical order; they hash to the witnessed
    ``candidates_digest``."""
    out = []
    for r in queries.replay_draw_for(actor_of(request), draw_id):
        rep = r.report
        out.append(
            {
                "draw_id": r.draw_id,
                "ok": r.ok,
                "commitment_precedes": r.commitment_precedes,
                "commitment_ok": rep.commitment_ok,
                "request_ok": rep.request_ok,
                "seed_ok": rep.seed_ok,
                "candidates_ok": rep.candidates_ok,
                "result_ok": rep.result_ok,
                "problems": list(rep.problems),
                "seed": rep.seed,
                "results": [x.as_json() for x in rep.results],
                "candidates": r.candidates,
            }
        )
    return out


# -- seats ------------------------------------------------------------------------------------------------------------


def _seat(request: HttpRequest, seat_id: int) -> SeatOut:
    from yiwang.services.experts.models import Seat

    draw_id = Seat.objects.filter(pk=seat_id).values_list("draw_id", flat=True).first()
    if draw_id is None:
        raise NotFound("experts.seat_not_found", "未找到该评审任务", "no such seat", {"seat_id": seat_id})
    view = queries.get_draw_for(actor_of(request), draw_id)
    for seat in view.seats:
        if seat.id == seat_id:
            return seat
    raise NotFound("experts.seat_not_found", "未找到该评审任务", "no such seat", {"seat_id": seat_id})


@acts(router, "/seats/{seat_id}/answer", response={200: SeatOut, **CREATE_ERRORS})
def answer(request: HttpRequest, seat_id: int, payload: AnswerIn):
    """The drawn expert confirms (``accept: true``) or declines with a reason; a decline calls the next
    reserve at once (or a supplementary draw)."""
    actions.do_answer_seat(actor=actor_of(request), seat_id=seat_id, accept=payload.accept, reason=payload.reason)
    return _seat(request, seat_id)


@acts(router, "/seats/{seat_id}/check-in", response={200: SeatOut, **CREATE_ERRORS})
def check_in(request: HttpRequest, seat_id: int):
    """签到 (staff); after the start time it is recorded as late."""
    actions.do_check_in(actor=actor_of(request), seat_id=seat_id)
    return _seat(request, seat_id)


@acts(router, "/seats/{seat_id}/absence", response={200: SeatOut, **CREATE_ERRORS})
def absence(request: HttpRequest, seat_id: int, payload: NoteIn):
    """缺席 (staff, after the start): recorded for performance; the next reserve is called."""
    actions.do_mark_absent(actor=actor_of(request), seat_id=seat_id, note=payload.note)
    return _seat(request, seat_id)


@updates(router, "/seats/{seat_id}/performance", response={200: PerformanceOut, **UPDATE_ERRORS})
def record_performance(request: HttpRequest, response: HttpResponse, seat_id: int, payload: PerformancePatch):
    """Evaluation minutes, score deviation, complaints, rating, notes. ``If-Match`` with the seat's
    ``performance_version``."""
    expected = if_match_version(request)
    perf = actions.do_record_performance(
        actor=actor_of(request),
        seat_id=seat_id,
        data=payload.model_dump(exclude_unset=True),
        expected_version=expected,
    )
    response["ETag"] = etag(perf.version)
    _, rows = queries.list_performance_for(actor_of(request), perf.expert_id)
    return next(r for r in rows if r.seat_id == seat_id)


# -- the expert's own -------------------------------------------------------------------------------------------------


@router.get("/me", response={200: ExpertOut, **ERRORS})
def me(request: HttpRequest, response: HttpResponse):
    """The signed-in expert's own record."""
    view = queries.get_my_expert(actor_of(request))
    if view is None:
        raise NotFound("experts.not_an_expert", "当前账号未关联专家库记录", "this account is not linked to an expert")
    response["ETag"] = etag(view.version)
    return view


@router.get("/me/tasks", response={200: list[TaskOut], **ERRORS})
def my_tasks(request: HttpRequest):
    """我的评审任务."""
    return queries.list_my_tasks(actor_of(request))
