"""One journalled command applied to a market: the engine call plus everything the read model needs.

:func:`step` applies a command (its JSON form) to a :class:`MarketState` and returns an :class:`Outcome`:
the result, the trades, the orders that left the book, the engine's notes, and what the command's own order,
proposal or repo looked like before and after. :mod:`.settlement` turns an outcome into ledger postings, the
action layer into rows. The state also keeps the last outcomes by sequence number, so that the writer that
submitted a command through the command log can pick its outcome up afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yiwang.kernel.errors import Conflict
from yiwang.trading.orderbook.domain import engine as eng
from yiwang.trading.orderbook.domain.engines import MarketEngine

KEEP_OUTCOMES = 4096


@dataclass
class Outcome:
    seq: int
    now: int
    command: dict[str, Any]
    result: dict[str, Any]
    trades: list[tuple] = field(default_factory=list)
    removed: list[tuple] = field(default_factory=list)
    notes: list[tuple] = field(default_factory=list)
    # the command's own order / proposal / repo: before (a copy of the engine's record) and after
    before: list | None = None
    after: list | None = None


class MarketState:
    """The state folded from one market's command stream: the engine (``None`` until the market is created)
    and the recent outcomes (not part of the state proper: never dumped, never hashed). ``engine_class`` is
    the engine implementation a created market gets (default: the one ``engines`` picked; tests pass either)."""

    def __init__(self, engine: Any = None, engine_class: Any = None):
        self.engine = engine
        self.engine_class = engine_class or MarketEngine
        self.outcomes: dict[int, Outcome] = {}

    def remember(self, outcome: Outcome) -> None:
        self.outcomes[outcome.seq] = outcome
        while len(self.outcomes) > KEEP_OUTCOMES:
            del self.outcomes[next(iter(self.outcomes))]

    def dump(self) -> dict[str, Any] | None:
        return self.engine.snapshot() if self.engine is not None else None

    @classmethod
    def load(cls, data: dict[str, Any] | None, engine_class: Any = None) -> MarketState:
        engine_class = engine_class or MarketEngine
        return cls(engine_class.restore(data) if data is not None else None, engine_class)


def _order_view(o: list | None) -> list | None:
    # [oid, owner, side, price, open, qty, filled, client_id, type]
    return None if o is None else [o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[8], o[9]]


def _market_not_created() -> Conflict:
    return Conflict("orderbook.market_not_created", "市场尚未设立", "The market has not been created", {})


def step(state: MarketState, command: dict[str, Any], now: int, seq: int) -> Outcome:
    """Apply ``command`` at ``now`` (µs) as number ``seq`` of the stream. A refusal raises (nothing changed)."""
    op = command.get("op")
    if op == "create_market":
        if state.engine is not None:
            raise Conflict("orderbook.market_exists", "市场已设立", "The market already exists", {})
        mode = command.get("mode")
        if mode not in eng.MODES:
            raise eng.E.wrong_mode("market", str(mode))
        state.engine = state.engine_class(str(command["code"]), mode)
        state.engine.now = now
        outcome = Outcome(seq, now, command, {})
        state.remember(outcome)
        return outcome
    e = state.engine
    if e is None:
        raise _market_not_created()
    before: list | None = None
    if op in ("cancel", "amend") or op == "take":
        before = _order_view(e.orders.get(command.get("order_id")))
    elif op in ("confirm_block", "withdraw_block", "reject_block"):
        found = e.proposals.get(command.get("proposal_id"))
        before = list(found) if found is not None else None
    elif op in ("confirm_repo", "withdraw_repo", "reject_repo", "settle_repo"):
        found = e.repos.get(command.get("repo_id"))
        before = list(found) if found is not None else None
    result = eng.apply(e, command, now)  # the dictionary form calls the engine's methods: either implementation
    trades, removed, notes = e.drain()
    after: list | None = None
    if op in ("place", "amend"):
        after = _order_view(e.orders.get(result["order_id"]))
    elif op == "take":
        after = _order_view(e.orders.get(command["order_id"]))
    elif op == "propose_block":
        after = list(e.proposals[result["proposal_id"]])
    elif op in ("propose_repo", "confirm_repo"):
        found = e.repos.get(result.get("repo_id", command.get("repo_id")))
        after = list(found) if found is not None else None
    outcome = Outcome(seq, now, command, result, trades, removed, notes, before, after)
    state.remember(outcome)
    return outcome
