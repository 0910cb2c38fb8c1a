"""The carbon market's state changes. Each is one action (one transaction) that journals one command (or a
batch) on the market's stream through ``platform.commands``, lets the pure engine decide, and writes the read
model, the ledger (DvP), a witness entry and feed events from the outcome — all commit together or not at
all, and the command is acknowledged (the function returns) only after that commit.

Who may do what:

- staff of the trading centre (or the platform itself): create markets, open participants' accounts, book
  money and allowances in and out (入金/出金, 配额划转: stand-ins for the bank and the registration system),
  open and close trading days, change the session phase, settle repos;
- a market participant (a user acting for a registry entity with an account in the market): place, amend and
  cancel its orders, take listings (摘牌), propose and answer block trades and repos.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.catalog.errors import RuleNotListed
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, YiwangError
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now as clock_now
from yiwang.platform.commands import engine as commands
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry
from yiwang.trading.orderbook import live, projection, queries
from yiwang.trading.orderbook.domain import engine as eng
from yiwang.trading.orderbook.domain.outcome import Outcome
from yiwang.trading.orderbook.domain.rules import RULE_IDS, MarketRules, convert_rule_value
from yiwang.trading.orderbook.models import Market, Order, Participant, TradingDay
from yiwang.trading.orderbook.streams import ENGINE, SHANGHAI, day_number

CODE = re.compile(r"^[A-Z][A-Z0-9]{1,19}$")
SNAPSHOT_EVERY = 200
BOOKED = {
    "deposit_cash": "cash_deposited",
    "withdraw_cash": "cash_withdrawn",
    "deposit_allowances": "allowances_deposited",
    "withdraw_allowances": "allowances_withdrawn",
}
BLOCK_ANSWERED = {"confirm": "confirmed", "reject": "rejected", "withdraw": "withdrawn"}
REPO_ANSWERED = {"confirm": "opened", "reject": "rejected", "withdraw": "withdrawn"}


# -- who ------------------------------------------------------------------------------------------------------------
def _require_staff(actor: Actor) -> None:
    if not (actor.is_system or actor.has_role(Role.STAFF)):
        raise PermissionDenied(
            "orderbook.staff_only", "仅交易中心工作人员可以办理", "Only trading-centre staff may do this", {}
        )


def acting_entity(actor: Actor, entity_id: int | None = None) -> int:
    """The entity a participant acts for: the one named, or the actor's only market entity."""
    mine = sorted(actor.entity_ids(Role.MARKET_ENTITY_USER))
    if entity_id is None:
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise PermissionDenied(
                "orderbook.not_a_participant",
                "只有代表市场主体的用户可以交易",
                "Only users acting for a market entity may trade",
                {},
            )
        raise InvalidInput(
            "orderbook.entity_required",
            "您代表多个市场主体，请指明以哪个主体交易",
            "You act for several entities: say which one trades",
            {"field": "entity_id", "entities": mine},
        )
    if entity_id not in mine:
        raise PermissionDenied(
            "orderbook.not_your_entity",
            "您不能代表该市场主体交易",
            "You do not act for this entity",
            {"entity_id": entity_id},
        )
    return entity_id


def get_market(code: str) -> Market:
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise NotFound("orderbook.market_unknown", "交易品种不存在", "No such market", {"market": code})
    return market


# -- the rules of a day ---------------------------------------------------------------------------------------------
def market_rules(on: date) -> MarketRules:
    """The day's numbers from the rules catalogue (refused, naming the rule, if one is not listed)."""
    values: dict[str, int] = {}
    for rule_id, name in RULE_IDS.items():
        try:
            rule = catalog.rule(rule_id, on=on)
        except RuleNotListed as exc:
            raise Conflict(
                "orderbook.rule_missing",
                f"规则目录未收录碳市场规则“{rule_id}”，不能开市",
                f"The rules catalogue does not list {rule_id!r}: the market cannot open",
                {"rule_id": rule_id, "on": on.isoformat()},
            ) from exc
        values[name] = convert_rule_value(rule_id, rule.value, rule.unit)
    return MarketRules(**values)


