"""API shapes of the trading statistics (money in integer fen; rates as decimal strings, or null with a reason
when not computable)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from yiwang.platform.api.schemas import ERRORS

READ_ERRORS: dict[int, Any] = ERRORS

PERIOD_HELP = "2026 · 2026-Q1 · 2026-03 · 2026-03-02（默认：本年）"


class StatsQuery(Schema):
    period: str | None = Field(None, max_length=12, description=PERIOD_HELP)
    region: str | None = Field(None, max_length=6, description="行政区划代码（须在您的监管范围内）")
    category: str | None = Field(None, max_length=40, description="交易目录品类，如 works、gp")


class TrendQuery(StatsQuery):
    granularity: str | None = Field(None, max_length=10, description="day · month · quarter · year")


class FiltersOut(Schema):
    period: str
    period_label: str
    first_day: str
    last_day: str
    region: str | None
    region_label: str
    category: str | None
    category_label: str


class IndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    unit: str = Field(description="count · fen · percent · bidders · days")
    computable: bool
    value: int | str | None = Field(description="null when not computable; rates and averages as decimal strings")
    n: int = Field(description="the population the value is computed over")
    numerator: int | None = None
    denominator: int | None = None
    reason: str | None = Field(None, description="empty · single (when not computable)")
    reason_zh: str | None = None
    reason_en: str | None = None


class ResultOut(Schema):
    computable: bool
    value: int | str | None
    n: int
    reason: str | None = None


class GroupOut(Schema):
    key: str
    label: str
    trades: int
    volume: int
    value_fen: int
    savings_rate: ResultOut
    single_bid_share: ResultOut


class DisclosureOut(Schema):
    on_time: int
    late: int
    missing: int
    pending: int
    required: int


class IndicatorSetOut(Schema):
    filters: FiltersOut
    indicators: list[IndicatorOut]
    by_category: list[GroupOut]
    by_region: list[GroupOut]
    by_procedure: list[GroupOut]
    disclosure: DisclosureOut
    alerts: dict[str, int] = Field(description="open red-flag alerts per status in the regions")


class TrendPointOut(Schema):
    key: str
    label: str
    volume: int
    value_fen: int
    published: int


class TrendOut(Schema):
    granularity: str
    points: list[TrendPointOut]


class TotalsOut(Schema):
    in_progress: int
    deals_today: int
    value_today_fen: int
    deals_year: int
    value_year_fen: int
    open_alerts: int
    as_of: str
