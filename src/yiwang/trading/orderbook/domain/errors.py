"""The refusals of the carbon market, each with a stable code (``orderbook.*``) and Chinese + English text.

The engine raises these *before* it changes anything, so a refused command leaves no trace in the state.
"""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation, YiwangError


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def market_closed(phase: str) -> YiwangError:
    return Conflict(
        "orderbook.market_closed",
        "当前不在交易时段，不能申报",
        "The market is not in a trading session",
        {"phase": phase},
    )


def no_trading_day() -> YiwangError:
    return Conflict(
        "orderbook.no_trading_day",
        "交易日尚未开始",
        "No trading day is open",
        {},
    )


def day_already_open(day: int) -> YiwangError:
    return Conflict(
        "orderbook.day_already_open",
        "交易日已经开始",
        "A trading day is already open",
        {"day": day},
    )


def price_out_of_band(price: int, lower: int, upper: int, rule: str) -> YiwangError:
    return RuleViolation(
        "orderbook.price_out_of_band",
        f"申报价格 {_yuan(price)} 元超出涨跌幅限制（{_yuan(lower)}–{_yuan(upper)} 元）",
        f"Price {_yuan(price)} is outside the price limits {_yuan(lower)}–{_yuan(upper)}",
        {"price_fen": price, "lower_fen": lower, "upper_fen": upper, "rule": rule},
    )


def wrong_tick(price: int, tick: int) -> YiwangError:
    return InvalidInput(
        "orderbook.price_tick",
        f"申报价格必须是最小变动价位 {_yuan(tick)} 元的整数倍",
        f"The price must be a multiple of the tick {_yuan(tick)}",
        {"price_fen": price, "tick_fen": tick, "rule": "carbon.price_tick", "field": "price_fen"},
    )


def bad_price(price: Any) -> YiwangError:
    return InvalidInput(
        "orderbook.price_invalid",
        "申报价格必须是正整数（分）",
        "The price must be a positive whole number of fen",
        {"price_fen": price, "field": "price_fen"},
    )


def wrong_lot(qty: int, lot: int) -> YiwangError:
    return InvalidInput(
        "orderbook.quantity_lot",
        f"申报数量必须是 {lot} 吨的整数倍",
        f"The quantity must be a multiple of {lot} t",
        {"quantity_t": qty, "lot_t": lot, "rule": "carbon.quantity_lot", "field": "quantity_t"},
    )


def bad_quantity(qty: Any) -> YiwangError:
    return InvalidInput(
        "orderbook.quantity_invalid",
        "申报数量必须是正整数（吨）",
        "The quantity must be a positive whole number of tonnes",
        {"quantity_t": qty, "field": "quantity_t"},
    )


def listing_too_large(qty: int, limit: int) -> YiwangError:
    return RuleViolation(
        "orderbook.listing_too_large",
        f"挂牌协议单笔申报数量应小于 {limit} 吨，{limit} 吨及以上请使用大宗协议",
        f"A listed order must be smaller than {limit} t; use a block trade for {limit} t or more",
        {"quantity_t": qty, "limit_t": limit, "rule": "carbon.listing_qty_max", "field": "quantity_t"},
    )


def level_total_limit(qty: int, total: int, limit: int) -> YiwangError:
    """A technical limit of the engine (its level totals are 64-bit integers), not a market rule."""
    return Conflict(
        "orderbook.level_total_limit",
        f"该价位同方向申报总量已达撮合引擎上限：再申报 {qty} 吨将超过 {limit} 吨（当前 {total} 吨）",
        f"This price level's total would exceed the matching engine's limit of {limit} t "
        f"({total} t resting, {qty} t more)",
        {"quantity_t": qty, "level_total_t": total, "limit_t": limit},
    )


def block_too_small(qty: int, minimum: int) -> YiwangError:
    return RuleViolation(
        "orderbook.block_too_small",
        f"大宗协议单笔数量不得少于 {minimum} 吨",
        f"A block trade must be at least {minimum} t",
        {"quantity_t": qty, "minimum_t": minimum, "rule": "carbon.block_qty_min", "field": "quantity_t"},
    )


def repo_too_small(qty: int, minimum: int) -> YiwangError:
    return RuleViolation(
        "orderbook.repo_too_small",
        f"配额回购单笔数量不得少于 {minimum} 吨",
        f"A repo must be at least {minimum} t",
        {"quantity_t": qty, "minimum_t": minimum, "rule": "carbon.repo_qty_min", "field": "quantity_t"},
    )


def insufficient_cash(needed: int, available: int) -> YiwangError:
    return Conflict(
        "orderbook.insufficient_cash",
        f"可用资金不足：需要 {_yuan(needed)} 元，可用 {_yuan(available)} 元",
        f"Not enough cash: {_yuan(needed)} needed, {_yuan(available)} available",
        {"needed_fen": needed, "available_fen": available},
    )


def insufficient_allowances(needed: int, available: int) -> YiwangError:
    return Conflict(
        "orderbook.insufficient_allowances",
        f"可用配额不足：需要 {needed} 吨，可用 {available} 吨",
        f"Not enough allowances: {needed} t needed, {available} t available",
        {"needed_t": needed, "available_t": available},
    )


def account_unknown(owner: int) -> YiwangError:
    return NotFound(
        "orderbook.account_unknown",
        "该交易主体尚未开立碳市场交易账户",
        "This participant has no carbon-market account",
        {"participant": owner},
    )


def account_exists(owner: int) -> YiwangError:
    return Conflict(
        "orderbook.account_exists",
        "该交易主体已开立交易账户",
        "This participant already has an account",
        {"participant": owner},
    )


