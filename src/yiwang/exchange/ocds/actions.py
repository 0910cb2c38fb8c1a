"""State changes of the OCDS context: publishing releases from the feed, importing external OCDS.

- ``do_publish_releases(*, actor, limit=500, from_start=False) -> PublishResult`` — read the feed after the
  publisher's cursor and store one release per public stage event (idempotent: a release id is made from the
  event, and a stored id is never written again). The clock runs it (``ocds.publish``).
- ``do_import_ocds(*, actor, data, label="") -> ImportBatch`` — load external OCDS (packages, records, JSON Lines)
  into the store; malformed lines are counted with their line numbers and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from yiwang.exchange.ocds import conf, search
from yiwang.exchange.ocds.auction_facts import lot_facts
from yiwang.exchange.ocds.domain import reader
from yiwang.exchange.ocds.domain.build import build_lot_release, build_release
from yiwang.exchange.ocds.domain.spec import build_spec_releases
from yiwang.exchange.ocds.lock_objects import cursor_for_update
from yiwang.exchange.ocds.models import ImportBatch, Release, Source
from yiwang.exchange.ocds.spec_facts import EVENT_TYPES as SPEC_EVENTS
from yiwang.exchange.ocds.spec_facts import spec_facts
from yiwang.exchange.ocds.tender_facts import project_facts, section_facts
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import canonical_json, iso_utc, sha256_hex
from yiwang.kernel.errors import InvalidInput, PermissionDenied
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.actions import action
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.search.index import deferred_statistics, index_document

PUBLISHER = Actor.system("ocds")
MAX_IMPORT_BYTES = 64 * 1024 * 1024

# feed events → (what the event names: project | section, the stages it publishes)
PROJECT_EVENTS: dict[str, tuple[str, ...]] = {
    "tender.project_published.v1": ("planning", "tender"),
    "tender.clarification_issued.v1": ("amendment",),
    "tender.project_cancelled.v1": ("cancelled",),
}
SECTION_EVENTS: dict[str, tuple[str, ...]] = {
    "tender.opening_closed.v1": ("opening",),
    "tender.candidates_published.v1": ("candidates",),
    "tender.section_awarded.v1": ("award",),
    "tender.contract_signed.v1": ("contract",),
    "tender.section_cancelled.v1": ("cancelled",),
    "tender.section_failed.v1": ("unsuccessful",),
    "tender.section_retendered.v1": ("tender",),
}
LOT_EVENTS: dict[str, str] = {
    "auction.lot_created.v1": "lot",
    "auction.lot_closed.v1": "lot_closed",
    "auction.deal_confirmed.v1": "deal_confirmed",
    "auction.sale_reneged.v1": "reneged",
}
# sub-platform records (national data-spec datasets): exchange.<dataset>.received.v1, see domain/spec.py
EVENT_TYPES = (*PROJECT_EVENTS, *SECTION_EVENTS, *LOT_EVENTS, *SPEC_EVENTS)


@dataclass
class PublishResult:
    read: int = 0  # feed events read
    added: list[str] = field(default_factory=list)  # release ids stored
    existing: int = 0  # releases already stored (a repeated publication)
    cursor: int = 0


def _parse_date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _row(release: Mapping[str, Any], *, source: str, moment: datetime, **extra: Any) -> Release:
    date = _parse_date(str(release["date"]))
    assert date is not None
    return Release(
        ocid=str(release["ocid"]),
        release_id=str(release["id"]),
        date=date,
        day=date.astimezone(SHANGHAI).date(),
        tags=list(release.get("tag") or []),
        data=dict(release),
        sha256=sha256_hex(canonical_json(release)),
        source=source,
        stored_at=moment,
        **extra,
    )


def _releases_of_event(event: Any, prefix: str) -> Iterable[tuple[dict[str, Any], int]]:
    data = event.data or {}
    date = iso_utc(event.occurred_at)
    if event.event_type in SPEC_EVENTS:
        facts = spec_facts(data)
        if facts is not None:
            for release in build_spec_releases(facts, prefix=prefix, seq=event.seq, date=date):
                yield release, event.seq
    elif event.event_type in LOT_EVENTS:
        lot = lot_facts(event.object_id) if event.object_type == "auction.lot" else None
        if lot is not None:
            release = build_lot_release(lot, LOT_EVENTS[event.event_type], prefix=prefix, seq=event.seq, date=date)
            if release is not None:
                yield release, event.seq
    elif event.event_type in PROJECT_EVENTS:
        project = project_facts(data.get("project_id"))
        if project is None:
            return
        stages = list(PROJECT_EVENTS[event.event_type])
        wanted = set(data.get("sections") or []) if event.event_type == "tender.clarification_issued.v1" else set()
        if stages == ["amendment"]:
            stages = [f"amendment:{int(data.get('number', 0))}"]
        for section_id in project["section_ids"]:
            facts = section_facts(section_id, project)
            if facts is None or (wanted and facts["section"]["code"] not in wanted):
                continue
            for stage in stages:
                release = build_release(facts, stage, prefix=prefix, seq=event.seq, date=date)
                if release is not None:
                    yield release, event.seq
    else:
        facts = section_facts(data.get("section_id"))
        if facts is None:
            return
        for stage in SECTION_EVENTS[event.event_type]:
            release = build_release(facts, stage, prefix=prefix, seq=event.seq, date=date)
            if release is not None:
                yield release, event.seq


def _require_staff(actor: Actor, what_zh: str, what_en: str, *roles: Role) -> None:
    if actor.is_system or actor.has_role(Role.STAFF, *roles):
        return
    raise PermissionDenied(
        "ocds.forbidden", f"无权{what_zh}（限交易中心工作人员）", f"only trading-centre staff may {what_en}", {}
    )


class _NothingNew(Exception):
    """Raised inside the publishing action when there is nothing to do: rolls it back (nothing witnessed)."""


def do_publish_releases(*, actor: Actor, limit: int = 500, from_start: bool = False) -> PublishResult:
    """Publish the releases of the public stage events after the cursor (at most ``limit`` events)."""
    _require_staff(actor, "发布 OCDS 数据", "publish OCDS data")
    result = PublishResult()
    try:
        return _publish(actor, limit, from_start, result)
    except _NothingNew:
        return result


def _publish(actor: Actor, limit: int, from_start: bool, result: PublishResult) -> PublishResult:
    prefix = conf.ocid_prefix()
    with action(actor, "ocds.publish_releases") as act:
        cursor = cursor_for_update()
        start = 0 if from_start else cursor.after
        page = feed.read(start, limit, EVENT_TYPES)
        result.cursor = max(cursor.after, page.next_after)
        public = [e for e in page.events if e.visibility == Visibility.PUBLIC]
        result.read = len(page.events)
        built: list[tuple[dict[str, Any], int]] = []
        for event in public:
            built.extend(_releases_of_event(event, prefix))
        keys = {(str(r["ocid"]), str(r["id"])) for r, _ in built}
        stored = set(Release.objects.filter(release_id__in=[k[1] for k in keys]).values_list("ocid", "release_id"))
        rows = []
        for release, seq in built:
            key = (str(release["ocid"]), str(release["id"]))
            if key in stored:
                result.existing += 1
                continue
            stored.add(key)
            rows.append(_row(release, source=Source.LOCAL, moment=act.now, feed_seq=seq))
        if result.cursor == cursor.after and not rows:
            raise _NothingNew  # no state change, so nothing to witness
        Release.objects.bulk_create(rows)
        cursor.after = result.cursor
        cursor.save(update_fields=["after"])
        result.added = [r.release_id for r in rows]
        act.witness(
            ("ocds.cursor", "1"),
            {"from": start, "to": result.cursor, "added": len(rows), "existing": result.existing},
        )
        if rows:
            act.emit(
                "ocds.releases_published.v1",
                ("ocds.cursor", "1"),
                {"count": len(rows), "ocids": sorted({r.ocid for r in rows})[:100], "to_seq": result.cursor},
            )
    return result


def publish_due(moment: datetime) -> int:
    """The clock's job: one page of the feed per tick (the number of releases stored)."""
    return len(do_publish_releases(actor=PUBLISHER).added)


