"""Reads of the exchange, restricted by the actor.

Staff, regulators and auditors read the registry, the records, the quality log and the quality rates of the
sub-platforms in their regions; a sub-platform's client reads its own; everyone reads the public fields of
records whose dataset carries no personal data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, QuerySet

from yiwang.catalog import queries as catalog
from yiwang.catalog.errors import RuleNotListed
from yiwang.exchange.subplatform.domain import consistency, report
from yiwang.exchange.subplatform.domain.datasets import Dataset, all_datasets, get_dataset
from yiwang.exchange.subplatform.domain.digests import DayEntry, DaySummary, day_summary
from yiwang.exchange.subplatform.models import Record, RecordVersion, Refusal, SubPlatform
from yiwang.identity import queries as identity_queries
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.platform.clock import now as clock_now

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


def operated_platform(actor: Actor) -> SubPlatform | None:
    """The sub-platform a 分平台运营人员 acts for: the one whose PLATFORM_CODE is the USCC of the organisation of
    the person's ``subplatform_operator`` grant (docs/exchange.md §8). Operators read its quality reports only."""
    if actor.kind is not ActorKind.ACCOUNT:
        return None
    for grant in actor.grants:
        if grant.role is Role.SUBPLATFORM_OPERATOR and grant.organisation_id is not None:
            organisation = identity_queries.get_organisation(grant.organisation_id)
            if organisation is not None and organisation.uscc:
                platform = SubPlatform.objects.filter(platform_code=organisation.uscc).first()
                if platform is not None:
                    return platform
    return None


def may_read_quality(actor: Actor) -> bool:
    """The quality reports: staff, regulators, auditors (their regions) and sub-platform operators (their own)."""
    return may_read(actor) or actor.has_role(Role.SUBPLATFORM_OPERATOR)


def _report_platforms(actor: Actor) -> QuerySet[SubPlatform]:
    operated = operated_platform(actor)
    if operated is not None and not may_read(actor):
        return SubPlatform.objects.filter(pk=operated.pk)
    return visible_platforms(actor)


def get_report_platform_for(actor: Actor, platform_code: str) -> SubPlatform:
    """A sub-platform whose quality report the actor may read; another's is ``exchange.subplatform_not_found``
    (404, as a code nobody registered: its existence is not disclosed)."""
    platform = _report_platforms(actor).filter(platform_code=platform_code).first()
    if platform is None:
        raise NotFound(
            "exchange.subplatform_not_found", "分平台不存在", "No such sub-platform", {"platform_code": platform_code}
        )
    return platform


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


# -- the monthly data-quality report ---------------------------------------------------------------------------------
BEIJING = ZoneInfo("Asia/Shanghai")
TREND_MONTHS = 6
CENTRE_MARK = "本中心自定"  # how a catalogue rule says its figure is the centre's own setting
WORST = 10


@dataclass(frozen=True)
class MonthlyReport:
    """数据质量月报 of one sub-platform for one month (Beijing time), computed from the stored records only."""

    platform: SubPlatform
    month: str  # yyyy-MM
    measures: tuple[report.Measure, ...]
    findings: tuple[consistency.Finding, ...]
    timely_within: report.Threshold | None
    trend: tuple[tuple[str, tuple[report.Measure, ...]], ...] = ()  # earlier months, oldest first
    disclosure_note: str = (
        "信息公开率：分平台报送的数据不含应公开事项清单，无法计算（需交易中心按项目核对，见 docs/exchange.md §11）"
    )

    @property
    def failed(self) -> tuple[report.Measure, ...]:
        return tuple(m for m in self.measures if m.passed is False)

    @property
    def passed(self) -> bool | None:
        verdicts = [m.passed for m in self.measures if m.passed is not None]
        return None if not verdicts else all(verdicts)

    def worst(self, measure: str) -> list[consistency.Finding]:
        return [f for f in self.findings if f.measure == measure][:WORST]


def _bad_month(text: str) -> InvalidInput:
    return InvalidInput(
        "exchange.bad_month",
        f"月份 {text} 无效（格式 yyyy-MM，且不晚于本月）",
        f"Invalid month {text} (yyyy-MM, not after this month)",
        {"field": "month", "value": text},
    )


def current_month() -> str:
    return report.month_text(clock_now().astimezone(BEIJING).date().replace(day=1))


def last_month() -> str:
    return report.month_text(report.shift_month(report.parse_month(current_month()), -1))


