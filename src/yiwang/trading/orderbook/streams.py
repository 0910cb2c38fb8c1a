"""The carbon market on the platform's command log (``platform.commands``): one stream per market.

Stream ``orderbook.instrument:<code>``; its engine folds commands with :func:`domain.outcome.step` at the
command's server time (``entry.accepted_at`` in microseconds). The engine is registered for
``yiwang commands verify`` in ``apps.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from yiwang.platform.commands.log import Entry
from yiwang.trading.orderbook.domain.outcome import MarketState, step

STREAM_KIND = "orderbook.instrument"
SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


def stream_of(code: str) -> str:
    return f"{STREAM_KIND}:{code}"


def micros(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, no float)."""
    return (moment - EPOCH) // MICRO


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def day_number(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def day_of(number: int) -> date:
    return date(number // 10_000, number // 100 % 100, number % 100)


class MarketStreamEngine:
    """The pure engine behind one market's stream (the ``platform.commands`` Engine protocol)."""

    name = "orderbook.market"

    def initial(self, stream: str) -> MarketState:
        return MarketState()

    def apply(self, state: MarketState, entry: Entry) -> MarketState:
        step(state, entry.command, micros(entry.accepted_at), entry.seq)
        return state

    def dump(self, state: MarketState) -> Any:
        return state.dump()

    def load(self, data: Any) -> MarketState:
        return MarketState.load(data)


ENGINE = MarketStreamEngine()
