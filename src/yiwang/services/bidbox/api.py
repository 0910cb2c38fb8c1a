"""Bid-box API (``/api/v1/bidbox``).

- ``POST /keys``: the opening-key ceremony (staff); the shares are in this response only — a request carrying
  ``Idempotency-Key`` is refused, because the stored replay would keep the shares on the server.
- ``POST /boxes``, ``GET /boxes/{id}``, ``POST /boxes/{id}/postpone``: boxes (staff; the owning contexts call the
  actions directly).
- ``POST /boxes/{id}/submissions`` (multipart ``file`` [+ ``entity_id``]): submit an envelope; the answer is the
  receipt. ``POST /submissions/{id}/withdraw``, ``GET /submissions/mine``, ``GET /submissions/{id}/receipt``.
- ``POST /boxes/{id}/opening``, ``POST /submissions/{id}/content-key``, ``POST /submissions/{id}/fallback``,
  ``POST /boxes/{id}/shares``, ``POST /boxes/{id}/close``, ``GET /boxes/{id}/hall``: the opening.
- ``GET /boxes/{id}/count`` (staff before the opening), ``GET /boxes/{id}/record`` (public after it).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Actor
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import if_match_version
from yiwang.platform.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import ERRORS
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.domain import errors
from yiwang.services.bidbox.schemas import (
    ACT_ERRORS,
    READ_ERRORS,
    UPLOAD_ERRORS,
    BoxIn,
    BoxOut,
    CeremonyIn,
    CeremonyOut,
    ContentKeyIn,
    CountOut,
    DecryptOut,
    FallbackIn,
    HallOut,
    OpeningKeyOut,
    PostponeIn,
    ReceiptOut,
    RecordOut,
    ShareIn,
    ShareOut,
)
from yiwang.services.bidbox.web import upload_address_of

router = Router(tags=["bidbox 电子投标箱"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/bidbox"

OPTIONAL_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "可选：投标箱的 ETag / optional: the box's ETag (refused with 412 if it changed)",
}


def _key_out(key: Any) -> dict[str, Any]:
    return {
        "id": key.pk,
        "key_id": key.key_id,
        "algorithm": key.algorithm,
        "threshold": key.threshold,
        "total": key.total,
        "custodians": key.custodians,
        "label": key.label,
        "public_key_pem": actions.opening_key_of(key).to_pem().decode("ascii"),
        "created_at": key.created_at,
    }


def _box_out(request: HttpRequest, response: HttpResponse, box_id: int) -> queries.BoxView:
    view = queries.get_box_for(actor_of(request), box_id)
    response["ETag"] = f'"{view.version}"'
    return view


def _receipt_out(view: queries.ReceiptView) -> dict[str, Any]:
    return {**view.__dict__, "receipt": view.receipt_b64}


def _decrypt_out(submission: Any, code: str | None = None) -> dict[str, Any]:
    from yiwang.services.bidbox.domain.rules import OPENING_STATUS_LABELS, OpeningStatus

    return {
        "submission_id": submission.pk,
        "receipt_id": submission.receipt_id,
        "opening_status": submission.opening_status,
        "opening_status_label": OPENING_STATUS_LABELS[OpeningStatus(submission.opening_status)],
        "fault": submission.fault,
        "claim": submission.claim,
        "code": code,
    }


def _entity_for(actor: Actor, entity_id: int | None) -> int:
    if entity_id is not None:
        return entity_id
    entities = sorted(actor.entity_ids())
    if len(entities) != 1:
        raise errors.invalid("entity_id", "请指定代表哪个单位递交", "Say which entity you submit for (entity_id)")
    return entities[0]


# -- keys and boxes -------------------------------------------------------------------------------------------------


@creates(router, "/keys", response={201: CeremonyOut, **ACT_ERRORS})
def run_ceremony(request: HttpRequest, payload: CeremonyIn):
    """开标密钥仪式 (staff): a new opening key; each custodian's share is in this answer only (never stored).
    Do not send ``Idempotency-Key`` here (refused: the replay would store the shares)."""
    if request.headers.get(IDEMPOTENCY_HEADER) is not None:
        raise errors.ceremony_not_idempotent()
    ceremony = actions.do_run_key_ceremony(
        actor=actor_of(request),
        threshold=payload.threshold,
        custodians=payload.custodians,
        label=payload.label,
        algorithm=payload.algorithm,
    )
    shares = [{"index": s.index, "name": s.name, "share": s.text} for s in ceremony.shares]
    return Status(201, {"key": _key_out(ceremony.key), "shares": shares})


@router.get("/keys/{key}", auth=PUBLIC, response={200: OpeningKeyOut, **ERRORS})
def read_key(request: HttpRequest, key: str):
    """An opening key's public half (PEM), its threshold and custodians' names."""
    return _key_out(queries.get_opening_key(key))


@creates(router, "/boxes", response={201: BoxOut, **ACT_ERRORS})
def open_box(request: HttpRequest, response: HttpResponse, payload: BoxIn):
    """Open a box (staff over its region)."""
    from datetime import timedelta

    window = payload.decryption_window_minutes
    box = actions.do_open_box(
        actor=actor_of(request),
        owner=(payload.owner_context, payload.owner_ref),
        title=payload.title,
        deadline=payload.deadline,
        opening_key=payload.opening_key,
        min_bidders_rule=payload.min_bidders_rule,
        opening_rule=payload.opening_rule,
        max_bytes=payload.max_bytes,
        decryption_window=timedelta(minutes=window) if window else None,
        project_code=payload.project_code,
        section_code=payload.section_code,
        region=payload.region,
        require_confirmed_session=payload.require_confirmed_session,
        fallback_policy=payload.fallback_policy,
        readout_fields=payload.readout_fields,
        auto_start=payload.auto_start,
    )
    response["Location"] = f"{BASE}/boxes/{box.pk}"
    return Status(201, _box_out(request, response, box.pk))


@router.get("/boxes/{int:box_id}", auth=PUBLIC, response={200: BoxOut, **ERRORS})
def read_box(request: HttpRequest, response: HttpResponse, box_id: int):
    """A box's public facts; ``submission_count`` for staff, and for everybody once the opening started."""
    return _box_out(request, response, box_id)