def quality_thresholds(on: date) -> dict[str, report.Threshold]:
    """The thresholds in effect on ``on``, from the rules catalogue (a rule not listed then has none)."""
    out: dict[str, report.Threshold] = {}
    for rule_id in report.RULE_IDS:
        try:
            listed = catalog.rule(rule_id, on=on)
        except RuleNotListed:
            continue
        out[rule_id] = report.Threshold(
            rule_id=rule_id,
            title_zh=listed.title_zh,
            value=Decimal(str(listed.value)),
            unit=listed.unit,
            kind=listed.kind,
            source=listed.source,
            centre_setting=CENTRE_MARK in f"{listed.source}{listed.article}{listed.title_zh}",
        )
    return out


def _chain_records(platform: SubPlatform, end: datetime) -> tuple[list[consistency.ChainRecord], dict[int, int]]:
    """Every record of the platform live at ``end`` (its newest version received before ``end`` not a delete), and
    the position of each record's first version."""
    latest: dict[int, tuple[int, str, dict[str, Any]]] = {}
    first: dict[int, int] = {}
    versions = RecordVersion.objects.filter(record__platform=platform, received_at__lt=end).order_by("pk")
    for pk, record_id, data_type, content in versions.values_list("pk", "record_id", "data_type", "content"):
        first.setdefault(record_id, pk)
        latest[record_id] = (pk, data_type, content)
    meta = {
        r[0]: r[1:]
        for r in Record.objects.filter(pk__in=list(latest)).values_list(
            "pk", "dataset", "record_key", "chain", "parent_key"
        )
    }
    out = [
        consistency.ChainRecord(rid, *meta[rid], arrival=first[rid], content=content)
        for rid, (_pk, data_type, content) in latest.items()
        if data_type != "3"
    ]
    return out, first


def _month_measures(
    platform: SubPlatform, first_day: date, *, with_findings: bool
) -> tuple[tuple[report.Measure, ...], list[consistency.Finding], report.Threshold | None]:
    start, end = report.month_bounds(first_day, BEIJING)
    thresholds = quality_thresholds(report.last_day(first_day))
    within = thresholds.get(report.TIMELY_WITHIN)
    versions = list(
        RecordVersion.objects.filter(record__platform=platform, received_at__gte=start, received_at__lt=end)
        .select_related("record")
        .order_by("pk")
    )
    refusals = list(
        Refusal.objects.filter(platform=platform, received_at__gte=start, received_at__lt=end).order_by("pk")
    )
    findings: list[consistency.Finding] = []
    # acceptance: refused records are the findings
    for r in refusals:
        ds = get_dataset(r.dataset)
        errors = r.errors if isinstance(r.errors, list) else []
        fields = "、".join(sorted({str(e.get("field") or "") for e in errors if isinstance(e, dict)} - {""}))
        findings.append(
            consistency.Finding(
                "acceptance",
                r.first_code,
                r.dataset,
                consistency.shown_key(ds, r.record_key),
                None,
                f"校验未通过（{r.first_code}{'：' + fields if fields else ''}）",
                value=r.data_timestamp,
            )
        )
    # completeness: the versions below the threshold, least complete first
    measured = [v for v in versions if v.completeness is not None]
    completeness_min = thresholds.get("exchange.quality.completeness_min")
    for v in sorted(measured, key=lambda v: (v.completeness, v.pk)):
        if completeness_min is None or Decimal(v.completeness) / 10 >= completeness_min.value:
            break
        ds = get_dataset(v.record.dataset)
        findings.append(
            consistency.Finding(
                "completeness",
                "quality.incomplete",
                v.record.dataset,
                consistency.shown_key(ds, v.record.record_key),
                v.record_id,
                f"字段完整度 {v.completeness / 10:.1f}%（第 {v.number} 版）",
                value=f"{v.completeness / 10:.1f}",
            )
        )
    # timeliness: versions later than the limit, latest first
    lagged = [v for v in versions if v.lag_seconds is not None]
    limit = None if within is None else int(within.value * report.LAG_UNITS.get(within.unit, 3600))
    late = [] if limit is None else sorted((v for v in lagged if v.lag_seconds > limit), key=lambda v: -v.lag_seconds)
    for v in late:
        ds = get_dataset(v.record.dataset)
        findings.append(
            consistency.Finding(
                "timeliness",
                "quality.late",
                v.record.dataset,
                consistency.shown_key(ds, v.record.record_key),
                v.record_id,
                f"事件发生 {v.lag_seconds / 3600:.1f} 小时后才上报（第 {v.number} 版）",
                value=f"{v.lag_seconds / 3600:.1f}",
            )
        )
    # consistency and duplicates: the records that first arrived in the month, against everything live at its end
    universe, first_pos = _chain_records(platform, end)
    new_ids = {v.record_id for v in versions if first_pos.get(v.record_id) == v.pk}
    subjects = [r for r in universe if r.record_id in new_ids]
    stage = consistency.stage_findings(universe, subjects)
    dupes = consistency.duplicate_findings(universe, subjects)
    findings.extend(stage)
    findings.extend(dupes)
    inconsistent = len({f.record_id for f in stage})
    measures = (
        report.Measure(
            "acceptance",
            "校验合格率",
            len(versions),
            len(versions) + len(refusals),
            report.percent(len(versions), len(versions) + len(refusals)),
            thresholds.get("exchange.quality.acceptance_min"),
            "接收的数据版本 ÷（接收 + 校验未通过）",
        ),
        report.Measure(
            "completeness",
            "字段完整度",
            sum(v.completeness for v in measured),
            1000 * len(measured),
            report.percent(sum(v.completeness for v in measured), 1000 * len(measured)),
            completeness_min,
            "各版本数据集自有字段的填报比例（平均）",
        ),
        report.Measure(
            "timeliness",
            "及时上报率",
            len(lagged) - len(late),
            len(lagged),
            report.percent(len(lagged) - len(late), len(lagged)) if limit is not None else None,
            thresholds.get("exchange.quality.timeliness_min"),
            f"事件发生后 {within.describe().lstrip('≤ ')} 内上报的版本所占比例" if within else "未设及时上报时限",
        ),
        report.Measure(
            "consistency",
            "环节顺序一致率",
            len(subjects) - inconsistent,
            len(subjects),
            report.percent(len(subjects) - inconsistent, len(subjects)),
            thresholds.get("exchange.quality.consistency_min"),
            "本月新报数据中，前序环节齐全且时间不早于前序环节的比例",
        ),
        report.Measure(
            "duplicates",
            "重复数据率",
            len(dupes),
            len(subjects),
            report.percent(len(dupes), len(subjects)),
            thresholds.get("exchange.quality.duplicates_max"),
            "本月新报数据中，与已报数据内容相同（键不同）的比例",
        ),
    )
    return measures, (findings if with_findings else []), within


