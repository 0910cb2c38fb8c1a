"""Loading the reference data shipped in ``catalog/data/`` (regions, code tables, holidays, the six lists).

``ensure_reference_data()`` is idempotent: it loads what is missing and leaves what is there. ``make run`` calls
it through ``yiwang seed-reference``; the test suite calls it before every database test, so the common case
(everything loaded) costs one small query. Each shipped file is remembered by name and SHA-256; a file whose
content changed is loaded again, but only rows that are missing are written (staff edits are never
overwritten), and a list that already has versions is left to staff.

A load is one action, ``catalog.load_reference_data``: one witness entry naming the SHA-256 of every file
loaded, and one feed event ``catalog.reference_data_loaded.v1``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from yiwang.catalog.domain import holidays as holiday_rules
from yiwang.catalog.domain import lists
from yiwang.catalog.models import (
    CalendarStamp,
    CodeEntry,
    CodeTable,
    HolidayDay,
    HolidayRevision,
    HolidayYear,
    ListItem,
    ListVersion,
    ReferenceFile,
    Region,
)
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import sha256_hex
from yiwang.platform.actions import ActionRecorder, action

DATA_DIR = Path(__file__).resolve().parent / "data"
FILE_NAMES = ("regions", "code_tables", "holidays", "rules", "trading", "platforms", "disclosure", "services", "duties")
SEED_ACTOR = Actor.system("seed")


@cache
def shipped_files() -> tuple[tuple[str, str], ...]:
    """``(name, sha256)`` of every shipped file (read once per process)."""
    return tuple((name, sha256_hex(_raw(name))) for name in FILE_NAMES)


@cache
def _raw(name: str) -> bytes:
    return (DATA_DIR / f"{name}.json").read_bytes()


def shipped(name: str) -> dict[str, Any]:
    """The parsed content of one shipped file."""
    return json.loads(_raw(name))


def ensure_reference_data() -> int:
    """Load the shipped reference data where it is missing; return how many rows were written."""
    files = shipped_files()
    if set(files) <= set(ReferenceFile.objects.values_list("name", "sha256")):
        return 0
    with action(SEED_ACTOR, "catalog.load_reference_data") as act:
        # re-read inside the write transaction: another process may have loaded meanwhile
        done = set(ReferenceFile.objects.values_list("name", "sha256"))
        missing = [(name, sha) for name, sha in files if (name, sha) not in done]
        if not missing:
            act.witness(("catalog.reference_data", "shipped"), {"files": {}, "rows": 0})
            return 0
        total = 0
        for name, sha in missing:
            rows = _LOADERS[name](shipped(name), act)
            ReferenceFile.objects.create(name=name, sha256=sha, loaded_at=act.now, rows=rows)
            total += rows
        files_loaded = {name: sha for name, sha in missing}
        act.witness(("catalog.reference_data", "shipped"), {"files": files_loaded, "rows": total})
        act.emit("catalog.reference_data_loaded.v1", ("catalog.reference_data", "shipped"), {"files": files_loaded})
        return total


def touch_calendar() -> None:
    """Mark the holiday data as changed (processes rebuild their cached working-day calendar)."""
    token = uuid.uuid4().hex
    if not CalendarStamp.objects.filter(pk=1).update(token=token):
        CalendarStamp.objects.create(pk=1, token=token)


# -- loaders: each writes only what is missing and returns the number of rows written ------------------------------
def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _load_regions(data: dict, act: ActionRecorder) -> int:
    existing = set(Region.objects.values_list("key", flat=True))
    rows = []
    for item in data["items"]:
        key = f"{item['code']}@{item.get('valid_from') or '-'}"
        if key in existing:
            continue
        existing.add(key)
        rows.append(
            Region(
                key=key,
                code=item["code"],
                name=item["name"],
                level=item["level"],
                parent_code=item.get("parent", ""),
                valid_from=_d(item.get("valid_from")),
                valid_to=_d(item.get("valid_to")),
                successor_code=item.get("successor", ""),
                source=item.get("source", ""),
            )
        )
    Region.objects.bulk_create(rows)
    return len(rows)


def _load_code_tables(data: dict, act: ActionRecorder) -> int:
    tables = {t.name: t for t in CodeTable.objects.all()}
    written = 0
    new_tables = [
        CodeTable(
            name=t["name"],
            title_zh=t["title_zh"],
            title_en=t.get("title_en", ""),
            spec_ref=t.get("spec_ref", ""),
            note=t.get("note", ""),
        )
        for t in data["tables"]
        if t["name"] not in tables
    ]
    if new_tables:
        CodeTable.objects.bulk_create(new_tables)
        written += len(new_tables)
        tables = {t.name: t for t in CodeTable.objects.all()}
    existing = set(CodeEntry.objects.values_list("table__name", "code"))
    entries = []
    for t in data["tables"]:
        for sort, (code, label_zh, label_en) in enumerate(t["entries"], start=1):
            if (t["name"], code) not in existing:
                entries.append(
                    CodeEntry(table=tables[t["name"]], code=code, label_zh=label_zh, label_en=label_en, sort=sort * 10)
                )
    CodeEntry.objects.bulk_create(entries)
    return written + len(entries)


def schedule_from_shipped(entry: dict) -> holiday_rules.Schedule:
    off: list[tuple[date, str]] = []
    for first, last, name in entry["off"]:
        text = f"{first}..{last} {name}"
        off.extend(holiday_rules.parse_lines(text, "off"))
    makeup = [(date.fromisoformat(day), name) for day, name in entry["makeup"]]
    return holiday_rules.build_schedule(entry["year"], off, makeup)


def _load_holidays(data: dict, act: ActionRecorder) -> int:
    existing = set(HolidayYear.objects.values_list("year", flat=True))
    written = 0
    for entry in data["years"]:
        if entry["year"] in existing:
            continue
        schedule = schedule_from_shipped(entry)
        year = HolidayYear.objects.create(
            year=entry["year"],
            provisional=entry.get("provisional", False),
            notice=entry.get("notice", ""),
            source=entry.get("source", ""),
            note=entry.get("note", ""),
            updated_at=act.now,
            updated_by=act.actor.ref,
        )
        days = [HolidayDay(year=year, day=d, kind=HolidayDay.OFF, name=n) for d, n in schedule.off]
        days += [HolidayDay(year=year, day=d, kind=HolidayDay.MAKEUP, name=n) for d, n in schedule.makeup]
        HolidayDay.objects.bulk_create(days)
        HolidayRevision.objects.create(
            year=year,
            revision=1,
            snapshot={**schedule.as_json(), "provisional": year.provisional, "notice": year.notice},
            changed_at=act.now,
            changed_by=act.actor.ref,
            note="随平台发布的初始数据",
        )
        written += 2 + len(days)
    if written:
        touch_calendar()
    return written


def _list_loader(kind: str) -> Callable[[dict, ActionRecorder], int]:
    def load(data: dict, act: ActionRecorder) -> int:
        if ListVersion.objects.filter(kind=kind).exists():
            return 0  # the list is in staff's hands now
        items = [lists.clean_item(kind, raw) for raw in data["items"]]
        lists.check_unique_keys(items)
        lists.check_references(kind, items)
        meta = data["version"]
        version = ListVersion.objects.create(
            kind=kind,
            number=1,
            status=lists.VersionStatus.PUBLISHED.value,
            effective_from=date.fromisoformat(meta["effective_from"]),
            title=meta["title"],
            note=meta.get("note", ""),
            source=meta.get("source", ""),
            created_at=act.now,
            created_by=act.actor.ref,
            published_at=act.now,
            published_by=act.actor.ref,
        )
        ListItem.objects.bulk_create(
            ListItem(version=version, key=i.key, item_type=i.item_type, sort=i.sort, title_zh=i.title_zh, data=i.data)
            for i in items
        )
        return 1 + len(items)

    return load


_LOADERS: dict[str, Callable[[dict, ActionRecorder], int]] = {
    "regions": _load_regions,
    "code_tables": _load_code_tables,
    "holidays": _load_holidays,
    **{kind.value: _list_loader(kind.value) for kind in lists.ListKind},
}
