"""Bidding, the opening, the hand-over to the evaluation, and the clock (re-exported by ``actions``).

- :func:`do_submit_bid` — the tender's door to the bid box: suspension, invitation, credit (the ``CreditGate``
  port), deposit (finance ``has_satisfied_deposit``, cash or e-guarantee) and qualification checks, then the
  bid box's own checks (envelope, certificate, deadline at upload completion) and its signed receipt;
- :func:`do_withdraw_bid` — 撤回 before the deadline, the deposit released (``tender.withdrawal_refund_max``);
- :func:`do_advance_section` — the clock's transition: whatever :mod:`.domain.schedule` says is due, guarded and
  idempotent (deadline → opening; window over → close, opening record, hand-over; evaluation polled; publicity
  over → awardable; late acts flagged for supervision);
- :func:`do_close_opening` — close the opening early once every bidder has decrypted;
- :func:`do_record_evaluation_result` — the evaluation's result recorded on the tender side (when the
  evaluation app is not used).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, YiwangError
from yiwang.kernel.periods import local_date
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.finance import actions as finance
from yiwang.services.finance import queries as finance_queries
from yiwang.services.notices import actions as notices
from yiwang.services.venues import actions as venues
from yiwang.trading.tender import evaluation_gateway as gateways
from yiwang.trading.tender import internal as t
from yiwang.trading.tender import lock_objects, steps
from yiwang.trading.tender.bidformat import read_price
from yiwang.trading.tender.conf import tender_settings
from yiwang.trading.tender.domain import schedule
from yiwang.trading.tender.domain.rules import violation
from yiwang.trading.tender.domain.schedule import FLAG_OF, Due
from yiwang.trading.tender.domain.states import S, require_state
from yiwang.trading.tender.models import Candidate, EvaluationRecord, Flag, Objection, Section, TenderDocument
from yiwang.trading.tender.ports import credit_gate

__all__ = [
    "check_bid_gates",
    "do_advance_section",
    "do_close_opening",
    "do_record_evaluation_result",
    "do_submit_bid",
    "do_withdraw_bid",
    "due_section_ids",
    "raise_flag",
]


# -- the bid gate ----------------------------------------------------------------------------------
def check_bid_gates(actor: Actor, section: Section, entity_id: int, at: datetime) -> None:
    """Everything the tender context checks before the bid box sees an envelope (each refusal has its code):
    the section accepts bids and is not suspended, the entity may take part (invitation/PQ), no credit sanction
    is in force, the deposit is satisfied, the required qualifications are valid."""
    if section.status != S.BIDDING:
        raise Conflict(
            "tender.not_accepting_bids",
            "该标段当前不接受投标",
            "the section does not accept bids now",
            {"status": section.status},
        )
    if section.suspended_at is not None:
        raise steps.suspended_error(section)
    if not steps.may_take_part(section, entity_id):
        raise PermissionDenied(
            "tender.not_invited", "本标段仅限受邀（资格预审合格）的单位投标", "only invited entities may bid", {}
        )
    sanctions = credit_gate().check(entity_id, at)
    if sanctions:
        first = sanctions[0]
        raise PermissionDenied(
            "tender.bidder_sanctioned",
            f"该单位存在信用惩戒，不得参加投标：{first.reason}（{first.authority or '—'}，{first.source or '—'}）",
            f"the entity is barred from bidding by a credit sanction: {first.reason}",
            {"sanctions": [s.as_json() for s in sanctions]},
        )
    if section.deposit_fen > 0 and not finance_queries.has_satisfied_deposit(actor, section.lot_ref, entity_id, at):
        raise Conflict(
            "tender.deposit_not_satisfied",
            "投标保证金尚未足额缴纳（或电子保函未生效），不能递交投标文件",
            "the bid deposit (or an e-guarantee covering it) is not in place",
            {"lot_ref": section.lot_ref, "required_fen": section.deposit_fen},
        )
    missing = _missing_qualifications(section, entity_id, at)
    if missing:
        raise Conflict(
            "tender.qualification_missing",
            "缺少招标文件要求的有效资质：" + "、".join(f"{m['type']}{m.get('level', '')}" for m in missing),
            "a qualification the documents require is missing or not in force",
            {"missing": missing},
        )


def _missing_qualifications(section: Section, entity_id: int, at: datetime) -> list[dict[str, str]]:
    if not section.required_qualifications:
        return []
    held = registry.list_valid_qualifications(entity_id, local_date(at))
    missing = []
    for need in section.required_qualifications:
        if not any(
            q.qualification_type == need["type"] and (not need.get("level") or q.level == need["level"]) for q in held
        ):
            missing.append(need)
    return missing


def do_submit_bid(
    *,
    actor: Actor,
    section_id: int,
    entity_id: int,
    stream: BinaryIO,
    confirmation: Any = None,
    upload_ip: str = "",
    upload_ip_source: str = "",
):  # -> bid box Submission (its receipt in ``.receipt``)
    """递交投标文件 through the tender's gates, then the bid box (sealed envelope, signed receipt).

    The bid box refuses a malformed or tampered envelope at once (``crypto.*``), a wrong box or deadline
    (``bidbox.wrong_box``, ``bidbox.deadline_mismatch``), a certificate that is not valid and bound to the entity
    (``ca.*``), and any upload that completes at or after the deadline (``bidbox.deadline_passed``) — nothing is
    stored then. A second envelope replaces the first (修改). Nothing here names the bidder in the log before
    the opening. ``upload_ip``/``upload_ip_source``: where the upload came from (``bidbox.web.upload_address_of``),
    kept by the bid box for supervision only."""
    section = t.get_section(section_id)
    if not actor.acts_for(entity_id):
        raise t.forbidden("代表该单位投标", "bid for this entity")
    check_bid_gates(actor, section, entity_id, t.clock_now())
    if section.box_id is None:  # pragma: no cover - a bidding section always has its box
        raise Conflict("tender.not_accepting_bids", "投标箱未开设", "no bid box")
    return bidbox.do_submit_envelope(
        actor=actor,
        box_id=section.box_id,
        entity_id=entity_id,
        stream=stream,
        confirmation=confirmation,
        upload_ip=upload_ip,
        upload_ip_source=upload_ip_source,
    )


def do_withdraw_bid(*, actor: Actor, section_id: int, submission_id: Any, confirmation: Any = None):
    """撤回投标文件 before the deadline; the deposit goes back (``tender.withdrawal_refund_max`` /
    ``gp.withdrawal_refund_max`` from the notice of withdrawal)."""
    section = t.get_section(section_id)
    with action(t.SEALED, "tender.withdraw_bid") as act:
        submission = bidbox.do_withdraw_submission(actor=actor, submission_id=submission_id, confirmation=confirmation)
        if submission.box_id != section.box_id:
            raise NotFound("tender.bid_not_found", "未找到该投标", "no such bid in this section")
        entity_id = submission.entity_id
        still = [
            r
            for r in bidbox_queries.list_my_submissions_for(actor, box_id=section.box_id)
            if r.entity_id == entity_id and r.status == "submitted"
        ]
        if section.lot_ref and not still:
            with contextlib.suppress(NotFound):
                finance.do_release_deposits(
                    actor=t.SEALED,
                    lot_ref=section.lot_ref,
                    reason="withdrawal",
                    anchor_at=act.now,
                    entity_ids=[entity_id],
                )
        act.witness(section, {"receipt_id": submission.receipt_id, "withdrawn": True})
        return submission


# -- flags -----------------------------------------------------------------------------------------
def raise_flag(
    section: Section,
    kind: str,
    at: datetime,
    *,
    rule: Any = None,
    due_at: datetime | None = None,
    key: str = "",
    note: str = "",
) -> Flag:
    flag, _ = Flag.objects.get_or_create(
        section=section,
        round=section.round,
        kind=kind,
        key=key,
        defaults={
            "rule_id": rule.rule_id if rule else "",
            "rule_source": rule.source if rule else "",
            "due_at": due_at,
            "raised_at": at,
            "note": note[:500],
        },
    )
    return flag


_FLAG_RULES = {
    "objection_answer_late": None,
    "candidates_late": "candidate_publicity_delay",
    "award_late": "winner_determination",
    "contract_late": "contract_signing",
    "contract_publication_late": "contract_publication",
}


def _flag(act: ActionRecorder, section: Section, event: Due) -> None:
    kind = FLAG_OF[event]
    project = section.project
    proc = t.procedure_of(project)
    rules = t.rulebook(project)
    period = _FLAG_RULES[kind]
    rule_id = proc.period(period) if period else None
    due_at = {
        "candidates_late": section.candidates_due,
        "award_late": section.award_due,
        "contract_late": section.contract_due,
        "contract_publication_late": section.contract_publication_due,
    }.get(kind)
    if kind == "objection_answer_late":
        late = (
            Objection.objects.filter(section=section, round=section.round, status="pending", answer_due__lte=act.now)
            .order_by("answer_due")
            .first()
        )
        rule_id = late.rule_id if late else None
        due_at = late.answer_due if late else None
    rule = rules.get(rule_id) if rule_id and rules.has(rule_id) else None
    flag = raise_flag(section, kind, act.now, rule=rule, due_at=due_at, note=Flag.KINDS[kind])
    t.add_event(section, "flag", f"监管提示：{Flag.KINDS[kind]}", act.now, public=False)
    act.emit(
        "tender.flag_raised.v1",
        flag,
        {"section_id": section.pk, "kind": kind, "rule_id": flag.rule_id, "due_at": t.iso(due_at)},
        visibility=Visibility.RESTRICTED,
    )


# -- the opening -----------------------------------------------------------------------------------
def _start_opening(act: ActionRecorder, actor: Actor, section: Section) -> None:
    box = bidbox.do_start_opening(actor=t.PLATFORM, box_id=section.box_id)
    section.opening_started_at = act.now
    if box.status == "closed":
        project = section.project
        rule = t.rulebook(project).get(t.procedure_of(project).min_bidders_rule)
        steps.fail_section(
            actor,
            section,
            code="insufficient_bids",
            at=act.now,
            rule=rule,
            reason=(f"投标截止时递交投标文件的投标人少于{rule.as_int}个，不予开标，依法重新招标（{rule.source}）"),
        )
        section.opening_closed_at = act.now
        return
    t.move(section, S.OPENING)
    section.decryption_ends_at = box.decryption_ends_at
    t.add_event(section, "opening", f"开标：投标人在线解密，截止 {t.shanghai(box.decryption_ends_at)}", act.now)


def _opening_notice(actor: Actor, section: Section, record: Mapping[str, Any], at: datetime):
    project = section.project
    proc = t.procedure_of(project)
    bidders = []
    for entry in record.get("entries", []):
        price = read_price(entry.get("readout") or {})
        item: dict[str, Any] = {"BIDDER_NAME": entry.get("bidder") or "—", "CHECKIN_TIME": entry.get("received_at")}
        if entry.get("bidder_id") and len(entry["bidder_id"]) == 18:
            item["BIDDER_ORG_CODE"] = entry["bidder_id"]
        if price is not None:
            item["BID_PRICE"] = price
        days = (entry.get("readout") or {}).get("duration_days")
        if days:
            item["TIME_LIMIT"] = f"{days}日历天"[:100]
        bidders.append(item)
    fields = steps.notice_fields(project, [section], proc)
    fields.update(BID_OPENING_TIME=t.iso(section.opening_started_at or at), BIDDERS=bidders)
    if project.opening_address:
        fields["BID_OPENING_ADDRESS"] = project.opening_address
    rows = "".join(
        f"<tr><td>{e.get('number')}</td><td>{e.get('bidder')}</td><td>{e.get('opening_status_label')}</td>"
        f"<td>{t.yuan(read_price(e.get('readout') or {}))}</td></tr>"
        for e in record.get("entries", [])
    )
    body = (
        f"<p>{project.name} {section.name} 开标记录（第{section.round}次）。递交 {record.get('submissions')} 家，"
        f"解密成功 {record.get('valid')} 家。</p>"
        "<table><tr><th>序号</th><th>投标人</th><th>解密</th><th>投标报价</th></tr>"
        f"{rows}</table>"
    )
    return notices.do_publish_notice(
        actor=t.notice_actor(actor, project),
        owner=t.section_ref(section),
        notice_type=proc.notice("opening") or "opening_record",
        category=project.category,
        region_code=project.region_code,
        title=f"{project.name}{section.name}开标记录"[:200],
        body_html=body,
        fields=fields,
        deal_code=section.deal_code,
        publisher_entity_id=t.publisher_of(actor, project),
    )


def _close_opening(act: ActionRecorder, actor: Actor, section: Section) -> None:
    view = bidbox_queries.get_box_of_owner(t.box_owner(section))
    assert view is not None
    if view.status == "opening":
        bidbox.do_close_opening(actor=t.PLATFORM, box_id=view.id)
    record = bidbox_queries.get_opening_record(view.id)
    section.opening_closed_at = act.now
    notice = _opening_notice(actor, section, record, act.now)
    steps.register_obligation(
        actor,
        section.project,
        t.section_ref(section),
        "opening",
        section.bid_deadline or act.now,
        occurrence=f"round:{section.round}",
    )
    t.add_event(
        section,
        "opening_record",
        f"开标结束：递交 {record.get('submissions')} 家，解密成功 {record.get('valid')} 家，开标记录已公布",
        act.now,
        notice_id=notice.pk,
    )
    if record.get("outcome") != "opened":
        rule = t.rulebook(section.project).get(t.procedure_of(section.project).min_bidders_rule)
        steps.fail_section(
            actor,
            section,
            code="insufficient_valid_bids",
            at=act.now,
            rule=rule,
            reason=f"成功解密的投标文件少于{rule.as_int}份，依法重新招标（{rule.source}）",
        )
        return
    _hand_over(act, actor, section)


def do_close_opening(*, actor: Actor, section_id: int) -> Section:
    """结束开标 before the decryption window ends, once nothing is pending (staff, the tenderer or its agency);
    the opening record is published and the valid bids go to the evaluation."""
    section = t.get_section(section_id)
    t.require_manage_or_staff(actor, section.project, "结束开标", "close the opening")
    with action(actor, "tender.close_opening") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.OPENING, doing_zh="结束开标", doing_en="close the opening")
        _close_opening(act, actor, section)
        t.save_section(section)
        t.refresh_project(section.project, act.now)
        act.witness(section, {"closed_early": True, "status": section.status})
        act.emit("tender.opening_closed.v1", section, {"section_id": section.pk, "status": section.status})
        return section


# -- hand-over to the evaluation -------------------------------------------------------------------
def _qualifications(entity_id: int, at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "type": q.qualification_type,
            "type_label": q.qualification_type_label,
            "level": q.level,
            "number": q.certificate_no,
            "valid_to": q.valid_to.isoformat() if q.valid_to else None,
        }
        for q in registry.list_valid_qualifications(entity_id, local_date(at))
    ]


def _committee(project, proc, rules, budget_fen: int) -> dict[str, Any]:
    conf = proc.committee
    out: dict[str, Any] = {"odd": bool(conf.get("odd", True))}
    minimum = rules.get(conf["min_size_rule"])
    out["min_size"], out["min_size_rule"] = minimum.as_int, minimum.details()
    large_budget = conf.get("large_budget_rule")
    if conf.get("large_size_rule") and large_budget and rules.has(large_budget):
        threshold = rules.get(large_budget)
        large = rules.get(conf["large_size_rule"])
        out["large_size"], out["large_size_rule"] = large.as_int, large.details()
        out["large_budget_fen"], out["large_budget_rule"] = int(threshold.value) * 100, threshold.details()
        if budget_fen >= int(threshold.value) * 100:
            out["min_size"], out["min_size_rule"] = large.as_int, large.details()
    if conf.get("expert_share_rule"):
        share = rules.get(conf["expert_share_rule"])
        out["expert_share_min"], out["expert_share_rule"] = str(share.value), share.details()
    if conf.get("extension_share_rule") and rules.has(conf["extension_share_rule"]):
        ext = rules.get(conf["extension_share_rule"])
        out["extension_share"], out["extension_share_rule"] = str(ext.value), ext.details()
    return out


def evaluation_config(section: Section) -> dict[str, Any]:
    project = section.project
    proc = t.procedure_of(project)
    rules = t.rulebook(project)
    candidates = rules.get(proc.candidates_max_rule)
    named = {r: rules.get(r).details() for r in sorted(proc.rule_ids()) if rules.has(r)}
    return {
        "procedure": proc.key,
        "procedure_title": proc.title_zh,
        "family": proc.family,
        "category": project.category,
        "subject": project.subject,
        "method": section.evaluation_method,
        "method_settings": dict(section.evaluation_config),
        "price_formula": "base/bid*weight" if section.evaluation_method == "comprehensive_gp" else "",
        "budget_fen": section.estimate_fen,
        "ceiling_fen": section.ceiling_fen,
        "candidates_max": candidates.as_int,
        "candidates_max_rule": candidates.details(),
        "committee": _committee(project, proc, rules, section.estimate_fen),
        "rules": named,
        "tenderer_entity_id": project.tenderer_entity_id,
        "agency_entity_id": project.agency_entity_id,
        "section_code": section.code,
        "deal_code": section.deal_code,
        "round": section.round,
        "venue_booking": f"venues.booking:{section.evaluation_booking_id}" if section.evaluation_booking_id else None,
        "is_test_data": project.is_test_data,
        "acceleration": project.acceleration,
        "tender_project_code": project.tender_project_code,
        "evaluation_room_id": project.evaluation_room_id,
        "rules_snapshot": dict(project.rules),
    }


def _valid_bids(section: Section, at: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The decrypted bids, re-checked at the deadline (deposit, credit, invitation): the valid ones for the
    evaluation, the others with the reason they were left out (the bid box's own door bypasses the tender's)."""
    deadline = section.bid_deadline or at
    bids = bidbox_queries.list_decrypted_bids(t.box_owner(section))
    names = t.entity_names([b.entity_id for b in bids])
    valid, excluded = [], []
    gate = credit_gate()
    for bid in bids:
        ref = names.get(bid.entity_id)
        reasons = []
        price = read_price(bid.summary)
        if price is None:
            reasons.append({"code": "tender.price_unreadable", "reason": "投标文件未载明可读的投标报价"})
        sanctions = gate.check(bid.entity_id, deadline)
        if sanctions:
            reasons.append(
                {
                    "code": "tender.bidder_sanctioned",
                    "reason": sanctions[0].reason,
                    "sanctions": [s.as_json() for s in sanctions],
                }
            )
        if section.deposit_fen > 0 and not finance_queries.has_satisfied_deposit(
            t.PLATFORM, section.lot_ref, bid.entity_id, deadline
        ):
            reasons.append({"code": "tender.deposit_not_satisfied", "reason": "投标截止时投标保证金未足额缴纳"})
        if not steps.may_take_part(section, bid.entity_id):
            reasons.append({"code": "tender.not_invited", "reason": "非受邀（资格预审合格）单位"})
        entry = {
            "entity_id": bid.entity_id,
            "name": ref.name if ref else f"entity:{bid.entity_id}",
            "uscc": (ref.uscc or "") if ref else "",
            "price_fen": price,
            "submission_id": str(bid.submission_id),
            "receipt_id": bid.receipt_id,
            "received_at": iso_utc(bid.received_at),
            "document_id": str(bid.document_id),
            "box_id": bid.box_id,
            "box_owner": list(t.box_owner(section)),
            "file_name": bid.file_name,
            "plaintext_sm3": bid.plaintext_sm3,
            "summary": dict(bid.summary),
        }
        if reasons:
            excluded.append({**entry, "reasons": reasons})
        else:
            entry["qualifications"] = _qualifications(bid.entity_id, deadline)
            valid.append(entry)
    return valid, excluded


