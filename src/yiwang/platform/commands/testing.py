"""A toy engine for tests and benchmarks of the command log (an English auction in a few lines).

State: the price (fen), the leader, the number of accepted bids, the end time (ISO UTC) and a digest-friendly
list of the last bids. A bid must beat the price by at least ``step``; a bid in the last ``extend_s`` seconds
moves the end to bid time + ``extend_s`` (the soft close); a bid at or after the end is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import RuleViolation
from yiwang.platform.commands.log import Entry


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass
class ToyLot:
    price: int
    leader: str | None
    bids: int
    end: str
    recent: list[list[Any]]


class ToyLotEngine:
    name = "test.toy_lot"
    refusal_keeps_state = True  # apply never changes the state it is given (it returns a new one)

    def __init__(self, *, start: int = 100_000, step: int = 1_000, end: datetime, extend_s: int = 300, keep: int = 5):
        self.start, self.step, self.end, self.extend_s, self.keep = start, step, end, extend_s, keep

    def initial(self, stream: str) -> ToyLot:
        return ToyLot(price=self.start - self.step, leader=None, bids=0, end=iso_utc(self.end), recent=[])

    def apply(self, state: ToyLot, entry: Entry) -> ToyLot:
        command = entry.command
        if command.get("type") != "bid":
            raise RuleViolation("test.unknown_command", "未知指令", "Unknown command")
        at = entry.accepted_at
        end = _parse(state.end)
        if at >= end:
            raise RuleViolation("test.closed", "竞价已结束", "Bidding has ended")
        price = int(command["price"])
        if price < state.price + self.step:
            raise RuleViolation("test.too_low", "出价低于最低加价", "The bid is below the minimum")
        if end - at < timedelta(seconds=self.extend_s):
            end = at + timedelta(seconds=self.extend_s)
        recent = [*state.recent, [entry.seq, str(command["bidder"]), price, iso_utc(at)]][-self.keep :]
        return ToyLot(price=price, leader=str(command["bidder"]), bids=state.bids + 1, end=iso_utc(end), recent=recent)

    def dump(self, state: ToyLot) -> dict[str, Any]:
        return {
            "price": state.price,
            "leader": state.leader,
            "bids": state.bids,
            "end": state.end,
            "recent": state.recent,
        }

    def load(self, data: dict[str, Any]) -> ToyLot:
        return ToyLot(data["price"], data["leader"], data["bids"], data["end"], [list(r) for r in data["recent"]])
