"""The credit context's state changes. Each is an action: rows, witness entry and feed event commit together or
not at all, and every refusal happens before anything is written.

- :func:`do_record_credit` — 录入信用记录 (regulators and trading-centre staff over the record's region);
- :func:`do_end_record` — 撤销记录 / 移出名单 (the same officers);
- :func:`do_request_repair` — 信用修复申请 (a user of the entity, once the shortest publication period has run);
- :func:`do_decide_repair` — 修复决定 (regulators over the region; ends the publication when approved);
- :func:`do_check_external` — 外部信用核查: ask the external credit platforms and keep their answers.

Feed events are restricted (only regulators, auditors and sub-platform clients read their data) and carry ids
only: a violation on file is not public.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import digest_json
from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ServiceUnavailable,
)
from yiwang.kernel.ids import validate_region_code_format
from yiwang.kernel.periods import deadline_end, local_date
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry
from yiwang.supervision.credit import inputs, policy
from yiwang.supervision.credit.domain import records as rules
from yiwang.supervision.credit.domain.records import Kind, Status
from yiwang.supervision.credit.lock_objects import record_for_update, repair_for_update
from yiwang.supervision.credit.models import CreditCheck, CreditRecord, RepairRequest

OFFICERS = (Role.REGULATOR, Role.STAFF)  # may enter and end records
DECIDERS = (Role.REGULATOR,)  # may decide repair requests
RESTRICTED = Visibility.RESTRICTED


# -- who may ----------------------------------------------------------------------------------------------------


def _signed_in(actor: Actor) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("credit.sign_in_required", "请先登录", "Sign in first")


def _forbidden(what_zh: str, what_en: str, **details: Any) -> PermissionDenied:
    return PermissionDenied("credit.forbidden", f"无权{what_zh}", f"You may not {what_en}", dict(details))


def is_officer(actor: Actor, region_code: str | None = None) -> bool:
    """Regulators and trading-centre staff (over ``region_code`` when given) — who enters records."""
    if actor.is_system:
        return True
    if region_code is None:
        return actor.has_role(*OFFICERS)
    return actor.covers_region(region_code, *OFFICERS)


def _require_officer(actor: Actor, region_code: str) -> None:
    _signed_in(actor)
    if not is_officer(actor):
        raise _forbidden("录入或变更信用记录", "enter or change credit records")
    if not is_officer(actor, region_code):
        raise PermissionDenied(
            "credit.region_not_covered",
            f"您的管辖范围不包括行政区划 {region_code}",
            f"region {region_code} is outside your scope",
            {"region_code": region_code},
        )


def _record_json(r: CreditRecord) -> dict[str, Any]:
    return {
        "entity_id": r.entity_id,
        "subject_code": r.subject_code,
        "subject_name": r.subject_name,
        "kind": r.kind,
        "severity": r.severity,
        "level": r.level,
        "title": r.title,
        "decision_number": r.decision_number,
        "authority": r.authority,
        "basis": r.basis,
        "source": r.source,
        "source_ref": r.source_ref,
        "decided_on": r.decided_on.isoformat(),
        "starts_on": r.starts_on.isoformat(),
        "ends_on": r.ends_on.isoformat() if r.ends_on else None,
        "confined_actions": list(r.confined_actions),
        "region_code": r.region_code,
        "public_until": r.public_until.isoformat() if r.public_until else None,
        "repairable_from": r.repairable_from.isoformat() if r.repairable_from else None,
        "publication_rules": r.publication_rules,
        "status": r.status,
    }


def facts_of(r: CreditRecord) -> rules.RecordFacts:
    return rules.RecordFacts(
        kind=r.kind,
        severity=r.severity,
        decided_on=r.decided_on,
        starts_on=r.starts_on,
        ends_on=r.ends_on,
        confined=tuple(r.confined_actions),
        status=r.status,
        public_until=r.public_until,
        repairable_from=r.repairable_from,
        level=r.level,
    )


def today() -> date:
    return local_date(now())


# -- records ------------------------------------------------------------------------------------------------------


def _confined(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise InvalidInput(
        "credit.confined_invalid",
        "限制事项应为列表",
        "confined_actions must be a list of codes",
        {"field": "confined_actions"},
    )


def _region(value: Any) -> str:
    try:
        return validate_region_code_format(str(value or ""))
    except InvalidInput as exc:
        raise exc.at("region_code") from None


def do_record_credit(*, actor: Actor, data: Mapping[str, Any]) -> CreditRecord:
    """录入信用记录. ``data``: entity_id, kind, severity (negative kinds), level (performance), title, facts,
    decision_number, authority, basis, source, source_ref, decided_on, starts_on (default decided_on), ends_on,
    confined_actions, region_code. A published penalty gets its publication window from the rules catalogue
    (``catalog.rule_not_listed`` when the catalogue lacks it)."""
    _signed_in(actor)
    if not is_officer(actor):
        raise _forbidden("录入信用记录", "enter credit records")
    f = inputs.FieldErrors()
    region_code = f.run("region_code", _region, data.get("region_code"))
    entity_id = f.run("entity_id", inputs.an_int, data.get("entity_id"), "entity_id")
    kind = str(data.get("kind") or "").strip()
    severity = str(data.get("severity") or "").strip()
    level = str(data.get("level") or "").strip()
    title = f.run("title", inputs.text, data, "title", max_length=200)
    facts = f.run("facts", inputs.text, data, "facts", max_length=5000)
    decision_number = f.run("decision_number", inputs.text, data, "decision_number", max_length=100, required=False)
    authority = f.run("authority", inputs.text, data, "authority", max_length=200)
    basis = f.run("basis", inputs.text, data, "basis", max_length=300)
    source = f.run(
        "source",
        inputs.choice,
        data.get("source") or rules.Source.REGULATOR,
        "source",
        list(rules.Source),
        code="credit.source_invalid",
        zh="记录来源无效",
    )
    source_ref = f.run("source_ref", inputs.text, data, "source_ref", max_length=200, required=False)
    decided_on = f.run("decided_on", inputs.a_date, data.get("decided_on"), "decided_on")
    starts_on = f.run("starts_on", inputs.a_date, data.get("starts_on"), "starts_on", required=False) or decided_on
    ends_on = f.run("ends_on", inputs.a_date, data.get("ends_on"), "ends_on", required=False)
    confined = f.run("confined_actions", _confined, data.get("confined_actions")) or []
    f.raise_if_any()
    if region_code is not None and not is_officer(actor, region_code):
        _require_officer(actor, region_code)
    assert decided_on is not None
    assert starts_on is not None
    assert entity_id is not None
    assert region_code is not None
    for error in rules.check_new_record(
        kind=kind,
        severity=severity,
        level=level,
        decided_on=decided_on,
        starts_on=starts_on,
        ends_on=ends_on,
        confined=confined,
        today=today(),
    ):
        f.add(error)
    f.raise_if_any()
    entity = registry.get_entity_ref(entity_id)
    if entity is None:
        raise NotFound(
            "credit.entity_not_found", "主体库中没有该市场主体", "No such market entity", {"entity_id": entity_id}
        )
    shortest = longest = None
    used: dict[str, Any] = {}
    if kind == Kind.PENALTY and severity in rules.PERIOD_RULES:
        low_id, high_id = rules.PERIOD_RULES[severity]
        low, high = policy.legal_rule(low_id, decided_on), policy.legal_rule(high_id, decided_on)
        shortest, longest = policy.period(low), policy.period(high)
        used = {
            "shortest": {**low.as_json(), "text": low.describe()},
            "longest": {**high.as_json(), "text": high.describe()},
        }
    window = rules.publication_window(kind, severity, decided_on, shortest, longest)
    with action(actor, "credit.record_credit") as act:
        record = CreditRecord.objects.create(
            entity_id=entity.id,
            subject_code=entity.uscc or "",
            subject_name=entity.name,
            kind=kind,
            severity=severity,
            level=level,
            title=title,
            facts=facts,
            decision_number=decision_number or "",
            authority=authority,
            basis=basis,
            source=source,
            source_ref=source_ref or "",
            decided_on=decided_on,
            starts_on=starts_on,
            ends_on=ends_on,
            confined_actions=list(confined),
            region_code=region_code,
            public_until=window.public_until,
            repairable_from=window.repairable_from,
            publication_rules=used,
            recorded_at=act.now,
            recorded_by=actor.ref,
        )
        act.witness(record, {**_record_json(record), "facts": record.facts})
        act.emit(
            "credit.record_entered.v1",
            record,
            {"record_id": record.pk, "entity_id": record.entity_id, "kind": kind},
            visibility=RESTRICTED,
        )
        return record


def do_end_record(
    *, actor: Actor, record_id: int, how: str, reason: str, expected_version: int | None = None
) -> CreditRecord:
    """撤销 (``how="revoked"``: the decision was quashed or entered in error) or 移出名单 (``how="removed"``, lists
    only). Ends publication and any restriction at once; the record stays on file with the reason."""
    _signed_in(actor)
    if how not in (Status.REVOKED, Status.REMOVED):
        raise InvalidInput(
            "credit.end_invalid", "处理方式应为撤销或移出名单", "how must be revoked or removed", {"field": "how"}
        )
    text = inputs.text({"reason": reason}, "reason", max_length=500)
    with action(actor, "credit.end_record") as act:
        record = record_for_update(record_id)
        if record is None:
            raise NotFound("credit.record_not_found", "没有该信用记录", "No such credit record", {"id": record_id})
        _require_officer(actor, record.region_code)
        check_version(record.version, expected_version)
        if record.status != Status.ACTIVE:
            raise Conflict(
                "credit.record_not_active",
                "该记录已撤销、移出或已修复",
                "the record is no longer active",
                {"status": record.status},
            )
        if how == Status.REMOVED and not record.is_list:
            raise Conflict(
                "credit.not_a_listing",
                "只有名单类记录可以移出名单",
                "only listings can be removed",
                {"kind": record.kind},
            )
        record.status = how
        record.status_reason = text
        record.status_changed_at = act.now
        record.status_changed_by = actor.ref
        record.version += 1
        record.save()
        act.witness(record, {"status": how, "reason": text, "version": record.version})
        act.emit(
            "credit.record_ended.v1",
            record,
            {"record_id": record.pk, "entity_id": record.entity_id, "status": how},
            visibility=RESTRICTED,
        )
        return record


# -- repair -------------------------------------------------------------------------------------------------------


def do_request_repair(*, actor: Actor, record_id: int, reason: str, commitment: str) -> RepairRequest:
    """信用修复申请 by a user of the entity the record is about. Refused before the shortest publication period
    has run (``credit.repair_too_early``, with the rule and its source), for records that are not published or
    not repairable, and while another request is pending. The review is due within the catalogue's limit."""
    _signed_in(actor)
    f = inputs.FieldErrors()
    reason_text = f.run("reason", inputs.text, {"reason": reason}, "reason", max_length=5000)
    commitment_text = f.run("commitment", inputs.text, {"commitment": commitment}, "commitment", max_length=5000)
    record = CreditRecord.objects.filter(pk=record_id).first()
    if record is None or not (actor.is_system or actor.acts_for(record.entity_id)):
        # other people do not learn whether the record exists
        raise NotFound("credit.record_not_found", "没有该信用记录", "No such credit record", {"id": record_id})
    f.raise_if_any()
    day = today()
    low_rule = record.publication_rules.get("shortest", {})
    refusal = rules.repair_refusal(
        facts_of(record), day, rule_id=low_rule.get("rule_id", ""), source=low_rule.get("source", "")
    )
    if refusal is not None:
        raise refusal
    review = policy.legal_rule(rules.REPAIR_REVIEW_RULE, day)
    if review.unit not in ("day", "workday") or int(review.value) != review.value:
        raise RuleViolation(
            "credit.rule_unit_invalid",
            "规则目录中该时限的单位不适用（应为日或工作日）",
            "the catalogue gives this time limit in a unit that is not days or working days",
            review.as_json(),
        )
    with action(actor, "credit.request_repair") as act:
        locked = record_for_update(record_id)
        assert locked is not None
        if locked.status != Status.ACTIVE:
            raise Conflict("credit.record_not_active", "该记录已不再有效", "the record is no longer active", {})
        if RepairRequest.objects.filter(record=locked, status=RepairRequest.PENDING).exists():
            raise Conflict(
                "credit.repair_pending", "该记录已有待审核的修复申请", "a repair request is already pending", {}
            )
        due = deadline_end(act.now, int(review.value), review.unit, catalog.workday_calendar())
        repair = RepairRequest.objects.create(
            record=locked,
            entity_id=locked.entity_id,
            region_code=locked.region_code,
            reason=reason_text,
            commitment=commitment_text,
            filed_at=act.now,
            filed_by=actor.ref,
            due_at=due,
            due_rule=review.as_json(),
        )
        act.witness(
            repair,
            {
                "record_id": locked.pk,
                "entity_id": locked.entity_id,
                "reason": reason_text,
                "commitment": commitment_text,
                "due_at": due.isoformat(),
                "rule_id": review.rule_id,
            },
        )
        act.emit(
            "credit.repair_requested.v1",
            repair,
            {"repair_id": repair.pk, "record_id": locked.pk, "entity_id": locked.entity_id},
            visibility=RESTRICTED,
        )
        return repair


