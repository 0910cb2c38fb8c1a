"""The complaints context's state changes (one window for 投诉 to the regulator). Each is an action: rows,
witness entry and feed event commit together or not at all; refusals happen before anything is written.

- :func:`do_file_complaint` — a user of the complaining entity, within the filing period of the track;
- :func:`do_act_on_complaint` — the regulator over the region: accept / reject / investigate / suspend /
  resume / pause_clock / resume_clock / decide (a decision resumes a suspended procedure and restarts a stopped
  decision clock);
- :func:`do_withdraw_complaint` — the complainant, while the complaint is open.

Time limits are the rules catalogue's (``catalog.rule_not_listed`` if one is missing); the rule ids and values
used are kept on the complaint. Acts after a limit are accepted and marked late.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RuleViolation, YiwangError
from yiwang.kernel.ids import validate_region_code_format
from yiwang.kernel.periods import local_date
from yiwang.kernel.versioning import check_version
from yiwang.kernel.workdays import WorkdayCalendar
from yiwang.platform.actions import action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry
from yiwang.supervision.complaints.domain import rules as r
from yiwang.supervision.complaints.domain.rules import Limit, Verb
from yiwang.supervision.complaints.lock_objects import complaint_for_update
from yiwang.supervision.complaints.models import Complaint
from yiwang.supervision.complaints.ports import procedure_port

RESTRICTED = Visibility.RESTRICTED
ACTION_CODES = {
    Verb.ACCEPT: "complaints.accept_complaint",
    Verb.REJECT: "complaints.reject_complaint",
    Verb.INVESTIGATE: "complaints.start_investigation",
    Verb.SUSPEND: "complaints.suspend_procedure",
    Verb.RESUME: "complaints.resume_procedure",
    Verb.DECIDE: "complaints.decide_complaint",
    Verb.PAUSE_CLOCK: "complaints.pause_decision_clock",
    Verb.RESUME_CLOCK: "complaints.resume_decision_clock",
}


def _order_ref(complaint: Complaint) -> str:
    """How the procedure knows which complaint ordered its suspension."""
    return f"supervision.complaints:{complaint.pk}"


def _text(data: Mapping[str, Any], field: str, *, max_length: int, required: bool = True) -> str:
    value = str(data.get(field) or "").strip()
    if not value and required:
        raise InvalidInput("complaints.field_required", "此项必填", f"{field} is required", {"field": field})
    if len(value) > max_length:
        raise InvalidInput(
            "complaints.field_too_long",
            f"最多 {max_length} 个字符",
            f"{field} is longer than {max_length} characters",
            {"field": field, "max_length": max_length},
        )
    return value


def _date(data: Mapping[str, Any], field: str, *, required: bool = True) -> date | None:
    value = data.get(field)
    if value in (None, ""):
        if required:
            raise InvalidInput("complaints.field_required", "此项必填", f"{field} is required", {"field": field})
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            "complaints.date_invalid", "日期格式应为 YYYY-MM-DD", f"{field} is not a date", {"field": field}
        ) from None


def _choice(data: Mapping[str, Any], field: str, options: list[str]) -> str:
    value = str(data.get(field) or "").strip()
    if value not in options:
        raise InvalidInput(
            f"complaints.{field}_invalid", "选项无效", f"{field} must be one of {options}", {"field": field}
        )
    return value


def limit(rule_id: str, on: Any = None) -> Limit:
    """A time limit from the rules catalogue (``catalog.rule_not_listed`` when it is not listed)."""
    value = catalog.rule(rule_id, on=on)
    if value.unit not in ("day", "workday") or int(value.value) != value.value:
        raise RuleViolation(
            "complaints.rule_unit_invalid",
            "规则目录中该时限的单位不适用",
            "the catalogue gives this limit in a unit that is not days",
            value.as_json(),
        )
    return Limit(value.rule_id, int(value.value), value.unit, value.source)


def _limit_json(lim: Limit) -> dict[str, Any]:
    return {"rule_id": lim.rule_id, "value": lim.value, "unit": lim.unit, "source": lim.source}


def _signed_in(actor: Actor) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("complaints.sign_in_required", "请先登录", "Sign in first")


def is_handler(actor: Actor, region_code: str | None = None) -> bool:
    """Regulators (over ``region_code`` when given) handle complaints."""
    if actor.is_system:
        return True
    if region_code is None:
        return actor.has_role(Role.REGULATOR)
    return actor.covers_region(region_code, Role.REGULATOR)


# -- filing -----------------------------------------------------------------------------------------------------------


def do_file_complaint(*, actor: Actor, data: Mapping[str, Any]) -> Complaint:
    """投诉. ``data``: track (works|gp), matter, complainant_entity_id, respondent, procedure_ref,
    procedure_title, region_code (the regulator's), facts, claims, anchor_on (works: the day the complainant knew
    of the violation; gp: the day the challenge answer was due or given), and for works complaints about the
    documents, the opening or the results: objection_ref, objection_raised_on, objection_answered_on.

    Refused after the filing period with ``422 complaints.filed_late`` naming the rule."""
    _signed_in(actor)
    errors: list[YiwangError] = []

    def run(field: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except YiwangError as exc:
            errors.append(exc.at(field))
            return None

    track = run("track", _choice, data, "track", [t.value for t in r.Track])
    matter = run("matter", _choice, data, "matter", [m.value for m in r.Matter])
    respondent = run("respondent", _text, data, "respondent", max_length=200)
    procedure_ref = run("procedure_ref", _text, data, "procedure_ref", max_length=120)
    procedure_title = run("procedure_title", _text, data, "procedure_title", max_length=300)
    facts = run("facts", _text, data, "facts", max_length=10000)
    claims = run("claims", _text, data, "claims", max_length=5000)
    anchor_on = run("anchor_on", _date, data, "anchor_on")
    objection_ref = run("objection_ref", _text, data, "objection_ref", max_length=120, required=False)
    raised = run("objection_raised_on", _date, data, "objection_raised_on", required=False)
    answered = run("objection_answered_on", _date, data, "objection_answered_on", required=False)
    region_code = run("region_code", validate_region_code_format, str(data.get("region_code") or ""))
    try:
        entity_id = int(data.get("complainant_entity_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        entity_id = None
        errors.append(
            InvalidInput(
                "complaints.field_invalid", "应为整数", "must be an integer", {"field": "complainant_entity_id"}
            )
        )
    if errors:
        first = errors[0]
        if len(errors) > 1:
            first.details["errors"] = [
                {"field": e.details.get("field"), "code": e.code, "message_zh": e.message_zh} for e in errors
            ]
        raise first
    assert entity_id is not None
    assert anchor_on is not None
    assert track is not None
    assert region_code is not None
    if not (actor.is_system or actor.acts_for(entity_id)):
        raise PermissionDenied(
            "complaints.forbidden", "您不能代表该单位投诉", "You may not complain for this entity", {}
        )
    entity = registry.get_entity_ref(entity_id)
    if entity is None:
        raise NotFound("complaints.entity_not_found", "主体库中没有该市场主体", "No such market entity", {})
    moment = now()
    if anchor_on > local_date(moment):
        raise InvalidInput(
            "complaints.date_in_future", "日期不能晚于今天", "the date is in the future", {"field": "anchor_on"}
        )
    track_rules = r.RULES[track]
    filing = limit(track_rules.filing, moment)
    calendar = catalog.workday_calendar()
    deadline = r.filing_deadline(
        track=track,
        matter=matter,
        anchor_on=anchor_on,
        objection_raised_on=raised,
        objection_answered_on=answered,
        limit=filing,
        calendar=calendar,
    )
    r.check_filed_in_time(moment, deadline, filing)
    acceptance = limit(track_rules.acceptance, moment)
    decision = limit(track_rules.decision, moment)
    with action(actor, "complaints.file_complaint") as act:
        decision_due = None if track_rules.decision_from_acceptance else r.due(act.now, decision, calendar)
        complaint = Complaint.objects.create(
            track=track,
            matter=matter,
            complainant_entity_id=entity.id,
            complainant_name=entity.name,
            respondent=respondent,
            procedure_ref=procedure_ref,
            procedure_title=procedure_title,
            region_code=region_code,
            facts=facts,
            claims=claims,
            anchor_on=anchor_on,
            objection_ref=objection_ref or "",
            objection_raised_on=raised,
            objection_answered_on=answered,
            filed_at=act.now,
            filed_by=actor.ref,
            filing_deadline=deadline,
            acceptance_due=r.due(act.now, acceptance, calendar),
            decision_due=decision_due,
            rules={
                "filing": _limit_json(filing),
                "acceptance": _limit_json(acceptance),
                "decision": _limit_json(decision),
            },
        )
        act.witness(
            complaint,
            {
                "track": track,
                "matter": matter,
                "complainant_entity_id": entity.id,
                "procedure_ref": procedure_ref,
                "region_code": region_code,
                "filing_deadline": deadline.isoformat(),
                "acceptance_due": complaint.acceptance_due.isoformat(),
                "rules": complaint.rules,
            },
        )
        act.emit(
            "complaints.complaint_filed.v1",
            complaint,
            {"complaint_id": complaint.pk, "procedure_ref": procedure_ref, "region_code": region_code},
            visibility=RESTRICTED,
        )
        return complaint


# -- handling ---------------------------------------------------------------------------------------------------------


def do_act_on_complaint(
    *,
    actor: Actor,
    complaint_id: int,
    verb: str,
    reason: str = "",
    outcome: str = "",
    pause_kind: str = "",
    expected_version: int | None = None,
) -> Complaint:
    """The regulator's step. ``reject`` needs a reason; ``decide`` needs an ``outcome`` (upheld | partly |
    dismissed) and the decision text (``reason``); ``suspend``/``resume`` tell the procedure through the port;
    ``pause_clock`` needs a ``pause_kind`` (testing | appraisal | expert_review; gp also correction) and a
    reason, and ``resume_clock`` (or the decision) pushes the decision deadline back by the time it stood."""
    _signed_in(actor)
    if verb not in {v.value for v in Verb} or verb == Verb.WITHDRAW:
        raise InvalidInput("complaints.verb_invalid", "操作无效", f"unknown step {verb!r}", {"field": "verb"})
    needs_text = verb in (Verb.REJECT, Verb.DECIDE, Verb.SUSPEND, Verb.PAUSE_CLOCK)
    text = _text({"reason": reason}, "reason", max_length=10000, required=needs_text)
    if verb == Verb.DECIDE:
        outcome = _choice({"outcome": outcome}, "outcome", [o.value for o in r.Outcome])
    if verb == Verb.PAUSE_CLOCK:
        pause_kind = _choice({"pause_kind": pause_kind}, "pause_kind", [k.value for k in r.PauseKind])
    with action(actor, ACTION_CODES[verb]) as act:
        c = complaint_for_update(complaint_id)
        if c is None or not (is_handler(actor, c.region_code) or actor.acts_for(c.complainant_entity_id)):
            raise NotFound("complaints.not_found", "没有该投诉", "No such complaint", {"id": complaint_id})
        if not is_handler(actor, c.region_code):
            raise PermissionDenied("complaints.forbidden", "只有监管部门可以处理投诉", "Only regulators handle", {})
        check_version(c.version, expected_version)
        suspended = c.suspended_at is not None
        paused = c.clock_paused_at is not None
        c.status = r.next_status(c.status, verb, suspended=suspended, paused=paused)
        payload: dict[str, Any] = {"verb": verb, "reason": text}
        port = procedure_port()
        calendar = catalog.workday_calendar()
        if verb == Verb.ACCEPT:
            c.accepted_at = act.now
            c.accepted_late = act.now >= c.acceptance_due
            if r.RULES[c.track].decision_from_acceptance:
                decision = Limit(**{k: c.rules["decision"][k] for k in ("rule_id", "value", "unit", "source")})
                c.decision_due = r.due(act.now, decision, calendar)
            payload |= {"late": c.accepted_late, "decision_due": c.decision_due.isoformat() if c.decision_due else None}
        elif verb == Verb.REJECT:
            c.closing_reason = text
        elif verb == Verb.SUSPEND:
            cap_id = r.RULES[c.track].suspension_cap
            c.suspended_at = act.now
            if cap_id:
                cap = limit(cap_id, act.now)
                c.rules = {**c.rules, "suspension": _limit_json(cap)}
                c.suspension_until = r.suspension_end(act.now, cap, calendar)
            port.suspend(actor=actor, procedure_ref=c.procedure_ref, reason=text, at=act.now, order_ref=_order_ref(c))
            payload |= {"until": c.suspension_until.isoformat() if c.suspension_until else None}
        elif verb == Verb.PAUSE_CLOCK:
            basis = r.pause_basis(c.track, pause_kind)
            c.clock_paused_at = act.now
            c.clock_pause_kind = pause_kind
            payload |= {"pause_kind": pause_kind, "basis": basis}
        if verb in (Verb.RESUME_CLOCK, Verb.DECIDE) and paused:
            payload |= _restart_clock(c, act.now, text, calendar)
        if verb in (Verb.RESUME, Verb.DECIDE):
            if suspended:
                assert c.suspended_at is not None
                c.suspensions = [
                    *c.suspensions,
                    {"from": c.suspended_at.isoformat(), "to": act.now.isoformat(), "reason": text[:200]},
                ]
                c.suspended_at = None
                c.suspension_until = None
                port.resume(
                    actor=actor, procedure_ref=c.procedure_ref, reason=text, at=act.now, order_ref=_order_ref(c)
                )
                payload |= {"resumed": True}
            if verb == Verb.DECIDE:
                c.outcome = outcome
                c.decision_text = text
                c.decided_at = act.now
                c.decided_by = actor.ref
                c.decided_late = c.decision_due is not None and act.now >= c.decision_due
                payload |= {"outcome": outcome, "late": c.decided_late}
        c.version += 1
        c.save()
        act.witness(c, {**payload, "status": c.status, "version": c.version})
        event = {
            Verb.ACCEPT: "complaints.complaint_accepted.v1",
            Verb.REJECT: "complaints.complaint_rejected.v1",
            Verb.INVESTIGATE: "complaints.investigation_started.v1",
            Verb.SUSPEND: "complaints.procedure_suspended.v1",
            Verb.RESUME: "complaints.procedure_resumed.v1",
            Verb.DECIDE: "complaints.complaint_decided.v1",
            Verb.PAUSE_CLOCK: "complaints.decision_clock_paused.v1",
            Verb.RESUME_CLOCK: "complaints.decision_clock_resumed.v1",
        }[Verb(verb)]
        data = {"complaint_id": c.pk, "procedure_ref": c.procedure_ref, "status": c.status}
        act.emit(event, c, data, visibility=Visibility.PUBLIC if verb == Verb.DECIDE else RESTRICTED)
        if verb == Verb.DECIDE and payload.get("resumed"):
            act.emit("complaints.procedure_resumed.v1", c, data, visibility=RESTRICTED)
        return c


def _restart_clock(c: Complaint, moment: datetime, text: str, calendar: WorkdayCalendar) -> dict[str, Any]:
    """End the clock's stop at ``moment``: record it and push the decision deadline back by the time it stood."""
    assert c.clock_paused_at is not None
    decision = Limit(**{k: c.rules["decision"][k] for k in ("rule_id", "value", "unit", "source")})
    excluded = r.excluded_units(c.clock_paused_at, moment, decision.unit, calendar)
    c.clock_pauses = [
        *c.clock_pauses,
        {
            "from": c.clock_paused_at.isoformat(),
            "to": moment.isoformat(),
            "kind": c.clock_pause_kind,
            "basis": r.pause_basis(c.track, c.clock_pause_kind),
            "reason": text[:200],
            "excluded": excluded,
            "unit": decision.unit,
        },
    ]
    c.excluded_units += excluded
    start = c.accepted_at if r.RULES[c.track].decision_from_acceptance else c.filed_at
    assert start is not None
    c.decision_due = r.decision_due(start, decision, c.excluded_units, calendar)
    c.clock_paused_at = None
    c.clock_pause_kind = ""
    return {"clock_excluded": excluded, "decision_due": c.decision_due.isoformat()}


