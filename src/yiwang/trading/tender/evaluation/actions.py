"""State changes of a bid evaluation (评标): the only door to them.

Entry points for the tender context (it never reaches this context's models):

- :func:`do_start_evaluation` — validates everything (committee composition against the rules snapshot: size,
  odd number, experts' share, the large-procurement size; the price weight; the candidates cap), books the
  evaluation room through ``services.venues`` when one is given, and requests the draw through
  ``services.experts`` with the bidders, the tenderer and the agency as avoided firms. Returns the
  :class:`~yiwang.trading.tender.evaluation.models.Evaluation` (status ``forming``).
- :func:`do_mark_awarded` — the award is made: the committee's names may be shown to everyone.
- :func:`do_cancel_evaluation` — the procedure was stopped.

On the day (trading-centre staff over the evaluation's region): :func:`do_seat_committee`,
:func:`do_check_in_member` (a venue check-in forwarded to the experts service), :func:`do_convene_committee`,
:func:`do_set_chair`, :func:`do_extend_evaluation`.

Per member (the expert's or representative's own account): :func:`do_save_review_sheet`,
:func:`do_save_score_sheet`, :func:`do_declare_time_short`, :func:`do_sign_report`,
:func:`do_open_bid_document`. The chair: :func:`do_return_sheet`, :func:`do_close_stage`,
:func:`do_change_price`, :func:`do_issue_clarification`, :func:`do_decide_clarification`,
:func:`do_finalise_report` (also staff). The bidder: :func:`do_answer_clarification`.

Every action is atomic and witnessed and emits a restricted feed event. Members act under their committee
label (评委N) in the log, never their name; payloads carry labels, bid pseudonyms and digests.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.canonical import canonical_json, iso_utc, sha256_hex
from yiwang.kernel.errors import PermissionDenied
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.storage import actions as storage
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.experts import actions as experts
from yiwang.services.experts import queries as experts_q
from yiwang.services.venues import actions as venues
from yiwang.services.venues import queries as venues_q
from yiwang.trading.tender.evaluation import lock_objects, reporting
from yiwang.trading.tender.evaluation.domain import collusion, committee, lowprice, outliers, ranking, review, scoring
from yiwang.trading.tender.evaluation.domain import errors as err
from yiwang.trading.tender.evaluation.domain.inputs import (
    BidInput,
    CommitteeRequest,
    EvaluationConfig,
    Method,
    Regime,
    ScorerRole,
    TenderKind,
    bids_from,
    check_kind_and_method,
    check_section_ref,
    committee_request_from,
    config_from,
    parse_kind,
    scores_item,
)
from yiwang.trading.tender.evaluation.domain.legal import EvaluationRules, legal_rules
from yiwang.trading.tender.evaluation.domain.states import (
    IN_MEETING,
    REVIEW_STAGES,
    Outcome,
    PriceChange,
    Status,
    next_after,
)
from yiwang.trading.tender.evaluation.models import (
    Bid,
    BidStatus,
    Clarification,
    ClarificationStatus,
    Evaluation,
    Member,
    MemberKind,
    Outlier,
    Sheet,
    SheetStatus,
)
from yiwang.trading.tender.evaluation.rules import catalogue_lookup, pool_kind

SYSTEM = Actor.system("evaluation")
OWNER_CONTEXT = "trading.evaluation"
MEMBER_LABEL = "评标委员会成员"
SIGNATURE_PURPOSE = "evaluation.report"
REASON_MAX = 300


# -- helpers ---------------------------------------------------------------------------------------


def is_staff_over(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def member_of(actor: Actor, members: Sequence[Member]) -> Member | None:
    """The committee member the signed-in actor is (an expert member needs the expert role)."""
    if actor.kind is not ActorKind.ACCOUNT or not actor.id.isdigit():
        return None
    for m in members:
        if m.account_id == int(actor.id) and (m.kind != MemberKind.EXPERT or actor.has_role(Role.EXPERT)):
            return m
    return None


def _as_member(actor: Actor, member: Member) -> Actor:
    """The member acts under their committee label in the log (the account ref stays)."""
    return Actor(actor.kind, actor.id, f"{MEMBER_LABEL}{member.label}", actor.grants)


def _restricted(act: ActionRecorder, event: str, obj: Any, data: dict[str, Any]) -> None:
    act.emit(event, obj, data, visibility=Visibility.RESTRICTED)


def _peek(section_ref: str) -> Evaluation:
    ev = Evaluation.objects.filter(section_ref=section_ref).first()
    if ev is None:
        raise err.not_found("evaluation", section_ref=section_ref)
    return ev


def _lock(section_ref: str) -> Evaluation:
    ev = lock_objects.evaluation_of_section_for_update(section_ref).first()
    if ev is None:
        raise err.not_found("evaluation", section_ref=section_ref)
    return ev


def _require_staff(actor: Actor, ev: Evaluation, what_zh: str, what_en: str) -> None:
    if not is_staff_over(actor, ev.region_code):
        raise err.forbidden(what_zh, what_en)


def _require_status(ev: Evaluation, *allowed: Status) -> None:
    if ev.status not in allowed:
        raise err.wrong_stage(ev.status, tuple(s.value for s in allowed))


def _members(ev: Evaluation) -> list[Member]:
    return list(Member.objects.filter(evaluation=ev).order_by("ordinal"))


def _require_member(actor: Actor, ev: Evaluation) -> Member:
    member = member_of(actor, _members(ev))
    if member is None or ev.convened_at is None:
        raise err.forbidden("以评标委员会成员身份操作", "act as a member of this committee")
    return member


def _require_chair(actor: Actor, ev: Evaluation) -> Member:
    member = _require_member(actor, ev)
    if ev.chair_member_id != member.pk:
        raise PermissionDenied(
            "evaluation.chair_only", "仅评标委员会主任（组长）可进行该操作", "only the committee's chair may do this"
        )
    return member


def _reason(reason: str, field: str = "reason", *, required: bool = True) -> str:
    text = (reason or "").strip()
    if required and len(text) < 2:
        raise err.invalid("reason_required", "请写明理由", "give the reason", field)
    if len(text) > REASON_MAX:
        raise err.invalid("text_too_long", f"不得超过 {REASON_MAX} 个字符", f"at most {REASON_MAX} characters", field)
    return text


def config_of(ev: Evaluation) -> EvaluationConfig:
    return config_from(ev.config)


def rules_of(ev: Evaluation) -> EvaluationRules:
    return EvaluationRules.from_json(ev.rules)


def _valid_bids(ev: Evaluation) -> list[Bid]:
    return list(Bid.objects.filter(evaluation=ev, status=BidStatus.IN).order_by("seq"))


def _touch(ev: Evaluation, at: datetime, *fields: str) -> None:
    ev.version += 1
    ev.updated_at = at
    ev.save(update_fields=[*fields, "version", "updated_at"])


def checks_for(ev: Evaluation, stage: str) -> list[review.Check]:
    config = config_of(ev)
    if stage == Status.QUALIFICATION:
        return [review.Check(r.code, r.text) for r in config.requirements]
    return [review.Check(g.code, g.text, g.source) for g in config.grounds]


def items_for(config: EvaluationConfig, member: Member) -> list:
    role = ScorerRole(member.role)
    return [i for i in config.scored_items if scores_item(role, i.category)]


# -- starting --------------------------------------------------------------------------------------


def _avoided_firms(bids: Sequence[BidInput], request: CommitteeRequest) -> list[dict[str, Any]]:
    firms = [{"entity_id": b.entity_id, "reason": "1"} for b in bids]  # 投标单位
    if request.tenderer_entity_id:
        firms.append({"entity_id": request.tenderer_entity_id, "reason": "2"})  # 招标单位
    if request.agency_entity_id:
        firms.append({"entity_id": request.agency_entity_id, "reason": "4"})  # 代理机构
    firms.extend({"entity_id": e, "reason": "9"} for e in request.extra_avoided_entity_ids)
    return firms


def _check_scorers(config: EvaluationConfig, request: CommitteeRequest) -> None:
    roles = {line.role for line in request.lines} | {r.role for r in request.representatives}
    for item in config.scored_items:
        if not any(scores_item(role, item.category) for role in roles):
            raise err.invalid(
                "item_without_scorer",
                f"评分项“{item.name}”没有可评分的委员（请调整专家的评分分工）",
                f"no member scores the item {item.code} (adjust the lines' roles)",
                "committee_request.lines",
                item=item.code,
            )


def do_start_evaluation(
    *,
    actor: Actor,
    section_ref: str,
    kind: str | TenderKind,
    config: EvaluationConfig | Mapping[str, Any],
    rules_snapshot: Mapping[str, Any],
    bids: Sequence[BidInput | Mapping[str, Any]],
    committee_request: CommitteeRequest | Mapping[str, Any],
) -> Evaluation:
    """Start the evaluation of a section: check, book the room (``committee_request.room_id``), draw the experts.

    Refusals (nothing is written): ``evaluation.*`` input errors (422, with ``details.field``);
    ``evaluation.committee_invalid`` (422, ``details.problems`` each with ``rule_id`` and ``source``, e.g. a
    committee of 4 breaks ``tender.committee_min_size`` and is even); ``evaluation.price_weight_too_low`` /
    ``_too_high``; ``evaluation.too_many_candidates``; ``evaluation.rule_not_listed``;
    ``evaluation.already_started`` (409); ``evaluation.meeting_in_past``; ``evaluation.forbidden`` (403, staff over
    the region only); and whatever the venues and experts services refuse (``venues.room_conflict``,
    ``experts.draw_unsatisfiable`` …)."""
    section_ref = check_section_ref(section_ref)
    tender_kind = parse_kind(kind)
    cfg = config_from(config)
    check_kind_and_method(tender_kind, cfg.method)
    bid_inputs = bids_from(list(bids))
    request = committee_request_from(committee_request)
    if not is_staff_over(actor, request.region_code):
        raise err.forbidden("为该区域的项目组织评标", "organise evaluations in this region")
    if not isinstance(rules_snapshot, Mapping):
        raise err.invalid(
            "rules_snapshot_invalid", "规则快照格式不正确", "rules_snapshot must be an object", "rules_snapshot"
        )
    rules = legal_rules(tender_kind, cfg.method, rules_snapshot, catalogue_lookup)
    committee.check_committee(
        request.experts, len(request.representatives), rules, budget_fen=request.budget_fen, large=request.large
    )
    committee.check_config(cfg, rules)
    _check_scorers(cfg, request)
    at = now()
    if request.meeting_start <= at:
        raise err.invalid(
            "meeting_in_past",
            "评标开始时间须晚于当前时间",
            "the meeting must start in the future",
            "committee_request.meeting_start",
        )
    if request.room_id and request.booking_id:
        raise err.invalid(
            "venue_ambiguous",
            "预约评标室与已有预约只能二选一",
            "give either room_id or booking_id, not both",
            "committee_request.booking_id",
        )
    with action(actor, "evaluation.start_evaluation") as act:
        if Evaluation.objects.filter(section_ref=section_ref).exists():
            raise err.conflict(
                "already_started",
                "该标段的评标已经开始",
                "this section's evaluation has already started",
                section_ref=section_ref,
            )
        ev = Evaluation.objects.create(
            section_ref=section_ref,
            project_ref=request.project_ref,
            title=request.title,
            kind=tender_kind.value,
            method=cfg.method.value,
            regime=tender_kind.regime.value,
            region_code=request.region_code,
            config=cfg.as_json(),
            rules=rules.as_json(),
            committee_request=request.as_json(),
            tenderer_entity_id=request.tenderer_entity_id,
            agency_entity_id=request.agency_entity_id,
            meeting_start=request.meeting_start,
            meeting_end=request.meeting_end,
            created_at=act.now,
            updated_at=act.now,
            created_by_ref=actor.ref,
        )
        Bid.objects.bulk_create(
            Bid(
                evaluation=ev,
                seq=i + 1,
                entity_id=b.entity_id,
                name=b.name,
                uscc=b.uscc,
                pseudonym=b.pseudonym,
                price_fen=b.price_fen,
                offered_price_fen=b.price_fen,
                evaluated_price_fen=b.price_fen,
                brand=b.brand,
                qualification=dict(b.qualification),
                documents=[d.as_json() for d in b.documents],
                signals=dict(b.signals),
                consortium=b.consortium,
            )
            for i, b in enumerate(bid_inputs)
        )
        for i, rep in enumerate(request.representatives):
            Member.objects.create(
                evaluation=ev,
                ordinal=request.experts + i + 1,
                kind=MemberKind.REPRESENTATIVE,
                account_id=rep.account_id,
                name=rep.name,
                role=rep.role.value,
                entity_id=rep.entity_id,
            )
        members = request.experts + len(request.representatives)
        if request.room_id:
            booking = venues.do_book_room(
                actor=actor,
                room_id=request.room_id,
                owner_ref=section_ref,
                purpose="evaluation",
                start=request.meeting_start,
                end=request.meeting_end,
                seats=members,
                title=f"评标：{request.title}"[:200] if request.title else "评标",
            )
            ev.booking_id = booking.pk
        elif request.booking_id:
            venues_q.get_booking_for(actor, request.booking_id)  # exists and the actor may use it
            ev.booking_id = request.booking_id
        draw = experts.do_request_draw(
            actor=actor,
            data={
                "project_ref": request.project_ref,
                "section_ref": section_ref,
                "title": request.title,
                "kind": pool_kind(tender_kind.regime),
                "region_code": request.region_code,
                **({"region_scope": list(request.region_scope)} if request.region_scope else {}),
                "meeting_start": request.meeting_start,
                "meeting_end": request.meeting_end,
                "venue": f"venues.booking:{ev.booking_id}" if ev.booking_id else "",
                "lines": [
                    {
                        "specialty": line.specialty,
                        "count": line.count,
                        "reserve": line.reserve,
                        "main_only": line.main_only,
                    }
                    for line in request.lines
                ],
                "avoided_firms": _avoided_firms(bid_inputs, request),
                "representatives": len(request.representatives),
                "budget_fen": request.budget_fen,
                "large": request.large,
            },
        )
        ev.draw_id = draw.pk
        ev.save(update_fields=["draw_id", "booking_id"])
        act.witness(
            ev,
            {
                "section_ref": section_ref,
                "kind": tender_kind.value,
                "method": cfg.method.value,
                "bids": [
                    {"seq": i + 1, "entity_id": b.entity_id, "price_fen": b.price_fen} for i, b in enumerate(bid_inputs)
                ],
                "config_sha256": sha256_hex(canonical_json(cfg.as_json())),
                "rules": {k: v["rule_id"] for k, v in rules.as_json().items()},
                "experts": request.experts,
                "representatives": len(request.representatives),
                "draw_id": draw.pk,
                "booking_id": ev.booking_id,
            },
        )
        _restricted(
            act,
            "evaluation.evaluation_started.v1",
            ev,
            {"section_ref": section_ref, "draw_id": draw.pk, "booking_id": ev.booking_id, "bids": len(bid_inputs)},
        )
        if ev.booking_id:
            _seat(act, ev)
        return ev


# -- the committee on the day ----------------------------------------------------------------------


def _expert_ref(seat_id: int) -> str:
    return f"experts.seat:{seat_id}"


def _representative_ref(account_id: int) -> str:
    return f"evaluation.representative:{account_id}"


def _committee_for_seating(ev: Evaluation) -> list[dict[str, Any]]:
    seats = experts_q.committee_for(SYSTEM, ev.draw_id) if ev.draw_id else []
    out = []
    for s in seats:
        person = experts_q.get_expert_for(SYSTEM, s.expert_id)
        out.append(
            {
                "expert_ref": _expert_ref(s.id),
                "home_region": person.region_code,
                "name": s.name,
                "account_id": person.account_id,
            }
        )
    for m in Member.objects.filter(evaluation=ev, kind=MemberKind.REPRESENTATIVE).order_by("ordinal"):
        out.append(
            {
                "expert_ref": _representative_ref(m.account_id),
                "home_region": ev.region_code,
                "name": m.name,
                "account_id": m.account_id,
            }
        )
    return out


def _seat(act: ActionRecorder, ev: Evaluation) -> bool:
    """Seat the committee in the booked room when the booking is approved (seating again replaces the plan until
    someone has checked in)."""
    booking = venues_q.get_booking_for(SYSTEM, ev.booking_id)
    if booking.status != "approved":
        return False
    venues.do_seat_booking(actor=SYSTEM, booking_id=ev.booking_id, committee=_committee_for_seating(ev))
    return True


def do_seat_committee(*, actor: Actor, section_ref: str) -> bool:
    """Seat (again) the committee now drawn in the booked room — after a reserve replaced someone, or once a
    pending booking was approved. False when the booking is not approved yet."""
    with action(actor, "evaluation.seat_committee") as act:
        ev = _lock(section_ref)
        _require_staff(actor, ev, "安排评标席位", "seat the committee")
        _require_status(ev, Status.FORMING)
        if not ev.booking_id:
            raise err.conflict("no_booking", "该评标没有预约评标室", "this evaluation has no room booking")
        seated = _seat(act, ev)
        act.witness(ev, {"seated": seated, "booking_id": ev.booking_id})
        return seated


def do_check_in_member(
    *,
    actor: Actor,
    section_ref: str,
    seat_id: int | None = None,
    account_id: int | None = None,
    member_id: int | None = None,
    method: str = "staff_scan",
    code: str = "",
) -> None:
    """签到: an expert (``seat_id`` of the draw) or a representative (``account_id``, or its ``member_id``).
    With a booked room the check-in is made at the venue (staff, or the member themself with the room's code:
    ``self_confirm``) and forwarded to the experts service; without one, staff check the expert in with the
    experts service."""
    ev = _peek(section_ref)
    if seat_id is None and account_id is None and member_id is None:
        raise err.invalid("member_required", "请指明签到的专家席位或代表账户", "give seat_id or account_id", "seat_id")
    if seat_id is None and account_id is None:
        account_id = (
            Member.objects.filter(evaluation=ev, pk=member_id, kind=MemberKind.REPRESENTATIVE)
            .values_list("account_id", flat=True)
            .first()
        )
        if account_id is None:
            raise err.not_found("member", member_id=member_id)
    if seat_id is not None:
        seats = {s.id for s in experts_q.committee_for(SYSTEM, ev.draw_id)} if ev.draw_id else set()
        if seat_id not in seats:
            raise err.not_found("member", seat_id=seat_id)
    label = MEMBER_LABEL if method == "self_confirm" else actor.label
    with action(Actor(actor.kind, actor.id, label, actor.grants), "evaluation.check_in_member") as act:
        ev = _lock(section_ref)
        _require_status(ev, Status.FORMING, *IN_MEETING)
        rep = None
        if account_id is not None and seat_id is None:
            rep = Member.objects.filter(evaluation=ev, kind=MemberKind.REPRESENTATIVE, account_id=account_id).first()
            if rep is None:
                raise err.not_found("member", account_id=account_id)
        ref = _expert_ref(seat_id) if seat_id is not None else _representative_ref(account_id or 0)
        if ev.booking_id:
            venues.do_check_in_expert(actor=actor, booking_id=ev.booking_id, expert_ref=ref, method=method, code=code)
        elif not is_staff_over(actor, ev.region_code):
            raise err.forbidden("为评标委员会成员签到", "check members in")
        if seat_id is not None:
            experts.do_check_in(actor=SYSTEM if ev.booking_id else actor, seat_id=seat_id)
        if rep is not None:
            if rep.checked_in_at is not None:
                raise err.conflict("already_checked_in", "已签到", "already checked in")
            rep.checked_in_at = act.now
            rep.save(update_fields=["checked_in_at"])
        act.witness(ev, {"checked_in": ref, "method": method})


def do_convene_committee(*, actor: Actor, section_ref: str) -> Evaluation:
    """开始评标: at or after the meeting start, with every drawn expert and every representative checked in.
    The members get their committee labels (评委1…), their sheets are prepared, and the first review stage
    opens (资格审查 when requirements were given, else 符合性审查). Refusals: ``evaluation.meeting_not_started``,
    ``evaluation.committee_incomplete`` (409, who is missing), ``evaluation.member_without_account``."""
    with action(actor, "evaluation.convene_committee") as act:
        ev = _lock(section_ref)
        _require_staff(actor, ev, "组织评标", "convene the committee")
        _require_status(ev, Status.FORMING)
        if act.now < ev.meeting_start:
            raise err.conflict(
                "meeting_not_started",
                "评标开始时间未到",
                "the meeting has not started",
                meeting_start=iso_utc(ev.meeting_start),
            )
        request = committee_request_from(ev.committee_request)
        seats = experts_q.committee_for(SYSTEM, ev.draw_id)
        waiting = [s.id for s in seats if s.status != "checked_in"]
        reps = list(Member.objects.filter(evaluation=ev, kind=MemberKind.REPRESENTATIVE).order_by("ordinal"))
        reps_waiting = [r.account_id for r in reps if r.checked_in_at is None]
        if waiting or reps_waiting or len(seats) != request.experts:
            raise err.conflict(
                "committee_incomplete",
                "评标委员会成员尚未全部到场签到",
                "not every member of the committee has checked in",
                expected_experts=request.experts,
                experts_sitting=len(seats),
                experts_waiting=waiting,
                representatives_waiting=reps_waiting,
            )
        rules = rules_of(ev)
        committee.check_committee(len(seats), len(reps), rules, budget_fen=request.budget_fen, large=request.large)
        rep_accounts = {r.account_id for r in reps}
        ordered = sorted(seats, key=lambda s: (s.line, s.id))
        for ordinal, seat in enumerate(ordered, start=1):
            person = experts_q.get_expert_for(SYSTEM, seat.expert_id)
            if person.account_id is None or person.account_id in rep_accounts:
                raise err.conflict(
                    "member_without_account",
                    "有专家未关联平台账号，无法使用评标系统（请在专家库中关联账号）",
                    "an expert has no platform account (link one in the expert pool)",
                    seat_id=seat.id,
                )
            line = request.lines[seat.line] if seat.line < len(request.lines) else request.lines[0]
            Member.objects.create(
                evaluation=ev,
                ordinal=ordinal,
                kind=MemberKind.EXPERT,
                seat_id=seat.id,
                expert_id=seat.expert_id,
                account_id=person.account_id,
                name=seat.name,
                role=line.role.value,
                specialty=seat.specialty,
                checked_in_at=seat.checked_in_at,
            )
        config = config_of(ev)
        members = _members(ev)
        sheets = []
        for m in members:
            if config.requirements:
                sheets.append(Sheet(evaluation=ev, member=m, stage=Status.QUALIFICATION, updated_at=act.now))
            sheets.append(Sheet(evaluation=ev, member=m, stage=Status.COMPLIANCE, updated_at=act.now))
            if config.method.scored and items_for(config, m):
                sheets.append(Sheet(evaluation=ev, member=m, stage=Status.SCORING, updated_at=act.now))
        Sheet.objects.bulk_create(sheets)
        ev.status = Status.QUALIFICATION if config.requirements else Status.COMPLIANCE
        ev.convened_at = act.now
        _touch(ev, act.now, "status", "convened_at")
        act.witness(
            ev,
            {
                "convened": iso_utc(act.now),
                "members": [{"label": m.label, "kind": m.kind, "seat_id": m.seat_id} for m in members],
                "stage": ev.status,
            },
        )
        _restricted(
            act, "evaluation.committee_convened.v1", ev, {"section_ref": ev.section_ref, "members": len(members)}
        )
        return ev


def do_set_chair(*, actor: Actor, section_ref: str, member_id: int) -> Evaluation:
    """Record the committee's chair (评标委员会主任/组长), as the members elected (staff)."""
    with action(actor, "evaluation.set_chair") as act:
        ev = _lock(section_ref)
        _require_staff(actor, ev, "记录评标委员会主任", "record the chair")
        _require_status(ev, *IN_MEETING)
        member = Member.objects.filter(evaluation=ev, pk=member_id).first()
        if member is None:
            raise err.not_found("member", member_id=member_id)
        ev.chair_member_id = member.pk
        _touch(ev, act.now, "chair_member_id")
        act.witness(ev, {"chair": member.label})
        _restricted(act, "evaluation.chair_set.v1", ev, {"section_ref": ev.section_ref})
        return ev


