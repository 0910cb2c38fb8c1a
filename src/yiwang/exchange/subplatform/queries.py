"""Reads of the exchange, restricted by the actor.

Staff, regulators and auditors read the registry, the records, the quality log and the quality rates of the
sub-platforms in their regions; a sub-platform's client reads its own; everyone reads the public fields of
records whose dataset carries no personal data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, QuerySet

from yiwang.exchange.subplatform.domain.datasets import Dataset, all_datasets, get_dataset
from yiwang.exchange.subplatform.domain.digests import DayEntry, DaySummary, day_summary
from yiwang.exchange.subplatform.models import Record, RecordVersion, Refusal, SubPlatform
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.errors import NotFound, PermissionDenied

READER_ROLES = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def may_read(actor: Actor) -> bool:
    """Staff, regulators and auditors (each within their regions)."""
    return actor.has_role(*READER_ROLES)


def may_register(actor: Actor) -> bool:
    return any(g.role is Role.STAFF and g.admin and g.region for g in actor.grants)


def _require_reader(actor: Actor) -> None:
    if not may_read(actor):
        raise PermissionDenied(
            "exchange.forbidden", "仅限交易中心、监管与审计人员", "Staff, regulators and auditors only"
        )


def _own_platform(actor: Actor) -> SubPlatform | None:
    if actor.kind is ActorKind.CLIENT and actor.has_role(Role.SUBPLATFORM_CLIENT):
        return SubPlatform.objects.filter(client_id=actor.id).first()
    return None


def visible_platforms(actor: Actor) -> QuerySet[SubPlatform]:
    """The sub-platforms the actor may see: those in a reader's regions, or a client's own."""
    own = _own_platform(actor)
    if own is not None:
        return SubPlatform.objects.filter(pk=own.pk)
    if not may_read(actor):
        return SubPlatform.objects.none()
    ids = [p.pk for p in SubPlatform.objects.all() if actor.covers_region(p.region_code, *READER_ROLES)]
    return SubPlatform.objects.filter(pk__in=ids)


def list_subplatforms_for(actor: Actor) -> list[SubPlatform]:
    _require_reader(actor)
    return list(visible_platforms(actor).prefetch_related("certificates").order_by("platform_code"))


def get_subplatform_for(actor: Actor, platform_code: str) -> SubPlatform:
    platform = visible_platforms(actor).filter(platform_code=platform_code).first()
    if platform is None:
        raise NotFound(
            "exchange.subplatform_not_found", "分平台不存在", "No such sub-platform", {"platform_code": platform_code}
        )
    return platform


# -- records -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldView:
    name: str
    name_zh: str
    value: Any


@dataclass(frozen=True)
class RecordView:
    id: int
    dataset: Dataset
    key: str
    platform_code: str
    platform_name: str
    title: str
    version: int
    data_type: str
    data_timestamp: str
    deleted: bool
    digest: str
    received_at: datetime
    first_received_at: datetime
    fields: tuple[FieldView, ...]
    full: bool  # every field (privileged reader) or only the public ones

    @property
    def content(self) -> dict[str, Any]:
        return {f.name: f.value for f in self.fields}


def _full_access(actor: Actor, record: Record) -> bool:
    own = _own_platform(actor)
    if own is not None:
        return own.pk == record.platform_id
    return may_read(actor) and actor.covers_region(record.platform.region_code, *READER_ROLES)


def _view(record: Record, full: bool) -> RecordView:
    dataset = get_dataset(record.dataset)
    assert dataset is not None
    names = [f.name for f in dataset.fields] if full else list(dataset.public_fields)
    fmap = dataset.field_map
    return RecordView(
        id=record.pk,
        dataset=dataset,
        key=record.record_key,
        platform_code=record.platform.platform_code,
        platform_name=record.platform.name,
        title=record.title,
        version=record.version,
        data_type=record.data_type,
        data_timestamp=record.data_timestamp,
        deleted=record.deleted,
        digest=record.digest,
        received_at=record.received_at,
        first_received_at=record.first_received_at,
        fields=tuple(FieldView(n, fmap[n].name_zh, record.content[n]) for n in names if n in record.content),
        full=full,
    )


def _not_found(**details: Any) -> NotFound:
    return NotFound("exchange.record_not_found", "数据不存在", "No such record", details)


def get_record_view(actor: Actor, record_id: int) -> RecordView:
    """A record as the actor may see it: every field for privileged readers and the owning sub-platform, the
    public fields of live, non-personal records for everyone else."""
    record = Record.objects.select_related("platform").filter(pk=record_id).first()
    if record is None:
        raise _not_found(record_id=record_id)
    if _full_access(actor, record):
        return _view(record, True)
    dataset = get_dataset(record.dataset)
    if record.deleted or dataset is None or dataset.personal_data:
        raise _not_found(record_id=record_id)
    return _view(record, False)


def get_record_by_key(actor: Actor, dataset: str, key: str) -> RecordView:
    record = Record.objects.select_related("platform").filter(dataset=dataset, record_key=key).first()
    if record is None:
        raise _not_found(dataset=dataset, key=key)
    return get_record_view(actor, record.pk)


def list_records_for(actor: Actor, *, platform_code: str = "", dataset: str = "", limit: int = 100) -> list[RecordView]:
    _require_reader(actor)
    rows = Record.objects.select_related("platform").filter(platform__in=visible_platforms(actor))
    if platform_code:
        rows = rows.filter(platform__platform_code=platform_code)
    if dataset:
        rows = rows.filter(dataset=dataset)
    return [_view(r, True) for r in rows.order_by("-received_at", "-pk")[:limit]]


def list_versions_for(actor: Actor, record_id: int) -> list[RecordVersion]:
    view = get_record_view(actor, record_id)
    if not view.full:
        return []
    return list(RecordVersion.objects.filter(record_id=record_id).order_by("number"))


# -- the quality log and the quality rate --------------------------------------------------------------------------
def list_refusals_for(
    actor: Actor, *, platform_code: str = "", dataset: str = "", code: str = "", limit: int = 100
) -> list[Refusal]:
    rows = Refusal.objects.select_related("platform").filter(platform__in=visible_platforms(actor))
    if platform_code:
        rows = rows.filter(platform__platform_code=platform_code)
    if dataset:
        rows = rows.filter(dataset=dataset)
    if code:
        rows = rows.filter(first_code=code)
    return list(rows.order_by("-received_at", "-pk")[:limit])


@dataclass(frozen=True)
class QualityRow:
    """数据质量: of the records a sub-platform pushed (in the period), how many were accepted. Replays of
    accepted records (``unchanged``) count neither way."""

    platform: SubPlatform
    accepted: int
    refused: int
    top_codes: tuple[tuple[str, int], ...] = field(default=())
    completeness: float | None = None  # mean share of the datasets' own fields filled, 0..1
    mean_lag_hours: float | None = None  # mean hours from the event to its receipt

    @property
    def total(self) -> int:
        return self.accepted + self.refused

    @property
    def rate(self) -> float | None:
        """Accepted / pushed, 0..1 (None when nothing was pushed)."""
        return self.accepted / self.total if self.total else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


def _ratio(value: Any, unit: int) -> float | None:
    return None if value is None else float(value) / unit


def quality_for(actor: Actor, *, since: datetime | None = None, until: datetime | None = None) -> list[QualityRow]:
    platforms = list(visible_platforms(actor).order_by("platform_code"))
    versions = RecordVersion.objects.filter(record__platform__in=platforms)
    refusals = Refusal.objects.filter(platform__in=platforms)
    if since is not None:
        versions = versions.filter(received_at__gte=since)
        refusals = refusals.filter(received_at__gte=since)
    if until is not None:
        versions = versions.filter(received_at__lt=until)
        refusals = refusals.filter(received_at__lt=until)
    accepted = dict(versions.values_list("record__platform").annotate(n=Count("pk")).order_by())
    measures = {
        row[0]: row[1:]
        for row in versions.values_list("record__platform")
        .annotate(c=Avg("completeness"), lag=Avg("lag_seconds"))
        .order_by()
    }
    refused = dict(refusals.values_list("platform").annotate(n=Count("pk")).order_by())
    codes: dict[int, Counter[str]] = {}
    for platform_id, code, n in refusals.values_list("platform", "first_code").annotate(n=Count("pk")).order_by():
        codes.setdefault(platform_id, Counter())[code] += n
    return [
        QualityRow(
            platform=p,
            accepted=accepted.get(p.pk, 0),
            refused=refused.get(p.pk, 0),
            top_codes=tuple(codes.get(p.pk, Counter()).most_common(3)),
            completeness=_ratio(measures.get(p.pk, (None, None))[0], 1000),
            mean_lag_hours=_ratio(measures.get(p.pk, (None, None))[1], 3600),
        )
        for p in platforms
    ]


# -- reconciliation ------------------------------------------------------------------------------------------------
def day_summary_for(actor: Actor, *, platform_code: str, dataset: str, day: str) -> DaySummary:
    """The reconciliation summary of one platform, dataset and day (``yyyyMMdd`` of ``DATA_TIMESTAMP``)."""
    platform = get_subplatform_for(actor, platform_code)
    rows = Record.objects.filter(platform=platform, dataset=dataset, data_timestamp__startswith=day)
    return day_summary(
        DayEntry(key, ts, None if deleted else digest)
        for key, ts, digest, deleted in rows.values_list("record_key", "data_timestamp", "digest", "deleted")
    )


@dataclass(frozen=True)
class DatasetInfo:
    """What other contexts (federation, the national uplink) may know of one dataset definition."""

    table: str
    name_zh: str
    notice: bool
    personal_data: bool
    title_field: str | None
    public_fields: tuple[str, ...]
    feed_type: str  # the feed event type of its records


def list_dataset_infos() -> list[DatasetInfo]:
    """Every dataset of the definition table (the same definitions the push API validates against)."""
    return [
        DatasetInfo(
            table=d.table,
            name_zh=d.name_zh,
            notice=d.notice,
            personal_data=d.personal_data,
            title_field=d.title_field,
            public_fields=d.public_fields,
            feed_type=f"exchange.{d.table.lower()}.received.v1",
        )
        for d in all_datasets()
    ]


# -- public versions as of a moment (for the OCDS publication) -----------------------------------------------------
@dataclass(frozen=True)
class PublicVersion:
    """One accepted version of a record, with the public fields of its dataset only (what anyone may read)."""

    dataset: str
    key: str
    platform_code: str
    number: int
    data_type: str
    data_timestamp: str
    deleted: bool
    content: dict[str, Any]  # public fields; for a delete: the public fields of the version it deleted
    received_at: datetime
    position: int  # its place in the exchange's log of accepted versions (increasing)


def _public_dataset(dataset: str) -> Dataset | None:
    ds = get_dataset(dataset)
    return ds if ds is not None and not ds.personal_data else None


def _public_version(ds: Dataset, version: RecordVersion) -> PublicVersion:
    deleted = version.data_type == "3"
    content = version.content
    if deleted:
        before = (
            RecordVersion.objects.filter(record_id=version.record_id, number__lt=version.number)
            .order_by("-number")
            .values_list("content", flat=True)
            .first()
        )
        content = before or content
    public = set(ds.public_fields)
    return PublicVersion(
        dataset=ds.table,
        key=version.record.record_key,
        platform_code=version.record.platform.platform_code,
        number=version.number,
        data_type=version.data_type,
        data_timestamp=version.data_timestamp,
        deleted=deleted,
        content={k: v for k, v in content.items() if k in public},
        received_at=version.received_at,
        position=version.pk,
    )


def public_version(dataset: str, key: str, number: int) -> PublicVersion | None:
    """Version ``number`` of a record of a dataset without personal data (None when there is no such version)."""
    ds = _public_dataset(dataset)
    if ds is None:
        return None
    version = (
        RecordVersion.objects.select_related("record__platform")
        .filter(record__dataset=dataset, record__record_key=key, number=number)
        .first()
    )
    return _public_version(ds, version) if version else None


def public_version_as_of(dataset: str, key: str, position: int) -> PublicVersion | None:
    """The newest version of a record accepted at or before ``position`` of the version log (a delete included:
    see ``deleted``). Records pushed in one batch share their time of receipt, not their position."""
    ds = _public_dataset(dataset)
    if ds is None:
        return None
    version = (
        RecordVersion.objects.select_related("record__platform")
        .filter(record__dataset=dataset, record__record_key=key, pk__lte=position)
        .order_by("-number")
        .first()
    )
    return _public_version(ds, version) if version else None


def live_versions_as_of(dataset: str, parent_key: str, position: int) -> list[PublicVersion]:
    """The records of ``dataset`` under the parent record ``parent_key`` that were live at ``position`` of the
    version log (their newest version then was not a delete), by key."""
    ds = _public_dataset(dataset)
    if ds is None:
        return []
    out = []
    keys = Record.objects.filter(dataset=dataset, parent_key=parent_key, history__pk__lte=position).distinct()
    for key in keys.order_by("record_key").values_list("record_key", flat=True):
        version = public_version_as_of(dataset, key, position)
        if version is not None and not version.deleted:
            out.append(version)
    return out