def duplicate_client_order_id(client_id: str) -> YiwangError:
    return Conflict(
        "orderbook.duplicate_client_order_id",
        f"委托编号“{client_id}”当日已使用",
        f"Client order id {client_id!r} was already used today",
        {"client_order_id": client_id, "field": "client_order_id"},
    )


def order_unknown(oid: int) -> YiwangError:
    return NotFound(
        "orderbook.order_unknown",
        "委托不存在或已不在订单簿中（已成交、已撤销）",
        "No such order on the book (it may be filled or cancelled)",
        {"order_id": oid},
    )


def not_your_order(oid: int) -> YiwangError:
    return PermissionDenied(
        "orderbook.not_your_order",
        "不能撤销或修改他人的委托",
        "You cannot cancel or amend another participant's order",
        {"order_id": oid},
    )


def listing_would_cross(price: int, best: int) -> YiwangError:
    return Conflict(
        "orderbook.listing_would_cross",
        f"挂牌价格 {_yuan(price)} 元与对手方最优挂牌 {_yuan(best)} 元交叉，请直接摘牌",
        f"The listing at {_yuan(price)} would cross the best opposite listing at {_yuan(best)}; take it instead",
        {"price_fen": price, "opposite_best_fen": best},
    )


def not_in_best_levels(oid: int, levels: int) -> YiwangError:
    return Conflict(
        "orderbook.not_in_best_levels",
        f"只能在对手方最优 {levels} 个价位内摘牌",
        f"Only orders within the best {levels} opposite price levels can be taken",
        {"order_id": oid, "levels": levels, "rule": "carbon.listing_levels"},
    )


def take_own_order(oid: int) -> YiwangError:
    return Conflict(
        "orderbook.take_own_order",
        "不能摘取自己的挂牌",
        "You cannot take your own listing",
        {"order_id": oid},
    )


def take_too_much(qty: int, available: int) -> YiwangError:
    return Conflict(
        "orderbook.take_exceeds_listing",
        f"摘牌数量 {qty} 吨超过挂牌剩余数量 {available} 吨",
        f"{qty} t exceeds the listing's remaining {available} t",
        {"quantity_t": qty, "open_t": available},
    )


def wrong_mode(what: str, mode: str) -> YiwangError:
    return Conflict(
        "orderbook.wrong_mode",
        "该交易方式不适用于本市场",
        f"{what} is not available in a {mode} market",
        {"what": what, "mode": mode},
    )


def bad_order_type(kind: Any) -> YiwangError:
    return InvalidInput(
        "orderbook.order_type_invalid",
        "委托类型无效",
        "Unknown order type",
        {"order_type": str(kind), "field": "order_type"},
    )


def bad_side(side: Any) -> YiwangError:
    return InvalidInput(
        "orderbook.side_invalid",
        "买卖方向无效（buy 或 sell）",
        "Side must be buy or sell",
        {"side": str(side), "field": "side"},
    )


def no_liquidity() -> YiwangError:
    return Conflict(
        "orderbook.no_liquidity",
        "对手方没有申报，市价转限价委托无法成交",
        "No opposite orders: a market-to-limit order cannot execute",
        {},
    )


def amend_nothing(oid: int) -> YiwangError:
    return InvalidInput(
        "orderbook.amend_unchanged",
        "修改后的价格和数量与原委托相同",
        "The amendment changes neither price nor quantity",
        {"order_id": oid},
    )


def proposal_unknown(pid: int) -> YiwangError:
    return NotFound(
        "orderbook.proposal_unknown",
        "协议申报不存在或已处理",
        "No such pending negotiated proposal",
        {"proposal_id": pid},
    )


def not_counterparty(pid: int) -> YiwangError:
    return PermissionDenied(
        "orderbook.not_counterparty",
        "只有协议指定的对手方可以确认或拒绝",
        "Only the named counterparty may confirm or reject this proposal",
        {"proposal_id": pid},
    )


def not_proposer(pid: int) -> YiwangError:
    return PermissionDenied(
        "orderbook.not_proposer",
        "只有申报方可以撤回协议申报",
        "Only the proposer may withdraw this proposal",
        {"proposal_id": pid},
    )


def self_counterparty() -> YiwangError:
    return InvalidInput(
        "orderbook.self_counterparty",
        "对手方不能是自己",
        "The counterparty cannot be yourself",
        {"field": "counterparty"},
    )


def repo_terms_invalid(reason_zh: str, reason_en: str, field: str) -> YiwangError:
    return InvalidInput(
        "orderbook.repo_terms_invalid",
        f"回购条款无效：{reason_zh}",
        f"Invalid repo terms: {reason_en}",
        {"field": field},
    )


def repo_unknown(rid: int) -> YiwangError:
    return NotFound("orderbook.repo_unknown", "回购不存在或已了结", "No such open repo", {"repo_id": rid})


def repo_not_due(rid: int, due: int) -> YiwangError:
    return Conflict(
        "orderbook.repo_not_due",
        "未到约定的购回日",
        "The repo's repurchase date has not come",
        {"repo_id": rid, "repurchase_day": due},
    )


def amount_invalid(field: str) -> YiwangError:
    return InvalidInput(
        "orderbook.amount_invalid",
        "金额或数量必须是正整数",
        "The amount must be a positive whole number",
        {"field": field},
    )


def day_sequence(day: int, last: int) -> YiwangError:
    return Conflict(
        "orderbook.day_sequence",
        "交易日必须晚于上一交易日",
        "A trading day must come after the previous one",
        {"day": day, "last_day": last},
    )
