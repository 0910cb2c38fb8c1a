"""Request and response shapes of the carbon-market API (prices in fen per tonne, quantities in tonnes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS

READ_ERRORS = ERRORS
ACT_ERRORS = CREATE_ERRORS
PATCH_ERRORS = UPDATE_ERRORS

Side = Literal["buy", "sell"]
OrderType = Literal["limit", "market", "ioc", "fok"]
Answer = Literal["confirm", "reject", "withdraw"]


class MarketOut(Schema):
    code: str
    name: str
    mode: str
    item_key: str
    phase: str
    current_day: date | None
    lower_fen: int
    upper_fen: int
    last_price_fen: int
    last_close_fen: int
    reference_fen: int


class MarketIn(Schema):
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    mode: Literal["listing", "continuous"]
    reference_fen: int = Field(..., gt=0)
    item_key: str = "carbon.allowance"
    index_weight: int = Field(1, ge=0)


class LevelOut(Schema):
    price_fen: int
    quantity_t: int
    orders: int


class DepthOut(Schema):
    bids: list[LevelOut]
    asks: list[LevelOut]


class ListingOut(Schema):
    order_id: int
    side: str
    price_fen: int
    open_t: int
    mine: bool


class ListingsOut(Schema):
    bids: list[ListingOut]
    asks: list[ListingOut]


class TradeOut(Schema):
    trade_id: int
    kind: str
    price_fen: int
    quantity_t: int
    day: date
    executed_at: datetime


class MyTradeOut(TradeOut):
    side: str
    amount_fen: int
    order_id: int | None


class DayOut(Schema):
    day: date
    status: str
    previous_close_fen: int
    lower_fen: int
    upper_fen: int
    open_fen: int | None
    high_fen: int | None
    low_fen: int | None
    close_fen: int | None
    eligible_volume_t: int
    eligible_value_fen: int
    volume_t: dict[str, int]
    value_fen: dict[str, int]
    trades: int


class IndexOut(Schema):
    code: str
    day: date
    value: str
    method: str
    prices: dict[str, int]


class OrderIn(Schema):
    side: Side
    quantity_t: int
    price_fen: int | None = None
    order_type: OrderType = "limit"
    client_order_id: str | None = Field(None, max_length=64)
    entity_id: int | None = None


class BatchIn(Schema):
    orders: list[OrderIn] = Field(..., min_length=1, max_length=1000)
    entity_id: int | None = None


class OrderOut(Schema):
    order_id: int
    entity_id: int
    client_order_id: str
    side: str
    order_type: str
    target_order_id: int | None
    price_fen: int
    quantity_t: int
    open_t: int
    filled_t: int
    status: str
    reason: str
    day: date
    version: int
    created_at: datetime
    updated_at: datetime


class BatchItemOut(Schema):
    order: OrderOut | None
    error: dict[str, Any] | None


class AmendIn(Schema):
    price_fen: int | None = None
    quantity_t: int | None = None


class TakeIn(Schema):
    order_id: int
    quantity_t: int
    client_order_id: str | None = Field(None, max_length=64)
    entity_id: int | None = None


class EntityIn(Schema):
    entity_id: int | None = None


class BlockIn(Schema):
    side: Side
    counterparty_entity_id: int
    price_fen: int
    quantity_t: int
    entity_id: int | None = None


class RepoIn(Schema):
    counterparty_entity_id: int
    quantity_t: int
    price_open_fen: int
    price_close_fen: int
    repurchase_day: date
    margin_fen: int = 0
    entity_id: int | None = None


class CreatedIdOut(Schema):
    id: int


class AnswerOut(Schema):
    trade_id: int | None


class BlockOut(Schema):
    proposal_id: int
    proposer_entity_id: int
    counterparty_entity_id: int
    side: str
    price_fen: int
    quantity_t: int
    status: str
    trade_id: int | None
    day: date


class RepoOut(Schema):
    repo_id: int
    seller_entity_id: int
    buyer_entity_id: int
    quantity_t: int
    price_open_fen: int
    price_close_fen: int
    repurchase_day: date
    margin_fen: int
    status: str


class HoldingsOut(Schema):
    cash_available_fen: int
    cash_frozen_fen: int
    cash_margin_fen: int
    allowance_available_t: int
    allowance_frozen_t: int
    allowance_repo_t: int


class AccountOut(Schema):
    market: str
    entity_id: int
    name: str
    holdings: HoldingsOut
    open_orders: list[OrderOut]
    trades: list[MyTradeOut]
    blocks: list[BlockOut]
    repos: list[RepoOut]


class AccountIn(Schema):
    entity_id: int


class ParticipantOut(Schema):
    entity_id: int
    name: str
    opened_at: datetime


class CashIn(Schema):
    direction: Literal["in", "out"]
    amount_fen: int


class AllowancesIn(Schema):
    direction: Literal["in", "out"]
    quantity_t: int


class PhaseIn(Schema):
    phase: Literal["open", "halted"]


class DayIn(Schema):
    day: date | None = None


class SeqOut(Schema):
    seq: int


class CloseOut(Schema):
    day: int
    close_fen: int
    open_fen: int
    high_fen: int
    low_fen: int
    eligible_volume_t: int
    index: str | None
    reconciliation: dict[str, Any]


class ReconciliationOut(Schema):
    ok: bool
    differences: list[dict[str, Any]]
    participants: int
    cash_fen: int = 0
    allowances_t: int = 0
    custody_cash_fen: int = 0
    custody_allowances_t: int = 0
    open_orders: int = 0
    trades: int = 0
    seq: int | None = None
    state_sha256: str = ""