def _book_evaluation_room(actor: Actor, section: Section, at: datetime, seats: int) -> None:
    project = section.project
    if not project.evaluation_room_id:
        return
    start = at + timedelta(minutes=30) / project.acceleration
    try:
        booking = venues.do_book_room(
            actor=t.PLATFORM,
            room_id=project.evaluation_room_id,
            owner_ref=t.section_ref(section),
            purpose="evaluation",
            start=max(start, at + timedelta(seconds=1)),
            end=max(start, at + timedelta(seconds=1)) + timedelta(hours=8),
            seats=seats,
            title=f"评标：{project.name} {section.name}"[:200],
        )
    except YiwangError as exc:
        t.add_event(section, "venue", f"评标室预约未成功（{exc.code}），请工作人员安排", at, public=False)
        return
    section.evaluation_booking_id = booking.pk


def _hand_over(act: ActionRecorder, actor: Actor, section: Section) -> None:
    project = section.project
    proc = t.procedure_of(project)
    rules = t.rulebook(project)
    valid, excluded = _valid_bids(section, act.now)
    for entry in excluded:
        raise_flag(
            section,
            "bid_excluded",
            act.now,
            key=str(entry["entity_id"]),
            note="；".join(r["reason"] for r in entry["reasons"]),
        )
    minimum = rules.get(proc.min_bidders_rule)
    if not valid or (proc.is_gp and len(valid) < minimum.as_int):
        steps.fail_section(
            actor,
            section,
            code="insufficient_qualified",
            at=act.now,
            rule=minimum,
            reason=f"符合条件的投标人（供应商）仅{len(valid)}家，不足{minimum.as_int}家，"
            f"{'废标' if proc.is_gp else '流标'}"
            f"（{minimum.source}）",
        )
        return
    config = evaluation_config(section)
    gateway = gateways.gateway()
    ref = t.evaluation_ref_of(section)
    title = f"{project.name} {section.name}"
    evaluation_id = ""
    if gateway.name == "app":
        try:
            evaluation_id = gateway.start(
                actor=t.PLATFORM,
                section_ref=ref,
                title=title,
                region_code=project.region_code,
                config=config,
                bids=valid,
            )
        except YiwangError as exc:
            # the evaluation could not be organised (no experts of the specialty, the room taken …): the result
            # will be recorded on the tender side once staff have organised it otherwise
            gateway = gateways.RecordedGateway()
            raise_flag(
                section,
                "evaluation_not_started",
                act.now,
                key=exc.code[:60],
                note=f"评标系统未能组织评标：{exc.message_zh}"[:500],
            )
            t.add_event(
                section,
                "evaluation",
                f"评标系统未能组织评标（{exc.code}），请工作人员另行组织并录入结果",
                act.now,
                public=False,
            )
    if gateway.name != "app":
        _book_evaluation_room(actor, section, act.now, seats=int(config["committee"]["min_size"]) + 2)
        config["venue_booking"] = (
            f"venues.booking:{section.evaluation_booking_id}" if section.evaluation_booking_id else None
        )
    EvaluationRecord.objects.create(
        section=section,
        round=section.round,
        ref=ref,
        gateway=gateway.name,
        evaluation_id=evaluation_id,
        started_at=act.now,
        config=config,
        bids=valid,
        excluded=excluded,
    )
    t.move(section, S.EVALUATING)
    section.handed_over_at = act.now
    section.evaluation_poll_at = act.now + tender_settings().evaluation_poll / project.acceleration
    t.add_event(
        section,
        "evaluation",
        f"开标结束，{len(valid)}份有效投标移交评标" + (f"（{len(excluded)}份因资格条件未移交）" if excluded else ""),
        act.now,
    )


