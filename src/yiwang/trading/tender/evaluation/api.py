"""Evaluation API (``/api/v1/evaluation``): start (staff), the committee on the day (seating, check-in,
convening, chair), members' sheets (If-Match on drafts), the chair's stage closing, price changes and
clarifications, the bidder's answer, time and extension, the report (signing input, signatures,
finalisation), candidates (public once final), award and cancellation.

Every POST takes ``Idempotency-Key`` (``creates`` / ``acts``); sheet drafts are PUT with ``If-Match``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from yiwang.catalog import queries as catalog
from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.crypto import sha256, sm3
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.domain import errors as err
from yiwang.trading.tender.evaluation.domain.inputs import TenderKind
from yiwang.trading.tender.evaluation.schemas import (
    AwardedIn,
    CandidateOut,
    ChairIn,
    CheckInIn,
    ClarificationAnswerIn,
    ClarificationDecisionIn,
    ClarificationIssueIn,
    ClarificationOut,
    EvaluationListItemOut,
    EvaluationOut,
    ExtensionIn,
    LinkOut,
    OptionalReasonIn,
    PriceChangeIn,
    ReasonIn,
    ReportOut,
    SeatedOut,
    SheetIn,
    SheetOut,
    SignatureIn,
    SignedOut,
    StartIn,
)

router = Router(tags=["evaluation 评标"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/evaluation"
STAGES = ("qualification", "compliance", "scoring")


def _view(request: HttpRequest, response: HttpResponse | None, evaluation_id: int) -> Any:
    view = queries.get_evaluation_by_id_for(actor_of(request), evaluation_id)
    if response is not None:
        response["ETag"] = etag(view.version)
    return view


def _ref(evaluation_id: int) -> str:
    return queries.section_of(evaluation_id)


# -- start and lists -------------------------------------------------------------------------------


@creates(router, "/evaluations", response={201: EvaluationOut, **CREATE_ERRORS, 503: ErrorOut})
def start(request: HttpRequest, response: HttpResponse, payload: StartIn):
    """开始评标 (staff over the region): checks the committee against the rules snapshot
    (``422 evaluation.committee_invalid`` with each problem's ``rule_id`` and ``source``), the price weight and
    the candidates cap, books the room and draws the experts. Without ``rules_snapshot`` the catalogue in
    effect is used (``tender.*`` and ``gp.*``)."""
    snapshot = payload.rules_snapshot
    if snapshot is None:
        prefix = "gp." if TenderKind(payload.kind).regime.value == "gp" else "tender."
        snapshot = {**catalog.rules_snapshot("tender."), **catalog.rules_snapshot(prefix)}
    ev = actions.do_start_evaluation(
        actor=actor_of(request),
        section_ref=payload.section_ref,
        kind=payload.kind,
        config=payload.config,
        rules_snapshot=snapshot,
        bids=payload.bids,
        committee_request=payload.committee_request,
    )
    response["Location"] = f"{BASE}/evaluations/{ev.pk}"
    return Status(201, _view(request, response, ev.pk))


@router.get("/evaluations", response={200: list[EvaluationListItemOut], **ERRORS})
def list_evaluations(request: HttpRequest, status: str | None = None, limit: int = 50):
    """The evaluations the caller oversees (by region) or sits on."""
    return queries.list_evaluations_for(actor_of(request), status=status, limit=limit)


@router.get("/evaluations/mine", response={200: list[EvaluationListItemOut], **ERRORS})
def my_tasks(request: HttpRequest):
    """我的评标任务 (committee members)."""
    return queries.list_my_tasks(actor_of(request))


@router.get("/clarifications/mine", response={200: list[ClarificationOut], **ERRORS})
def my_clarifications(request: HttpRequest):
    """Clarification requests to the bidders the caller acts for."""
    return [c for _, _, c in queries.list_my_clarifications(actor_of(request))]


@router.get("/sections", response={200: EvaluationOut, **ERRORS})
def by_section(request: HttpRequest, response: HttpResponse, section_ref: str):
    """The evaluation of a section (``?section_ref=tender.section:12``)."""
    view = queries.get_evaluation_for(actor_of(request), section_ref)
    response["ETag"] = etag(view.version)
    return view


@router.get("/evaluations/{evaluation_id}", response={200: EvaluationOut, **ERRORS})
def get_evaluation(request: HttpRequest, response: HttpResponse, evaluation_id: int):
    """The evaluation as the caller may see it (see ``queries``)."""
    return _view(request, response, evaluation_id)


# -- the committee on the day ----------------------------------------------------------------------


@acts(router, "/evaluations/{evaluation_id}/seating", response={200: SeatedOut, **CREATE_ERRORS})
def seat(request: HttpRequest, evaluation_id: int):
    """Seat (again) the drawn committee in the booked room (staff)."""
    return {"seated": actions.do_seat_committee(actor=actor_of(request), section_ref=_ref(evaluation_id))}


@acts(router, "/evaluations/{evaluation_id}/check-ins", response={200: EvaluationOut, **CREATE_ERRORS})
def check_in(request: HttpRequest, evaluation_id: int, payload: CheckInIn):
    """签到 of an expert (``seat_id``) or a representative (``account_id``): staff, or the member with the
    room's code (``self_confirm``); forwarded to the experts service."""
    actions.do_check_in_member(
        actor=actor_of(request),
        section_ref=_ref(evaluation_id),
        seat_id=payload.seat_id,
        account_id=payload.account_id,
        member_id=payload.member_id,
        method=payload.method,
        code=payload.code,
    )
    return _view(request, None, evaluation_id)


@acts(router, "/evaluations/{evaluation_id}/convene", response={200: EvaluationOut, **CREATE_ERRORS})
def convene(request: HttpRequest, evaluation_id: int):
    """开始评标 at the meeting start with every member checked in (``409 evaluation.committee_incomplete``)."""
    actions.do_convene_committee(actor=actor_of(request), section_ref=_ref(evaluation_id))
    return _view(request, None, evaluation_id)


@acts(router, "/evaluations/{evaluation_id}/chair", response={200: EvaluationOut, **CREATE_ERRORS})
def set_chair(request: HttpRequest, evaluation_id: int, payload: ChairIn):
    """Record the elected chair (staff)."""
    actions.do_set_chair(actor=actor_of(request), section_ref=_ref(evaluation_id), member_id=payload.member_id)
    return _view(request, None, evaluation_id)


# -- sheets ----------------------------------------------------------------------------------------


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise err.invalid("stage_invalid", "阶段须为 qualification、compliance 或 scoring", "unknown stage", "stage")


def _save(
    request: HttpRequest, evaluation_id: int, stage: str, payload: SheetIn, *, submit: bool, expected: int | None
):
    _check_stage(stage)
    ref = _ref(evaluation_id)
    actor = actor_of(request)
    if stage == "scoring":
        sheet = actions.do_save_score_sheet(
            actor=actor,
            section_ref=ref,
            scores=payload.scores or {},
            comments=payload.comments,
            submit=submit,
            expected_version=expected,
        )
    else:
        sheet = actions.do_save_review_sheet(
            actor=actor,
            section_ref=ref,
            stage=stage,
            verdicts=payload.verdicts or {},
            comments=payload.comments,
            submit=submit,
            expected_version=expected,
        )
    return sheet


def _my_sheet(request: HttpRequest, evaluation_id: int, stage: str) -> Any:
    view = queries.get_evaluation_by_id_for(actor_of(request), evaluation_id)
    sheet = view.my_sheets.get(stage)
    if sheet is None:
        raise err.not_found("sheet", stage=stage)
    return sheet


@router.get("/evaluations/{evaluation_id}/sheets/{stage}", response={200: SheetOut, **ERRORS})
def get_my_sheet(request: HttpRequest, response: HttpResponse, evaluation_id: int, stage: str):
    """The caller's own sheet of a stage (ETag = its version, for the PUT)."""
    _check_stage(stage)
    sheet = _my_sheet(request, evaluation_id, stage)
    response["ETag"] = etag(sheet.version)
    return sheet


@updates(router, "/evaluations/{evaluation_id}/sheets/{stage}", method="PUT", response={200: SheetOut, **UPDATE_ERRORS})
def put_my_sheet(request: HttpRequest, response: HttpResponse, evaluation_id: int, stage: str, payload: SheetIn):
    """Save the caller's draft (``verdicts`` for the review stages, ``scores`` for scoring). ``If-Match``."""
    expected = if_match_version(request)
    _save(request, evaluation_id, stage, payload, submit=False, expected=expected)
    sheet = _my_sheet(request, evaluation_id, stage)
    response["ETag"] = etag(sheet.version)
    return sheet


@acts(router, "/evaluations/{evaluation_id}/sheets/{stage}/submit", response={200: SheetOut, **CREATE_ERRORS})
def submit_my_sheet(request: HttpRequest, evaluation_id: int, stage: str, payload: SheetIn):
    """Submit the caller's complete sheet (``422 evaluation.sheet_incomplete`` names what is missing)."""
    _save(request, evaluation_id, stage, payload, submit=True, expected=None)
    return _my_sheet(request, evaluation_id, stage)


@acts(router, "/evaluations/{evaluation_id}/members/{member_id}/return", response={200: EvaluationOut, **CREATE_ERRORS})
def return_sheet(request: HttpRequest, evaluation_id: int, member_id: int, payload: ReasonIn):
    """The chair returns a member's submitted sheet of the current stage, with the reason."""
    actions.do_return_sheet(
        actor=actor_of(request), section_ref=_ref(evaluation_id), member_id=member_id, reason=payload.reason
    )
    return _view(request, None, evaluation_id)


@acts(router, "/evaluations/{evaluation_id}/stages/{stage}/close", response={200: EvaluationOut, **CREATE_ERRORS})
def close_stage(request: HttpRequest, evaluation_id: int, stage: str):
    """The chair closes the current stage (``409 evaluation.sheets_pending`` / ``clarifications_pending``)."""
    actions.do_close_stage(actor=actor_of(request), section_ref=_ref(evaluation_id), stage=stage)
    return _view(request, None, evaluation_id)


# -- prices and clarifications ---------------------------------------------------------------------


@creates(
    router, "/evaluations/{evaluation_id}/bids/{bid_id}/price-changes", response={201: EvaluationOut, **CREATE_ERRORS}
)
def change_price(request: HttpRequest, response: HttpResponse, evaluation_id: int, bid_id: int, payload: PriceChangeIn):
    """价格核对 (the chair, stage ``pricing``): correction, final quote, evaluated-price adjustment."""
    actions.do_change_price(
        actor=actor_of(request),
        section_ref=_ref(evaluation_id),
        bid_id=bid_id,
        change=payload.change,
        price_fen=payload.price_fen,
        amount_fen=payload.amount_fen,
        reason=payload.reason,
    )
    return Status(201, _view(request, response, evaluation_id))


@acts(
    router, "/evaluations/{evaluation_id}/bids/{bid_id}/clarification", response={200: EvaluationOut, **CREATE_ERRORS}
)
def issue_clarification(request: HttpRequest, evaluation_id: int, bid_id: int, payload: ClarificationIssueIn):
    """Ask the bidder of an abnormally low bid to explain by ``respond_by`` (the chair)."""
    actions.do_issue_clarification(
        actor=actor_of(request),
        section_ref=_ref(evaluation_id),
        bid_id=bid_id,
        question=payload.question,
        respond_by=payload.respond_by,
    )
    return _view(request, None, evaluation_id)


@acts(
    router,
    "/evaluations/{evaluation_id}/bids/{bid_id}/clarification/answer",
    response={200: ClarificationOut, **CREATE_ERRORS},
)
def answer_clarification(request: HttpRequest, evaluation_id: int, bid_id: int, payload: ClarificationAnswerIn):
    """The bidder's written explanation (before the deadline: ``409 evaluation.answer_too_late`` after)."""
    actions.do_answer_clarification(
        actor=actor_of(request), section_ref=_ref(evaluation_id), bid_id=bid_id, answer=payload.answer
    )
    view = queries.get_evaluation_by_id_for(actor_of(request), evaluation_id)
    return next(c for c in view.clarifications if c.bid_id == bid_id)


@acts(
    router,
    "/evaluations/{evaluation_id}/bids/{bid_id}/clarification/decision",
    response={200: EvaluationOut, **CREATE_ERRORS},
)
def decide_clarification(request: HttpRequest, evaluation_id: int, bid_id: int, payload: ClarificationDecisionIn):
    """Accept the explanation or reject the bid, with the reason (the chair)."""
    actions.do_decide_clarification(
        actor=actor_of(request),
        section_ref=_ref(evaluation_id),
        bid_id=bid_id,
        accept=payload.accept,
        reason=payload.reason,
    )
    return _view(request, None, evaluation_id)


# -- time ------------------------------------------------------------------------------------------


@acts(router, "/evaluations/{evaluation_id}/time-short", response={200: EvaluationOut, **CREATE_ERRORS})
def time_short(request: HttpRequest, evaluation_id: int, payload: OptionalReasonIn):
    """A member says the time is too short (more than the rule's share → the extension is due)."""
    actions.do_declare_time_short(actor=actor_of(request), section_ref=_ref(evaluation_id), reason=payload.reason)
    return _view(request, None, evaluation_id)


@acts(router, "/evaluations/{evaluation_id}/extension", response={200: EvaluationOut, **CREATE_ERRORS})
def extend(request: HttpRequest, evaluation_id: int, payload: ExtensionIn):
    """Extend the evaluation time (staff)."""
    actions.do_extend_evaluation(
        actor=actor_of(request), section_ref=_ref(evaluation_id), until=payload.until, reason=payload.reason
    )
    return _view(request, None, evaluation_id)


# -- documents -------------------------------------------------------------------------------------


@router.get(
    "/evaluations/{evaluation_id}/bids/{bid_id}/documents/{index}/link", response={200: LinkOut, **CREATE_ERRORS}
)
def document_link(request: HttpRequest, evaluation_id: int, bid_id: int, index: int):
    """A signed link (10 minutes, for the caller only) to a bid document: committee members during the meeting."""
    url = queries.document_link_for(actor_of(request), _ref(evaluation_id), bid_id, index)
    return {"url": url, "expires_in": queries.LINK_SECONDS}


# -- the report ------------------------------------------------------------------------------------


@router.get("/evaluations/{evaluation_id}/report", response={200: ReportOut, **ERRORS})
def report(request: HttpRequest, evaluation_id: int):
    """The report and what each member signs: the document signing input over its SM3 (SM2 certificates) or
    SHA-256 (ECDSA/RSA) digest."""
    view = queries.get_evaluation_by_id_for(actor_of(request), evaluation_id)
    if view.report is None:
        raise err.conflict("report_not_ready", "评标报告尚未生成", "the report is not ready")
    signer = view.viewer in ("member", "overseer")
    data = canonical_json(view.report)
    return {
        "report": view.report,
        "report_sha256": view.report_sha256,
        "report_sm3": view.report_sm3,
        "signing_input_sm3": ca_queries.document_signing_input("sm3", sm3(data)).decode("ascii") if signer else "",
        "signing_input_sha256": ca_queries.document_signing_input("sha256", sha256(data)).decode("ascii")
        if signer
        else "",
        "status": view.status,
    }


@creates(router, "/evaluations/{evaluation_id}/report/signatures", response={201: SignedOut, **CREATE_ERRORS})
def sign(request: HttpRequest, response: HttpResponse, evaluation_id: int, payload: SignatureIn):
    """A member signs the report (``ca.*`` for a bad signature or certificate; ``403 evaluation.signer_mismatch``
    for a certificate not bound to the caller)."""
    member = actions.do_sign_report(
        actor=actor_of(request),
        section_ref=_ref(evaluation_id),
        signature=payload.signature,
        certificate=payload.certificate,
        dissent=payload.dissent,
    )
    return Status(201, {"member": member.label, "signed_at": member.signed_at})


@acts(router, "/evaluations/{evaluation_id}/report/finalise", response={200: EvaluationOut, **CREATE_ERRORS})
def finalise(request: HttpRequest, evaluation_id: int):
    """The report is final once every member signed (``409 evaluation.signatures_pending``): the chair or staff."""
    actions.do_finalise_report(actor=actor_of(request), section_ref=_ref(evaluation_id))
    return _view(request, None, evaluation_id)


@router.get("/evaluations/{evaluation_id}/candidates", auth=PUBLIC, response={200: list[CandidateOut], **ERRORS})
def candidates(request: HttpRequest, evaluation_id: int):
    """中标候选人, ranked — public once the report is final (empty before)."""
    return queries.candidates_of(_ref(evaluation_id))


@acts(router, "/evaluations/{evaluation_id}/awarded", response={200: EvaluationOut, **CREATE_ERRORS})
def awarded(request: HttpRequest, evaluation_id: int, payload: AwardedIn):
    """The award is made: the members' names may be shown (staff or the platform)."""
    actions.do_mark_awarded(actor=actor_of(request), section_ref=_ref(evaluation_id), at=payload.at)
    return _view(request, None, evaluation_id)


@acts(router, "/evaluations/{evaluation_id}/cancel", response={200: EvaluationOut, **CREATE_ERRORS})
def cancel(request: HttpRequest, evaluation_id: int, payload: ReasonIn):
    """The procedure was stopped (staff)."""
    actions.do_cancel_evaluation(actor=actor_of(request), section_ref=_ref(evaluation_id), reason=payload.reason)
    return _view(request, None, evaluation_id)
