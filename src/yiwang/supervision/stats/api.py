"""交易指标与一屏管交易 API (``/api/v1/stats``), for regulators and auditors over their regions.

- ``GET /indicators?period=&region=&category=``: every indicator (not computable ones with their reason), the
  breakdowns by category, district and procedure, the disclosure tally and the open alerts.
- ``GET /trend?period=&region=&category=&granularity=``: deals, value and published trades per bucket.
- ``GET /totals?region=``: the dashboard's live totals.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.api.auth import actor_of
from yiwang.supervision.stats import queries
from yiwang.supervision.stats.domain import indicators as ind
from yiwang.supervision.stats.schemas import (
    READ_ERRORS,
    IndicatorSetOut,
    StatsQuery,
    TotalsOut,
    TrendOut,
    TrendQuery,
)

router = Router(tags=["supervision"])


def _result(r: ind.Result) -> dict[str, Any]:
    out = r.as_json()
    return {k: out.get(k) for k in ("computable", "value", "n", "reason")}


def _group(g: ind.Group) -> dict[str, Any]:
    return {
        "key": g.key,
        "label": g.label,
        "trades": g.trades,
        "volume": g.volume,
        "value_fen": g.value_fen,
        "savings_rate": _result(g.savings),
        "single_bid_share": _result(g.single_bid),
    }


def indicator_set_json(actor: Any, s: queries.IndicatorSet) -> dict[str, Any]:
    d = s.disclosure
    return {
        "filters": s.filters.as_json(),
        "indicators": [i.as_json() for i in s.indicators],
        "by_category": [_group(g) for g in s.by_category],
        "by_region": [_group(g) for g in s.by_region],
        "by_procedure": [_group(g) for g in s.by_procedure],
        "disclosure": {
            "on_time": d.on_time,
            "late": d.late,
            "missing": d.missing,
            "pending": d.pending,
            "required": d.required,
        },
        "alerts": _open_alerts(actor, s.filters.region),
    }


def _open_alerts(actor: Any, region: str | None) -> dict[str, int]:
    """Open alerts per status in the actor's regions, or in ``region``."""
    from yiwang.supervision.redflags import queries as redflags

    if region is None:
        return redflags.count_open_alerts_for(actor)
    counts: dict[str, int] = {}
    for status in ("new", "assigned", "investigating", "confirmed", "dismissed"):
        n = redflags.list_alerts_for(actor, status=status, region=region, limit=1).total
        if n:
            counts[status] = n
    return counts


@router.get("/indicators", response={200: IndicatorSetOut, **READ_ERRORS})
def indicators(request: HttpRequest, q: Query[StatsQuery]):
    """The indicators of a period over your regions (or one of them), one category or all."""
    actor = actor_of(request)
    return indicator_set_json(actor, queries.indicators_for(actor, **q.model_dump()))


@router.get("/trend", response={200: TrendOut, **READ_ERRORS})
def trend(request: HttpRequest, q: Query[TrendQuery]):
    """Deals, deal value (fen) and published trades per day, month, quarter or year of the period."""
    t = queries.trend_for(actor_of(request), **q.model_dump())
    return {"granularity": t.granularity.value, "points": [p.__dict__ for p in t.points]}


@router.get("/totals", response={200: TotalsOut, **READ_ERRORS})
def totals(request: HttpRequest, region: str | None = None):
    """Live totals: trades in progress, today's and this year's deals and value, open alerts."""
    t = queries.totals_for(actor_of(request), region=region)
    return {**t.__dict__, "as_of": t.as_of.astimezone(SHANGHAI).isoformat()}
