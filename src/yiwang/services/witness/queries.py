"""Reads of on-site witness records: staff, regulators and auditors over the record's region.

:func:`irregularities` is the door for supervision (trusted caller): the records reported to supervision in a
region and period, as they stand after corrections (a corrected record gives way to its correction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import YiwangError
from yiwang.kernel.ids import validate_region_code_format
from yiwang.platform.storage import links
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.witness.actions import OWNER_CONTEXT
from yiwang.services.witness.domain import errors
from yiwang.services.witness.domain.rules import KIND_LABELS_ZH, RecordKind
from yiwang.services.witness.models import OnsiteRecord

READERS = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def may_read(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, *READERS)


def may_record(actor: Actor) -> bool:
    return actor.is_system or bool(actor.region_scopes(Role.STAFF))


def _prefix(scope: str) -> str:
    if scope.endswith("0000"):
        return scope[:2]
    if scope.endswith("00"):
        return scope[:4]
    return scope


@dataclass(frozen=True)
class AttachmentView:
    document_id: str
    filename: str
    mime_type: str
    size: int
    sha256: str
    sm3: str
    url: str  # a signed download link for the reader ("" when not requested)


@dataclass(frozen=True)
class RecordView:
    id: int
    kind: str
    kind_label: str
    description: str
    occurred_at: datetime
    recorded_at: datetime
    region_code: str
    owner_ref: str
    booking_ref: str
    title: str
    place: str
    flagged: bool
    corrects_id: int | None
    corrected_by_id: int | None
    correction_reason: str
    recorded_by_label: str
    attachments: list[AttachmentView] = field(default_factory=list)


def _attachments(actor: Actor | None, record: OnsiteRecord) -> list[AttachmentView]:
    """The record's attachments; for a reader, each with a signed download link. A correction lists the
    attachments it carried over from the corrected record, which stay owned by that record."""
    out = []
    for a in record.attachments:
        url = ""
        if actor is not None:
            try:
                owner = storage_queries.Owner(OWNER_CONTEXT, a["owner_ref"])
                document = storage_queries.get_owned_document(owner, a["document_id"])
                url = links.download_url(actor, storage_queries.get_version(document, a.get("version")))
            except YiwangError:  # the file is gone from the store: the digests remain
                url = ""
        out.append(
            AttachmentView(a["document_id"], a["filename"], a["mime_type"], a["size"], a["sha256"], a["sm3"], url)
        )
    return out


def _view(record: OnsiteRecord, *, newer: int | None, actor: Actor | None = None) -> RecordView:
    return RecordView(
        id=record.pk,
        kind=record.kind,
        kind_label=KIND_LABELS_ZH[RecordKind(record.kind)],
        description=record.description,
        occurred_at=record.occurred_at,
        recorded_at=record.recorded_at,
        region_code=record.region_code,
        owner_ref=record.owner_ref,
        booking_ref=record.booking_ref,
        title=record.title,
        place=record.place,
        flagged=record.flagged,
        corrects_id=record.corrects_id,
        corrected_by_id=newer,
        correction_reason=record.correction_reason,
        recorded_by_label=record.recorded_by_label,
        attachments=_attachments(actor, record),
    )


def _newer(ids: list[int]) -> dict[int, int]:
    return dict(OnsiteRecord.objects.filter(corrects_id__in=ids).values_list("corrects_id", "pk"))


def get_record_for(actor: Actor, record_id: int, *, links_for_reader: bool = True) -> RecordView:
    record = OnsiteRecord.objects.filter(pk=record_id).first()
    if record is None or not may_read(actor, record.region_code):
        raise errors.not_found(record_id)
    newer = _newer([record.pk]).get(record.pk)
    return _view(record, newer=newer, actor=actor if links_for_reader else None)


def _visible(actor: Actor) -> Q:
    if actor.is_system:
        return Q()
    where = Q(pk__in=[])
    for scope in actor.region_scopes(*READERS):
        where |= Q(region_code__startswith=_prefix(scope))
    return where


def _filtered(
    rows: Any,
    *,
    region: str | None,
    owner_ref: str | None,
    booking_ref: str | None,
    kind: str | None,
    start: datetime | None,
    end: datetime | None,
    current_only: bool,
) -> Any:
    if region:
        rows = rows.filter(region_code__startswith=_prefix(validate_region_code_format(region)))
    if owner_ref:
        rows = rows.filter(owner_ref=owner_ref)
    if booking_ref:
        rows = rows.filter(booking_ref=booking_ref)
    if kind:
        rows = rows.filter(kind=kind)
    if start is not None:
        rows = rows.filter(occurred_at__gte=start)
    if end is not None:
        rows = rows.filter(occurred_at__lt=end)
    if current_only:
        rows = rows.filter(corrected_by__isnull=True)
    return rows


def list_records_for(
    actor: Actor,
    *,
    region: str | None = None,
    owner_ref: str | None = None,
    booking_ref: str | None = None,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    current_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[RecordView]:
    """Records the reader may see, newest first (``current_only``: leave out records that were corrected)."""
    rows = _filtered(
        OnsiteRecord.objects.filter(_visible(actor)),
        region=region,
        owner_ref=owner_ref,
        booking_ref=booking_ref,
        kind=kind,
        start=start,
        end=end,
        current_only=current_only,
    ).order_by("-occurred_at", "-pk")
    page = list(rows[offset : offset + max(1, min(limit, 200))])
    newer = _newer([r.pk for r in page])
    return [_view(r, newer=newer.get(r.pk)) for r in page]


def irregularities(region: str, start: datetime, end: datetime) -> list[RecordView]:
    """异常情况报送: records reported to supervision that occurred in ``[start, end)`` in ``region`` (and
    below), as they stand after corrections, oldest first."""
    rows = _filtered(
        OnsiteRecord.objects.filter(flagged=True),
        region=region,
        owner_ref=None,
        booking_ref=None,
        kind=None,
        start=start,
        end=end,
        current_only=True,
    ).order_by("occurred_at", "pk")
    return [_view(r, newer=None) for r in rows[:1000]]


def irregularities_for(actor: Actor, region: str, start: datetime, end: datetime) -> list[RecordView]:
    """:func:`irregularities` for a reader over ``region`` (regulators, staff, auditors)."""
    region = validate_region_code_format(region)
    if not may_read(actor, region):
        raise errors.forbidden("查看该区域的现场异常情况", "read this region's irregularities")
    return irregularities(region, start, end)
