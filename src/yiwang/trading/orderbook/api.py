"""Carbon-market API (``/api/v1/orderbook``). Prices are fen per tonne, quantities whole tonnes.

- Public: ``GET /markets``, ``/markets/{code}``, ``/markets/{code}/depth`` (5 levels), ``/listings`` (for 摘牌),
  ``/trades``, ``/days`` (daily bars), ``GET /index`` (上海碳价指数).
- Participants (a user acting for an entity with an account): ``POST /markets/{code}/orders`` (Idempotency-Key;
  limit, market-to-limit, IOC, FOK; a listing in a 挂牌协议 market), ``POST …/orders/batch`` (group commit),
  ``GET …/orders``, ``GET|PATCH …/orders/{id}`` (If-Match), ``POST …/orders/{id}/cancel``, ``POST …/takes``
  (摘牌), ``POST …/blocks`` and ``…/blocks/{id}/{confirm|reject|withdraw}`` (大宗协议), ``POST …/repos`` and
  ``…/repos/{id}/{confirm|reject|withdraw}`` (配额回购), ``GET …/accounts/{entity_id}``.
- Staff: ``POST /markets``, ``POST …/accounts``, ``POST …/accounts/{id}/cash|allowances`` (入金/出金, 配额划转),
  ``POST …/day/open|close``, ``POST …/phase``, ``GET …/participants``, ``GET …/reconciliation``.

Refusals carry the engine's codes (``orderbook.price_out_of_band``, ``orderbook.insufficient_cash`` …).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, updates
from yiwang.trading.orderbook import actions, queries
from yiwang.trading.orderbook.models import BlockProposal, Market, Order, Repo, Trade
from yiwang.trading.orderbook.schemas import (
    ACT_ERRORS,
    PATCH_ERRORS,
    READ_ERRORS,
    AccountIn,
    AccountOut,
    AllowancesIn,
    AmendIn,
    AnswerOut,
    BatchIn,
    BatchItemOut,
    BlockIn,
    BlockOut,
    CashIn,
    CloseOut,
    CreatedIdOut,
    DayIn,
    DayOut,
    DepthOut,
    EntityIn,
    IndexOut,
    ListingsOut,
    MarketIn,
    MarketOut,
    OrderIn,
    OrderOut,
    ParticipantOut,
    PhaseIn,
    ReconciliationOut,
    RepoIn,
    RepoOut,
    SeqOut,
    TakeIn,
    TradeOut,
)

router = Router(tags=["orderbook 碳排放权交易"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/orderbook"


def market_out(m: Market) -> MarketOut:
    return MarketOut(
        code=m.code,
        name=m.name,
        mode=m.mode,
        item_key=m.item_key,
        phase=m.phase,
        current_day=m.current_day,
        lower_fen=m.lower_fen,
        upper_fen=m.upper_fen,
        last_price_fen=m.last_price_fen,
        last_close_fen=m.last_close_fen,
        reference_fen=m.reference_fen,
    )


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        order_id=o.oid,
        entity_id=o.entity_id,
        client_order_id=o.client_order_id,
        side=o.side,
        order_type=o.order_type,
        target_order_id=o.target_oid,
        price_fen=o.price_fen,
        quantity_t=o.quantity_t,
        open_t=o.open_t,
        filled_t=o.filled_t,
        status=o.status,
        reason=o.reason,
        day=o.day,
        version=o.version,
        created_at=o.created_at,
        updated_at=o.updated_at,
    )


def trade_out(t: Trade) -> TradeOut:
    return TradeOut(
        trade_id=t.tid,
        kind=t.kind,
        price_fen=t.price_fen,
        quantity_t=t.quantity_t,
        day=t.day,
        executed_at=t.executed_at,
    )


def block_out(b: BlockProposal) -> BlockOut:
    return BlockOut(
        proposal_id=b.pid,
        proposer_entity_id=b.proposer_entity_id,
        counterparty_entity_id=b.counterparty_entity_id,
        side=b.side,
        price_fen=b.price_fen,
        quantity_t=b.quantity_t,
        status=b.status,
        trade_id=b.trade_tid,
        day=b.day,
    )


def repo_out(r: Repo) -> RepoOut:
    return RepoOut(
        repo_id=r.rid,
        seller_entity_id=r.seller_entity_id,
        buyer_entity_id=r.buyer_entity_id,
        quantity_t=r.quantity_t,
        price_open_fen=r.price_open_fen,
        price_close_fen=r.price_close_fen,
        repurchase_day=r.repurchase_day,
        margin_fen=r.margin_fen,
        status=r.status,
    )


# -- public market data ---------------------------------------------------------------------------------------------
@router.get("/markets", auth=PUBLIC, response={200: list[MarketOut], **READ_ERRORS})
def list_markets(request: HttpRequest):
    return [market_out(m) for m in queries.list_markets()]


@router.get("/markets/{code}", auth=PUBLIC, response={200: MarketOut, **READ_ERRORS})
def get_market(request: HttpRequest, code: str):
    return market_out(queries.get_market(code))


@router.get("/markets/{code}/depth", auth=PUBLIC, response={200: DepthOut, **READ_ERRORS})
def depth(request: HttpRequest, code: str):
    """五档行情: the best 5 price levels per side (price, quantity, number of orders)."""
    return queries.depth(code)


@router.get("/markets/{code}/listings", auth=PUBLIC, response={200: ListingsOut, **READ_ERRORS})
def listings(request: HttpRequest, code: str):
    """Resting listings within the best 5 levels (ids to take; owners hidden, ``mine`` marks the caller's)."""
    return queries.listings(code, actor_of(request))


@router.get("/markets/{code}/trades", auth=PUBLIC, response={200: list[TradeOut], **READ_ERRORS})
def trades(request: HttpRequest, code: str, limit: int = 20):
    return [trade_out(t) for t in queries.recent_trades(code, limit)]


@router.get("/markets/{code}/days", auth=PUBLIC, response={200: list[DayOut], **READ_ERRORS})
def days(request: HttpRequest, code: str):
    """Daily bars: limits, open/high/low/close (close = VWAP of the day's on-screen trades), volumes by kind."""
    return [
        DayOut(
            day=d.day,
            status=d.status,
            previous_close_fen=d.previous_close_fen,
            lower_fen=d.lower_fen,
            upper_fen=d.upper_fen,
            open_fen=d.open_fen,
            high_fen=d.high_fen,
            low_fen=d.low_fen,
            close_fen=d.close_fen,
            eligible_volume_t=d.eligible_volume_t,
            eligible_value_fen=d.eligible_value_fen,
            volume_t=d.volume_t,
            value_fen=d.value_fen,
            trades=d.trades,
        )
        for d in queries.trading_days(code)
    ]


@router.get("/index", auth=PUBLIC, response={200: list[IndexOut], **READ_ERRORS})
def carbon_index(request: HttpRequest):
    """上海碳价指数 (chain-linked, base 1000, minimum-volume guard; recomputable from the trade log)."""
    return [
        IndexOut(
            code=p.code,
            day=p.day,
            value=f"{p.value_e4 // 10_000}.{p.value_e4 % 10_000:04d}",
            method=p.method,
            prices=p.prices,
        )
        for p in queries.index_series()
    ]


# -- orders ---------------------------------------------------------------------------------------------------------
@creates(router, "/markets/{code}/orders", response={201: OrderOut, **ACT_ERRORS})
def place_order(request: HttpRequest, response: HttpResponse, code: str, payload: OrderIn):
    """委托申报. 409 ``orderbook.insufficient_cash`` / ``insufficient_allowances`` / ``duplicate_client_order_id`` /
    ``market_closed`` / ``listing_would_cross`` / ``level_total_limit`` (the engine's technical limit: a price
    level's open quantity stays below 2⁶³); 422 ``orderbook.price_out_of_band`` / ``price_tick`` /
    ``quantity_lot`` / ``listing_too_large``."""
    order = actions.do_place_order(
        actor=actor_of(request),
        market_code=code,
        idempotency_key=request.headers.get("Idempotency-Key"),
        **payload.model_dump(),
    )
    response["Location"] = f"{BASE}/markets/{code}/orders/{order.oid}"
    response["ETag"] = etag(order.version)
    return Status(201, order_out(order))


@acts(router, "/markets/{code}/orders/batch", response={200: list[BatchItemOut], **ACT_ERRORS})
def submit_orders(request: HttpRequest, code: str, payload: BatchIn):
    """批量委托 (group commit): one transaction for the batch; each order is accepted or refused on its own."""
    results = actions.do_submit_orders(
        actor=actor_of(request),
        market_code=code,
        entity_id=payload.entity_id,
        orders=[o.model_dump(exclude={"entity_id"}) for o in payload.orders],
    )
    return [
        BatchItemOut(order=order_out(r.order) if r.order else None, error=r.error.as_dict() if r.error else None)
        for r in results
    ]


@router.get("/markets/{code}/orders", response={200: list[OrderOut], **READ_ERRORS})
def list_orders(request: HttpRequest, code: str, entity_id: int | None = None):
    actor = actor_of(request)
    owner = entity_id if entity_id is not None else actions.acting_entity(actor)
    return [order_out(o) for o in queries.list_orders_for(actor, code, owner)]


@router.get("/markets/{code}/orders/{order_id}", response={200: OrderOut, **READ_ERRORS})
def get_order(request: HttpRequest, response: HttpResponse, code: str, order_id: int):
    order = queries.get_order_for(actor_of(request), code, order_id)
    response["ETag"] = etag(order.version)
    return order_out(order)


@updates(router, "/markets/{code}/orders/{order_id}", response={200: OrderOut, **PATCH_ERRORS})
def amend_order(request: HttpRequest, response: HttpResponse, code: str, order_id: int, payload: AmendIn):
    """改单: a lower quantity keeps the order's place; a higher quantity or a new price sends it to the back."""
    order = actions.do_amend_order(
        actor=actor_of(request),
        market_code=code,
        order_id=order_id,
        expected_version=if_match_version(request),
        **payload.model_dump(exclude_unset=True),
    )
    response["ETag"] = etag(order.version)
    return order_out(order)


@acts(router, "/markets/{code}/orders/{order_id}/cancel", response={200: OrderOut, **ACT_ERRORS})
def cancel_order(request: HttpRequest, code: str, order_id: int, payload: EntityIn | None = None):
    """撤单. 403 ``orderbook.not_your_order``; 404 ``orderbook.order_unknown`` (filled or already cancelled)."""
    entity_id = payload.entity_id if payload else None
    return order_out(
        actions.do_cancel_order(actor=actor_of(request), market_code=code, order_id=order_id, entity_id=entity_id)
    )


@creates(router, "/markets/{code}/takes", response={201: OrderOut, **ACT_ERRORS})
def take_listing(request: HttpRequest, code: str, payload: TakeIn):
    """摘牌 (挂牌协议): trade against a listing within the counterparty's best 5 levels, at its price.
    409 ``orderbook.not_in_best_levels`` / ``take_own_order`` / ``take_exceeds_listing``."""
    order = actions.do_take_listing(
        actor=actor_of(request),
        market_code=code,
        idempotency_key=request.headers.get("Idempotency-Key"),
        **payload.model_dump(),
    )
    return Status(201, order_out(order))


# -- 大宗协议 and 配额回购 ------------------------------------------------------------------------------------------
@creates(router, "/markets/{code}/blocks", response={201: CreatedIdOut, **ACT_ERRORS})
def propose_block(request: HttpRequest, code: str, payload: BlockIn):
    """大宗协议申报 to a named counterparty (≥ the block minimum, within ±30 %). 422 ``orderbook.block_too_small``."""
    pid = actions.do_propose_block(actor=actor_of(request), market_code=code, **payload.model_dump())
    return Status(201, CreatedIdOut(id=pid))


@acts(router, "/markets/{code}/blocks/{proposal_id}/{answer}", response={200: AnswerOut, **ACT_ERRORS})
def answer_block(request: HttpRequest, code: str, proposal_id: int, answer: str, payload: EntityIn | None = None):
    """``confirm`` / ``reject`` (the counterparty) or ``withdraw`` (the proposer)."""
    tid = actions.do_answer_block(
        actor=actor_of(request),
        market_code=code,
        proposal_id=proposal_id,
        answer=answer,
        entity_id=payload.entity_id if payload else None,
    )
    return AnswerOut(trade_id=tid)


@creates(router, "/markets/{code}/repos", response={201: CreatedIdOut, **ACT_ERRORS})
def propose_repo(request: HttpRequest, code: str, payload: RepoIn):
    """配额回购 offered by the initial seller (≥ the repo minimum, not splittable). 422 ``orderbook.repo_too_small``."""
    rid = actions.do_propose_repo(actor=actor_of(request), market_code=code, **payload.model_dump())
    return Status(201, CreatedIdOut(id=rid))


@acts(router, "/markets/{code}/repos/{repo_id}/{answer}", response={200: AnswerOut, **ACT_ERRORS})
def answer_repo(request: HttpRequest, code: str, repo_id: int, answer: str, payload: EntityIn | None = None):
    tid = actions.do_answer_repo(
        actor=actor_of(request),
        market_code=code,
        repo_id=repo_id,
        answer=answer,
        entity_id=payload.entity_id if payload else None,
    )
    return AnswerOut(trade_id=tid)


@router.get("/markets/{code}/accounts/{entity_id}", response={200: AccountOut, **READ_ERRORS})
def account(request: HttpRequest, code: str, entity_id: int):
    """A participant's holdings (available / frozen / repo), open orders, trades, proposals and repos."""
    actor = actor_of(request)
    holdings = queries.holdings_for(actor, code, entity_id)
    market = queries.get_market(code)
    name = next((p.name for p in market.participants.filter(entity_id=entity_id)), "")
    return AccountOut(
        market=code,
        entity_id=entity_id,
        name=name,
        holdings=holdings.__dict__,
        open_orders=[order_out(o) for o in queries.list_orders_for(actor, code, entity_id) if o.status == "open"],
        trades=[
            {
                **trade_out(t).dict(),
                "side": "buy" if t.buyer_entity_id == entity_id else "sell",
                "amount_fen": t.amount_fen,
                "order_id": t.buy_oid if t.buyer_entity_id == entity_id else t.sell_oid,
            }
            for t in queries.list_trades_for(actor, code, entity_id, limit=50)
        ],
        blocks=[block_out(b) for b in queries.list_blocks_for(actor, code, entity_id)],
        repos=[repo_out(r) for r in queries.list_repos_for(actor, code, entity_id)],
    )


# -- staff ----------------------------------------------------------------------------------------------------------
@creates(router, "/markets", response={201: MarketOut, **ACT_ERRORS})
def create_market(request: HttpRequest, response: HttpResponse, payload: MarketIn):
    market = actions.do_create_market(actor=actor_of(request), **payload.model_dump())
    response["Location"] = f"{BASE}/markets/{market.code}"
    return Status(201, market_out(market))


@creates(router, "/markets/{code}/accounts", response={201: ParticipantOut, **ACT_ERRORS})
def open_account(request: HttpRequest, code: str, payload: AccountIn):
    p = actions.do_open_account(actor=actor_of(request), market_code=code, entity_id=payload.entity_id)
    return Status(201, ParticipantOut(entity_id=p.entity_id, name=p.name, opened_at=p.opened_at))


@router.get("/markets/{code}/participants", response={200: list[ParticipantOut], **READ_ERRORS})
def participants(request: HttpRequest, code: str):
    return [
        ParticipantOut(entity_id=p.entity_id, name=p.name, opened_at=p.opened_at)
        for p in queries.list_participants_for(actor_of(request), code)
    ]


@acts(router, "/markets/{code}/accounts/{entity_id}/cash", response={200: SeqOut, **ACT_ERRORS})
def book_cash(request: HttpRequest, code: str, entity_id: int, payload: CashIn):
    """入金 (``in``) / 出金 (``out``, available cash only)."""
    fn = actions.do_deposit_cash if payload.direction == "in" else actions.do_withdraw_cash
    return SeqOut(seq=fn(actor=actor_of(request), market_code=code, entity_id=entity_id, amount_fen=payload.amount_fen))


@acts(router, "/markets/{code}/accounts/{entity_id}/allowances", response={200: SeqOut, **ACT_ERRORS})
def book_allowances(request: HttpRequest, code: str, entity_id: int, payload: AllowancesIn):
    """配额转入 (``in``) / 转出 (``out``, available allowances only)."""
    fn = actions.do_deposit_allowances if payload.direction == "in" else actions.do_withdraw_allowances
    return SeqOut(seq=fn(actor=actor_of(request), market_code=code, entity_id=entity_id, quantity_t=payload.quantity_t))


@acts(router, "/markets/{code}/day/open", response={200: MarketOut, **ACT_ERRORS})
def open_day(request: HttpRequest, code: str, payload: DayIn | None = None):
    market = actions.do_open_trading_day(
        actor=actor_of(request), market_code=code, day=payload.day if payload else None
    )
    return market_out(market)


@acts(router, "/markets/{code}/day/close", response={200: CloseOut, **ACT_ERRORS})
def close_day(request: HttpRequest, code: str):
    """收盘: closing price, index, reconciliation."""
    return actions.do_close_trading_day(actor=actor_of(request), market_code=code)


@acts(router, "/markets/{code}/phase", response={200: MarketOut, **ACT_ERRORS})
def set_phase(request: HttpRequest, code: str, payload: PhaseIn):
    return market_out(actions.do_set_phase(actor=actor_of(request), market_code=code, phase=payload.phase))


@router.get("/markets/{code}/reconciliation", response={200: ReconciliationOut, **READ_ERRORS})
def reconciliation(request: HttpRequest, code: str):
    """对账: engine (replayed from the command log) = ledger = custody; read model = engine (staff)."""
    queries.list_participants_for(actor_of(request), code)  # staff only
    return queries.reconcile(queries.get_market(code))
