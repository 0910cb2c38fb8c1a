"""Reads of the carbon market.

Public (anyone): markets, depth (5 levels, no names), listings within the best levels (ids and prices only,
so a taker can pick one), recent trades (no parties), daily bars, the carbon price index. A participant's
own orders, trades, holdings, proposals and repos: the participant (a user acting for the entity), staff,
regulators and auditors. Reconciliation and index recomputation are used by the close of day and the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Q, Sum

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotFound, PermissionDenied
from yiwang.platform.commands import engine as commands
from yiwang.trading.orderbook.domain import settlement as st
from yiwang.trading.orderbook.domain.engine import TRADE_KIND_NAMES
from yiwang.trading.orderbook.domain.marketdata import INDEX_METHOD, bars, chain_index
from yiwang.trading.orderbook.domain.outcome import MarketState
from yiwang.trading.orderbook.models import (
    BlockProposal,
    IndexPoint,
    LedgerAccount,
    LedgerLine,
    Market,
    Order,
    Participant,
    Repo,
    Trade,
    TradingDay,
)
from yiwang.trading.orderbook.streams import ENGINE, day_number, day_of

INDEX_CODE = "SHCI"  # 上海碳价指数
INDEX_NAME = "上海碳价指数"
STAFF_ROLES = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def _market(code: str) -> Market:
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise NotFound("orderbook.market_unknown", "交易品种不存在", "No such market", {"market": code})
    return market


def list_markets() -> list[Market]:
    return list(Market.objects.order_by("code"))


def get_market(code: str) -> Market:
    return _market(code)


@dataclass(frozen=True)
class Level:
    price_fen: int
    quantity_t: int
    orders: int


def depth(code: str, levels: int = 5) -> dict[str, list[Level]]:
    """The best ``levels`` price levels per side from the resting orders (public, no names)."""
    market = _market(code)
    rows = (
        Order.objects.filter(market=market, status="open")
        .values("side", "price_fen")
        .annotate(q=Sum("open_t"), n=Count("id"))
    )
    bids = sorted(((r["price_fen"], r["q"], r["n"]) for r in rows if r["side"] == "buy"), reverse=True)[:levels]
    asks = sorted((r["price_fen"], r["q"], r["n"]) for r in rows if r["side"] == "sell")[:levels]
    return {"bids": [Level(*b) for b in bids], "asks": [Level(*a) for a in asks]}


@dataclass(frozen=True)
class Listing:
    order_id: int
    side: str
    price_fen: int
    open_t: int
    mine: bool


def listings(code: str, actor: Actor | None = None, levels: int = 5) -> dict[str, list[Listing]]:
    """Resting listings within the best ``levels`` price levels of each side (for 摘牌). Owners are not shown;
    ``mine`` marks the viewer's own (a participant may not take those)."""
    market = _market(code)
    mine = actor.entity_ids(Role.MARKET_ENTITY_USER) if actor is not None else frozenset()
    book = depth(code, levels)
    out: dict[str, list[Listing]] = {}
    for side, key in (("sell", "asks"), ("buy", "bids")):
        prices = [lv.price_fen for lv in book[key]]
        rows = Order.objects.filter(market=market, status="open", side=side, price_fen__in=prices).order_by("oid")
        listed = [Listing(o.oid, side, o.price_fen, o.open_t, o.entity_id in mine) for o in rows]
        listed.sort(key=lambda x: (x.price_fen if side == "sell" else -x.price_fen, x.order_id))
        out[key] = listed
    return out


def recent_trades(code: str, limit: int = 20) -> list[Trade]:
    return list(Trade.objects.filter(market=_market(code)).order_by("-tid")[: max(1, min(limit, 200))])


def trading_days(code: str, limit: int = 60) -> list[TradingDay]:
    return list(TradingDay.objects.filter(market=_market(code)).order_by("-day")[:limit])[::-1]


def index_series(limit: int = 250) -> list[IndexPoint]:
    return list(IndexPoint.objects.filter(code=INDEX_CODE).order_by("-day")[:limit])[::-1]


# -- a participant's own view ---------------------------------------------------------------------------------------
def may_see_participant(actor: Actor, entity_id: int) -> bool:
    return actor.is_system or actor.acts_for(entity_id) or actor.has_role(*STAFF_ROLES)


def _check_participant(actor: Actor, market: Market, entity_id: int) -> Participant:
    if not may_see_participant(actor, entity_id):
        raise PermissionDenied(
            "orderbook.not_your_account",
            "只能查看本单位的交易账户",
            "You may only see your own account",
            {"entity_id": entity_id},
        )
    participant = Participant.objects.filter(market=market, entity_id=entity_id).first()
    if participant is None:
        raise NotFound(
            "orderbook.account_unknown",
            "该交易主体尚未开立交易账户",
            "No such trading account",
            {"entity_id": entity_id},
        )
    return participant


