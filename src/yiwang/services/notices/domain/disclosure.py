"""The disclosure rate (信息公开率): required notices published on time ÷ required (pure rules).

Each obligation (a notice the disclosure list requires for one object, with its deadline) is, at a given
moment, one of:

* ``on_time`` — published before its deadline (or published at all, when it has none);
* ``late`` — published, but at or after its deadline;
* ``missing`` — not published and its deadline has passed (without a deadline: not published by the end of
  the period looked at);
* ``pending`` — not published and not yet due: it does not count yet.

``rate = on_time / (on_time + late + missing)``; ``None`` when nothing counted. Publication means the first
publication of the notice chain (a later correction does not make an on-time notice late).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

ON_TIME, LATE, MISSING, PENDING = "on_time", "late", "missing", "pending"
OUTCOME_LABELS_ZH = {ON_TIME: "按时公开", LATE: "逾期公开", MISSING: "应公开未公开", PENDING: "未到期"}


def classify(
    due_at: datetime | None, published_at: datetime | None, as_of: datetime, *, period_end: datetime | None = None
) -> str:
    """The outcome of one obligation at ``as_of``. An unpublished obligation without a deadline becomes
    ``missing`` once the period looked at (ending at ``period_end``) is over."""
    if published_at is not None:
        return ON_TIME if due_at is None or published_at < due_at else LATE
    cutoff = due_at if due_at is not None else period_end
    return MISSING if cutoff is not None and as_of >= cutoff else PENDING


@dataclass(frozen=True)
class Tally:
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def required(self) -> int:
        """Obligations that count: due (or published) by now."""
        return self.on_time + self.late + self.missing

    @property
    def rate(self) -> Decimal | None:
        """On-time share in percent, one decimal (half up); ``None`` when nothing counts."""
        if not self.required:
            return None
        return (Decimal(100 * self.on_time) / Decimal(self.required)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def tally(outcomes: Iterable[str]) -> Tally:
    counts = {ON_TIME: 0, LATE: 0, MISSING: 0, PENDING: 0}
    for outcome in outcomes:
        counts[outcome] += 1
    return Tally(counts[ON_TIME], counts[LATE], counts[MISSING], counts[PENDING])
