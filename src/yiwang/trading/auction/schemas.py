"""Request and response shapes of the auction API (money in integer fen, times ISO 8601 with offset)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, ErrorOut

READ_ERRORS = ERRORS
ACT_ERRORS = CREATE_ERRORS  # 400 401 403 404 409 422
UPLOAD_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 413: ErrorOut, 415: ErrorOut}


class LotIn(Schema):
    preset: str = Field(
        ...,
        max_length=30,
        description="judicial | judicial_sale | land_listing | equity_multi | equity_sealed | equity_weighted | "
        "english | dutch | reverse",
    )
    title: str = Field(..., max_length=200)
    start_price_fen: int
    step_fen: int
    start_at: datetime
    end_at: datetime | None = None
    appraisal_fen: int | None = None
    reserve_fen: int = 0
    cap_fen: int = 0
    deposit_fen: int = 0
    region_code: str = Field("310000", max_length=12)
    description: str = Field("", max_length=5000)
    previous_lot_id: int | None = None
    preemption: bool = True
    params: dict[str, int] | None = Field(
        None,
        description="engine parameters, seconds: countdown continue_window bidding_period interval matching_window",
    )
    opening_key: int | str | None = Field(
        None, description="equity_sealed / equity_weighted: the bid box's opening key (a key ceremony's id)"
    )
    price_weight_bp: int | None = Field(None, description="equity_weighted: price points out of 10 000")


class LotOut(Schema):
    id: int
    ref: str
    title: str
    preset: str
    preset_label: str
    category: str
    region_code: str
    round_no: int
    start_price_fen: int
    step_fen: int
    deposit_fen: int
    appraisal_fen: int | None
    start_at: datetime
    end_at: datetime | None
    next_at: datetime | None
    phase: str
    price_fen: int
    leader_code: str | None
    bid_count: int
    ext_count: int
    bidder_count: int
    seq: int
    outcome: str | None
    winner_code: str | None
    deal_price_fen: int | None
    closed_at: datetime | None
    settled: str | None
    version: int


class StateOut(Schema):
    """The live state (the same JSON the live channel ``auction.lot:<id>`` carries) plus the server time."""

    server_time: datetime
    state: dict[str, Any]
    rules: dict[str, Any]


class BidOut(Schema):
    seq: int
    code: str
    amount_fen: int
    at: datetime
    how: str


class PreemptionIn(Schema):
    entity_id: int
    rank: int = 1
    basis: str = Field(..., max_length=500)


class PreemptionOut(Schema):
    entity_id: int
    rank: int
    basis: str


class RegistrationIn(Schema):
    entity_id: int
    initial_fen: int | None = Field(None, description="reverse auctions: the sealed opening bid")


class RegistrationOut(Schema):
    lot_id: int
    code: str
    priority: int


class MyStatusOut(Schema):
    registered: bool
    code: str
    priority: int
    status: str
    leading: bool
    won: bool


class BidIn(Schema):
    amount_fen: int
    expected_price_fen: int | None = Field(
        None, description="the price the bidder saw: refused with auction.stale_price when it moved"
    )


class ReceiptOut(Schema):
    lot_id: int
    seq: int
    code: str
    amount_fen: int
    accepted_at: datetime
    end_at: datetime | None
    duplicate: bool


class ReasonIn(Schema):
    reason: str = Field(..., max_length=500)


class NoteIn(Schema):
    note: str = Field("", max_length=200)


class AdvanceOut(Schema):
    advanced: bool
    lot: LotOut


class BidderOut(Schema):
    code: str
    entity_id: int
    name: str
    priority: int
    status: str
    registered_at: datetime


class CheckOut(Schema):
    ok: bool
    head: int
    digest: str
    problems: list[str]


class SealedReceiptOut(Schema):
    """The answer to a sealed bid: the command and the bid box's receipt (never the amount)."""

    lot_id: int
    seq: int
    code: str
    submission_id: str
    receipt_id: str
    received_at: datetime
    envelope_sm3: str


class ScoresIn(Schema):
    scores: dict[str, int] = Field(..., description="竞买号 -> points for the factors other than price")


class OpeningOut(Schema):
    box_id: int
    status: str
    decryption_ends_at: datetime | None = None