def ledger_balances(market: Market, entity_ids: list[int] | None = None) -> dict[tuple[str, int], int]:
    """Balances on each account's normal side, summed from the ledger lines."""
    qs = LedgerLine.objects.filter(account__market=market)
    if entity_ids is not None:
        qs = qs.filter(account__entity_id__in=entity_ids)
    rows = qs.values("account__bucket", "account__entity_id").annotate(d=Sum("debit"), c=Sum("credit"))
    out: dict[tuple[str, int], int] = {}
    for r in rows:
        bucket = r["account__bucket"]
        d, c = int(r["d"] or 0), int(r["c"] or 0)
        out[(bucket, r["account__entity_id"])] = d - c if bucket in st.DEBIT_NORMAL else c - d
    return out


@dataclass(frozen=True)
class Holdings:
    cash_available_fen: int
    cash_frozen_fen: int
    cash_margin_fen: int
    allowance_available_t: int
    allowance_frozen_t: int
    allowance_repo_t: int

    @property
    def cash_total_fen(self) -> int:
        return self.cash_available_fen + self.cash_frozen_fen + self.cash_margin_fen

    @property
    def allowance_total_t(self) -> int:
        return self.allowance_available_t + self.allowance_frozen_t + self.allowance_repo_t


def holdings_for(actor: Actor, code: str, entity_id: int) -> Holdings:
    market = _market(code)
    _check_participant(actor, market, entity_id)
    b = ledger_balances(market, [entity_id])

    def g(bucket: str) -> int:
        return b.get((bucket, entity_id), 0)

    return Holdings(
        g(st.CASH_AVAILABLE),
        g(st.CASH_FROZEN),
        g(st.CASH_MARGIN),
        g(st.ALLOW_AVAILABLE),
        g(st.ALLOW_FROZEN),
        g(st.ALLOW_REPO),
    )


def list_orders_for(actor: Actor, code: str, entity_id: int, day: date | None = None, limit: int = 200) -> list[Order]:
    market = _market(code)
    _check_participant(actor, market, entity_id)
    qs = Order.objects.filter(market=market, entity_id=entity_id)
    if day is not None:
        qs = qs.filter(day=day)
    return list(qs.order_by("-oid")[:limit])


def get_order_for(actor: Actor, code: str, order_id: int) -> Order:
    market = _market(code)
    order = Order.objects.filter(market=market, oid=order_id).first()
    if order is None or not may_see_participant(actor, order.entity_id):
        raise NotFound("orderbook.order_unknown", "委托不存在", "No such order", {"order_id": order_id})
    return order


def list_trades_for(actor: Actor, code: str, entity_id: int, limit: int = 200) -> list[Trade]:
    market = _market(code)
    _check_participant(actor, market, entity_id)
    qs = Trade.objects.filter(Q(buyer_entity_id=entity_id) | Q(seller_entity_id=entity_id), market=market)
    return list(qs.order_by("-tid")[:limit])


def list_blocks_for(actor: Actor, code: str, entity_id: int) -> list[BlockProposal]:
    market = _market(code)
    _check_participant(actor, market, entity_id)
    qs = BlockProposal.objects.filter(
        Q(proposer_entity_id=entity_id) | Q(counterparty_entity_id=entity_id), market=market
    )
    return list(qs.order_by("-pid")[:100])


def list_repos_for(actor: Actor, code: str, entity_id: int) -> list[Repo]:
    market = _market(code)
    _check_participant(actor, market, entity_id)
    qs = Repo.objects.filter(Q(seller_entity_id=entity_id) | Q(buyer_entity_id=entity_id), market=market)
    return list(qs.order_by("-rid")[:100])


def list_participants_for(actor: Actor, code: str) -> list[Participant]:
    if not (actor.is_system or actor.has_role(*STAFF_ROLES)):
        raise PermissionDenied("orderbook.staff_only", "仅交易中心工作人员可以查看", "Staff only", {})
    return list(Participant.objects.filter(market=_market(code)).order_by("entity_id"))


def markets_of(actor: Actor) -> list[tuple[Market, int]]:
    """The markets where the actor's entities have accounts: (market, entity_id)."""
    mine = actor.entity_ids(Role.MARKET_ENTITY_USER)
    rows = Participant.objects.filter(entity_id__in=mine).select_related("market").order_by("market__code")
    return [(p.market, p.entity_id) for p in rows]


def due_repos(today: date) -> list[Repo]:
    return list(Repo.objects.filter(status="open", repurchase_day__lte=today).select_related("market").order_by("pk"))


