"""State changes of the catalog context: drafts, items and publication of the six lists, and holiday years.

Only staff administrators (``Role.STAFF`` with an admin grant, any region) edit the catalogue. Every change is
one action: rows, a witness entry and a feed event commit together; a refused change leaves nothing behind.
Published versions are immutable: staff copy the version in effect into a draft, edit it and publish it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from yiwang.catalog import queries
from yiwang.catalog.domain import holidays as holiday_rules
from yiwang.catalog.domain import lists
from yiwang.catalog.lock_objects import holiday_year_for_update, list_versions_for_update
from yiwang.catalog.models import HolidayDay, HolidayRevision, HolidayYear, ListItem, ListVersion
from yiwang.catalog.reference import touch_calendar
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import action

MAX_ITEMS_PER_VERSION = 2000


def can_edit_catalog(actor: Actor) -> bool:
    """Staff administrators (any region) and the platform itself edit the catalogue."""
    return actor.is_system or any(g.role is Role.STAFF and g.admin for g in actor.grants)


def _require_editor(actor: Actor) -> None:
    if not can_edit_catalog(actor):
        raise PermissionDenied(
            "catalog.forbidden",
            "只有交易中心管理员可以修改目录清单和节假日安排",
            "Only trading-centre staff administrators may change the catalogue",
        )


def _version_json(v: ListVersion) -> dict[str, Any]:
    return {
        "list": v.kind,
        "number": v.number,
        "status": v.status,
        "effective_from": v.effective_from.isoformat(),
        "title": v.title,
    }


def _locked(kind: str, number: int) -> tuple[ListVersion, list[ListVersion]]:
    versions = list(list_versions_for_update(kind))
    found = next((v for v in versions if v.number == number), None)
    if found is None:
        raise NotFound(
            "catalog.version_not_found",
            f"{lists.LIST_LABELS_ZH[kind]}没有第 {number} 版",
            f"the {kind} list has no version {number}",
            {"list": kind, "number": number},
        )
    return found, versions


def _latest_published(versions: list[ListVersion]) -> ListVersion | None:
    published = [v for v in versions if v.status in lists.IN_FORCE_STATUSES]
    return max(published, key=lambda v: (v.effective_from, v.number)) if published else None


def _require_date(value: object, field: str = "effective_from") -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(
        "catalog.date_invalid", f"“{value}”不是有效日期（YYYY-MM-DD）", f"{value!r} is not a date", {"field": field}
    )


# -- drafts ---------------------------------------------------------------------------------------------------------
def do_create_draft(
    *, actor: Actor, kind: str, effective_from: date | str, title: str = "", note: str = ""
) -> ListVersion:
    """Copy the latest published version into a new draft of list ``kind``."""
    _require_editor(actor)
    kind = lists.require_kind(kind).value
    effective = _require_date(effective_from)
    with action(actor, "catalog.create_draft") as act:
        versions = list(list_versions_for_update(kind))
        if any(v.status == lists.VersionStatus.DRAFT.value for v in versions):
            raise Conflict(
                "catalog.draft_exists",
                f"{lists.LIST_LABELS_ZH[kind]}已有草稿，请先发布或继续编辑该草稿",
                f"the {kind} list already has a draft",
                {"list": kind},
            )
        latest = _latest_published(versions)
        lists.check_effective_from(
            effective, today=queries.today(), latest_published=latest.effective_from if latest else None
        )
        base = latest  # the newest published version, even if it takes effect later
        number = max((v.number for v in versions), default=0) + 1
        draft = ListVersion.objects.create(
            kind=kind,
            number=number,
            status=lists.VersionStatus.DRAFT.value,
            effective_from=effective,
            title=(title.strip() or (base.title if base else lists.LIST_LABELS_ZH[kind]))[:200],
            note=note.strip(),
            source=base.source if base else "",
            created_at=act.now,
            created_by=actor.ref,
            based_on=base.number if base else None,
        )
        if base is not None:
            ListItem.objects.bulk_create(
                ListItem(version=draft, key=i.key, item_type=i.item_type, sort=i.sort, title_zh=i.title_zh, data=i.data)
                for i in ListItem.objects.filter(version=base).order_by("pk")
            )
        act.witness(draft, {**_version_json(draft), "based_on": draft.based_on})
        act.emit("catalog.draft_created.v1", draft, _version_json(draft))
        return draft


def do_update_draft(
    *,
    actor: Actor,
    kind: str,
    number: int,
    expected_version: int | None = None,
    effective_from: date | str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> ListVersion:
    """Change a draft's effective date, title or note (If-Match on ``etag_version``)."""
    _require_editor(actor)
    kind = lists.require_kind(kind).value
    with action(actor, "catalog.update_draft") as act:
        draft, versions = _locked(kind, number)
        lists.require_draft(draft.status, kind, number)
        check_version(draft.etag_version, expected_version)
        if effective_from is not None:
            effective = _require_date(effective_from)
            latest = _latest_published(versions)
            lists.check_effective_from(
                effective, today=queries.today(), latest_published=latest.effective_from if latest else None
            )
            draft.effective_from = effective
        if title is not None:
            if not title.strip():
                raise InvalidInput("catalog.field_required", "请填写版本名称", "title is required", {"field": "title"})
            draft.title = title.strip()[:200]
        if note is not None:
            draft.note = note.strip()
        draft.etag_version += 1
        draft.save()
        act.witness(draft, _version_json(draft))
        act.emit("catalog.draft_updated.v1", draft, _version_json(draft))
        return draft


