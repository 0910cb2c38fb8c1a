"""One year of the State Council holiday schedule as data: parse, check and expand it.

Staff type a schedule as lines, one day or range per line::

    2026-02-15..2026-02-23 春节
    2026-10-01..2026-10-07 国庆节

and make-up working days (调休上班) the same way. Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from yiwang.kernel.errors import InvalidInput

_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|~|至|–|—)\s*(\d{4}-\d{2}-\d{2}))?\s*(.*)$")
MAX_DAYS_PER_YEAR = 60


@dataclass(frozen=True)
class Schedule:
    year: int
    off: tuple[tuple[date, str], ...]  # sorted, one entry per day
    makeup: tuple[tuple[date, str], ...]

    def as_json(self) -> dict:
        return {
            "year": self.year,
            "off": [[d.isoformat(), name] for d, name in self.off],
            "makeup": [[d.isoformat(), name] for d, name in self.makeup],
        }


def _bad_line(which: str, line: str, why_zh: str, why_en: str) -> InvalidInput:
    return InvalidInput(
        "catalog.holiday_line_invalid",
        f"第“{line}”行{why_zh}",
        f"line {line!r}: {why_en}",
        {"field": which, "line": line},
    )


def parse_lines(text: str, which: str) -> list[tuple[date, str]]:
    """Expand ``YYYY-MM-DD[..YYYY-MM-DD] name`` lines into (day, name) pairs."""
    out: list[tuple[date, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise _bad_line(
                which, line, "格式应为“YYYY-MM-DD[..YYYY-MM-DD] 名称”", "expected 'YYYY-MM-DD[..YYYY-MM-DD] name'"
            )
        try:
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2)) if match.group(2) else first
        except ValueError:
            raise _bad_line(which, line, "日期无效", "invalid date") from None
        if last < first or (last - first).days > 31:
            raise _bad_line(which, line, "日期区间无效（不超过 31 天）", "invalid range (at most 31 days)")
        name = match.group(3).strip()[:40]
        out.extend((first + timedelta(days=k), name) for k in range((last - first).days + 1))
    return out


def build_schedule(year: int, off: Iterable[tuple[date, str]], makeup: Iterable[tuple[date, str]]) -> Schedule:
    """Check a year's schedule: every day inside ``year``, no day twice, no day both off and worked, make-up
    working days on a Saturday or Sunday (``catalog.holiday_*`` codes)."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("catalog.holiday_year_invalid", f"年份 {year} 无效", f"invalid year {year}", {"year": year})
    off_list, makeup_list = list(off), list(makeup)
    for which, days in (("off", off_list), ("makeup", makeup_list)):
        seen: set[date] = set()
        for day, _ in days:
            if day.year != year:
                raise InvalidInput(
                    "catalog.holiday_outside_year",
                    f"{day.isoformat()} 不在 {year} 年内",
                    f"{day.isoformat()} is not in {year}",
                    {"field": which, "day": day.isoformat(), "year": year},
                )
            if day in seen:
                raise InvalidInput(
                    "catalog.holiday_duplicate",
                    f"{day.isoformat()} 重复列出",
                    f"{day.isoformat()} is listed twice",
                    {"field": which, "day": day.isoformat()},
                )
            seen.add(day)
        if len(days) > MAX_DAYS_PER_YEAR:
            raise InvalidInput(
                "catalog.holiday_too_many",
                f"一年最多 {MAX_DAYS_PER_YEAR} 天",
                f"at most {MAX_DAYS_PER_YEAR} days per year",
                {"field": which},
            )
    both = sorted({d for d, _ in off_list} & {d for d, _ in makeup_list})
    if both:
        raise InvalidInput(
            "catalog.holiday_conflict",
            f"{both[0].isoformat()} 同时列为放假日和调休上班日",
            f"{both[0].isoformat()} is both a day off and a make-up working day",
            {"day": both[0].isoformat()},
        )
    weekday = next((d for d, _ in makeup_list if d.weekday() < 5), None)
    if weekday is not None:
        raise InvalidInput(
            "catalog.makeup_not_weekend",
            f"调休上班日 {weekday.isoformat()} 不是周六或周日",
            f"make-up working day {weekday.isoformat()} is not a Saturday or Sunday",
            {"field": "makeup", "day": weekday.isoformat()},
        )
    return Schedule(year, tuple(sorted(off_list)), tuple(sorted(makeup_list)))


def schedule_lines(days: Iterable[tuple[date, str]]) -> str:
    """The inverse of :func:`parse_lines`: consecutive days with the same name collapse into a range."""
    lines: list[str] = []
    run: list[tuple[date, str]] = []
    for day, name in sorted(days):
        if run and (day - run[-1][0]).days == 1 and name == run[-1][1]:
            run.append((day, name))
            continue
        if run:
            lines.append(_range_line(run))
        run = [(day, name)]
    if run:
        lines.append(_range_line(run))
    return "\n".join(lines)


def _range_line(run: list[tuple[date, str]]) -> str:
    first, last, name = run[0][0], run[-1][0], run[0][1]
    span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return f"{span} {name}".strip()
