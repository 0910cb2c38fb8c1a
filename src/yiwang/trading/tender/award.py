"""After the evaluation (re-exported by ``actions``): candidates' publicity, award, contract, performance.

- :func:`do_publish_candidates` — 中标候选人公示 (tender family) within ``tender.candidate_publicity_delay_max`` of
  the report, for at least ``tender.candidate_publicity_period_min``; objections during it suspend the award;
- :func:`do_award_section` — 定标: never before the publicity ends (``tender.award_before_publicity_end``, naming
  ``tender.candidate_publicity_period_min``); the award letter (中标通知书, PDF sealed by the platform key), the
  award notice, the losers' deposits released (finance);
- :func:`do_decline_award` — the winner declines: its deposit is forfeited (finance), the next candidate may win;
- :func:`do_sign_contract` — within ``tender.contract_signing_max`` / ``gp.contract_signing_max`` of the letter; a
  late contract is recorded **and flagged for supervision**; published (GP within ``gp.contract_publication_max``);
  the winner's deposit released;
- :func:`do_record_performance` — 履约 records; the final one completes the section.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, YiwangError
from yiwang.kernel.periods import local_date
from yiwang.platform.actions import action
from yiwang.services.finance import actions as finance
from yiwang.services.notices import actions as notices
from yiwang.trading.tender import evaluation_gateway as gateways
from yiwang.trading.tender import internal as t
from yiwang.trading.tender import letters, lock_objects, steps
from yiwang.trading.tender.bidding import raise_flag
from yiwang.trading.tender.domain.rules import RuleBook, violation
from yiwang.trading.tender.domain.states import S, require_state
from yiwang.trading.tender.models import Award, Candidate, Contract, EvaluationRecord, Performance, Section

__all__ = [
    "do_award_section",
    "do_decline_award",
    "do_publish_candidates",
    "do_record_performance",
    "do_sign_contract",
]


def _nominal(project, start: datetime, rule_id: str) -> datetime:
    """The legal (unaccelerated) end of a period, for notices of accelerated test projects (the notices service
    checks publicity periods against the catalogue as they are)."""
    return RuleBook(project.rules, catalog.workday_calendar(), 1).earliest(start, rule_id)


def _candidates(section: Section) -> list[Candidate]:
    return list(Candidate.objects.filter(section=section, round=section.round).order_by("rank"))


def do_publish_candidates(*, actor: Actor, section_id: int, objection_method: str = "", body_html: str = "") -> Section:
    """中标候选人公示: the ranked candidates published for the catalogue's minimum period from now."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "公示中标候选人", "publish the candidates")
    proc = t.procedure_of(project)
    method = t.text(
        objection_method or "在公示期内通过“一网交易”平台向招标人提出异议（书面，须署名）",
        "objection_method",
        limit=500,
    )
    with action(actor, "tender.publish_candidates") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.EVALUATED, doing_zh="公示中标候选人", doing_en="publish the candidates")
        if not proc.candidates_publicity:
            raise Conflict(
                "tender.no_candidates_publicity",
                "该采购方式不设中标候选人公示",
                "this procedure has no candidates' publicity",
            )
        rules = t.rulebook(project)
        rule_id = proc.periods["candidate_publicity"]
        end = rules.earliest(act.now, rule_id)
        candidates = _candidates(section)
        fields = steps.notice_fields(project, [section], proc)
        fields.update(
            PUBLICITY_START_TIME=t.iso(act.now),
            PUBLICITY_END_TIME=t.iso(_nominal(project, act.now, rule_id) if project.acceleration > 1 else end),
            OBJECTION_METHOD=method,
            CANDIDATES=[
                {
                    k: v
                    for k, v in {
                        "WIN_CANDIDATE_ORDER": c.rank,
                        "WIN_CANDIDATE_NAME": c.name,
                        "WIN_CANDIDATE_CODE": c.uscc if len(c.uscc) == 18 else None,
                        "BID_PRICE": c.price_fen,
                        "EVALUATION_RESULT": c.score or None,
                        "LIMITE_TIME": section.duration_text or None,
                    }.items()
                    if v is not None
                }
                for c in candidates
            ],
        )
        body = body_html or (
            f"<p>{project.name} {section.name} 评标工作已结束，现将中标候选人公示如下，公示期至 {t.shanghai(end)}。</p>"
            + "".join(f"<p>第{c.rank}名：{c.name}，投标报价 {t.yuan(c.price_fen)}</p>" for c in candidates)
        )
        if project.acceleration > 1:
            body = f"<p>【测试数据】时限按 ×{project.acceleration} 加速，实际公示结束于 {t.shanghai(end)}。</p>" + body
        notice = notices.do_publish_notice(
            actor=t.notice_actor(actor, project),
            owner=t.section_ref(section),
            notice_type="candidates",
            category=project.category,
            region_code=project.region_code,
            title=f"{project.name}{section.name}中标候选人公示"[:200],
            body_html=body,
            fields=fields,
            deal_code=section.deal_code,
            publisher_entity_id=t.publisher_of(actor, project),
        )
        steps.register_obligation(
            actor,
            project,
            t.section_ref(section),
            "candidates",
            section.report_received_at or act.now,
            occurrence=f"round:{section.round}",
        )
        t.move(section, S.PUBLICITY)
        section.publicity_start, section.publicity_end = act.now, end
        t.add_event(section, "candidates", f"中标候选人公示，至 {t.shanghai(end)}", act.now, notice_id=notice.pk)
        t.save_section(section)
        bidders = [b["entity_id"] for b in _handed(section)]
        t.notify(
            t.interested_refs(section, include_entities=bidders),
            title=f"中标候选人公示：{project.name}",
            body=f"{section.name}中标候选人已公示，公示期至 {t.shanghai(end)}。",
            link=f"/tender/sections/{section.pk}/",
            key=f"tender:candidates:{section.pk}:{section.round}",
        )
        facts = {
            "notice_id": notice.pk,
            "publicity_end": iso_utc(end),
            "rule_id": rule_id,
            "candidates": [{"rank": c.rank, "entity_id": c.entity_id, "price_fen": c.price_fen} for c in candidates],
        }
        act.witness(section, facts)
        act.emit("tender.candidates_published.v1", section, {"section_id": section.pk, **facts})
        return section