# -- sheets ----------------------------------------------------------------------------------------


def _lock_sheet(ev: Evaluation, member: Member, stage: str) -> Sheet:
    sheet = lock_objects.sheets_for_update(ev.pk, stage).filter(member=member).first()
    if sheet is None:
        raise err.not_found("sheet", stage=stage, member=member.label)
    return sheet


def _save(act: ActionRecorder, ev: Evaluation, sheet: Sheet, content: dict, comments: str, submit: bool) -> Sheet:
    sheet.content = content
    sheet.comments = comments
    sheet.updated_at = act.now
    sheet.version += 1
    if submit:
        sheet.status = SheetStatus.SUBMITTED
        sheet.submitted_at = act.now
    sheet.save()
    act.witness(
        sheet,
        {
            "stage": sheet.stage,
            "member": sheet.member.label,
            "submitted": submit,
            "content_sha256": sha256_hex(canonical_json({"content": content, "comments": comments})),
            "version": sheet.version,
        },
    )
    if submit:
        _restricted(
            act,
            "evaluation.sheet_submitted.v1",
            ev,
            {"section_ref": ev.section_ref, "stage": sheet.stage, "member": sheet.member.label},
        )
    return sheet


def _open_sheet(actor: Actor, ev: Evaluation, stage: str, expected_version: int | None) -> tuple[Member, Sheet]:
    member = _require_member(actor, ev)
    if ev.status != stage:
        raise err.wrong_stage(ev.status, stage)
    sheet = _lock_sheet(ev, member, stage)
    if sheet.status == SheetStatus.SUBMITTED:
        raise err.conflict(
            "sheet_submitted", "评审表已提交，不能修改（如需更正请由主任退回）", "the sheet was submitted"
        )
    check_version(sheet.version, expected_version)
    return member, sheet


