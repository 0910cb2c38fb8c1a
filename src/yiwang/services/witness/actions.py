"""State changes of on-site witness records: record an event, correct a record. Nothing else: records are
never edited or deleted.

Staff over the region where it happened record what they see (开标开始/结束, 评标开始/结束, 异常情况, 现场质疑,
设备故障, 其他) with a description, the time, the booking and owner it concerns, and attachments (photos,
scans). Every record is witnessed with its text and the digests (SHA-256 and SM3) of its attachments, so the
witness log proves later what was recorded and when. Irregularities and on-site objections are reported to
supervision (a restricted feed event ``onsite.irregularity_reported.v1``); staff may report any other record.

Attachments are stored inside the action (nested ``storage.do_store_document``), so a refused upload (wrong
type, too large, infected) refuses the whole record; the blob streamed before the refusal is an orphan that
the store's sweep removes. Files uploaded beforehand through ``/api/v1/files`` are attached by id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import YiwangError
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.storage import actions as storage
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.witness import lock_objects
from yiwang.services.witness.domain import errors
from yiwang.services.witness.domain.rules import FUTURE_TOLERANCE_MINUTES, RecordKind, flagged
from yiwang.services.witness.models import OnsiteRecord

OWNER_CONTEXT = "services.onsite"
ATTACHMENT_KIND = "attachment"
MAX_ATTACHMENTS = 10
MAX_DESCRIPTION = 4000
REF = re.compile(r"^[\x21-\x7e]{1,120}$")


@dataclass(frozen=True)
class Upload:
    """A file to attach: its name as the user gave it and a stream of its bytes."""

    filename: str
    stream: BinaryIO
    title: str = ""


def owner_of(record: OnsiteRecord) -> storage.Owner:
    return storage.Owner(OWNER_CONTEXT, f"record:{record.pk}")


def is_staff_over(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def _kind(value: Any) -> RecordKind:
    try:
        return RecordKind(str(value))
    except ValueError:
        raise errors.kind_invalid([k.value for k in RecordKind]) from None


def _text(value: Any, field: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        raise errors.invalid(field, f"不得超过 {limit} 个字符", f"At most {limit} characters", limit=limit)
    return text


def _description(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise errors.description_required()
    if len(text) > MAX_DESCRIPTION:
        raise errors.invalid("description", f"情况说明不得超过 {MAX_DESCRIPTION} 字", "Description too long")
    return text


def _ref(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if text and not REF.match(text):
        raise errors.invalid(field, "引用须为 1–120 个可见 ASCII 字符", "A reference is 1-120 visible ASCII characters")
    return text


def _occurred(value: datetime | None, moment: datetime) -> datetime:
    if value is None:
        return moment
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise errors.invalid("occurred_at", "发生时间须带时区", "The time must carry a time zone")
    if value > moment + timedelta(minutes=FUTURE_TOLERANCE_MINUTES):
        raise errors.occurred_in_future(value, moment)
    return value


def _require_staff(actor: Actor, region_code: str) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise errors.sign_in_required()
    if not is_staff_over(actor, region_code):
        raise errors.forbidden("记录该区域的现场情况", "record on-site events in this region")


def _attach(
    act: ActionRecorder, record: OnsiteRecord, uploads: Sequence[Upload], document_ids: Sequence[Any]
) -> list[dict[str, Any]]:
    owner = owner_of(record)
    facts: list[dict[str, Any]] = []
    versions = []
    for upload in uploads:
        versions.append(
            storage.do_store_document(
                actor=act.actor,
                owner=owner,
                title=_text(upload.title or upload.filename or "现场附件", "title", 200) or "现场附件",
                kind=ATTACHMENT_KIND,
                stream=upload.stream,
                filename=upload.filename,
            )
        )
    for document_id in document_ids:
        document = storage.do_attach_document(actor=act.actor, document=str(document_id), owner=owner)
        versions.append(storage_queries.get_version(document))
    for v in versions:
        facts.append(
            {
                "document_id": str(v.document.pk),
                "owner_ref": owner.ref,
                "version": v.number,
                "filename": v.filename,
                "mime_type": v.mime_type,
                "size": v.size,
                "sha256": v.sha256,
                "sm3": v.sm3,
            }
        )
    return facts


def _witness(act: ActionRecorder, record: OnsiteRecord, extra: dict[str, Any] | None = None) -> None:
    facts = {
        "kind": record.kind,
        "description": record.description,
        "occurred_at": iso_utc(record.occurred_at),
        "region": record.region_code,
        "owner_ref": record.owner_ref,
        "booking_ref": record.booking_ref,
        "flagged": record.flagged,
        "attachments": record.attachments,
        **(extra or {}),
    }
    act.witness(record, facts)
    data = {
        "record_id": record.pk,
        "kind": record.kind,
        "region": record.region_code,
        "owner_ref": record.owner_ref,
        "booking_ref": record.booking_ref,
        "occurred_at": iso_utc(record.occurred_at),
        "corrects": record.corrects_id,
    }
    act.emit("onsite.record_made.v1", record, data, visibility=Visibility.RESTRICTED)
    if record.flagged:
        act.emit("onsite.irregularity_reported.v1", record, data, visibility=Visibility.RESTRICTED)


def _check_files(count: int) -> None:
    if count > MAX_ATTACHMENTS:
        raise errors.too_many_attachments(MAX_ATTACHMENTS)


def do_record_onsite_event(
    *,
    actor: Actor,
    kind: str,
    description: str,
    region_code: str,
    occurred_at: datetime | None = None,
    owner_ref: str = "",
    booking_ref: str = "",
    title: str = "",
    place: str = "",
    report: bool | None = None,
    uploads: Sequence[Upload] = (),
    document_ids: Sequence[Any] = (),
) -> OnsiteRecord:
    """现场见证记录 (staff over ``region_code``). ``occurred_at`` defaults to now and may not lie in the future;
    ``report`` overrides whether the record goes to supervision (default: irregularities and on-site
    objections do). ``owner_ref`` and ``booking_ref`` are the caller's references (``tender.section:12``,
    ``venues.booking:7``)."""
    what = _kind(kind)
    text = _description(description)
    try:
        region = catalog.require_region(region_code).code
    except YiwangError as exc:
        raise exc.at("region_code") from None
    owner_ref, booking_ref = _ref(owner_ref, "owner_ref"), _ref(booking_ref, "booking_ref")
    title, place = _text(title, "title", 200), _text(place, "place", 200)
    _check_files(len(uploads) + len(document_ids))
    _require_staff(actor, region)
    with action(actor, "onsite.record_event") as act:
        record = OnsiteRecord.objects.create(
            kind=what,
            description=text,
            occurred_at=_occurred(occurred_at, act.now),
            recorded_at=act.now,
            region_code=region,
            owner_ref=owner_ref,
            booking_ref=booking_ref,
            title=title,
            place=place,
            flagged=flagged(what, report),
            recorded_by_ref=actor.ref,
            recorded_by_label=actor.label[:200],
        )
        record.attachments = _attach(act, record, uploads, document_ids)
        record.save(update_fields=["attachments"])
        _witness(act, record)
        return record


def do_correct_onsite_record(
    *,
    actor: Actor,
    record_id: int,
    reason: str,
    description: str,
    kind: str | None = None,
    occurred_at: datetime | None = None,
    report: bool | None = None,
    keep_attachments: bool = True,
    uploads: Sequence[Upload] = (),
    document_ids: Sequence[Any] = (),
) -> OnsiteRecord:
    """更正: a new record that replaces ``record_id`` for readers (the old one stays, marked 已更正). The
    correction keeps the old record's place, owner and booking; its kind and time default to the old ones,
    and its attachments to the old ones plus any new. A record is corrected once; correct the newest."""
    reason = _text(reason, "reason", 300)
    if not reason:
        raise errors.reason_required()
    text = _description(description)
    old = OnsiteRecord.objects.filter(pk=record_id).first()
    if old is None:
        raise errors.not_found(record_id)
    what = _kind(kind) if kind else RecordKind(old.kind)
    carried = list(old.attachments) if keep_attachments else []
    _check_files(len(uploads) + len(document_ids) + len(carried))
    _require_staff(actor, old.region_code)
    with action(actor, "onsite.correct_record") as act:
        locked = lock_objects.record_for_update(record_id).get()
        newer = OnsiteRecord.objects.filter(corrects=locked).values_list("pk", flat=True).first()
        if newer is not None:
            raise errors.already_corrected(newer)
        record = OnsiteRecord.objects.create(
            kind=what,
            description=text,
            occurred_at=_occurred(occurred_at, act.now) if occurred_at else locked.occurred_at,
            recorded_at=act.now,
            region_code=locked.region_code,
            owner_ref=locked.owner_ref,
            booking_ref=locked.booking_ref,
            title=locked.title,
            place=locked.place,
            flagged=flagged(what, report) if report is not None or kind else locked.flagged,
            corrects=locked,
            correction_reason=reason,
            recorded_by_ref=actor.ref,
            recorded_by_label=actor.label[:200],
        )
        record.attachments = carried + _attach(act, record, uploads, document_ids)
        record.save(update_fields=["attachments"])
        _witness(act, record, {"corrects": locked.pk, "reason": reason})
        return record
