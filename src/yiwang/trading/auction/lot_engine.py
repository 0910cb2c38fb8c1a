"""The pure auction engine on the platform's command log: one stream ``auction.lot:<id>`` per lot.

The first command of a stream is ``{"type": "create", "rules": {...}}`` (the RuleSet snapshot), so a stream
replays on its own. The time a command counts at is the entry's ``accepted_at`` (the server clock, taken under
the stream lock) in integer microseconds. A refusal is raised as the engine's coded YiwangError, so nothing is
logged. A ``tick`` with nothing due is refused too (``auction.nothing_due``): the clock's due job may run on
several processes at once and only the first tick of a deadline is logged.

**A refused command leaves the state as it was** (``refusal_keeps_state``): the command log then keeps its cached
state across the refusal instead of reloading it under the lock. The pure :class:`Lot` moves time before it
judges a command (a bid after the end first closes the lot, then is refused); so a command that finds a deadline
passed is applied to a copy, which replaces the state only when the command is accepted. Every other refusal is
decided before the lot changes (``test_refusal.py`` proves both for every rule set on random command sequences).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from yiwang.kernel.errors import Conflict
from yiwang.platform.commands.log import Entry
from yiwang.trading.auction.domain import codes
from yiwang.trading.auction.domain.engine import Lot
from yiwang.trading.auction.domain.rules import RuleSet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
NOTHING_DUE = "auction.nothing_due"


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // _US


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


class LotEngine:
    name = "auction.lot"
    refusal_keeps_state = True

    def initial(self, stream: str) -> Lot | None:
        return None

    def apply(self, state: Lot | None, entry: Entry) -> Lot:
        command = entry.command
        if command.get("type") == "create":
            if state is not None:
                raise Conflict("auction.already_created", "竞价标的已创建", "The lot already exists")
            return Lot(RuleSet.from_json(command["rules"]))
        if state is None:
            raise Conflict("auction.not_created", "竞价标的不存在", "The lot does not exist yet")
        t = to_us(entry.accepted_at)
        if command.get("type") == "tick" and t < state.deadline:
            raise Conflict(NOTHING_DUE, "当前没有到期的竞价阶段", "Nothing is due on this lot")
        cmd = dict(command)
        cmd["t"] = t
        # a deadline has passed (rare: once per phase): judge the command on a copy, so that a refusal leaves
        # the state untouched; a tick is only ever accepted here
        lot = state if t < state.deadline or command.get("type") == "tick" else state.copy()
        code = lot.apply(cmd)
        if code is not None:
            raise codes.error_for(code, {"seq_head": entry.seq - 1})
        return lot

    def dump(self, state: Lot | None) -> Any:
        return None if state is None else state.to_json()

    def load(self, data: Any) -> Lot | None:
        return None if data is None else Lot.from_json(data)


ENGINE = LotEngine()