@acts(
    router,
    "/boxes/{int:box_id}/postpone",
    response={200: BoxOut, **ACT_ERRORS, 412: ERRORS[422]},
    openapi_extra={"parameters": [OPTIONAL_IF_MATCH]},
)
def postpone(request: HttpRequest, response: HttpResponse, box_id: int, payload: PostponeIn):
    """截止时间顺延 (staff): before the deadline, to a later time, with a reason; submitters are notified."""
    expected = if_match_version(request) if request.headers.get("If-Match") else None
    actions.do_postpone_deadline(
        actor=actor_of(request),
        box_id=box_id,
        new_deadline=payload.new_deadline,
        reason=payload.reason,
        expected_version=expected,
    )
    return _box_out(request, response, box_id)


@router.get("/boxes/{int:box_id}/count", response={200: CountOut, **ERRORS})
def count(request: HttpRequest, box_id: int):
    """How many current envelopes (staff before the opening; ``bidbox.sealed`` for others)."""
    return {"box_id": box_id, "submissions": queries.count_submissions_for(actor_of(request), box_id)}


# -- bidders --------------------------------------------------------------------------------------------------------


@creates(router, "/boxes/{int:box_id}/submissions", response={201: ReceiptOut, **UPLOAD_ERRORS})
def submit(
    request: HttpRequest,
    response: HttpResponse,
    box_id: int,
    file: File[UploadedFile],
    entity_id: Form[int | None] = None,
):
    """递交投标文件: multipart ``file`` (the ``.ywenv`` envelope) and, when you act for several entities,
    ``entity_id``. The answer is the receipt (its ``receipt`` sections verify with the platform key)."""
    actor = actor_of(request)
    entity = _entity_for(actor, entity_id)
    confirmation = ca_queries.session_confirmation(request, entity_id=entity)
    submission = actions.do_submit_envelope(
        actor=actor,
        box_id=box_id,
        entity_id=entity,
        stream=file,
        confirmation=confirmation,
        **upload_address_of(request),
    )
    response["Location"] = f"{BASE}/submissions/{submission.pk}/receipt"
    return Status(201, _receipt_out(queries.get_receipt_for(actor, submission.pk)))


@router.get("/submissions/mine", response={200: list[ReceiptOut], **ERRORS})
def mine(request: HttpRequest, box_id: int | None = None):
    """我的递交记录: every submission of the entities you act for (replaced and withdrawn ones too)."""
    return [_receipt_out(v) for v in queries.list_my_submissions_for(actor_of(request), box_id=box_id)]