def do_save_review_sheet(
    *,
    actor: Actor,
    section_ref: str,
    stage: str,
    verdicts: Mapping[str, Any],
    comments: str = "",
    submit: bool = False,
    expected_version: int | None = None,
) -> Sheet:
    """A member's qualification or compliance findings for every bid under review (draft, or ``submit``: then
    complete and final unless the chair returns it). Findings that fail need a reason."""
    if stage not in REVIEW_STAGES:
        raise err.invalid(
            "stage_invalid", "审查阶段须为 qualification 或 compliance", "stage is qualification or compliance", "stage"
        )
    ev = _peek(section_ref)
    member = member_of(actor, _members(ev))
    with action(_as_member(actor, member) if member else actor, "evaluation.save_review_sheet") as act:
        ev = _lock(section_ref)
        member, sheet = _open_sheet(actor, ev, stage, expected_version)
        bid_ids = [b.pk for b in _valid_bids(ev)]
        parsed = review.parse_sheet(verdicts, bid_ids, checks_for(ev, stage), complete=submit)
        return _save(
            act, ev, sheet, review.sheet_as_json(parsed), _reason(comments, "comments", required=False), submit
        )


def do_save_score_sheet(
    *,
    actor: Actor,
    section_ref: str,
    scores: Mapping[str, Any],
    comments: str = "",
    submit: bool = False,
    expected_version: int | None = None,
) -> Sheet:
    """A member's scores of the items they score (by role) for every valid bid, within each item's points and
    the configured decimals. Hidden from the other members until submitted (and until they submitted theirs)."""
    ev = _peek(section_ref)
    member = member_of(actor, _members(ev))
    with action(_as_member(actor, member) if member else actor, "evaluation.save_score_sheet") as act:
        ev = _lock(section_ref)
        member, sheet = _open_sheet(actor, ev, Status.SCORING, expected_version)
        config = config_of(ev)
        bid_ids = [b.pk for b in _valid_bids(ev)]
        parsed = scoring.parse_score_sheet(scores, bid_ids, items_for(config, member), config.decimals, complete=submit)
        return _save(
            act, ev, sheet, scoring.score_sheet_as_json(parsed), _reason(comments, "comments", required=False), submit
        )


