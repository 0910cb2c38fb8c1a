"""From request parameters to a :class:`SearchQuery` (shared by the API and the page).

Dates are days in Asia/Shanghai: ``from=2026-03-01`` starts at 00:00 that day, ``to=2026-03-05`` includes the
whole of that day. Bad values raise :class:`~yiwang.kernel.errors.InvalidInput` with ``search.*`` codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from yiwang.kernel.errors import InvalidInput
from yiwang.platform.search.domain.documents import SearchQuery

SHANGHAI = ZoneInfo("Asia/Shanghai")
FEN_PER_WAN = 1_000_000


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def build_query(
    *,
    q: str | None = "",
    kinds: Sequence[str] | None = (),
    categories: Sequence[str] | None = (),
    region: str | None = "",
    stages: Sequence[str] | None = (),
    date_from: date | None = None,
    date_to: date | None = None,
    min_amount_fen: int | None = None,
    max_amount_fen: int | None = None,
    sort: str | None = "relevance",
    page: int | None = 1,
    size: int | None = 20,
    include_private: bool = False,
) -> SearchQuery:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput(
            "search.bad_range",
            "起始日期不能晚于截止日期",
            "the start date is after the end date",
            {"field": "date", "from": date_from.isoformat(), "to": date_to.isoformat()},
        )
    return SearchQuery(
        text=q or "",
        kinds=tuple(kinds or ()),
        categories=tuple(categories or ()),
        region=(region or "").strip(),
        stages=tuple(stages or ()),
        published_from=day_start(date_from) if date_from else None,
        published_to=day_start(date_to + timedelta(days=1)) if date_to else None,
        min_amount_fen=min_amount_fen,
        max_amount_fen=max_amount_fen,
        sort=sort or "relevance",  # type: ignore[arg-type]
        page=page if page is not None else 1,
        size=size if size is not None else 20,
        include_private=include_private,
    )


def parse_date(value: str, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "search.bad_date",
            f"日期“{value[:20]}”格式应为 YYYY-MM-DD",
            f"date {value[:20]!r} must be YYYY-MM-DD",
            {"field": field},
        ) from None


def parse_wan(value: str, field: str) -> int | None:
    """An amount in 万元 as typed on the page (``12.5``) → 分."""
    value = (value or "").strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or len(value) > 20:
        raise InvalidInput(
            "search.bad_amount", "金额须为非负数（万元）", "amounts are non-negative numbers of 万元", {"field": field}
        )
    fen = amount * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise InvalidInput(
            "search.bad_amount", "金额最多精确到分", "amounts are exact to the fen at most", {"field": field}
        )
    return int(fen)


def parse_int(value: str, field: str, default: int) -> int:
    value = (value or "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput(f"search.bad_{field}", f"{field} 须为正整数", f"{field} must be a positive integer")
    return int(value)
