"""Publication periods: the calendar quarters (UTC) that PostgreSQL's period indexes cover.

A word's GIN posting list has no order, so the newest 1 000 matches of two mid-frequency words (闵行 施工: 35 000
matches at 1 M) cost a scan of both lists whatever the LIMIT. A partial GIN index per quarter holds a
quarter's postings only: the newest matches are read quarter by quarter, newest first, each from lists a
twenty-fifth as long, and the walk stops at the quarter that completes the page (docs/search.md, "PostgreSQL:
period indexes"). Pure Python: the boundaries, the order and the index names.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import MAXYEAR, UTC, datetime

PERIOD_MONTHS = 3
INDEX_PREFIX = "search_doc_tsm_"


def period_start(at: datetime) -> datetime:
    """The first instant (UTC) of the quarter holding ``at`` (an aware datetime)."""
    at = at.astimezone(UTC)
    return datetime(at.year, (at.month - 1) // PERIOD_MONTHS * PERIOD_MONTHS + 1, 1, tzinfo=UTC)


def next_period(start: datetime) -> datetime:
    """The start of the following quarter (the last instant Python can hold after 9999's last quarter)."""
    month = start.month + PERIOD_MONTHS
    year = start.year + (month - 1) // 12
    if year > MAXYEAR:
        return datetime.max.replace(tzinfo=UTC)
    return start.replace(year=year, month=(month - 1) % 12 + 1)


def previous_period(start: datetime) -> datetime:
    month = start.month - PERIOD_MONTHS
    return start.replace(year=start.year + (month - 1) // 12, month=(month - 1) % 12 + 1)


def periods_newest_first(first: datetime, last: datetime) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end)`` of every quarter from the one holding ``last`` back to the one holding ``first``."""
    start, stop = period_start(last), period_start(first)
    while True:
        yield start, next_period(start)
        if start <= stop:
            return
        start = previous_period(start)


def index_name(start: datetime) -> str:
    """``search_doc_tsm_2025q4`` for the quarter starting 2025-10-01 (years 1–9999, as PostgreSQL's range)."""
    return f"{INDEX_PREFIX}{start.year:04d}q{(start.month - 1) // PERIOD_MONTHS + 1}"


def start_of_index(name: str) -> datetime | None:
    """The quarter an index name stands for, or None for a name that is not a period index's."""
    if not name.startswith(INDEX_PREFIX):
        return None
    rest = name[len(INDEX_PREFIX) :]
    year, q, quarter = rest[:4], rest[4:5], rest[5:]
    if not (year.isdigit() and q == "q" and quarter in {"1", "2", "3", "4"}) or int(year) < 1:
        return None
    return datetime(int(year), (int(quarter) - 1) * PERIOD_MONTHS + 1, 1, tzinfo=UTC)