# -- the journalled step --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Done:
    """What one accepted command did: its number, its outcome (None for a repeated idempotency key) and rows."""

    market: Market
    seq: int
    outcome: Outcome | None
    projected: projection.Projected | None

    @property
    def duplicate(self) -> bool:
        return self.outcome is None


def _stream_key(actor: Actor, key: str | None) -> str | None:
    if key is None:
        return None
    return hashlib.sha256(f"{actor.ref}\n{key}".encode()).hexdigest()


def _submit(act: ActionRecorder, market: Market, command: dict[str, Any], idempotency_key: str | None = None) -> Done:
    applied = commands.submit(
        market.stream,
        ENGINE,
        command,
        actor_ref=act.actor.ref,
        idempotency_key=_stream_key(act.actor, idempotency_key),
        snapshot_every=SNAPSHOT_EVERY,
    )
    if applied.duplicate:
        return Done(market, applied.entry.seq, None, None)
    outcome = applied.state.outcomes.pop(applied.entry.seq)
    done = Done(market, applied.entry.seq, outcome, projection.project(market, outcome))
    live.after_command(market, applied.state, done.outcome, done.projected)
    return done


def _trade_events(act: ActionRecorder, done: Done) -> None:
    assert done.projected is not None
    for t in done.projected.trades:
        # public market data: no parties (the feed is public); the parties are in the witness entry
        act.emit(
            "orderbook.trade_executed.v1",
            ("orderbook.trade", f"{done.market.code}:{t.tid}"),
            {
                "market": done.market.code,
                "trade_id": t.tid,
                "kind": t.kind,
                "price_fen": t.price_fen,
                "quantity_t": t.quantity_t,
                "day": t.day.isoformat(),
            },
        )


def _trades_json(done: Done) -> list[list[int]]:
    assert done.projected is not None
    return [[t.tid, t.price_fen, t.quantity_t, t.buyer_entity_id, t.seller_entity_id] for t in done.projected.trades]


# -- markets and accounts (staff) -----------------------------------------------------------------------------------
def do_create_market(
    *,
    actor: Actor,
    code: str,
    name: str,
    mode: str,
    reference_fen: int,
    item_key: str = "carbon.allowance",
    index_weight: int = 1,
) -> Market:
    _require_staff(actor)
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise InvalidInput(
            "orderbook.code_invalid",
            "品种代码为 2–20 位大写字母或数字",
            "A market code is 2–20 capitals or digits",
            {"field": "code"},
        )
    if mode not in eng.MODES:
        raise InvalidInput("orderbook.mode_invalid", "交易方式无效", "Unknown trading mode", {"field": "mode"})
    if not isinstance(reference_fen, int) or reference_fen <= 0:
        raise InvalidInput(
            "orderbook.price_invalid",
            "基准价必须是正整数（分）",
            "The reference price must be positive fen",
            {"field": "reference_fen"},
        )
    if not isinstance(index_weight, int) or index_weight < 0:
        raise InvalidInput(
            "orderbook.weight_invalid", "指数权重无效", "Invalid index weight", {"field": "index_weight"}
        )
    catalog.require_trading_item(item_key)
    with action(actor, "orderbook.create_market") as act:
        if Market.objects.filter(code=code).exists():
            raise Conflict(
                "orderbook.market_exists", "该品种代码已存在", "A market with this code exists", {"code": code}
            )
        market = Market.objects.create(
            code=code,
            name=name.strip()[:100] or code,
            mode=mode,
            item_key=item_key,
            reference_fen=reference_fen,
            index_weight=index_weight,
            created_at=act.now,
        )
        done = _submit(act, market, {"op": "create_market", "code": code, "mode": mode})
        act.witness(
            market,
            {
                "code": code,
                "name": market.name,
                "mode": mode,
                "reference_fen": reference_fen,
                "item": item_key,
                "seq": done.seq,
            },
        )
        act.emit("orderbook.market_created.v1", market, {"code": code, "name": market.name, "mode": mode})
        return market