def _apply_outcome(act: ActionRecorder, actor: Actor, section: Section, record: EvaluationRecord, outcome) -> None:
    project = section.project
    proc = t.procedure_of(project)
    rules = t.rulebook(project)
    if outcome.status == "failed":
        record.status, record.completed_at, record.failure_reason = "failed", act.now, outcome.failure_reason[:2000]
        record.report_data = {"rejected": list(outcome.rejected)}
        record.save(update_fields=["status", "completed_at", "failure_reason", "report_data"])
        steps.fail_section(
            actor,
            section,
            code="evaluation_failed",
            at=act.now,
            reason=outcome.failure_reason or "评标委员会否决全部投标",
        )
        return
    limit = rules.get(proc.candidates_max_rule)
    ranked = sorted(outcome.candidates, key=lambda c: c.rank)
    if not ranked:
        raise InvalidInput("tender.candidates_required", "评标结果须有中标候选人", "the result names no candidate")
    if [c.rank for c in ranked] != list(range(1, len(ranked) + 1)):
        raise InvalidInput("tender.candidate_ranks", "中标候选人排名须为1、2、3……", "ranks must be 1..n")
    if len(ranked) > limit.as_int:
        raise violation(
            "tender.too_many_candidates",
            f"中标候选人不得超过{limit.as_int}名",
            "too many candidates",
            limit,
            candidates=len(ranked),
        )
    handed = {b["entity_id"] for b in record.bids}
    strangers = [c.entity_id for c in ranked if c.entity_id not in handed]
    if strangers:
        raise InvalidInput(
            "tender.candidate_not_a_bidder",
            "中标候选人须为移交评标的有效投标人",
            "candidates must be among the valid bids handed over",
            {"entity_ids": strangers},
        )
    names = t.entity_names([c.entity_id for c in ranked])
    for c in ranked:
        ref = names.get(c.entity_id)
        Candidate.objects.create(
            section=section,
            round=section.round,
            rank=c.rank,
            entity_id=c.entity_id,
            name=ref.name if ref else f"entity:{c.entity_id}",
            uscc=(ref.uscc or "") if ref else "",
            price_fen=c.price_fen,
            score=c.score,
            note=c.note,
        )
    record.status, record.completed_at = "completed", act.now
    record.report_data = {**dict(outcome.report), "rejected": list(outcome.rejected)}
    record.report_sha256 = str(outcome.report.get("sha256") or (record.report.sha256 if record.report else ""))
    record.save(update_fields=["status", "completed_at", "report_data", "report_sha256"])
    t.move(section, S.EVALUATED)
    section.report_received_at = act.now
    section.evaluation_poll_at = None
    if proc.candidates_publicity:
        section.candidates_due = rules.deadline(act.now, proc.periods["candidate_publicity_delay"])
    elif proc.period("winner_determination"):
        section.award_due = rules.deadline(act.now, proc.periods["winner_determination"])
    elif proc.period("award_notice"):
        section.award_due = rules.deadline(act.now, proc.periods["award_notice"])
    t.add_event(section, "evaluated", f"评标报告已提交，推荐中标候选人{len(ranked)}名", act.now)