def _handed(section: Section) -> list[Mapping[str, Any]]:
    record = EvaluationRecord.objects.filter(section=section, round=section.round).first()
    return list(record.bids) if record else []


def _check_awardable(section: Section, proc, rules) -> None:
    if section.suspended_at is not None:
        raise steps.suspended_error(section)
    state = S(section.status)
    if state is S.PUBLICITY or (proc.candidates_publicity and state is S.EVALUATED):
        rule = rules.get(proc.periods["candidate_publicity"])
        raise violation(
            "tender.award_before_publicity_end",
            "中标候选人公示期满前不得确定中标人"
            + (f"（公示至 {t.shanghai(section.publicity_end)}）" if section.publicity_end else "（尚未公示）"),
            "the award must wait until the candidates' publicity has ended",
            rule,
            publicity_end=t.iso(section.publicity_end),
        )
    allowed = (S.AWARDABLE,) if proc.candidates_publicity else (S.EVALUATED, S.AWARDABLE)
    require_state(section.status, *allowed, doing_zh="定标", doing_en="award")


def _winner(section: Section, entity_id: int | None) -> Candidate:
    open_ones = [c for c in _candidates(section) if c.declined_at is None]
    if not open_ones:
        raise Conflict("tender.no_candidate_left", "没有可定标的中标候选人", "no candidate left to award")
    if entity_id is None:
        return open_ones[0]
    chosen = next((c for c in open_ones if c.entity_id == int(entity_id)), None)
    if chosen is None:
        raise InvalidInput(
            "tender.not_a_candidate",
            "只能从中标候选人中确定中标人",
            "the winner must be a candidate",
            {"entity_id": entity_id},
        )
    if section.project.state_funded and chosen.pk != open_ones[0].pk:
        raise Conflict(
            "tender.first_candidate_must_win",
            "国有资金占控股或者主导地位的依法必须招标项目，应当确定排名第一的中标候选人为中标人（招标投标法实施条例第五十五条）",
            "state-funded must-tender projects award the first-ranked candidate",
            {"first": open_ones[0].entity_id, "chosen": chosen.entity_id},
        )
    return chosen