@router.get("/submissions/{uuid:submission_id}/receipt", response={200: ReceiptOut, **ERRORS})
def receipt(request: HttpRequest, submission_id: UUID):
    """The receipt of one of your submissions (nobody else's)."""
    return _receipt_out(queries.get_receipt_for(actor_of(request), submission_id))


@acts(router, "/submissions/{uuid:submission_id}/withdraw", response={200: ReceiptOut, **ACT_ERRORS})
def withdraw(request: HttpRequest, submission_id: UUID):
    """撤回投标文件, before the deadline."""
    actor = actor_of(request)
    row = queries.get_receipt_for(actor, submission_id)
    confirmation = ca_queries.session_confirmation(request, entity_id=row.entity_id)
    actions.do_withdraw_submission(actor=actor, submission_id=submission_id, confirmation=confirmation)
    return _receipt_out(queries.get_receipt_for(actor, submission_id))


# -- the opening ----------------------------------------------------------------------------------------------------


@acts(router, "/boxes/{int:box_id}/opening", response={200: BoxOut, **ACT_ERRORS})
def start_opening(request: HttpRequest, response: HttpResponse, box_id: int):
    """开标 (staff), at or after the opening time."""
    actions.do_start_opening(actor=actor_of(request), box_id=box_id)
    return _box_out(request, response, box_id)


@acts(router, "/submissions/{uuid:submission_id}/content-key", response={200: DecryptOut, **ACT_ERRORS})
def submit_content_key(request: HttpRequest, submission_id: UUID, payload: ContentKeyIn):
    """投标人解密: the content key your client unwrapped with your own key (hex). A wrong key answers
    ``crypto.wrong_key`` and may be retried within the window; a failure that decides the envelope's fate answers
    200 with its status (revoked / withdrawn) and ``code``."""
    result = actions.do_decrypt_with_content_key(
        actor=actor_of(request), submission_id=submission_id, content_key=payload.content_key
    ).raise_if_retryable()
    return _decrypt_out(result.submission, result.error.code if result.error else None)


@acts(router, "/submissions/{uuid:submission_id}/fallback", response={200: DecryptOut, **ACT_ERRORS})
def allow_fallback(request: HttpRequest, submission_id: UUID, payload: FallbackIn):
    """Staff: the bidder could not decrypt for a reason not its own; the custodians' shares may open it."""
    row = actions.do_allow_fallback(
        actor=actor_of(request), submission_id=submission_id, reason=payload.reason, note=payload.note
    )
    return _decrypt_out(row)


@acts(router, "/boxes/{int:box_id}/shares", response={200: ShareOut, **ACT_ERRORS})
def submit_share(request: HttpRequest, box_id: int, payload: ShareIn):
    """A custodian's share (each custodian separately). When the k-th arrives, the key is recovered in memory,
    the envelopes the fallback may open are opened, and every share is deleted."""
    result = actions.do_submit_share(actor=actor_of(request), box_id=box_id, share_text=payload.share)
    return {
        "entered": result.entered,
        "threshold": result.threshold,
        "opened": result.opened,
        "failed": result.failed,
        "error": result.error.as_dict() if result.error else None,
    }


@acts(router, "/boxes/{int:box_id}/close", response={200: BoxOut, **ACT_ERRORS})
def close_opening(request: HttpRequest, response: HttpResponse, box_id: int):
    """Staff: end the opening (at the end of the window, or once nothing is pending) and publish the record."""
    actions.do_close_opening(actor=actor_of(request), box_id=box_id)
    return _box_out(request, response, box_id)


@router.get("/boxes/{int:box_id}/hall", auth=PUBLIC, response={200: HallOut, **ERRORS})
def hall(request: HttpRequest, box_id: int):
    """开标大厅: each envelope's status without names (``bidbox.sealed`` before the opening)."""
    view = queries.list_hall_for(actor_of(request), box_id)
    return {
        "box_id": view.box.id,
        "status": view.box.status,
        "decryption_ends_at": view.box.decryption_ends_at,
        "pending_shares": view.pending_shares,
        "threshold": view.threshold,
        "counts": view.counts,
        "entries": [e.__dict__ for e in view.entries],
    }


@router.get("/boxes/{int:box_id}/record", auth=PUBLIC, response={200: RecordOut, **READ_ERRORS})
def record(request: HttpRequest, box_id: int):
    """开标记录 (public), after every decryption has ended."""
    return {"record": queries.get_opening_record(box_id)}