def do_decide_repair(
    *, actor: Actor, repair_id: int, approve: bool, reason: str, expected_version: int | None = None
) -> RepairRequest:
    """同意 (the record stops being published: status ``repaired``; a restriction still runs to its end) or
    不予修复 (reason required). A decision after the time limit is allowed and marked ``decided_late``."""
    _signed_in(actor)
    if not isinstance(approve, bool):
        raise InvalidInput("credit.field_invalid", "应为是或否", "approve must be a boolean", {"field": "approve"})
    text = inputs.text({"reason": reason}, "reason", max_length=5000, required=not approve)
    with action(actor, "credit.decide_repair") as act:
        repair = repair_for_update(repair_id)
        if repair is None:
            raise NotFound("credit.repair_not_found", "没有该修复申请", "No such repair request", {"id": repair_id})
        if not (actor.is_system or actor.covers_region(repair.region_code, *DECIDERS)):
            if actor.has_role(*DECIDERS):
                raise PermissionDenied(
                    "credit.region_not_covered",
                    f"您的管辖范围不包括行政区划 {repair.region_code}",
                    f"region {repair.region_code} is outside your scope",
                    {"region_code": repair.region_code},
                )
            raise _forbidden("决定信用修复", "decide credit repair")
        check_version(repair.version, expected_version)
        if repair.status != RepairRequest.PENDING:
            raise Conflict(
                "credit.repair_decided",
                "该申请已作出决定",
                "the request was already decided",
                {"status": repair.status},
            )
        record = record_for_update(repair.record_id)
        assert record is not None
        if approve and record.status != Status.ACTIVE:
            raise Conflict("credit.record_not_active", "该记录已不再有效", "the record is no longer active", {})
        repair.status = RepairRequest.APPROVED if approve else RepairRequest.REJECTED
        repair.decided_at = act.now
        repair.decided_by = actor.ref
        repair.decision_reason = text
        repair.decided_late = act.now >= repair.due_at
        repair.version += 1
        repair.save()
        act.witness(
            repair,
            {"status": repair.status, "reason": text, "late": repair.decided_late, "version": repair.version},
        )
        if approve:
            record.status = Status.REPAIRED
            record.status_reason = f"信用修复申请 {repair.pk} 已同意"
            record.status_changed_at = act.now
            record.status_changed_by = actor.ref
            record.version += 1
            record.save()
            act.witness(record, {"status": Status.REPAIRED, "repair_id": repair.pk, "version": record.version})
        act.emit(
            "credit.repair_decided.v1",
            repair,
            {"repair_id": repair.pk, "record_id": record.pk, "approved": approve},
            visibility=RESTRICTED,
        )
        return repair