def do_award_section(*, actor: Actor, section_id: int, entity_id: int | None = None) -> Award:
    """定标 and 中标通知书: the first candidate by default (or a chosen one, except where the first must win).
    Refused before the candidates' publicity has ended (tender) with the rule's id and source. The letter is a
    PDF stored with the project's documents and sealed by the platform key; the award notice (中标结果公告) is
    published; the losers' deposits are released (finance: ``tender.*`` / ``gp.deposit_refund_losers_max``)."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "定标", "award")
    proc = t.procedure_of(project)
    with action(actor, "tender.award_section") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        rules = t.rulebook(project)
        _check_awardable(section, proc, rules)
        winner = _winner(section, entity_id)
        year = local_date(act.now).year
        number = f"ZB{year}{lock_objects.next_serial(f'award_letter:{year}'):06d}"
        contract_rule = rules.get(proc.periods["contract_signing"])
        contract_due = rules.deadline(act.now, contract_rule.rule_id)
        names = t.entity_names(
            [project.tenderer_entity_id, *([project.agency_entity_id] if project.agency_entity_id else [])]
        )
        bid = next((b for b in _handed(section) if b["entity_id"] == winner.entity_id), {})
        base = getattr(settings, "YIWANG_PUBLIC_URL", "") or ""
        pdf = letters.render_award_letter(
            {
                "number": number,
                "title": "中标通知书" if not proc.is_gp else "中标（成交）通知书",
                "test_data": project.is_test_data,
                "winner_name": winner.name,
                "winner_uscc": winner.uscc,
                "bid_time": t.shanghai(_parse(bid.get("received_at"))) if bid.get("received_at") else "投标截止前",
                "project_name": project.name,
                "section_name": section.name,
                "section_code": section.code,
                "tender_project_code": project.tender_project_code,
                "deal_code": section.deal_code,
                "price": t.yuan(winner.price_fen),
                "price_fen": winner.price_fen,
                "duration": section.duration_text,
                "contract_due": t.shanghai(contract_due),
                "contract_rule": f"{contract_rule.title_zh}{contract_rule.describe()}，{contract_rule.source}",
                "tenderer_name": names[project.tenderer_entity_id].name if project.tenderer_entity_id in names else "",
                "agency_name": names[project.agency_entity_id].name if project.agency_entity_id in names else "",
                "issued_at": t.shanghai(act.now),
                "key_id": "",
                "verify_url": f"{base}/tender/sections/{section.pk}/",
            }
        )
        letter = t.store_document(
            actor=actor,
            project=project,
            section=section,
            kind="award_letter",
            title=f"中标通知书 {number}",
            stream=io.BytesIO(pdf),
            filename=f"中标通知书-{number}.pdf",
            storage_kind="attachment",
            at=act.now,
        )
        award = Award.objects.create(
            section=section,
            round=section.round,
            entity_id=winner.entity_id,
            name=winner.name,
            uscc=winner.uscc,
            price_fen=winner.price_fen,
            letter=letter,
            letter_number=number,
            issued_at=act.now,
            issued_by=actor.ref,
            contract_due=contract_due,
        )
        fields = steps.notice_fields(project, [section], proc)
        fields.update(WIN_BIDDER_NAME=winner.name, BID_AMOUNT=winner.price_fen)
        if len(winner.uscc) == 18:
            fields["WIN_BIDDER_CODE"] = winner.uscc
        period = proc.period("award_notice_period")
        if period:
            real_end = rules.earliest(act.now, period)
            fields.update(
                PUBLICITY_START_TIME=t.iso(act.now),
                PUBLICITY_END_TIME=t.iso(_nominal(project, act.now, period) if project.acceleration > 1 else real_end),
            )
        notice = notices.do_publish_notice(
            actor=t.notice_actor(actor, project),
            owner=t.section_ref(section),
            notice_type="award_result",
            category=project.category,
            region_code=project.region_code,
            title=f"{project.name}{section.name}{'成交结果公告' if proc.is_gp else '中标结果公告'}"[:200],
            body_html=f"<p>中标（成交）人：{winner.name}；中标（成交）价：{t.yuan(winner.price_fen)}。</p>",
            fields=fields,
            deal_code=section.deal_code,
            publisher_entity_id=t.publisher_of(actor, project),
        )
        award.notice_id = notice.pk
        award.save(update_fields=["notice_id"])
        steps.register_obligation(
            actor, project, t.section_ref(section), "result", act.now, occurrence=f"round:{section.round}"
        )
        if section.lot_ref:
            with contextlib.suppress(NotFound):
                finance.do_release_deposits(
                    actor=t.PLATFORM,
                    lot_ref=section.lot_ref,
                    reason="loser",
                    anchor_at=act.now,
                    except_entity_ids=[winner.entity_id],
                )
        if section.award_due is not None and act.now >= section.award_due:
            rule_id = proc.period("winner_determination") or proc.period("award_notice")
            raise_flag(
                section,
                "award_late",
                act.now,
                rule=rules.get(rule_id) if rule_id else None,
                due_at=section.award_due,
                note="定标晚于法定期限",
            )
        t.move(section, S.AWARDED)
        section.awarded_at, section.contract_due = act.now, contract_due
        t.add_event(
            section, "awarded", f"定标：{winner.name}，中标通知书 {number} 已发出", act.now, notice_id=notice.pk
        )
        t.save_section(section)
        t.refresh_project(project, act.now)
        record = EvaluationRecord.objects.filter(section=section, round=section.round).first()
        if record is not None:
            try:
                gateways.gateway_named(record.gateway).mark_awarded(
                    actor=t.PLATFORM, section_ref=record.ref, at=act.now
                )
            except YiwangError:
                t.add_event(
                    section, "evaluation", "评标系统未能登记定标（专家名单公开状态请核对）", act.now, public=False
                )
        bidders = [b["entity_id"] for b in _handed(section)]
        t.notify(
            t.interested_refs(section, include_entities=bidders),
            title=f"中标结果：{project.name}",
            body=f"{section.name}中标（成交）人：{winner.name}，中标价 {t.yuan(winner.price_fen)}。",
            link=f"/tender/sections/{section.pk}/",
            key=f"tender:award:{award.pk}",
        )
        facts = {
            "winner": winner.entity_id,
            "winner_name": winner.name,
            "price_fen": winner.price_fen,
            "letter_number": number,
            "letter_sha256": letter.sha256,
            "contract_due": iso_utc(contract_due),
            "notice_id": notice.pk,
        }
        act.witness(award, {**facts, "section": section.code, "round": section.round})
        act.emit("tender.section_awarded.v1", award, {"section_id": section.pk, **facts})
        return award


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _current_award(section: Section) -> Award:
    award = Award.objects.filter(section=section, round=section.round, status="issued").order_by("-pk").first()
    if award is None:
        raise Conflict("tender.no_award", "尚未定标", "no award has been made")
    return award


def do_decline_award(*, actor: Actor, section_id: int, reason: str) -> Section:
    """The winner declines (放弃中标) or fails to sign: recorded by the tenderer; the winner's deposit is forfeited
    (finance, ``refused_contract``); the next candidate may then be awarded, or the section fails."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "登记中标人放弃中标", "record that the winner declined")
    why = t.text(reason, "reason", limit=1000)
    with action(actor, "tender.decline_award") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.AWARDED, doing_zh="登记放弃中标", doing_en="record a decline")
        award = _current_award(section)
        award.status = "declined"
        award.save(update_fields=["status"])
        Candidate.objects.filter(section=section, round=section.round, entity_id=award.entity_id).update(
            declined_at=act.now
        )
        if section.lot_ref:
            with contextlib.suppress(Conflict, NotFound):
                finance.do_forfeit_deposit(
                    actor=t.PLATFORM,
                    lot_ref=section.lot_ref,
                    entity_id=award.entity_id,
                    reason="refused_contract",
                    note=why[:100],
                )
        section.contract_due = None
        if Candidate.objects.filter(section=section, round=section.round, declined_at__isnull=True).exists():
            t.move(section, S.AWARDABLE)
            t.add_event(section, "declined", f"中标人{award.name}放弃中标：{why}", act.now)
        else:
            steps.fail_section(actor, section, code="all_declined", reason=f"中标候选人均放弃中标：{why}", at=act.now)
        t.save_section(section)
        t.refresh_project(project, act.now)
        act.witness(award, {"declined": True, "reason": why})
        return section