def do_put_item(
    *,
    actor: Actor,
    kind: str,
    number: int,
    item: Mapping[str, Any],
    expected_version: int | None = None,
    replace_key: str | None = None,
) -> ListItem:
    """Add an item to a draft, or replace the item ``replace_key`` (which may be renamed to ``item["key"]``)."""
    _require_editor(actor)
    kind = lists.require_kind(kind).value
    clean = lists.clean_item(kind, item)
    with action(actor, "catalog.put_item") as act:
        draft, _ = _locked(kind, number)
        lists.require_draft(draft.status, kind, number)
        check_version(draft.etag_version, expected_version)
        existing = {i.key: i for i in ListItem.objects.filter(version=draft)}
        if replace_key is not None and replace_key not in existing:
            raise NotFound(
                "catalog.item_not_found",
                f"草稿中没有条目“{replace_key}”",
                f"the draft has no item {replace_key!r}",
                {"key": replace_key},
            )
        if clean.key in existing and clean.key != replace_key:
            raise Conflict(
                "catalog.item_duplicate",
                f"条目键“{clean.key}”已存在",
                f"item key {clean.key!r} already exists",
                {"key": clean.key},
            )
        if replace_key is None and len(existing) >= MAX_ITEMS_PER_VERSION:
            raise InvalidInput(
                "catalog.too_many_items", "条目过多", "too many items in one version", {"max": MAX_ITEMS_PER_VERSION}
            )
        row = existing.get(replace_key) if replace_key is not None else None
        change = "replaced" if row is not None else "added"
        if row is None:
            row = ListItem(version=draft)
        row.key, row.item_type, row.sort, row.title_zh, row.data = (
            clean.key,
            clean.item_type,
            clean.sort,
            clean.title_zh,
            clean.data,
        )
        row.save()
        draft.etag_version += 1
        draft.save(update_fields=["etag_version"])
        payload = {"list": kind, "number": number, "key": clean.key, "change": change, "item_type": clean.item_type}
        act.witness(row, {**payload, "title_zh": clean.title_zh, "data": clean.data, "replaced": replace_key})
        act.emit("catalog.draft_item_changed.v1", draft, payload)
        return row


def do_delete_item(
    *, actor: Actor, kind: str, number: int, key: str, expected_version: int | None = None
) -> ListVersion:
    _require_editor(actor)
    kind = lists.require_kind(kind).value
    with action(actor, "catalog.delete_item") as act:
        draft, _ = _locked(kind, number)
        lists.require_draft(draft.status, kind, number)
        check_version(draft.etag_version, expected_version)
        deleted, _ = ListItem.objects.filter(version=draft, key=key).delete()
        if not deleted:
            raise NotFound(
                "catalog.item_not_found", f"草稿中没有条目“{key}”", f"the draft has no item {key!r}", {"key": key}
            )
        draft.etag_version += 1
        draft.save(update_fields=["etag_version"])
        payload = {"list": kind, "number": number, "key": key, "change": "removed"}
        act.witness(draft, payload)
        act.emit("catalog.draft_item_changed.v1", draft, payload)
        return draft


def do_discard_draft(*, actor: Actor, kind: str, number: int) -> None:
    _require_editor(actor)
    kind = lists.require_kind(kind).value
    with action(actor, "catalog.discard_draft") as act:
        draft, _ = _locked(kind, number)
        lists.require_draft(draft.status, kind, number)
        payload = _version_json(draft)
        act.witness(draft, payload)
        act.emit("catalog.draft_discarded.v1", draft, payload)
        draft.delete()