def do_return_sheet(*, actor: Actor, section_ref: str, member_id: int, reason: str) -> Sheet:
    """The chair returns a submitted sheet of the current stage for correction (e.g. an outlier score), with
    the reason; the member can edit and submit it again."""
    reason = _reason(reason)
    with action(actor, "evaluation.return_sheet") as act:
        ev = _lock(section_ref)
        chair = _require_chair(actor, ev)
        act.actor = _as_member(actor, chair)
        _require_status(ev, Status.QUALIFICATION, Status.COMPLIANCE, Status.SCORING)
        member = Member.objects.filter(evaluation=ev, pk=member_id).first()
        if member is None:
            raise err.not_found("member", member_id=member_id)
        sheet = _lock_sheet(ev, member, ev.status)
        if sheet.status != SheetStatus.SUBMITTED:
            raise err.conflict("sheet_not_submitted", "该评审表尚未提交", "the sheet has not been submitted")
        sheet.status = SheetStatus.DRAFT
        sheet.submitted_at = None
        sheet.returned = [*sheet.returned, {"at": iso_utc(act.now), "reason": reason}]
        sheet.version += 1
        sheet.updated_at = act.now
        sheet.save()
        act.witness(sheet, {"stage": sheet.stage, "member": member.label, "returned": True, "reason": reason})
        _restricted(act, "evaluation.sheet_returned.v1", ev, {"section_ref": ev.section_ref, "stage": sheet.stage})
        return sheet


# -- closing stages --------------------------------------------------------------------------------


def _submitted_sheets(ev: Evaluation, stage: str) -> dict[str, Sheet]:
    sheets = list(lock_objects.sheets_for_update(ev.pk, stage).select_related("member"))
    pending = [s.member.label for s in sheets if s.status != SheetStatus.SUBMITTED]
    if pending:
        raise err.conflict(
            "sheets_pending", "尚有成员未提交评审表", "some members have not submitted their sheets", pending=pending
        )
    return {s.member.label: s for s in sheets}


def _enough_valid(ev: Evaluation) -> bool:
    rules = rules_of(ev)
    valid = _valid_bids(ev)
    count = ranking.valid_bidder_count([b.brand for b in valid], gp=ev.regime == Regime.GP)
    return count >= rules.min_valid_bids.value


def _log_stage(ev: Evaluation, stage: str, at: datetime, by: str, summary: dict[str, Any]) -> None:
    ev.stage_log = [*ev.stage_log, {"stage": stage, "closed_at": iso_utc(at), "by": by, **summary}]


def _close_review(act: ActionRecorder, ev: Evaluation, stage: str) -> dict[str, Any]:
    sheets = _submitted_sheets(ev, stage)
    bids = {b.pk: b for b in lock_objects.bids_for_update(ev.pk).filter(status=BidStatus.IN)}
    decisions = review.decide(
        list(bids), checks_for(ev, stage), {label: review.sheet_from_json(s.content) for label, s in sheets.items()}
    )
    rejected = []
    for bid_id, decision in decisions.items():
        bid = bids[bid_id]
        bid.review = {**bid.review, stage: decision.as_json()}
        if not decision.passed:
            bid.status = BidStatus.REJECTED
            bid.rejected_stage = stage
            rejected.append(bid.pseudonym)
        bid.save(update_fields=["review", "status", "rejected_stage"])
    return {"rejected": rejected}