def monthly_report_for(actor: Actor, *, platform_code: str, month: str, with_trend: bool = True) -> MonthlyReport:
    """The monthly report of a sub-platform the actor may see (``exchange.subplatform_not_found`` otherwise —
    the same answer as for a code nobody registered). Deterministic: recomputed from the stored records, it is
    the same for a past month whenever it is asked."""
    try:
        first_day = report.parse_month(month)
    except ValueError:
        raise _bad_month(month) from None
    if month > current_month():
        raise _bad_month(month)
    platform = get_report_platform_for(actor, platform_code)
    measures, findings, within = _month_measures(platform, first_day, with_findings=True)
    trend = []
    for back in range(TREND_MONTHS - 1 if with_trend else 0, 0, -1):
        earlier = report.shift_month(first_day, -back)
        if report.shift_month(earlier, 1) <= platform.registered_at.astimezone(BEIJING).date().replace(day=1):
            continue
        trend.append((report.month_text(earlier), _month_measures(platform, earlier, with_findings=False)[0]))
    return MonthlyReport(platform, month, measures, tuple(findings), within, tuple(trend))


def failing_reports_for(actor: Actor) -> list[MonthlyReport]:
    """Last month's reports of the actor's visible sub-platforms that failed a threshold (for the workbench)."""
    month = last_month()
    out = []
    for platform in _report_platforms(actor).filter(is_active=True).order_by("platform_code"):
        rep = monthly_report_for(actor, platform_code=platform.platform_code, month=month, with_trend=False)
        if rep.failed:
            out.append(rep)
    return out


FINDING_COLUMNS = ("月份", "分平台", "考核项", "规则", "数据集", "数据键", "说明", "相关数据", "数值")


def findings_csv_rows(rep: MonthlyReport) -> list[list[str]]:
    names = {m[0]: m[1] for m in report.MEASURES}
    return [
        [
            rep.month,
            rep.platform.platform_code,
            names.get(f.measure, f.measure),
            f.rule,
            f.dataset,
            f.key,
            f.message_zh,
            "；".join(f"{d} {k}" for d, k in f.related),
            f.value,
        ]
        for f in rep.findings
    ]


def own_platform_code(actor: Actor) -> str:
    """The sub-platform the actor speaks for (its client, or its operators), or ``""``."""
    own = _own_platform(actor) or operated_platform(actor)
    return own.platform_code if own is not None else ""