def do_open_account(*, actor: Actor, market_code: str, entity_id: int) -> Participant:
    """Open a registry entity's trading account in a market (交易账户开立)."""
    _require_staff(actor)
    market = get_market(market_code)
    ref = registry.get_entity_ref(entity_id)
    if ref is None:
        raise NotFound("orderbook.entity_unknown", "市场主体不存在", "No such entity", {"entity_id": entity_id})
    if not ref.is_active:
        raise Conflict(
            "orderbook.entity_inactive",
            "该市场主体状态异常，不能开户",
            "The entity is not active",
            {"entity_id": entity_id},
        )
    with action(actor, "orderbook.open_account") as act:
        done = _submit(act, market, {"op": "open_account", "owner": entity_id})
        participant = Participant.objects.create(market=market, entity_id=entity_id, name=ref.name, opened_at=act.now)
        act.witness(participant, {"market": market.code, "entity_id": entity_id, "seq": done.seq})
        act.emit(
            "orderbook.account_opened.v1",
            participant,
            {"market": market.code, "entity_id": entity_id},
            visibility=Visibility.RESTRICTED,
        )
        return participant


def _book(actor: Actor, market_code: str, entity_id: int, op: str, field: str, amount: int, code: str) -> int:
    _require_staff(actor)
    market = get_market(market_code)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput(
            "orderbook.amount_invalid",
            "金额或数量必须是正整数",
            "The amount must be a positive integer",
            {"field": field},
        )
    with action(actor, f"orderbook.{code}") as act:
        done = _submit(act, market, {"op": op, "owner": entity_id, field: amount})
        act.witness(("orderbook.participant", f"{market.code}:{entity_id}"), {"op": op, field: amount, "seq": done.seq})
        act.emit(
            f"orderbook.{BOOKED[op]}.v1",
            ("orderbook.participant", f"{market.code}:{entity_id}"),
            {"market": market.code, "entity_id": entity_id, field: amount},
            visibility=Visibility.RESTRICTED,
        )
        return done.seq


def do_deposit_cash(*, actor: Actor, market_code: str, entity_id: int, amount_fen: int) -> int:
    """入金: money received for a participant in the market's settlement account (the bank's notice)."""
    return _book(actor, market_code, entity_id, "deposit_cash", "amount_fen", amount_fen, "deposit_cash")


def do_withdraw_cash(*, actor: Actor, market_code: str, entity_id: int, amount_fen: int) -> int:
    """出金: available money paid out to the participant's bank account."""
    return _book(actor, market_code, entity_id, "withdraw_cash", "amount_fen", amount_fen, "withdraw_cash")


def do_deposit_allowances(*, actor: Actor, market_code: str, entity_id: int, quantity_t: int) -> int:
    """配额转入: allowances moved from the participant's registry account into the market."""
    return _book(actor, market_code, entity_id, "deposit_allowances", "quantity_t", quantity_t, "deposit_allowances")


def do_withdraw_allowances(*, actor: Actor, market_code: str, entity_id: int, quantity_t: int) -> int:
    """配额转出: available allowances moved back to the registry (e.g. for compliance surrender)."""
    return _book(actor, market_code, entity_id, "withdraw_allowances", "quantity_t", quantity_t, "withdraw_allowances")


# -- the trading day (staff or the clock) ---------------------------------------------------------------------------
def do_open_trading_day(*, actor: Actor, market_code: str, day: date | None = None) -> Market:
    """Open trading day ``day`` (default: today in Shanghai) with the rules in force that day."""
    _require_staff(actor)
    market = get_market(market_code)
    day = day or clock_now().astimezone(SHANGHAI).date()
    if not catalog.workday_calendar().is_workday(day):
        raise Conflict(
            "orderbook.not_a_trading_day", "非交易日（周末或法定节假日）", "Not a trading day", {"day": day.isoformat()}
        )
    rules = market_rules(day)
    command: dict[str, Any] = {"op": "open_day", "day": day_number(day), "rules": rules.as_json()}
    if not market.last_close_fen:
        command["reference_fen"] = market.reference_fen
    with action(actor, "orderbook.open_trading_day") as act:
        done = _submit(act, market, command)
        assert done.outcome is not None
        act.witness(
            ("orderbook.day", f"{market.code}:{day.isoformat()}"),
            {"rules": rules.as_json(), "limits": done.outcome.result, "seq": done.seq},
        )
        act.emit(
            "orderbook.trading_day_opened.v1",
            ("orderbook.day", f"{market.code}:{day.isoformat()}"),
            {"market": market.code, "day": day.isoformat(), **done.outcome.result},
        )
        return market


