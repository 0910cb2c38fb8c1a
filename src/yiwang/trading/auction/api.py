"""Auction API (``/api/v1/auction``), docs/auction.md.

- Public: ``GET /lots``, ``GET /lots/{id}`` (the row), ``GET /lots/{id}/state`` (the live state and the server
  time), ``GET /lots/{id}/bids`` (history under 竞买号).
- Bidders (a user acting for an entity): ``POST /lots/{id}/registrations`` (报名, deposit gate),
  ``GET /lots/{id}/me``, ``POST /lots/{id}/bids`` (Idempotency-Key: a retry gets the first acceptance),
  ``POST /lots/{id}/preemption`` (行使优先购买权), ``POST /lots/{id}/continue`` (land: 表示继续竞价),
  ``POST /lots/{id}/turn-bid/cancel`` (reverse: withdraw this turn's bid),
  ``POST /lots/{id}/sealed-bids`` (一次报价: multipart envelope, once).
- Staff: ``POST /lots`` (from a rules preset), ``POST /lots/{id}/preemptions``, ``POST /lots/{id}/suspend`` and
  ``/resume`` (with a reason), ``POST /lots/{id}/advance`` (run a due transition now), ``POST /lots/{id}/confirm``,
  ``POST /lots/{id}/renege`` (悔拍), ``GET /lots/{id}/bidders`` (identities), ``GET /lots/{id}/check`` (replay),
  ``POST /lots/{id}/scores`` (权重报价), ``POST /lots/{id}/opening`` (开启报价), ``POST /lots/{id}/decide``.

Refusals carry the engine's codes (``auction.below_increment``, ``auction.closed``, ``auction.stale_price`` …).
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Status
from ninja.files import UploadedFile

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.idempotency import HEADER
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.clock import now as clock_now
from yiwang.services.bidbox.web import upload_address_of
from yiwang.trading.auction import actions, queries
from yiwang.trading.auction.models import Lot
from yiwang.trading.auction.schemas import (
    ACT_ERRORS,
    READ_ERRORS,
    UPLOAD_ERRORS,
    AdvanceOut,
    BidderOut,
    BidIn,
    BidOut,
    CheckOut,
    LotIn,
    LotOut,
    MyStatusOut,
    NoteIn,
    OpeningOut,
    PreemptionIn,
    PreemptionOut,
    ReasonIn,
    ReceiptOut,
    RegistrationIn,
    RegistrationOut,
    ScoresIn,
    SealedReceiptOut,
    StateOut,
)

router = Router(tags=["auction 网络竞价"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/auction"


def lot_out(lot: Lot) -> LotOut:
    return LotOut(
        id=lot.pk,
        ref=lot.ref,
        title=lot.title,
        preset=lot.preset,
        preset_label=queries.preset_label(lot),
        category=lot.category,
        region_code=lot.region_code,
        round_no=lot.round_no,
        start_price_fen=lot.start_price_fen,
        step_fen=lot.step_fen,
        deposit_fen=lot.deposit_fen,
        appraisal_fen=lot.appraisal_fen,
        start_at=lot.start_at,
        end_at=lot.end_at,
        next_at=lot.next_check,
        phase=lot.phase,
        price_fen=lot.price_fen,
        leader_code=lot.leader_code or None,
        bid_count=lot.bid_count,
        ext_count=lot.ext_count,
        bidder_count=lot.bidder_count,
        seq=lot.seq,
        outcome=lot.outcome or None,
        winner_code=lot.winner_code or None,
        deal_price_fen=lot.deal_price_fen,
        closed_at=lot.closed_at,
        settled=lot.settled or None,
        version=lot.version,
    )


def receipt_out(r: actions.BidReceipt) -> ReceiptOut:
    return ReceiptOut(
        lot_id=r.lot_id,
        seq=r.seq,
        code=r.code,
        amount_fen=r.amount_fen,
        accepted_at=r.accepted_at,
        end_at=r.end_at,
        duplicate=r.duplicate,
    )


def _log_key(request: HttpRequest) -> str | None:
    """The command log's idempotency key: the caller's HTTP key, made unique per caller."""
    key = request.headers.get(HEADER)
    if not key:
        return None
    return "http:" + hashlib.sha256(f"{actor_of(request).ref}\n{key}".encode()).hexdigest()[:40]


# -- public ---------------------------------------------------------------------------------------------------------
@router.get("/lots", auth=PUBLIC, response={200: list[LotOut], **READ_ERRORS})
def list_lots(request: HttpRequest, phase: str | None = None, category: str | None = None, limit: int = 100):
    return [
        lot_out(lot) for lot in queries.list_lots_for(actor_of(request), phase=phase, category=category, limit=limit)
    ]


@router.get("/lots/{lot_id}", auth=PUBLIC, response={200: LotOut, **READ_ERRORS})
def get_lot(request: HttpRequest, lot_id: int):
    return lot_out(queries.get_lot_for(actor_of(request), lot_id))


@router.get("/lots/{lot_id}/state", auth=PUBLIC, response={200: StateOut, **READ_ERRORS})
def get_state(request: HttpRequest, lot_id: int):
    lot = queries.get_lot_for(actor_of(request), lot_id)
    # a Dutch price moves with time; a reverse auction shows its round, turn and standings
    state = queries.engine_state(lot) if lot.kind in ("dutch", "reverse") else None
    return StateOut(server_time=clock_now(), state=queries.public_state(lot, state), rules=queries.public_rules(lot))


@router.get("/lots/{lot_id}/bids", auth=PUBLIC, response={200: list[BidOut], **READ_ERRORS})
def list_bids(request: HttpRequest, lot_id: int, limit: int = 100):
    return [
        BidOut(seq=b.seq, code=b.code, amount_fen=b.amount_fen, at=b.at, how=b.how)
        for b in queries.list_bids_for(actor_of(request), lot_id, limit=limit)
    ]


# -- bidders --------------------------------------------------------------------------------------------------------
@creates(router, "/lots/{lot_id}/registrations", response={201: RegistrationOut, **ACT_ERRORS})
def register(request: HttpRequest, lot_id: int, payload: RegistrationIn):
    bidder = actions.do_register_bidder(
        actor=actor_of(request), lot_id=lot_id, entity_id=payload.entity_id, initial_fen=payload.initial_fen
    )
    return Status(201, RegistrationOut(lot_id=lot_id, code=bidder.code, priority=bidder.priority))


@router.get("/lots/{lot_id}/me", response={200: MyStatusOut, **READ_ERRORS})
def my_status(request: HttpRequest, lot_id: int):
    actor = actor_of(request)
    me = queries.my_status_for(actor, queries.get_lot_for(actor, lot_id))
    return MyStatusOut(
        registered=me.registered, code=me.code, priority=me.priority, status=me.status, leading=me.leading, won=me.won
    )


@creates(router, "/lots/{lot_id}/bids", response={201: ReceiptOut, **ACT_ERRORS})
def place_bid(request: HttpRequest, response: HttpResponse, lot_id: int, payload: BidIn):
    receipt = actions.do_place_bid(
        actor=actor_of(request),
        lot_id=lot_id,
        amount_fen=payload.amount_fen,
        expected_price_fen=payload.expected_price_fen,
        idempotency_key=_log_key(request),
    )
    response["Location"] = f"{BASE}/lots/{lot_id}/bids"
    return Status(201, receipt_out(receipt))


@acts(router, "/lots/{lot_id}/preemption", response={200: ReceiptOut, **ACT_ERRORS})
def exercise_preemption(request: HttpRequest, lot_id: int):
    receipt = actions.do_exercise_preemption(actor=actor_of(request), lot_id=lot_id, idempotency_key=_log_key(request))
    return receipt_out(receipt)


@acts(router, "/lots/{lot_id}/turn-bid/cancel", response={200: ReceiptOut, **ACT_ERRORS})
def cancel_turn_bid(request: HttpRequest, lot_id: int):
    """Reverse auction: withdraw the bid you made in your current turn while it lasts (the bid standing before it
    stands again: ``amount_fen``). ``auction.not_your_turn``, ``auction.turn_over``, ``auction.nothing_to_cancel``."""
    receipt = actions.do_cancel_turn_bid(actor=actor_of(request), lot_id=lot_id, idempotency_key=_log_key(request))
    return receipt_out(receipt)


@acts(router, "/lots/{lot_id}/continue", response={200: ReceiptOut, **ACT_ERRORS})
def declare_continue(request: HttpRequest, lot_id: int):
    return receipt_out(actions.do_declare_continue(actor=actor_of(request), lot_id=lot_id))


@creates(router, "/lots/{lot_id}/sealed-bids", response={201: SealedReceiptOut, **UPLOAD_ERRORS})
def submit_sealed_bid(request: HttpRequest, response: HttpResponse, lot_id: int, file: File[UploadedFile]):
    """一次报价 / 权重报价: multipart ``file``, the sealed-bid envelope (``yiwang bidbox seal``: the bid document
    ``{"summary": {"price_fen": …}}`` encrypted to the lot's opening key and to your certificate key). Once per
    bidder; the answer is the bid box's receipt, never the amount."""
    r = actions.do_submit_sealed_bid(actor=actor_of(request), lot_id=lot_id, stream=file, **upload_address_of(request))
    response["Location"] = f"/api/v1/bidbox/submissions/{r.submission_id}/receipt"
    return Status(
        201,
        SealedReceiptOut(
            lot_id=r.lot_id,
            seq=r.seq,
            code=r.code,
            submission_id=str(r.submission_id),
            receipt_id=r.receipt_id,
            received_at=r.received_at,
            envelope_sm3=r.envelope_sm3,
        ),
    )


# -- staff ----------------------------------------------------------------------------------------------------------
@creates(router, "/lots", response={201: LotOut, **ACT_ERRORS})
def create_lot(request: HttpRequest, response: HttpResponse, payload: LotIn):
    lot = actions.do_create_lot(actor=actor_of(request), spec=actions.LotSpec(**payload.model_dump()))
    response["Location"] = f"{BASE}/lots/{lot.pk}"
    return Status(201, lot_out(lot))


@creates(router, "/lots/{lot_id}/preemptions", response={201: PreemptionOut, **ACT_ERRORS})
def grant_preemption(request: HttpRequest, lot_id: int, payload: PreemptionIn):
    right = actions.do_grant_preemption(actor=actor_of(request), lot_id=lot_id, **payload.model_dump())
    return Status(201, PreemptionOut(entity_id=right.entity_id, rank=right.rank, basis=right.basis))


@acts(router, "/lots/{lot_id}/suspend", response={200: LotOut, **ACT_ERRORS})
def suspend(request: HttpRequest, lot_id: int, payload: ReasonIn):
    return lot_out(actions.do_suspend_lot(actor=actor_of(request), lot_id=lot_id, reason=payload.reason))


@acts(router, "/lots/{lot_id}/resume", response={200: LotOut, **ACT_ERRORS})
def resume(request: HttpRequest, lot_id: int, payload: ReasonIn):
    return lot_out(actions.do_resume_lot(actor=actor_of(request), lot_id=lot_id, reason=payload.reason))


@acts(router, "/lots/{lot_id}/advance", response={200: AdvanceOut, **ACT_ERRORS})
def advance(request: HttpRequest, lot_id: int):
    actor = actor_of(request)
    lot = queries.get_lot_for(actor, lot_id)
    actions.require_staff(actor, lot.region_code)
    done = actions.do_advance_lot(lot_id=lot_id, actor=actor)
    return AdvanceOut(advanced=done, lot=lot_out(queries.get_lot_for(actor, lot_id)))


@acts(router, "/lots/{lot_id}/confirm", response={200: LotOut, **ACT_ERRORS})
def confirm(request: HttpRequest, lot_id: int):
    return lot_out(actions.do_confirm_deal(actor=actor_of(request), lot_id=lot_id))


@acts(router, "/lots/{lot_id}/renege", response={200: LotOut, **ACT_ERRORS})
def renege(request: HttpRequest, lot_id: int, payload: NoteIn):
    return lot_out(actions.do_declare_reneged(actor=actor_of(request), lot_id=lot_id, note=payload.note))


@router.get("/lots/{lot_id}/bidders", response={200: list[BidderOut], **READ_ERRORS})
def list_bidders(request: HttpRequest, lot_id: int):
    return [
        BidderOut(
            code=b.code,
            entity_id=b.entity_id,
            name=b.name,
            priority=b.priority,
            status=b.status,
            registered_at=b.registered_at,
        )
        for b in queries.list_bidders_for(actor_of(request), lot_id)
    ]


@router.get("/lots/{lot_id}/check", response={200: CheckOut, **READ_ERRORS})
def check(request: HttpRequest, lot_id: int):
    c = queries.check_lot_for(actor_of(request), lot_id)
    return CheckOut(ok=c.ok, head=c.head, digest=c.digest, problems=list(c.problems))


@acts(router, "/lots/{lot_id}/scores", response={200: LotOut, **ACT_ERRORS})
def record_scores(request: HttpRequest, lot_id: int, payload: ScoresIn):
    """权重报价: the other factors' points per 竞买号, before the price opening (witnessed)."""
    return lot_out(actions.do_record_scores(actor=actor_of(request), lot_id=lot_id, scores=payload.scores))


@acts(router, "/lots/{lot_id}/opening", response={200: OpeningOut, **ACT_ERRORS})
def open_prices(request: HttpRequest, lot_id: int):
    """开启报价: start the bid box's opening after the deadline (bidders then decrypt in the bid box's hall)."""
    box = actions.do_open_sealed_prices(actor=actor_of(request), lot_id=lot_id)
    return OpeningOut(box_id=box.id, status=box.status, decryption_ends_at=box.decryption_ends_at)


@acts(router, "/lots/{lot_id}/decide", response={200: LotOut, **ACT_ERRORS})
def decide(request: HttpRequest, lot_id: int):
    """Close the opening and decide the sealed lot (the clock does it by itself once the bid box closed)."""
    return lot_out(actions.do_decide_sealed_lot(actor=actor_of(request), lot_id=lot_id))