# -- external credit platforms ------------------------------------------------------------------------------------


def do_check_external(*, actor: Actor, entity_id: int, checkpoint: str = "manual", owner_ref: str = "") -> CreditCheck:
    """外部信用核查: ask every configured external credit platform about the entity's USCC and keep what each
    answered (hits, its reference, or ``unavailable`` — never "clean" when it did not answer) with a digest.
    Officers of any region and the platform itself may check. The platforms are asked before the transaction."""
    _signed_in(actor)
    if not is_officer(actor):
        raise _forbidden("核查外部信用信息", "check external credit platforms")
    checkpoint = inputs.text({"checkpoint": checkpoint}, "checkpoint", max_length=60)
    owner_ref = inputs.text({"owner_ref": owner_ref}, "owner_ref", max_length=120, required=False)
    entity = registry.get_entity_ref(entity_id)
    if entity is None:
        raise NotFound("credit.entity_not_found", "主体库中没有该市场主体", "No such market entity", {"id": entity_id})
    if not entity.uscc:
        raise Conflict("credit.no_uscc", "该主体没有统一社会信用代码，无法核查", "the entity has no USCC to check", {})
    from yiwang.supervision.credit import external

    answers: list[dict[str, Any]] = []
    for platform in external.platforms():
        try:
            answer = platform.lookup(code=entity.uscc, name=entity.name)
        except ServiceUnavailable as exc:
            answers.append(
                {"platform": platform.code, "name": platform.name, "status": "unavailable", "error": exc.code}
            )
            continue
        answers.append(
            {
                "platform": answer.platform,
                "name": answer.platform_name,
                "status": "hits" if answer.hits else "none",
                "reference": answer.reference,
                "hits": [h.as_json() for h in answer.hits],
            }
        )
    with action(actor, "credit.check_external") as act:
        check = CreditCheck.objects.create(
            entity_id=entity.id,
            subject_code=entity.uscc,
            subject_name=entity.name,
            checkpoint=checkpoint,
            owner_ref=owner_ref,
            checked_at=act.now,
            checked_by=actor.ref,
            answers=answers,
            hit_count=sum(len(a.get("hits", [])) for a in answers),
            unavailable=sum(1 for a in answers if a["status"] == "unavailable"),
            digest=digest_json(answers),
        )
        act.witness(
            check,
            {"entity_id": entity.id, "checkpoint": checkpoint, "owner_ref": owner_ref, "digest": check.digest},
        )
        act.emit(
            "credit.external_checked.v1",
            check,
            {"check_id": check.pk, "entity_id": entity.id, "hits": check.hit_count, "unavailable": check.unavailable},
            visibility=RESTRICTED,
        )
        return check