def do_withdraw_complaint(*, actor: Actor, complaint_id: int, reason: str = "") -> Complaint:
    """撤回投诉 by a user of the complaining entity while it is open (a suspension ends with it)."""
    _signed_in(actor)
    text = _text({"reason": reason}, "reason", max_length=2000, required=False)
    with action(actor, "complaints.withdraw_complaint") as act:
        c = complaint_for_update(complaint_id)
        if c is None or not (actor.is_system or actor.acts_for(c.complainant_entity_id)):
            raise NotFound("complaints.not_found", "没有该投诉", "No such complaint", {"id": complaint_id})
        c.status = r.next_status(c.status, Verb.WITHDRAW, suspended=c.suspended_at is not None)
        if c.clock_paused_at is not None:
            _restart_clock(c, act.now, "投诉已撤回", catalog.workday_calendar())
        resumed = c.suspended_at is not None
        if resumed:
            assert c.suspended_at is not None
            c.suspensions = [*c.suspensions, {"from": c.suspended_at.isoformat(), "to": act.now.isoformat()}]
            c.suspended_at = None
            c.suspension_until = None
            procedure_port().resume(
                actor=actor, procedure_ref=c.procedure_ref, reason="投诉已撤回", at=act.now, order_ref=_order_ref(c)
            )
        c.closing_reason = text
        c.version += 1
        c.save()
        act.witness(c, {"verb": "withdraw", "reason": text, "resumed": resumed, "version": c.version})
        act.emit(
            "complaints.complaint_withdrawn.v1",
            c,
            {"complaint_id": c.pk, "procedure_ref": c.procedure_ref},
            visibility=RESTRICTED,
        )
        return c