def _close_pricing(ev: Evaluation) -> dict[str, Any]:
    config = config_of(ev)
    valid = _valid_bids(ev)
    all_bids = list(Bid.objects.filter(evaluation=ev).order_by("seq"))
    ev.collusion = [
        s.as_json()
        for s in [
            *collusion.shared_indicators({b.pk: b.signals for b in all_bids}),
            *collusion.price_pattern({b.pk: b.offered_price_fen for b in valid}),
        ]
    ]
    flagged: tuple[int, ...] = ()
    if config.abnormally_low is not None and valid:
        result = lowprice.screen({b.pk: b.offered_price_fen for b in valid}, config.abnormally_low)
        ev.screen = result.as_json()
        flagged = result.flagged
        for b in valid:
            if b.pk in flagged:
                b.abnormally_low = True
                b.save(update_fields=["abnormally_low"])
                Clarification.objects.create(
                    evaluation=ev,
                    bid=b,
                    basis={
                        "price_fen": b.offered_price_fen,
                        "basis": result.basis,
                        "basis_fen": str(result.basis_fen),
                        "threshold_fen": str(result.threshold_fen),
                        "share": str(config.abnormally_low.share),
                    },
                )
    return {"abnormally_low": [b.pseudonym for b in valid if b.pk in flagged]}


def _close_clarification(ev: Evaluation) -> dict[str, Any]:
    pending = list(
        Clarification.objects.filter(evaluation=ev).exclude(status=ClarificationStatus.DECIDED).select_related("bid")
    )
    if pending:
        raise err.conflict(
            "clarifications_pending",
            "尚有异常低价澄清未作出认定",
            "some clarifications have not been decided",
            pending=[c.bid.pseudonym for c in pending],
        )
    rejected = []
    for c in Clarification.objects.filter(evaluation=ev, accepted=False).select_related("bid"):
        bid = c.bid
        bid.status = BidStatus.REJECTED
        bid.rejected_stage = Status.CLARIFICATION
        bid.review = {
            **bid.review,
            Status.CLARIFICATION: {
                "passed": False,
                "reasons": [
                    {
                        "code": "price_out_of_bounds",
                        "text": "投标报价低于成本（异常低价未能合理说明）",
                        "source": "《中华人民共和国招标投标法实施条例》第五十一条第（五）项",
                        "votes": None,
                        "majority": True,
                        "notes": [{"member": "评标委员会", "note": c.decision_reason}],
                    }
                ],
                "reason_text": f"投标报价低于成本（异常低价未能合理说明）：{c.decision_reason}",
            },
        }
        bid.save(update_fields=["status", "rejected_stage", "review"])
        rejected.append(bid.pseudonym)
    return {"rejected": rejected}


def _scores_of(
    config: EvaluationConfig, sheets: Mapping[str, Sheet], valid: Sequence[Bid], labels: Sequence[str] | None = None
):
    chosen = {
        label: scoring.score_sheet_from_json(s.content)
        for label, s in sheets.items()
        if labels is None or label in labels
    }
    return scoring.bid_scores(config, chosen, {b.pk: b.evaluated_price_fen for b in valid})


def _rank(
    ev: Evaluation, config: EvaluationConfig, valid: Sequence[Bid], scores: Mapping[int, scoring.BidScore] | None
):
    entries = [
        ranking.Entry(
            bid_id=b.pk,
            seq=b.seq,
            price_fen=b.evaluated_price_fen,
            total=scores[b.pk].total if scores else Decimal(0),
            technical=scores[b.pk].technical if scores else Decimal(0),
            commercial=scores[b.pk].commercial if scores else Decimal(0),
            brand=b.brand,
        )
        for b in valid
    ]
    return ranking.rank(entries, scored=config.method.scored, tie_break=config.tie_break, gp=ev.regime == Regime.GP)


def _finish_ranking(act: ActionRecorder, ev: Evaluation, sheets: Mapping[str, Sheet] | None) -> dict[str, Any]:
    """Aggregate (scored methods), record outliers and pivotal members, rank, choose the candidates."""
    config = config_of(ev)
    valid = list(lock_objects.bids_for_update(ev.pk).filter(status=BidStatus.IN).order_by("seq"))
    scores = _scores_of(config, sheets, valid) if sheets is not None else None
    ranked = _rank(ev, config, valid, scores)
    chosen = {r.bid_id: i + 1 for i, r in enumerate(ranking.candidates(ranked, config.candidates))}
    by_id = {b.pk: b for b in valid}
    for r in ranked:
        bid = by_id[r.bid_id]
        bid.rank = r.rank
        bid.tie_unresolved = r.tie_unresolved
        bid.brand_excluded = r.brand_excluded
        bid.candidate_rank = chosen.get(r.bid_id)
        if scores is not None:
            bid.scores = scores[bid.pk].as_json()
            bid.total = scores[bid.pk].total
        bid.save(update_fields=["rank", "tie_unresolved", "brand_excluded", "candidate_rank", "scores", "total"])
    if sheets is not None and scores is not None:
        per_bid = {bid_id: s.by_member for bid_id, s in scores.items()}
        found = outliers.find_outliers(per_bid, config.scored_items, config.outliers)
        members = {m.label: m for m in _members(ev)}
        Outlier.objects.bulk_create(
            Outlier(
                evaluation=ev,
                member=members[o.member],
                bid=by_id[o.bid_id],
                item=o.item,
                score=str(o.score),
                reference=str(o.reference),
                deviation=str(o.deviation),
                methods=list(o.methods),
                recorded_at=act.now,
            )
            for o in found
        )
        first = ranked[0].bid_id if ranked else None

        def first_without(labels: Sequence[str]) -> int | None:
            alt = _rank(ev, config, valid, _scores_of(config, sheets, valid, labels))
            return alt[0].bid_id if alt else None

        ev.pivotal = ranking.pivotal_members(sorted(sheets), first_without, first)
    return {"ranked": len(ranked), "candidates": len(chosen)}


def _enter_signing(act: ActionRecorder, ev: Evaluation, outcome: Outcome) -> None:
    ev.status = Status.SIGNING
    ev.outcome = outcome
    report = reporting.build_report(ev)
    data = canonical_json(report)
    ev.report = report
    ev.report_sha256 = sha256_hex(data)
    ev.report_sm3 = reporting.sm3_hex(data)
    ev.report_generated_at = act.now
    event = "evaluation.insufficient_valid_bids.v1" if outcome is Outcome.INSUFFICIENT else "evaluation.report_ready.v1"
    _restricted(
        act, event, ev, {"section_ref": ev.section_ref, "outcome": outcome.value, "report_sha256": ev.report_sha256}
    )


def do_close_stage(*, actor: Actor, section_ref: str, stage: str) -> Evaluation:
    """The chair closes the current stage:

    - 资格审查 / 符合性审查: every member has submitted; each bid is decided by majority (rejected bids get
      their reasons);
    - 价格核对: the abnormally-low screen runs over the valid bids (flagged bids need a clarification) and
      the collusion-indicator data are recorded;
    - 异常低价澄清: every clarification decided; rejected bids leave;
    - 详细评审: every scorer has submitted; scores are aggregated, outliers and pivotal members recorded, bids
      ranked and candidates chosen.

    Whenever fewer valid bids (GP: brands count once) remain than the rule requires, the evaluation moves to
    signing with the outcome ``insufficient_valid_bids``; after the last stage it moves to signing with the
    report (``candidates``)."""
    with action(actor, "evaluation.close_stage") as act:
        ev = _lock(section_ref)
        chair = _require_chair(actor, ev)
        act.actor = _as_member(actor, chair)
        if ev.status != stage:
            raise err.wrong_stage(ev.status, stage)
        current = Status(ev.status)
        config = config_of(ev)
        sheets = None
        if current in REVIEW_STAGES:
            summary = _close_review(act, ev, current)
        elif current is Status.PRICING:
            summary = _close_pricing(ev)
        elif current is Status.CLARIFICATION:
            summary = _close_clarification(ev)
        elif current is Status.SCORING:
            sheets = _submitted_sheets(ev, Status.SCORING)
            summary = {}
        else:
            raise err.wrong_stage(ev.status, ("qualification", "compliance", "pricing", "clarification", "scoring"))
        _log_stage(ev, current, act.now, chair.label, summary)
        if not _enough_valid(ev):
            _enter_signing(act, ev, Outcome.INSUFFICIENT)
        else:
            following = next_after(
                current,
                has_flagged=Clarification.objects.filter(evaluation=ev).exists() and current is Status.PRICING,
                scored=config.method.scored,
            )
            if following is Status.SIGNING:
                summary.update(_finish_ranking(act, ev, sheets))
                _enter_signing(act, ev, Outcome.CANDIDATES)
            else:
                ev.status = following
        _touch(
            ev,
            act.now,
            "status",
            "outcome",
            "stage_log",
            "screen",
            "collusion",
            "pivotal",
            "report",
            "report_sha256",
            "report_sm3",
            "report_generated_at",
        )
        act.witness(ev, {"closed": current.value, "next": ev.status, "outcome": ev.outcome, **summary})
        _restricted(
            act,
            "evaluation.stage_closed.v1",
            ev,
            {"section_ref": ev.section_ref, "stage": current.value, "next": ev.status},
        )
        return ev