def do_import_ocds(*, actor: Actor, data: bytes, label: str = "") -> ImportBatch:
    """Load external OCDS data. Lines that cannot be read are counted and reported; releases already stored
    (same ``ocid`` and ``id``) are not stored again. Nothing readable at all: ``ocds.nothing_to_import``."""
    _require_staff(actor, "导入 OCDS 数据", "import OCDS data", Role.REGULATOR)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            "ocds.too_large",
            f"导入文件不能超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MB",
            f"an import is at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB",
            {"size": len(data)},
        )
    result = reader.read(data)
    summary = result.summary()
    if not result.releases:
        raise InvalidInput(
            "ocds.nothing_to_import",
            "文件中没有可读取的 OCDS 发布（release）",
            "the file holds no readable OCDS release",
            {"format": result.format, "malformed": result.malformed, "errors": summary["errors"][:20]},
        )
    with action(actor, "ocds.import_ocds") as act:
        batch = ImportBatch.objects.create(
            label=label[:200],
            format=result.format,
            size=len(data),
            sha256=sha256_hex(data),
            summary=summary,
            imported_at=act.now,
            imported_by=actor.ref,
        )
        seen: dict[tuple[str, str], str] = {}
        candidates: list[Release] = []
        for release in result.releases:
            row = _row(release, source=Source.EXTERNAL, moment=act.now, batch=batch)
            key = (row.ocid, row.release_id)
            if key in seen:
                if seen[key] == row.sha256:
                    batch.duplicates += 1
                else:
                    batch.conflicts += 1
                continue
            seen[key] = row.sha256
            candidates.append(row)
        existing: dict[tuple[str, str], str] = {}
        ids = [r.release_id for r in candidates]
        for start in range(0, len(ids), 500):
            for ocid, rid, digest in Release.objects.filter(release_id__in=ids[start : start + 500]).values_list(
                "ocid", "release_id", "sha256"
            ):
                existing[(ocid, rid)] = digest
        rows = []
        for row in candidates:
            digest = existing.get((row.ocid, row.release_id))
            if digest is None:
                rows.append(row)
            elif digest == row.sha256:
                batch.duplicates += 1
            else:
                batch.conflicts += 1
        Release.objects.bulk_create(rows, batch_size=500)
        batch.added = len(rows)
        batch.save(update_fields=["added", "duplicates", "conflicts"])
        ocids = sorted({r.ocid for r in rows})
        with deferred_statistics():  # one write per search counter for the whole import
            for ocid in ocids:
                doc = search.document_for(ocid)
                if doc is not None:
                    index_document(doc)
        act.witness(
            batch,
            {
                "label": batch.label,
                "sha256": batch.sha256,
                "format": batch.format,
                "added": batch.added,
                "duplicates": batch.duplicates,
                "conflicts": batch.conflicts,
                "malformed": result.malformed,
            },
        )
        act.emit(
            "ocds.external_imported.v1",
            batch,
            {"batch_id": batch.pk, "added": batch.added, "processes": len(ocids), "malformed": result.malformed},
        )
    return batch