def do_sign_contract(
    *,
    actor: Actor,
    section_id: int,
    amount_fen: int,
    name: str = "",
    code: str = "",
    signed_at: datetime | None = None,
    document: tuple[BinaryIO, str] | None = None,
    performance_security_fen: int = 0,
    duration: str = "",
    quality: str = "",
) -> Contract:
    """书面合同: recorded and published. The price is the award's (the contract may not change the substance
    of the award, ``tender.contract_price_mismatch``); the performance security at most the rule's share
    (``tender.performance_security_too_high``). Signed at or after the deadline (``*.contract_signing_max``) it is
    still recorded — and flagged for supervision with the rule, never silently allowed."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "登记合同", "record the contract")
    proc = t.procedure_of(project)
    t.fen(amount_fen, "amount_fen", allow_zero=False)
    t.fen(performance_security_fen, "performance_security_fen")
    title = t.text(name or f"{project.name}{section.name}合同", "name", limit=200)
    code = t.text(code, "code", required=False, limit=50)
    with action(actor, "tender.sign_contract") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.AWARDED, doing_zh="登记合同", doing_en="record the contract")
        award = _current_award(section)
        signed = t.aware(signed_at, "signed_at") if signed_at else act.now
        if signed > act.now or signed < award.issued_at:
            raise InvalidInput(
                "tender.signed_at_invalid",
                "合同签订时间须在中标通知书发出之后、现在之前",
                "the signing time lies between the award letter and now",
                {"field": "signed_at"},
            )
        if amount_fen != award.price_fen:
            raise Conflict(
                "tender.contract_price_mismatch",
                f"合同价款（{t.yuan(amount_fen)}）须与中标价（{t.yuan(award.price_fen)}）一致（招标投标法第四十六条）",
                "the contract price must be the award's",
                {"award_price_fen": award.price_fen},
            )
        rules = t.rulebook(project)
        if proc.performance_security_rule and performance_security_fen:
            cap = rules.get(proc.performance_security_rule)
            if performance_security_fen * 100 > amount_fen * cap.value:
                raise violation(
                    "tender.performance_security_too_high",
                    "履约保证金超过合同金额的法定比例",
                    "the performance security is above its cap",
                    cap,
                    field="performance_security_fen",
                )
        late = signed >= award.contract_due
        doc = None
        if document is not None:
            stream, filename = document
            doc = t.store_document(
                actor=actor,
                project=project,
                section=section,
                kind="contract",
                title=title,
                stream=stream,
                filename=filename,
                at=act.now,
            )
        publication_due = None
        if proc.period("contract_publication"):
            publication_due = rules.deadline(signed, proc.periods["contract_publication"])
        contract = Contract.objects.create(
            section=section,
            award=award,
            name=title,
            code=code,
            amount_fen=amount_fen,
            performance_security_fen=performance_security_fen,
            signed_at=signed,
            recorded_at=act.now,
            recorded_by=actor.ref,
            document=doc,
            late=late,
            publication_due=publication_due,
        )
        fields = steps.notice_fields(project, [section], proc)
        fields.update(
            CONTRACT_NAME=title, CONTRACT_SIGN_TIME=t.iso(signed), CONTRACT_PRICE=amount_fen, BIDDER_NAME=award.name
        )
        for key, value in (
            ("CONTRACT_CODE", code),
            ("BIDDER_CODE", award.uscc if len(award.uscc) == 18 else ""),
            ("LIMITE_TIME", duration or section.duration_text),
            ("QUALITY_REQUIRE", quality),
        ):
            if value:
                fields[key] = value
        notice = notices.do_publish_notice(
            actor=t.notice_actor(actor, project),
            owner=t.section_ref(section),
            notice_type=proc.notice("contract") or "contract",
            category=project.category,
            region_code=project.region_code,
            title=f"{project.name}{section.name}合同公告"[:200],
            body_html=f"<p>{title}（合同金额 {t.yuan(amount_fen)}）已于 {t.shanghai(signed)} 签订。</p>",
            fields=fields,
            deal_code=section.deal_code,
            publisher_entity_id=t.publisher_of(actor, project),
        )
        contract.notice_id, contract.published_at = notice.pk, act.now
        contract.save(update_fields=["notice_id", "published_at"])
        steps.register_obligation(
            actor, project, t.section_ref(section), "contract", signed, occurrence=f"round:{section.round}"
        )
        if late:
            raise_flag(
                section,
                "contract_late",
                act.now,
                rule=rules.get(proc.periods["contract_signing"]),
                due_at=award.contract_due,
                note=f"合同于 {t.shanghai(signed)} 签订，晚于法定期限",
            )
        if publication_due is not None and act.now >= publication_due:
            raise_flag(
                section,
                "contract_publication_late",
                act.now,
                rule=rules.get(proc.periods["contract_publication"]),
                due_at=publication_due,
            )
        if section.lot_ref:
            with contextlib.suppress(NotFound):
                finance.do_release_deposits(
                    actor=t.PLATFORM,
                    lot_ref=section.lot_ref,
                    reason="winner",
                    anchor_at=signed,
                    entity_ids=[award.entity_id],
                )
        award.status = "contracted"
        award.save(update_fields=["status"])
        t.move(section, S.CONTRACTED)
        section.contract_signed_at, section.contract_published_at = signed, act.now
        section.contract_publication_due = publication_due
        t.add_event(
            section, "contract", f"合同签订并公告{'（逾期，已提示监管）' if late else ''}", act.now, notice_id=notice.pk
        )
        t.save_section(section)
        t.refresh_project(project, act.now)
        facts = {
            "amount_fen": amount_fen,
            "signed_at": iso_utc(signed),
            "late": late,
            "notice_id": notice.pk,
            "contract_due": iso_utc(award.contract_due),
            "document_sha256": doc.sha256 if doc else None,
        }
        act.witness(contract, {**facts, "section": section.code})
        act.emit("tender.contract_signed.v1", contract, {"section_id": section.pk, **facts})
        return contract


def do_record_performance(
    *,
    actor: Actor,
    section_id: int,
    kind: str,
    text: str,
    at: datetime | None = None,
    final: bool = False,
    publish: bool = False,
) -> Performance:
    """履约记录 (progress, acceptance, payment, defect …); ``final`` (验收完成) completes the section; ``publish``
    also publishes a performance notice."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "登记履约情况", "record performance")
    if kind not in Performance.KINDS:
        raise InvalidInput(
            "tender.performance_kind_invalid",
            "履约记录类别不正确",
            "unknown kind",
            {"field": "kind", "allowed": list(Performance.KINDS)},
        )
    body = t.text(text, "text", limit=5000)
    with action(actor, "tender.record_performance") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.CONTRACTED, doing_zh="登记履约情况", doing_en="record performance")
        contract = Contract.objects.filter(section=section).order_by("-pk").first()
        assert contract is not None
        when = t.aware(at, "at") if at else act.now
        row = Performance.objects.create(
            section=section,
            contract=contract,
            kind=kind,
            text=body,
            at=when,
            recorded_at=act.now,
            recorded_by=actor.ref,
            final=final,
        )
        if publish or final:
            notice = notices.do_publish_notice(
                actor=t.notice_actor(actor, project),
                owner=t.section_ref(section),
                notice_type="performance",
                category=project.category,
                region_code=project.region_code,
                title=f"{project.name}{section.name}履约信息"[:200],
                body_html=f"<p>{body}</p>",
                fields={
                    "CONTRACT_NAME": contract.name,
                    "PERFORMANCE_TIME": t.iso(when),
                    **({"CONTRACT_CODE": contract.code} if contract.code else {}),
                },
                deal_code=section.deal_code,
                publisher_entity_id=t.publisher_of(actor, project),
            )
            row.notice_id = notice.pk
            row.save(update_fields=["notice_id"])
        if final:
            t.move(section, S.COMPLETED)
            section.completed_at = act.now
        t.add_event(
            section, "performance", f"{Performance.KINDS[kind]}：{body[:100]}", act.now, notice_id=row.notice_id
        )
        t.save_section(section)
        t.refresh_project(project, act.now)
        act.witness(row, {"kind": kind, "final": final, "at": iso_utc(when), "section": section.code})
        act.emit("tender.performance_recorded.v1", row, {"section_id": section.pk, "kind": kind, "final": final})
        return row