def do_record_evaluation_result(
    *,
    actor: Actor,
    section_id: int,
    candidates: Sequence[Mapping[str, Any]] = (),
    report: tuple[BinaryIO, str] | None = None,
    failed_reason: str = "",
    rejected: Sequence[Mapping[str, Any]] = (),
) -> Section:
    """Record the evaluation's result when it was not run by the evaluation app (evaluation held elsewhere; the
    report is uploaded, digested and sealed): the ranked candidates (≤ ``tender.candidates_max``, among the valid
    bids handed over), or ``failed_reason`` when the committee rejected every bid (→ 流标/废标)."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage_or_staff(actor, project, "录入评标结果", "record the evaluation result")
    with action(actor, "tender.record_evaluation_result") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.EVALUATING, doing_zh="录入评标结果", doing_en="record the result")
        record = EvaluationRecord.objects.select_for_update().get(section=section, round=section.round)
        if record.gateway != "recorded":
            raise Conflict(
                "tender.evaluation_by_app",
                "本标段由评标系统评标，结果由评标系统提交",
                "the evaluation app produces this section's result",
            )
        if failed_reason:
            outcome = gateways.Outcome(
                "failed",
                failure_reason=t.text(failed_reason, "failed_reason", limit=2000),
                rejected=tuple(dict(r) for r in rejected),
            )
        else:
            if report is None:
                raise InvalidInput(
                    "tender.report_required", "须上传评标报告", "upload the evaluation report", {"field": "report"}
                )
            stream, filename = report
            doc = t.store_document(
                actor=actor,
                project=project,
                section=section,
                kind="evaluation_report",
                title=f"评标报告（{section.name}，第{section.round}次）",
                stream=stream,
                filename=filename,
                at=act.now,
            )
            record.report = doc
            record.save(update_fields=["report"])
            try:
                parsed = tuple(
                    gateways.CandidateResult(
                        rank=int(c["rank"]),
                        entity_id=int(c["entity_id"]),
                        price_fen=int(c["price_fen"]),
                        score=str(c.get("score", ""))[:50],
                        note=str(c.get("note", ""))[:300],
                    )
                    for c in candidates
                )
            except (KeyError, TypeError, ValueError):
                raise InvalidInput(
                    "tender.candidates_invalid",
                    "中标候选人须含排名、主体和报价",
                    "candidates need rank, entity_id and price_fen",
                    {"field": "candidates"},
                ) from None
            outcome = gateways.Outcome(
                "completed",
                candidates=parsed,
                report={"document_id": str(doc.document_id), "sha256": doc.sha256, "sm3": doc.sm3},
                rejected=tuple(dict(r) for r in rejected),
            )
        _apply_outcome(act, actor, section, record, outcome)
        t.save_section(section)
        t.refresh_project(project, act.now)
        act.witness(
            section,
            {
                "status": section.status,
                "candidates": [c.entity_id for c in outcome.candidates],
                "report_sha256": record.report_sha256,
            },
        )
        act.emit("tender.evaluation_completed.v1", section, {"section_id": section.pk, "status": section.status})
        return section


def _poll(act: ActionRecorder, actor: Actor, section: Section) -> None:
    record = EvaluationRecord.objects.select_for_update().filter(section=section, round=section.round).first()
    project = section.project
    outcome = None
    if record is not None and record.status == "in_progress":
        outcome = gateways.gateway_named(record.gateway).outcome(record.ref)
    if outcome is None or outcome.status == "in_progress":
        section.evaluation_poll_at = act.now + tender_settings().evaluation_poll / project.acceleration
        return
    assert record is not None
    _apply_outcome(act, actor, section, record, outcome)


# -- the clock -------------------------------------------------------------------------------------
class _NothingDue(Exception):
    pass


def _extend_frozen(act: ActionRecorder, section: Section) -> None:
    project = section.project
    if section.box_deadline is not None and act.now >= section.box_deadline:
        raise_flag(
            section,
            "suspension_deadline_missed",
            act.now,
            due_at=section.box_deadline,
            note="暂停期间投标箱已截止（时钟停止运行），无法顺延；须终止后重新招标",
        )
        t.add_event(section, "flag", "暂停期间投标箱已截止，无法顺延，须终止后重新招标", act.now, public=False)
        return
    step = tender_settings().suspension_step / project.acceleration
    target = (section.box_deadline or act.now) + step
    box = bidbox.do_postpone_deadline(
        actor=t.PLATFORM,
        box_id=section.box_id,
        new_deadline=target,
        reason="异议处理期间招标投标活动暂停，投标截止时间冻结（顺延）",
        owner_checked=True,
    )
    section.box_deadline, section.opening_at = box.deadline, box.opening_at
    steps.sync_lot(section, box.deadline, t.PLATFORM)


def _end_publicity(act: ActionRecorder, section: Section) -> None:
    t.move(section, S.AWARDABLE)
    t.add_event(section, "publicity_ended", "中标候选人公示期满，无未答复的异议，可以定标", act.now)


def _close_pq(act: ActionRecorder, section: Section) -> None:
    t.move(section, S.PQ_REVIEW)
    t.add_event(section, "pq_closed", "资格预审申请截止，进入资格审查", act.now)


def do_advance_section(*, actor: Actor, section_id: int) -> list[str]:
    """The clock's transition for one section: fire every event :func:`schedule.due` finds due now, under the
    section's row lock, then store the new ``next_check``. Idempotent: a second call (another clock, a retry, a
    restart) finds nothing due and changes nothing (no witness entry either). Returns the events fired."""
    try:
        with action(actor, "tender.advance_section") as act:
            section = lock_objects.section_for_update(section_id)
            if section is None:
                raise _NothingDue
            fired = schedule.due(t.section_clock(section), act.now)
            if not fired:
                raise _NothingDue
            done: list[str] = []
            for event in fired:
                if event is Due.START_OPENING and section.status == S.BIDDING:
                    _start_opening(act, actor, section)
                elif event is Due.EXTEND_FROZEN_DEADLINE and section.status == S.BIDDING:
                    _extend_frozen(act, section)
                elif event is Due.CLOSE_OPENING and section.status == S.OPENING:
                    _close_opening(act, actor, section)
                elif event is Due.POLL_EVALUATION and section.status == S.EVALUATING:
                    _poll(act, actor, section)
                elif event is Due.END_PUBLICITY and section.status == S.PUBLICITY and section.suspended_at is None:
                    _end_publicity(act, section)
                elif event is Due.CLOSE_PQ and section.status == S.PREQUALIFICATION:
                    _close_pq(act, section)
                elif event in FLAG_OF:
                    _flag(act, section, event)
                else:
                    continue
                done.append(event.value)
            t.save_section(section)
            t.refresh_project(section.project, act.now)
            act.witness(section, {"events": done, "status": section.status, "round": section.round})
            if any(e in (Due.START_OPENING.value, Due.CLOSE_OPENING.value, Due.END_PUBLICITY.value) for e in done):
                act.emit(
                    "tender.section_advanced.v1",
                    section,
                    {"section_id": section.pk, "events": done, "status": section.status},
                )
            return done
    except _NothingDue:
        _refresh_next_check(section_id)
        return []


def _refresh_next_check(section_id: int) -> None:
    """A stale ``next_check`` (nothing due at it any more) is recomputed — a cache of a pure function of the
    section, not a state change."""
    section = Section.objects.select_related("project").filter(pk=section_id).first()
    if section is None:
        return
    value = schedule.next_check(t.section_clock(section))
    if value != section.next_check:
        Section.objects.filter(pk=section_id, version=section.version).update(next_check=value)


def due_section_ids(moment: datetime, limit: int | None = None) -> list[int]:
    return list(
        Section.objects.filter(next_check__lte=moment)
        .order_by("next_check", "pk")
        .values_list("pk", flat=True)[: limit or tender_settings().due_batch]
    )


def documents_of_round(section: Section) -> list[TenderDocument]:
    return list(TenderDocument.objects.filter(section=section, round=section.round))