def do_publish_version(*, actor: Actor, kind: str, number: int, expected_version: int | None = None) -> ListVersion:
    """Publish a draft: its items are checked again (cross references, naming rule), it becomes immutable, and
    the previously latest published version is marked superseded (it stays in effect until the new
    ``effective_from``)."""
    _require_editor(actor)
    kind = lists.require_kind(kind).value
    with action(actor, "catalog.publish_version") as act:
        draft, versions = _locked(kind, number)
        lists.require_draft(draft.status, kind, number)
        check_version(draft.etag_version, expected_version)
        latest = _latest_published(versions)
        lists.check_effective_from(
            draft.effective_from, today=queries.today(), latest_published=latest.effective_from if latest else None
        )
        rows = list(ListItem.objects.filter(version=draft).order_by("sort", "key"))
        if not rows:
            raise InvalidInput(
                "catalog.version_empty", "草稿没有任何条目，不能发布", "an empty draft cannot be published"
            )
        items = [
            lists.clean_item(
                kind, {"key": r.key, "item_type": r.item_type, "title_zh": r.title_zh, "sort": r.sort, "data": r.data}
            )
            for r in rows
        ]
        lists.check_unique_keys(items)
        lists.check_references(kind, items)
        for previous in versions:
            if previous.status == lists.VersionStatus.PUBLISHED.value:
                previous.status = lists.VersionStatus.SUPERSEDED.value
                previous.superseded_at = act.now
                previous.save(update_fields=["status", "superseded_at"])
        draft.status = lists.VersionStatus.PUBLISHED.value
        draft.published_at = act.now
        draft.published_by = actor.ref
        draft.etag_version += 1
        draft.save()
        changes = queries.diff_versions(kind, latest.number, draft.number) if latest else []
        payload = {
            **_version_json(draft),
            "items": len(rows),
            "supersedes": latest.number if latest else None,
            "changed_keys": [c.key for c in changes][:200],
        }
        act.witness(draft, payload)
        act.emit("catalog.list_published.v1", draft, payload)
        return draft


# -- holidays -----------------------------------------------------------------------------------------------------
def do_set_holiday_year(
    *,
    actor: Actor,
    year: int,
    off: str,
    makeup: str,
    provisional: bool,
    notice: str = "",
    source: str = "",
    note: str = "",
    expected_revision: int | None = None,
) -> HolidayYear:
    """Replace a year's schedule (or add a new year). ``off``/``makeup`` are lines ``YYYY-MM-DD[..YYYY-MM-DD] 名称``.
    Every edit is kept as a revision; confirming a provisional year means saving it with ``provisional=False``."""
    _require_editor(actor)
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput("catalog.holiday_year_invalid", "年份无效", "invalid year", {"year": str(year)})
    schedule = holiday_rules.build_schedule(
        year, holiday_rules.parse_lines(off, "off"), holiday_rules.parse_lines(makeup, "makeup")
    )
    with action(actor, "catalog.set_holiday_year") as act:
        row = holiday_year_for_update(year).first()
        if row is None:
            if expected_revision not in (None, 0):
                check_version(0, expected_revision)
            row = HolidayYear(year=year, revision=0)
        else:
            check_version(row.revision, expected_revision)
        row.provisional = bool(provisional)
        row.notice = notice.strip()[:200]
        row.source = source.strip()[:300]
        row.note = note.strip()
        row.revision += 1
        row.updated_at = act.now
        row.updated_by = actor.ref
        row.save()
        HolidayDay.objects.filter(year=row).delete()
        HolidayDay.objects.bulk_create(
            [HolidayDay(year=row, day=d, kind=HolidayDay.OFF, name=n) for d, n in schedule.off]
            + [HolidayDay(year=row, day=d, kind=HolidayDay.MAKEUP, name=n) for d, n in schedule.makeup]
        )
        snapshot = {**schedule.as_json(), "provisional": row.provisional, "notice": row.notice}
        HolidayRevision.objects.create(
            year=row, revision=row.revision, snapshot=snapshot, changed_at=act.now, changed_by=actor.ref, note=row.note
        )
        touch_calendar()
        payload = {
            "year": year,
            "revision": row.revision,
            "provisional": row.provisional,
            "days_off": len(schedule.off),
            "makeup_workdays": len(schedule.makeup),
        }
        act.witness(row, {**payload, "schedule": snapshot})
        act.emit("catalog.holiday_year_changed.v1", row, payload)
        return row