def do_set_phase(*, actor: Actor, market_code: str, phase: str) -> Market:
    """``halted`` for the midday break (cancels only), ``open`` for the afternoon session."""
    _require_staff(actor)
    market = get_market(market_code)
    if phase not in (eng.OPEN, eng.HALTED):
        raise InvalidInput("orderbook.phase_invalid", "交易状态无效", "Invalid phase", {"field": "phase"})
    with action(actor, "orderbook.set_phase") as act:
        done = _submit(act, market, {"op": "set_phase", "phase": phase})
        act.witness(market, {"phase": phase, "seq": done.seq})
        act.emit("orderbook.phase_changed.v1", market, {"market": market.code, "phase": phase})
        return market


def do_close_trading_day(*, actor: Actor, market_code: str) -> dict[str, Any]:
    """Close the day: resting orders and pending proposals expire, the closing price is fixed, the carbon
    price index is computed, and the day is reconciled (engine = ledger = custody). Returns the summary."""
    _require_staff(actor)
    market = get_market(market_code)
    with action(actor, "orderbook.close_trading_day") as act:
        day = market.current_day
        done = _submit(act, market, {"op": "close_day"})
        assert done.projected is not None
        assert done.projected.summary is not None
        summary = dict(done.projected.summary)
        index = queries.recompute_index(upto=day, now=act.now)
        report = queries.reconcile(market, state=None)
        TradingDay.objects.filter(market=market, day=day).update(reconciliation=report)
        summary["index"] = index
        summary["reconciliation"] = report
        act.witness(
            ("orderbook.day", f"{market.code}:{day}"),
            {"summary": done.projected.summary, "index": index, "reconciled": report["ok"], "seq": done.seq},
        )
        act.emit(
            "orderbook.trading_day_closed.v1",
            ("orderbook.day", f"{market.code}:{day}"),
            {
                "market": market.code,
                "day": str(day),
                "close_fen": summary["close_fen"],
                "eligible_volume_t": summary["eligible_volume_t"],
                "index": index,
            },
        )
        return summary


# -- orders (participants) ------------------------------------------------------------------------------------------
def _order_command(
    entity_id: int, side: Any, quantity_t: Any, price_fen: Any, order_type: Any, client_order_id: Any
) -> dict[str, Any]:
    if side not in eng.SIDES:
        raise InvalidInput(
            "orderbook.side_invalid", "买卖方向无效（buy 或 sell）", "Side must be buy or sell", {"field": "side"}
        )
    if order_type not in eng.ORDER_TYPES:
        raise InvalidInput(
            "orderbook.order_type_invalid", "委托类型无效", "Unknown order type", {"field": "order_type"}
        )
    command: dict[str, Any] = {
        "op": "place",
        "owner": entity_id,
        "side": side,
        "quantity_t": quantity_t,
        "type": order_type,
    }
    if order_type != "market":
        command["price_fen"] = price_fen
    if client_order_id is not None:
        if not isinstance(client_order_id, str) or not 1 <= len(client_order_id) <= 64:
            raise InvalidInput(
                "orderbook.client_order_id_invalid",
                "委托编号应为 1–64 个字符",
                "A client order id has 1–64 characters",
                {"field": "client_order_id"},
            )
        command["client_order_id"] = client_order_id
    return command