# -- prices and clarifications ---------------------------------------------------------------------


def do_change_price(
    *,
    actor: Actor,
    section_ref: str,
    bid_id: int,
    change: str,
    reason: str,
    price_fen: int | None = None,
    amount_fen: int | None = None,
) -> Bid:
    """价格核对 (the chair, during ``pricing``): ``correction`` (算术错误修正: the corrected price), ``final_quote``
    (最后报价, negotiation and consultation), ``adjustment`` (评审价格调整 ± ``amount_fen``, 经评审的最低投标价法:
    counts for ranking only). Each with its reason."""
    try:
        kind = PriceChange(change)
    except ValueError:
        raise err.invalid(
            "choice_invalid",
            "价格调整类型不正确",
            "unknown price change",
            "change",
            allowed=[c.value for c in PriceChange],
        ) from None
    reason = _reason(reason)
    with action(actor, "evaluation.change_price") as act:
        ev = _lock(section_ref)
        chair = _require_chair(actor, ev)
        act.actor = _as_member(actor, chair)
        _require_status(ev, Status.PRICING)
        method = Method(ev.method)
        bid = lock_objects.bids_for_update(ev.pk).filter(pk=bid_id, status=BidStatus.IN).first()
        if bid is None:
            raise err.not_found("bid", bid_id=bid_id)
        before = {"offered": bid.offered_price_fen, "evaluated": bid.evaluated_price_fen}
        if kind in (PriceChange.CORRECTION, PriceChange.FINAL_QUOTE):
            if kind is PriceChange.FINAL_QUOTE and not method.takes_final_quotes:
                raise err.invalid(
                    "final_quote_not_allowed", "该评标方法没有最后报价", "this method takes no final quotes", "change"
                )
            if price_fen is None or isinstance(price_fen, bool) or not 1 <= int(price_fen) <= 10**15:
                raise err.invalid(
                    "price_invalid", "请填写调整后的价格（分，正整数）", "give the new price in fen", "price_fen"
                )
            adjustments = bid.evaluated_price_fen - bid.offered_price_fen
            bid.offered_price_fen = int(price_fen)
            bid.evaluated_price_fen = bid.offered_price_fen + adjustments
        else:
            if method is not Method.LOWEST_EVALUATED:
                raise err.invalid(
                    "adjustment_not_allowed",
                    "只有经评审的最低投标价法可作评审价格调整",
                    "evaluated-price adjustments belong to lowest_evaluated",
                    "change",
                )
            if amount_fen is None or isinstance(amount_fen, bool) or int(amount_fen) == 0:
                raise err.invalid(
                    "amount_invalid", "请填写调整金额（分，非零整数）", "give a non-zero amount in fen", "amount_fen"
                )
            if bid.evaluated_price_fen + int(amount_fen) <= 0:
                raise err.invalid(
                    "amount_invalid", "调整后的评审价格须大于零", "the evaluated price must stay positive", "amount_fen"
                )
            bid.evaluated_price_fen += int(amount_fen)
        bid.price_changes = [
            *bid.price_changes,
            {
                "change": kind.value,
                "before": before,
                "offered": bid.offered_price_fen,
                "evaluated": bid.evaluated_price_fen,
                "amount_fen": int(amount_fen) if amount_fen is not None else None,
                "reason": reason,
                "at": iso_utc(act.now),
            },
        ]
        bid.save(update_fields=["offered_price_fen", "evaluated_price_fen", "price_changes"])
        act.witness(
            bid,
            {
                "bid": bid.pseudonym,
                "change": kind.value,
                "before": before,
                "offered": bid.offered_price_fen,
                "evaluated": bid.evaluated_price_fen,
                "reason": reason,
            },
        )
        _restricted(act, "evaluation.price_changed.v1", ev, {"section_ref": ev.section_ref, "bid": bid.pseudonym})
        return bid


def _clarification(ev: Evaluation, bid_id: int) -> Clarification:
    c = Clarification.objects.select_for_update().filter(evaluation=ev, bid_id=bid_id).select_related("bid").first()
    if c is None:
        raise err.not_found("clarification", bid_id=bid_id)
    return c


def do_issue_clarification(
    *, actor: Actor, section_ref: str, bid_id: int, question: str, respond_by: datetime
) -> Clarification:
    """The chair asks the bidder of an abnormally low bid to explain its price in writing by ``respond_by``
    (the time the committee sets; 87号令 Art.60)."""
    question = (question or "").strip()
    if len(question) < 2 or len(question) > 2000:
        raise err.invalid(
            "question_invalid", "请填写澄清问题（2–2000 字）", "the question is 2–2000 characters", "question"
        )
    if not isinstance(respond_by, datetime) or respond_by.tzinfo is None:
        raise err.invalid("instant_invalid", "答复期限须为带时区的时间", "respond_by needs a time zone", "respond_by")
    with action(actor, "evaluation.issue_clarification") as act:
        ev = _lock(section_ref)
        chair = _require_chair(actor, ev)
        act.actor = _as_member(actor, chair)
        _require_status(ev, Status.CLARIFICATION)
        if respond_by <= act.now:
            raise err.invalid(
                "respond_by_past", "答复期限须晚于当前时间", "respond_by must be in the future", "respond_by"
            )
        c = _clarification(ev, bid_id)
        if c.status not in (ClarificationStatus.TO_ISSUE, ClarificationStatus.ISSUED):
            raise err.conflict(
                "clarification_answered", "该澄清已答复或已认定", "the clarification was answered or decided"
            )
        c.question, c.respond_by, c.issued_at, c.status = question, respond_by, act.now, ClarificationStatus.ISSUED
        c.save()
        act.witness(
            c,
            {
                "bid": c.bid.pseudonym,
                "question_sha256": sha256_hex(question.encode()),
                "respond_by": iso_utc(respond_by),
            },
        )
        act.emit(
            "evaluation.clarification_requested.v1",
            c,
            {"section_ref": ev.section_ref, "entity_id": c.bid.entity_id, "respond_by": iso_utc(respond_by)},
            visibility=Visibility.RESTRICTED,
        )
        return c


def do_answer_clarification(*, actor: Actor, section_ref: str, bid_id: int, answer: str) -> Clarification:
    """The bidder (a user acting for the bidding entity) explains its price before the deadline."""
    answer = (answer or "").strip()
    if len(answer) < 2 or len(answer) > 10_000:
        raise err.invalid(
            "answer_invalid", "请填写书面说明（2–10000 字）", "the answer is 2–10000 characters", "answer"
        )
    with action(actor, "evaluation.answer_clarification") as act:
        ev = _lock(section_ref)
        c = _clarification(ev, bid_id)
        if not actor.acts_for(c.bid.entity_id):
            raise err.forbidden("代该投标人答复澄清", "answer for this bidder")
        _require_status(ev, Status.CLARIFICATION)
        if c.status != ClarificationStatus.ISSUED:
            raise err.conflict(
                "clarification_not_open",
                "该澄清当前不接受答复",
                "this clarification takes no answer now",
                status=c.status,
            )
        if c.respond_by is not None and act.now > c.respond_by:
            raise err.conflict(
                "answer_too_late",
                "已超过答复期限",
                "the deadline for the answer has passed",
                respond_by=iso_utc(c.respond_by),
            )
        c.answer, c.answered_at, c.answered_by_ref, c.status = answer, act.now, actor.ref, ClarificationStatus.ANSWERED
        c.save()
        act.witness(c, {"bid": c.bid.pseudonym, "answer_sha256": sha256_hex(answer.encode())})
        _restricted(
            act, "evaluation.clarification_answered.v1", ev, {"section_ref": ev.section_ref, "bid": c.bid.pseudonym}
        )
        return c


