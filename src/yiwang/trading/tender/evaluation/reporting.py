"""The evaluation report (评标报告) as data and as PDF.

**Data.** :func:`build_report` is made once, when the evaluation reaches signing; every member signs the SM3
(SM2 certificates) or SHA-256 (others) digest of its canonical JSON. Field names follow the national data
specification where it has them — EVALUATION_REPORT (NOTICE_NAME, START/END_TIME, EVALUATION_RESULT), 评标结果
(PRICE_POINTS, TECHNICAL_POINTS, BUSINESS_POINTS, QUALIFICATION_POINTS, RESPONSE_POINTS, OTHER_POINTS, IS_VETO,
VETO_REASON_DETAIL, RANK), 被否决投标, BID_EVALUATION_EXPERT (EXPERT_NAME, EXPERT_CHECK_IN_TIME, IS_CHAIR_MAN),
TENDER_CANDIDATE (WIN_CANDIDATE_NAME/CODE, WIN_CANDIDATE_ORDER, BID_PRICE, EVALUATION_RESULT) — and adds what
the committee decided and why (review decisions with votes and notes, price changes, clarifications, the
score of every member for every item, outliers, pivotal members, the collusion-indicator data, the legal
numbers with their sources).

**Final document** (:func:`final_document`): the report, its digests and every member's signature (certificate
serial, time, dissent). Stored as JSON and as PDF when the report is finalised.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from yiwang.kernel.crypto import sm3
from yiwang.kernel.money import Money
from yiwang.platform.clock import now
from yiwang.trading.tender.evaluation.domain import outliers as outlier_rules
from yiwang.trading.tender.evaluation.domain.inputs import (
    CATEGORY_LABELS_ZH,
    COLLUSION_INDICATORS,
    KIND_LABELS_ZH,
    METHOD_LABELS_ZH,
    Method,
    TenderKind,
    config_from,
)
from yiwang.trading.tender.evaluation.domain.states import OUTCOME_LABELS_ZH, Outcome
from yiwang.trading.tender.evaluation.models import Bid, Clarification, Evaluation, Member, Outlier

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sm3_hex(data: bytes) -> str:
    return sm3(data).hex()


def local(moment: Any) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _member_deviation(bids: Sequence[Bid], config: Any) -> dict[str, str]:
    per_bid = {}
    for b in bids:
        if b.scores:
            per_bid[b.pk] = {
                code: {m: Decimal(v) for m, v in given.items()} for code, given in b.scores["by_member"].items()
            }
    return {m: str(v) for m, v in outlier_rules.member_deviation(per_bid, config.scored_items).items()}


def build_report(ev: Evaluation) -> dict[str, Any]:
    config = config_from(ev.config)
    members = list(Member.objects.filter(evaluation=ev).order_by("ordinal"))
    bids = list(Bid.objects.filter(evaluation=ev).order_by("seq"))
    labels = {b.pk: b.pseudonym for b in bids}
    clarifications = {c.bid_id: c for c in Clarification.objects.filter(evaluation=ev)}
    outliers = list(Outlier.objects.filter(evaluation=ev).select_related("member", "bid"))
    items = {i.code: i for i in config.items}
    valid = [b for b in bids if b.status == "in"]

    def bid_entry(b: Bid) -> dict[str, Any]:
        scores = b.scores or {}
        veto = b.status == "rejected"
        clar = clarifications.get(b.pk)
        return {
            "BID_ID": b.pk,
            "SEQ": b.seq,
            "PSEUDONYM": b.pseudonym,
            "BIDDER_NAME": b.name,
            "BIDDER_CODE": b.uscc,
            "BID_PRICE": b.price_fen,
            "OFFERED_PRICE": b.offered_price_fen,
            "EVALUATED_PRICE": b.evaluated_price_fen,
            "PRICE_CHANGES": b.price_changes,
            "BRAND": b.brand,
            "IS_VETO": 1 if veto else 0,
            "VETO_STAGE": b.rejected_stage or None,
            "VETO_REASON_DETAIL": (b.review.get(b.rejected_stage) or {}).get("reason_text", "") if veto else "",
            "REVIEW": b.review,
            "ABNORMALLY_LOW": b.abnormally_low,
            "CLARIFICATION": {
                "question": clar.question,
                "respond_by": local(clar.respond_by),
                "answered_at": local(clar.answered_at),
                "answer": clar.answer,
                "accepted": clar.accepted,
                "reason": clar.decision_reason,
            }
            if clar
            else None,
            "PRICE_POINTS": scores.get("price"),
            "TECHNICAL_POINTS": scores.get("technical"),
            "BUSINESS_POINTS": scores.get("commercial"),
            "QUALIFICATION_POINTS": None,
            "RESPONSE_POINTS": None,
            "OTHER_POINTS": None,
            "TOTAL_POINTS": scores.get("total"),
            "ITEM_SCORES": [
                {
                    "ITEM_CODE": code,
                    "ITEM_NAME": items[code].name,
                    "CATEGORY": items[code].category.value,
                    "MAX_POINTS": str(items[code].max_points),
                    "AVERAGE": average,
                    "SCORES": scores.get("by_member", {}).get(code, {}),
                }
                for code, average in scores.get("items", {}).items()
                if code in items
            ],
            "RANK": b.rank,
            "TIE_UNRESOLVED": b.tie_unresolved,
            "BRAND_EXCLUDED": b.brand_excluded,
            "WIN_CANDIDATE_ORDER": b.candidate_rank,
        }

    method = Method(ev.method)
    candidates = sorted((b for b in bids if b.candidate_rank), key=lambda b: b.candidate_rank or 0)
    declared = sum(1 for m in members if m.time_short_at is not None)
    return {
        "v": 1,
        "type": "yiwang.evaluation.report",
        "SECTION_REF": ev.section_ref,
        "PROJECT_REF": ev.project_ref,
        "NOTICE_NAME": f"{ev.title or ev.section_ref}评标报告",
        "TENDER_KIND": ev.kind,
        "TENDER_KIND_NAME": KIND_LABELS_ZH[TenderKind(ev.kind)],
        "EVALUATION_METHOD": ev.method,
        "EVALUATION_METHOD_NAME": METHOD_LABELS_ZH[method],
        "START_TIME": local(ev.convened_at),
        "END_TIME": local(now()),
        "EVALUATION_RESULT": ev.outcome,
        "EVALUATION_RESULT_NAME": OUTCOME_LABELS_ZH[Outcome(ev.outcome)],
        "COMMITTEE": [
            {
                "LABEL": m.label,
                "MEMBER_KIND": m.kind,
                "EXPERT_NAME": m.name,
                "SPECIALTY": m.specialty,
                "SCORER_ROLE": m.role,
                "IS_CHAIR_MAN": 1 if ev.chair_member_id == m.pk else 0,
                "EXPERT_CHECK_IN_TIME": local(m.checked_in_at),
            }
            for m in members
        ],
        "RULES": ev.rules,
        "SCORE_ITEMS": [{**i.as_json(), "category_name": CATEGORY_LABELS_ZH[i.category]} for i in config.items],
        "PRICE_FORMULA": config.price_formula.as_json() if method.scored else None,
        "CEILING_PRICE": config.ceiling_fen,
        "BIDS": [bid_entry(b) for b in bids],
        "REJECTED_BIDS": [
            {
                "BIDDER_NAME": b.name,
                "BIDDER_CODE": b.uscc,
                "PSEUDONYM": b.pseudonym,
                "VETO_STAGE": b.rejected_stage,
                "VETO_REASON_DETAIL": (b.review.get(b.rejected_stage) or {}).get("reason_text", ""),
            }
            for b in bids
            if b.status == "rejected"
        ],
        "VALID_BIDS": len(valid),
        "MIN_VALID_BIDS": ev.rules.get("min_valid_bids"),
        "CANDIDATES": [
            {
                "WIN_CANDIDATE_ORDER": b.candidate_rank,
                "WIN_CANDIDATE_NAME": b.name,
                "WIN_CANDIDATE_CODE": b.uscc,
                "BID_PRICE": b.offered_price_fen,
                "EVALUATED_PRICE": b.evaluated_price_fen,
                "EVALUATION_RESULT": (b.scores or {}).get("total") if method.scored else str(b.evaluated_price_fen),
            }
            for b in candidates
        ],
        "ABNORMALLY_LOW_SCREEN": ev.screen,
        "OUTLIERS": [
            {
                "MEMBER": o.member.label,
                "BID": o.bid.pseudonym,
                "ITEM_CODE": o.item,
                "SCORE": o.score,
                "REFERENCE": o.reference,
                "DEVIATION": o.deviation,
                "METHODS": o.methods,
            }
            for o in outliers
        ],
        "MEMBER_DEVIATION": _member_deviation(valid, config),
        "PIVOTAL_MEMBERS": ev.pivotal,
        "COLLUSION_DATA": [
            {
                "indicator": c["indicator"],
                "label": c.get("label") or COLLUSION_INDICATORS.get(c["indicator"], ""),
                "bids": [labels.get(i, str(i)) for i in c["bid_ids"]],
            }
            for c in ev.collusion
        ],
        "STAGES": ev.stage_log,
        "TIME_SHORT": {
            "declared": declared,
            "members": len(members),
            "extension_due_at": local(ev.extension_due_at),
            "extended_until": local(ev.extended_until),
            "rule_id": (ev.rules.get("extension_share") or {}).get("rule_id"),
        },
    }


def final_document(ev: Evaluation, members: Sequence[Member]) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "yiwang.evaluation.final_report",
        "report": ev.report,
        "report_sha256": ev.report_sha256,
        "report_sm3": ev.report_sm3,
        "signatures": [
            {
                "LABEL": m.label,
                "EXPERT_NAME": m.name,
                "SIGNED_AT": local(m.signed_at),
                "CERT_SERIAL": m.signature_serial,
                "SIGNATURE_RECORD": m.signature_record_id,
                "DISSENT": m.dissent,
            }
            for m in members
        ],
    }


def yuan(fen: int | None) -> str:
    return "" if fen is None else f"{Money(fen).format_yuan()} 元"


_local = threading.local()


def _font_config() -> Any:
    config = getattr(_local, "fonts", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.fonts = FontConfiguration()
    return config


def render_pdf(ev: Evaluation, final: dict[str, Any]) -> bytes:
    """The PDF of the final report (WeasyPrint, CJK fonts; the renderer may fetch nothing)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("evaluation/report_pdf.html", {"ev": ev, "doc": final, "report": final["report"]})
    fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=_font_config())