def do_place_order(
    *,
    actor: Actor,
    market_code: str,
    side: str,
    quantity_t: int,
    price_fen: int | None = None,
    order_type: str = "limit",
    client_order_id: str | None = None,
    entity_id: int | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """Enter an order (限价、市价转限价、IOC、FOK; in a 挂牌协议 market: a listing)."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    command = _order_command(owner, side, quantity_t, price_fen, order_type, client_order_id)
    with action(actor, "orderbook.place_order") as act:
        done = _submit(act, market, command, idempotency_key)
        if done.duplicate:
            order = Order.objects.get(market=market, command_seq=done.seq)
            act.witness(order, {"repeated": True, "seq": done.seq})
            return order
        assert done.projected is not None
        (order,) = done.projected.orders
        _witness_order(act, done, order, command)
        return order


def _witness_order(act: ActionRecorder, done: Done, order: Order, command: dict[str, Any]) -> None:
    act.witness(order, {"command": command, "seq": done.seq, "status": order.status, "trades": _trades_json(done)})
    act.emit(
        f"orderbook.order_{'placed' if command['op'] in ('place', 'take') else 'changed'}.v1",
        order,
        {
            "market": done.market.code,
            "order_id": order.oid,
            "entity_id": order.entity_id,
            "side": order.side,
            "type": order.order_type,
            "price_fen": order.price_fen,
            "quantity_t": order.quantity_t,
            "status": order.status,
        },
        visibility=Visibility.RESTRICTED,
    )
    _trade_events(act, done)


@dataclass(frozen=True)
class BatchResult:
    order: Order | None
    error: YiwangError | None


def do_submit_orders(
    *, actor: Actor, market_code: str, orders: Sequence[dict[str, Any]], entity_id: int | None = None
) -> list[BatchResult]:
    """Batch entry (group commit): several orders of one participant in one transaction, one lock, one
    commit. A refused order is reported and the others go on; acknowledged together after the commit."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    if not orders or len(orders) > 1000:
        raise InvalidInput(
            "orderbook.batch_size", "批量委托应为 1–1000 笔", "A batch holds 1–1000 orders", {"field": "orders"}
        )
    prepared: list[dict[str, Any] | YiwangError] = []
    for o in orders:
        try:
            prepared.append(
                _order_command(
                    owner,
                    o.get("side"),
                    o.get("quantity_t"),
                    o.get("price_fen"),
                    o.get("order_type", "limit"),
                    o.get("client_order_id"),
                )
            )
        except YiwangError as exc:
            prepared.append(exc)
    with action(actor, "orderbook.submit_orders") as act:
        valid = [c for c in prepared if isinstance(c, dict)]
        results = commands.submit_many(
            market.stream, ENGINE, [(c, actor.ref, None) for c in valid], snapshot_every=SNAPSHOT_EVERY
        )
        by_command = iter(results)
        out: list[BatchResult] = []
        seqs = []
        for item in prepared:
            if not isinstance(item, dict):
                out.append(BatchResult(None, item))
                continue
            result = next(by_command)
            if isinstance(result, commands.Refused):
                out.append(BatchResult(None, result.error))
                continue
            outcome = result.state.outcomes.pop(result.entry.seq)
            projected = projection.project(market, outcome)
            done = Done(market, result.entry.seq, outcome, projected)
            live.after_command(market, result.state, outcome, projected)
            (order,) = projected.orders
            seqs.append(done.seq)
            _trade_events(act, done)
            out.append(BatchResult(order, None))
        act.witness(
            ("orderbook.batch", f"{market.code}:{seqs[0] if seqs else 0}"),
            {
                "market": market.code,
                "entity_id": owner,
                "accepted": seqs,
                "refused": [r.error.code for r in out if r.error is not None],
            },
        )
        return out


def do_cancel_order(*, actor: Actor, market_code: str, order_id: int, entity_id: int | None = None) -> Order:
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    command = {"op": "cancel", "owner": owner, "order_id": order_id}
    with action(actor, "orderbook.cancel_order") as act:
        done = _submit(act, market, command)
        assert done.projected is not None
        (order,) = done.projected.orders
        _witness_order(act, done, order, command)
        return order


def do_amend_order(
    *,
    actor: Actor,
    market_code: str,
    order_id: int,
    price_fen: int | None = None,
    quantity_t: int | None = None,
    expected_version: int | None = None,
    entity_id: int | None = None,
) -> Order:
    """Change a resting order's price or open quantity (a reduction keeps its place in the queue)."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    command: dict[str, Any] = {"op": "amend", "owner": owner, "order_id": order_id}
    if price_fen is not None:
        command["price_fen"] = price_fen
    if quantity_t is not None:
        command["quantity_t"] = quantity_t
    with action(actor, "orderbook.amend_order") as act:
        if expected_version is not None:
            row = Order.objects.filter(market=market, oid=order_id, entity_id=owner).first()
            if row is not None:
                check_version(row.version, expected_version)
        done = _submit(act, market, command)
        assert done.projected is not None
        (order,) = done.projected.orders
        _witness_order(act, done, order, command)
        return order


def do_take_listing(
    *,
    actor: Actor,
    market_code: str,
    order_id: int,
    quantity_t: int,
    client_order_id: str | None = None,
    entity_id: int | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """摘牌: trade against a resting listing within the counterparty's best levels, at its price."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    command: dict[str, Any] = {"op": "take", "owner": owner, "order_id": order_id, "quantity_t": quantity_t}
    if client_order_id is not None:
        command["client_order_id"] = client_order_id
    with action(actor, "orderbook.take_listing") as act:
        done = _submit(act, market, command, idempotency_key)
        if done.duplicate:
            order = Order.objects.get(market=market, command_seq=done.seq)
            act.witness(order, {"repeated": True, "seq": done.seq})
            return order
        assert done.projected is not None
        (order,) = done.projected.orders
        _witness_order(act, done, order, command)
        return order


# -- 大宗协议 -------------------------------------------------------------------------------------------------------
def do_propose_block(
    *,
    actor: Actor,
    market_code: str,
    side: str,
    counterparty_entity_id: int,
    price_fen: int,
    quantity_t: int,
    entity_id: int | None = None,
) -> int:
    """Offer a negotiated block trade to a named counterparty; returns the proposal id."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    if side not in eng.SIDES:
        raise InvalidInput(
            "orderbook.side_invalid", "买卖方向无效（buy 或 sell）", "Side must be buy or sell", {"field": "side"}
        )
    command = {
        "op": "propose_block",
        "owner": owner,
        "side": side,
        "counterparty": counterparty_entity_id,
        "price_fen": price_fen,
        "quantity_t": quantity_t,
    }
    with action(actor, "orderbook.propose_block") as act:
        done = _submit(act, market, command)
        assert done.outcome is not None
        pid = done.outcome.result["proposal_id"]
        ref = ("orderbook.block", f"{market.code}:{pid}")
        act.witness(ref, {"command": command, "seq": done.seq})
        act.emit(
            "orderbook.block_proposed.v1",
            ref,
            {"market": market.code, "proposal_id": pid, "counterparty": counterparty_entity_id},
            visibility=Visibility.RESTRICTED,
        )
        return pid


def do_answer_block(
    *, actor: Actor, market_code: str, proposal_id: int, answer: str, entity_id: int | None = None
) -> int | None:
    """``confirm`` (the counterparty: the trade executes, returns its id), ``reject`` (the counterparty) or
    ``withdraw`` (the proposer)."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    if answer not in ("confirm", "reject", "withdraw"):
        raise InvalidInput(
            "orderbook.answer_invalid",
            "应答无效（confirm、reject 或 withdraw）",
            "Answer confirm, reject or withdraw",
            {"field": "answer"},
        )
    command = {"op": f"{answer}_block", "owner": owner, "proposal_id": proposal_id}
    with action(actor, f"orderbook.{answer}_block") as act:
        done = _submit(act, market, command)
        assert done.outcome is not None
        ref = ("orderbook.block", f"{market.code}:{proposal_id}")
        act.witness(ref, {"command": command, "seq": done.seq, "trades": _trades_json(done)})
        act.emit(
            f"orderbook.block_{BLOCK_ANSWERED[answer]}.v1",
            ref,
            {"market": market.code, "proposal_id": proposal_id},
            visibility=Visibility.RESTRICTED,
        )
        _trade_events(act, done)
        return done.outcome.result.get("trade_id")


# -- 配额回购 -------------------------------------------------------------------------------------------------------
def do_propose_repo(
    *,
    actor: Actor,
    market_code: str,
    counterparty_entity_id: int,
    quantity_t: int,
    price_open_fen: int,
    price_close_fen: int,
    repurchase_day: date,
    margin_fen: int = 0,
    entity_id: int | None = None,
) -> int:
    """The initial seller (正回购方) offers a repo; its allowances and margin are frozen. Returns the repo id."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    if not isinstance(repurchase_day, date):
        raise InvalidInput(
            "orderbook.repo_terms_invalid", "购回日无效", "Invalid repurchase day", {"field": "repurchase_day"}
        )
    if not catalog.workday_calendar().is_workday(repurchase_day):
        raise InvalidInput(
            "orderbook.repo_terms_invalid",
            "购回日必须是交易日",
            "The repurchase day must be a trading day",
            {"field": "repurchase_day"},
        )
    command = {
        "op": "propose_repo",
        "owner": owner,
        "counterparty": counterparty_entity_id,
        "quantity_t": quantity_t,
        "price_open_fen": price_open_fen,
        "price_close_fen": price_close_fen,
        "repurchase_day": day_number(repurchase_day),
        "margin_fen": margin_fen,
    }
    with action(actor, "orderbook.propose_repo") as act:
        done = _submit(act, market, command)
        assert done.outcome is not None
        rid = done.outcome.result["repo_id"]
        ref = ("orderbook.repo", f"{market.code}:{rid}")
        act.witness(ref, {"command": command, "seq": done.seq})
        act.emit(
            "orderbook.repo_proposed.v1", ref, {"market": market.code, "repo_id": rid}, visibility=Visibility.RESTRICTED
        )
        return rid


def do_answer_repo(
    *, actor: Actor, market_code: str, repo_id: int, answer: str, entity_id: int | None = None
) -> int | None:
    """``confirm`` (the initial buyer: the first leg executes), ``reject`` (the buyer), ``withdraw`` (the seller)."""
    market = get_market(market_code)
    owner = acting_entity(actor, entity_id)
    if answer not in ("confirm", "reject", "withdraw"):
        raise InvalidInput(
            "orderbook.answer_invalid",
            "应答无效（confirm、reject 或 withdraw）",
            "Answer confirm, reject or withdraw",
            {"field": "answer"},
        )
    command = {"op": f"{answer}_repo", "owner": owner, "repo_id": repo_id}
    with action(actor, f"orderbook.{answer}_repo") as act:
        done = _submit(act, market, command)
        assert done.outcome is not None
        ref = ("orderbook.repo", f"{market.code}:{repo_id}")
        act.witness(ref, {"command": command, "seq": done.seq, "trades": _trades_json(done)})
        act.emit(
            f"orderbook.repo_{REPO_ANSWERED[answer]}.v1",
            ref,
            {"market": market.code, "repo_id": repo_id},
            visibility=Visibility.RESTRICTED,
        )
        _trade_events(act, done)
        return done.outcome.result.get("trade_id")


def do_settle_repo(*, actor: Actor, market_code: str, repo_id: int) -> str:
    """The repurchase leg on its day (the clock does this after the day opens): ``closed`` or ``defaulted``."""
    _require_staff(actor)
    market = get_market(market_code)
    with action(actor, "orderbook.settle_repo") as act:
        done = _submit(act, market, {"op": "settle_repo", "repo_id": repo_id})
        assert done.outcome is not None
        outcome = "closed" if done.outcome.result["trade_id"] else "defaulted"
        ref = ("orderbook.repo", f"{market.code}:{repo_id}")
        act.witness(
            ref,
            {
                "outcome": outcome,
                "seq": done.seq,
                "trades": _trades_json(done),
                "notes": [list(n) for n in done.outcome.notes],
            },
        )
        act.emit(
            f"orderbook.repo_{outcome}.v1",
            ref,
            {"market": market.code, "repo_id": repo_id},
            visibility=Visibility.RESTRICTED,
        )
        _trade_events(act, done)
        return outcome