def do_decide_clarification(*, actor: Actor, section_ref: str, bid_id: int, accept: bool, reason: str) -> Clarification:
    """The committee (through its chair) accepts the explanation or rejects the bid, with the reason — after
    the answer, or after the deadline passed without one."""
    reason = _reason(reason)
    with action(actor, "evaluation.decide_clarification") as act:
        ev = _lock(section_ref)
        chair = _require_chair(actor, ev)
        act.actor = _as_member(actor, chair)
        _require_status(ev, Status.CLARIFICATION)
        c = _clarification(ev, bid_id)
        if c.status == ClarificationStatus.TO_ISSUE:
            raise err.conflict(
                "clarification_not_issued", "尚未要求投标人澄清", "the clarification has not been issued"
            )
        if c.status == ClarificationStatus.DECIDED:
            raise err.conflict("clarification_decided", "该澄清已作出认定", "the clarification was decided already")
        if c.status == ClarificationStatus.ISSUED and c.respond_by is not None and act.now <= c.respond_by:
            raise err.conflict(
                "answer_pending",
                "答复期限未到，投标人尚未答复",
                "the bidder may still answer",
                respond_by=iso_utc(c.respond_by),
            )
        c.accepted, c.decision_reason, c.decided_at, c.status = (
            bool(accept),
            reason,
            act.now,
            ClarificationStatus.DECIDED,
        )
        c.save()
        act.witness(
            c,
            {"bid": c.bid.pseudonym, "accepted": bool(accept), "reason": reason, "answered": c.answered_at is not None},
        )
        _restricted(
            act,
            "evaluation.clarification_decided.v1",
            ev,
            {"section_ref": ev.section_ref, "bid": c.bid.pseudonym, "accepted": bool(accept)},
        )
        return c


# -- time ------------------------------------------------------------------------------------------


def do_declare_time_short(*, actor: Actor, section_ref: str, reason: str = "") -> Evaluation:
    """A member says the time is too short. When more than the rule's share of the members have said so
    (``tender.committee_extension_share``, 条例 Art.48), the extension is due (recorded, announced)."""
    reason = _reason(reason, required=False)
    ev = _peek(section_ref)
    member = member_of(actor, _members(ev))
    with action(_as_member(actor, member) if member else actor, "evaluation.declare_time_short") as act:
        ev = _lock(section_ref)
        member = _require_member(actor, ev)
        _require_status(ev, *IN_MEETING)
        if member.time_short_at is not None:
            raise err.conflict("already_declared", "您已表示评标时间不够", "you said so already")
        member.time_short_at, member.time_short_reason = act.now, reason
        member.save(update_fields=["time_short_at", "time_short_reason"])
        members = _members(ev)
        declared = sum(1 for m in members if m.time_short_at is not None)
        rules = rules_of(ev)
        due = ev.extension_due_at is None and committee.extension_needed(declared, len(members), rules)
        if due:
            ev.extension_due_at = act.now
            _touch(ev, act.now, "extension_due_at")
        act.witness(
            ev,
            {
                "time_short": member.label,
                "declared": declared,
                "members": len(members),
                "extension_due": ev.extension_due_at is not None,
                "rule_id": rules.extension_share.rule_id,
            },
        )
        if due:
            _restricted(
                act,
                "evaluation.extension_required.v1",
                ev,
                {
                    "section_ref": ev.section_ref,
                    "declared": declared,
                    "members": len(members),
                    "rule_id": rules.extension_share.rule_id,
                },
            )
        return ev


def do_extend_evaluation(*, actor: Actor, section_ref: str, until: datetime, reason: str) -> Evaluation:
    """适当延长评标时间 (staff, for the tenderer): the meeting now ends at ``until``."""
    reason = _reason(reason)
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise err.invalid("instant_invalid", "时间须带时区", "until needs a time zone", "until")
    with action(actor, "evaluation.extend_evaluation") as act:
        ev = _lock(section_ref)
        _require_staff(actor, ev, "延长评标时间", "extend the evaluation")
        _require_status(ev, Status.FORMING, *IN_MEETING)
        current = ev.extended_until or ev.meeting_end
        if until <= current:
            raise err.invalid(
                "extension_not_later",
                "延长后的结束时间须晚于现在的结束时间",
                "until must be later than the current end",
                "until",
            )
        ev.extended_until, ev.extension_reason = until, reason
        _touch(ev, act.now, "extended_until", "extension_reason")
        act.witness(ev, {"extended_until": iso_utc(until), "reason": reason, "was": iso_utc(current)})
        _restricted(act, "evaluation.extended.v1", ev, {"section_ref": ev.section_ref, "until": iso_utc(until)})
        return ev


# -- bid documents ---------------------------------------------------------------------------------


def meeting_open(ev: Evaluation, at: datetime | None = None) -> bool:
    moment = at or now()
    return ev.status in IN_MEETING and moment <= (ev.extended_until or ev.meeting_end)


def do_open_bid_document(*, actor: Actor, section_ref: str, bid_id: int, index: int) -> tuple[str, BinaryIO]:
    """A committee member reads a bid document, during the meeting only (witnessed: who read which document).
    Returns ``(file name, stream)``; the caller closes the stream."""
    ev = _peek(section_ref)
    member = member_of(actor, _members(ev))
    with action(_as_member(actor, member) if member else actor, "evaluation.open_bid_document") as act:
        ev = _lock(section_ref)
        member = _require_member(actor, ev)
        if not meeting_open(ev, act.now):
            raise err.conflict(
                "meeting_closed", "评标会议之外不能查阅投标文件", "bid documents are readable during the meeting only"
            )
        bid = Bid.objects.filter(evaluation=ev, pk=bid_id).first()
        if bid is None or not 0 <= index < len(bid.documents):
            raise err.not_found("document", bid_id=bid_id, index=index)
        handle = bid.documents[index]
        found = next(
            (
                d
                for d in bidbox_queries.list_decrypted_bids((handle["owner_context"], handle["owner_ref"]))
                if str(d.submission_id) == handle["submission_id"]
            ),
            None,
        )
        if found is None or found.entity_id != bid.entity_id:
            raise err.not_found("document", bid_id=bid_id, index=index)
        act.witness(bid, {"read_by": member.label, "document": index, "plaintext_sm3": found.plaintext_sm3})
        return found.file_name or handle["file_name"] or "bid", bidbox_queries.open_decrypted_bid(found)


# -- the report ------------------------------------------------------------------------------------


def report_bytes(ev: Evaluation) -> bytes:
    """What every member signs: the canonical JSON of the report (SM3 for SM2 certificates, SHA-256 otherwise)."""
    if ev.report is None:
        raise err.conflict("report_not_ready", "评标报告尚未生成", "the report is not ready")
    return canonical_json(ev.report)