# -- reconciliation and the index -----------------------------------------------------------------------------------
def reconcile(market: Market, state: MarketState | None = None) -> dict[str, Any]:
    """Compare three records that are kept apart: the engine's state replayed from the command log, the
    ledger (sums of lines) and the custody accounts; and the read model's open orders and trades.
    ``ok`` when every difference is zero."""
    seq = None
    if state is None:
        state, seq = commands.load_state(market.stream, ENGINE)
    e = state.engine
    differences: list[dict[str, Any]] = []
    balances = ledger_balances(market)
    if e is None:
        return {"ok": not balances, "differences": [], "participants": 0}
    for owner in sorted(e.accounts):
        for bucket, value in zip(st.ENGINE_BUCKETS, e.accounts[owner], strict=True):
            booked = balances.get((bucket, owner), 0)
            if booked != value:
                differences.append({"entity_id": owner, "bucket": bucket, "engine": value, "ledger": booked})
    for (bucket, owner), value in balances.items():
        if owner and owner not in e.accounts and value:
            differences.append({"entity_id": owner, "bucket": bucket, "engine": 0, "ledger": value})
    cash = sum(v for (b, o), v in balances.items() if o and st.UNIT_OF[b] == st.FEN)
    allowances = sum(v for (b, o), v in balances.items() if o and st.UNIT_OF[b] == st.TONNE)
    custody_cash = balances.get((st.CASH_CUSTODY, 0), 0)
    custody_allowances = balances.get((st.ALLOW_CUSTODY, 0), 0)
    if custody_cash != cash:
        differences.append({"check": "cash_custody", "custody": custody_cash, "participants": cash})
    if custody_allowances != allowances:
        differences.append({"check": "allowance_custody", "custody": custody_allowances, "participants": allowances})
    engine_cash, engine_allowances = e.totals()
    if (engine_cash, engine_allowances) != (cash, allowances):
        differences.append(
            {"check": "engine_totals", "engine": [engine_cash, engine_allowances], "ledger": [cash, allowances]}
        )
    unbalanced = (
        LedgerLine.objects.filter(account__market=market)
        .values("entry_id", "account__unit")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .exclude(d=F("c"))
        .count()
    )
    if unbalanced:
        differences.append({"check": "entries_balanced", "unbalanced_entries": unbalanced})
    open_rows = dict(Order.objects.filter(market=market, status="open").values_list("oid", "open_t"))
    open_engine = {oid: o[4] for oid, o in e.orders.items()}
    if open_rows != open_engine:
        differences.append({"check": "open_orders", "read_model": len(open_rows), "engine": len(open_engine)})
    trades = Trade.objects.filter(market=market).count()
    if trades != e.next_tid - 1:
        differences.append({"check": "trades", "read_model": trades, "engine": e.next_tid - 1})
    return {
        "ok": not differences,
        "differences": differences[:50],
        "participants": len(e.accounts),
        "cash_fen": cash,
        "allowances_t": allowances,
        "custody_cash_fen": custody_cash,
        "custody_allowances_t": custody_allowances,
        "open_orders": len(open_engine),
        "trades": trades,
        "seq": seq,
        "state_sha256": e.state_hash(),
    }


def recompute_index(*, upto: date | None = None, now: datetime) -> str | None:
    """Recompute the carbon price index from the trade log of every market (closed days only) and store the
    points; returns the value on ``upto`` (or the last one)."""
    markets = list(Market.objects.filter(index_weight__gt=0).order_by("code"))
    closes: dict[str, list[tuple[int, int, int]]] = {}
    for market in markets:
        days = list(TradingDay.objects.filter(market=market, status="closed").order_by("day"))
        if upto is not None:
            days = [d for d in days if d.day <= upto]
        if not days:
            continue
        rows = Trade.objects.filter(market=market, day__lte=days[-1].day).order_by("tid")
        log = [(day_number(t.day), _kind_code(t.kind), t.price_fen, t.quantity_t) for t in rows]
        tick = int(days[0].rules.get("tick_fen", 1))
        series = bars(log, days[0].previous_close_fen, tick, days=[day_number(d.day) for d in days])
        closed = {day_number(d.day) for d in days}
        closes[market.code] = [(b.day, b.close_fen, b.eligible_volume_t) for b in series if b.day in closed]
    if not closes:
        return None
    points = chain_index(closes, {m.code: m.index_weight for m in markets})
    value = None
    for p in points:
        IndexPoint.objects.update_or_create(
            code=INDEX_CODE,
            day=day_of(p.day),
            defaults={"value_e4": p.value_e4, "method": INDEX_METHOD, "prices": p.prices, "computed_at": now},
        )
        if upto is None or day_of(p.day) <= upto:
            value = p.value
    return value


def _kind_code(kind: str) -> int:
    return TRADE_KIND_NAMES.index(kind)


def ledger_accounts(market: Market) -> list[LedgerAccount]:
    return list(LedgerAccount.objects.filter(market=market).order_by("entity_id", "bucket"))