def do_sign_report(
    *, actor: Actor, section_ref: str, signature: bytes | str, certificate: bytes | str, dissent: str = ""
) -> Member:
    """A member signs the report's digest with their certificate (bound to their own account). A member who
    disagrees signs too and records the dissent (不同意见). Refusals: ``ca.*`` for a bad signature or
    certificate, ``evaluation.signer_mismatch`` (403) for a certificate bound to someone else,
    ``evaluation.already_signed`` (409)."""
    dissent = (dissent or "").strip()
    if len(dissent) > 2000:
        raise err.invalid(
            "text_too_long", "不同意见不得超过 2000 字", "a dissent has at most 2000 characters", "dissent"
        )
    raw = ca_queries.decode_signature(signature) if isinstance(signature, str) else bytes(signature)
    ev = _peek(section_ref)
    member = member_of(actor, _members(ev))
    with action(_as_member(actor, member) if member else actor, "evaluation.sign_report") as act:
        ev = _lock(section_ref)
        member = _require_member(actor, ev)
        _require_status(ev, Status.SIGNING)
        if member.signed_at is not None:
            raise err.conflict("already_signed", "您已签署评标报告", "you have signed the report already")
        check = ca_queries.verify_document(raw, certificate, data=report_bytes(ev))
        check.raise_for_failure()
        if check.account_id is None or check.account_id != member.account_id:
            raise PermissionDenied(
                "evaluation.signer_mismatch",
                "签名证书未绑定到您的账号",
                "the signing certificate is not bound to your account",
                {"account_id": check.account_id},
            )
        record = ca_actions.do_record_signature(
            actor=act.actor,
            check=check,
            signature=raw,
            purpose=SIGNATURE_PURPOSE,
            obj=("evaluation.evaluation", str(ev.pk)),
        )
        member.signed_at, member.signature_record_id, member.signature_serial, member.dissent = (
            act.now,
            record.pk,
            check.serial,
            dissent,
        )
        member.save(update_fields=["signed_at", "signature_record_id", "signature_serial", "dissent"])
        act.witness(
            member,
            {
                "member": member.label,
                "report_sha256": ev.report_sha256,
                "signature_record": record.pk,
                "dissent": bool(dissent),
                "dissent_sha256": sha256_hex(dissent.encode()) if dissent else None,
            },
        )
        _restricted(act, "evaluation.report_signed.v1", ev, {"section_ref": ev.section_ref, "member": member.label})
        return member


def _performance(ev: Evaluation, members: Sequence[Member], at: datetime) -> None:
    """Tell the experts service how each expert did: minutes spent, deviation of their scores from the panel."""
    deviation = (ev.report or {}).get("MEMBER_DEVIATION", {})
    versions = (
        {s.id: s.performance_version for s in experts_q.get_draw_for(SYSTEM, ev.draw_id).seats} if ev.draw_id else {}
    )
    minutes = int((at - ev.convened_at).total_seconds() // 60) if ev.convened_at else None
    for m in members:
        if m.kind != MemberKind.EXPERT or m.seat_id is None or versions.get(m.seat_id) is None:
            continue
        data: dict[str, Any] = {"evaluation_minutes": minutes}
        if m.label in deviation:
            data["score_deviation"] = deviation[m.label]
        experts.do_record_performance(actor=SYSTEM, seat_id=m.seat_id, data=data, expected_version=None)


def do_finalise_report(*, actor: Actor, section_ref: str) -> Evaluation:
    """The report is final once every member signed: it is stored (JSON and PDF, with the signatures and any
    dissent) in the document store, the candidates become the result, and each expert's performance is
    recorded. The chair or staff. Refusal: ``evaluation.signatures_pending`` (409, who has not signed)."""
    ev = _peek(section_ref)
    if ev.status != Status.SIGNING:
        raise err.wrong_stage(ev.status, Status.SIGNING.value)
    members = _members(ev)
    pending = [m.label for m in members if m.signed_at is None]
    if pending:
        raise err.conflict(
            "signatures_pending", "尚有成员未签署评标报告", "some members have not signed", pending=pending
        )
    final = reporting.final_document(ev, members)
    final_json = canonical_json(final)
    pdf = reporting.render_pdf(ev, final)
    with action(actor, "evaluation.finalise_report") as act:
        ev = _lock(section_ref)
        member = member_of(actor, _members(ev))
        chair = member is not None and ev.chair_member_id == member.pk
        if not (chair or is_staff_over(actor, ev.region_code)):
            raise err.forbidden("确认评标报告", "finalise the report")
        if chair:
            act.actor = _as_member(actor, member)
        _require_status(ev, Status.SIGNING)
        members = _members(ev)
        if (
            any(m.signed_at is None for m in members)
            or canonical_json(reporting.final_document(ev, members)) != final_json
        ):
            raise err.conflict(
                "report_changed", "评标报告或签署情况已变化，请重试", "the report or its signatures changed; retry"
            )
        owner = storage.Owner(OWNER_CONTEXT, f"evaluation:{ev.pk}")
        json_version = storage.do_store_document(
            actor=SYSTEM,
            owner=owner,
            title=f"评标报告（数据）{ev.title}"[:200],
            kind="attachment",
            stream=io.BytesIO(final_json),
            filename=f"evaluation-report-{ev.pk}.txt",
        )
        pdf_version = storage.do_store_document(
            actor=SYSTEM,
            owner=owner,
            title=f"评标报告 {ev.title}"[:200],
            kind="attachment",
            stream=io.BytesIO(pdf),
            filename=f"evaluation-report-{ev.pk}.pdf",
        )
        ev.report_json_document = json_version.document.pk
        ev.report_pdf_document = pdf_version.document.pk
        ev.status = Status.FINAL
        ev.finalised_at = act.now
        _touch(ev, act.now, "report_json_document", "report_pdf_document", "status", "finalised_at")
        _performance(ev, members, act.now)
        candidates = list(Bid.objects.filter(evaluation=ev, candidate_rank__isnull=False).order_by("candidate_rank"))
        act.witness(
            ev,
            {
                "final": True,
                "outcome": ev.outcome,
                "report_sha256": ev.report_sha256,
                "report_sm3": ev.report_sm3,
                "final_json_sha256": json_version.sha256,
                "pdf_sha256": pdf_version.sha256,
                "candidates": [{"rank": b.candidate_rank, "entity_id": b.entity_id} for b in candidates],
                "dissents": [m.label for m in members if m.dissent],
            },
        )
        _restricted(
            act,
            "evaluation.report_finalised.v1",
            ev,
            {"section_ref": ev.section_ref, "outcome": ev.outcome, "candidates": len(candidates)},
        )
        return ev


# -- after the evaluation --------------------------------------------------------------------------


def do_mark_awarded(*, actor: Actor, section_ref: str, at: datetime | None = None) -> Evaluation:
    """The award is made (中标结果确定): from now on the committee's names are shown to everyone who sees the
    evaluation (staff or the platform, on the tender context's behalf). ``at``: when the award was made (for
    the record; default now)."""
    with action(actor, "evaluation.mark_awarded") as act:
        ev = _lock(section_ref)
        _require_staff(actor, ev, "公开评标委员会名单", "make the committee's names public")
        _require_status(ev, Status.FINAL)
        if ev.names_public_at is None:
            ev.names_public_at = act.now
            _touch(ev, act.now, "names_public_at")
        act.witness(ev, {"names_public": iso_utc(ev.names_public_at), "awarded_at": iso_utc(at) if at else None})
        _restricted(act, "evaluation.names_released.v1", ev, {"section_ref": ev.section_ref})
        return ev


def do_cancel_evaluation(*, actor: Actor, section_ref: str, reason: str) -> Evaluation:
    """The procedure was stopped: the evaluation ends; a draw not yet convened is cancelled (the experts are
    told), and the room booking this evaluation made is released before the meeting."""
    reason = _reason(reason)
    with action(actor, "evaluation.cancel_evaluation") as act:
        ev = _lock(section_ref)
        _require_staff(actor, ev, "取消评标", "cancel the evaluation")
        if ev.status in (Status.FINAL, Status.CANCELLED):
            raise err.wrong_stage(
                ev.status, tuple(s.value for s in Status if s not in (Status.FINAL, Status.CANCELLED))
            )
        if ev.status == Status.FORMING and ev.draw_id:
            experts.do_cancel_draw(actor=actor, draw_id=ev.draw_id, reason=reason)
        if ev.booking_id and ev.committee_request.get("room_id") and act.now < ev.meeting_start:
            venues.do_cancel_booking(actor=actor, booking_id=ev.booking_id, reason=reason)
        ev.status, ev.cancelled_at, ev.cancel_reason = Status.CANCELLED, act.now, reason
        _touch(ev, act.now, "status", "cancelled_at", "cancel_reason")
        act.witness(ev, {"cancelled": True, "reason": reason})
        _restricted(act, "evaluation.cancelled.v1", ev, {"section_ref": ev.section_ref})
        return ev
