"""Reads of the red-flag engine, always restricted by the acting user.

Alerts, runs and findings are for regulators (and auditors, who read but do not act) over the region
concerned: a regulator of 闵行 (310112) sees the alerts of 310112 only, a regulator of the city (310000) all of
Shanghai. Market participants, trading-centre staff and the public see none of it — a refusal that does not
even say whether an alert exists. The indicator catalogue (definitions, sources, parameters) is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotAuthenticated
from yiwang.kernel.ids import region_level
from yiwang.supervision.redflags.actions import feedback_factors, is_regulator_over
from yiwang.supervision.redflags.domain import errors, registry, scoring
from yiwang.supervision.redflags.domain.registry import FAMILY_LABELS_ZH, UNIT_LABELS_ZH, Unit
from yiwang.supervision.redflags.domain.workflow import STATUS_LABELS_ZH, VERB_LABELS_ZH, Status, Verb, allowed
from yiwang.supervision.redflags.models import Alert, IndicatorFeedback, Run, RunFinding, Verdict

READERS = (Role.REGULATOR, Role.AUDITOR)
MAX_PAGE = 200


def may_read(actor: Actor) -> bool:
    return actor.is_system or bool(actor.region_scopes(*READERS))


def _require_reader(actor: Actor) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("redflags.sign_in_required", "请先登录", "Sign in first")
    if not may_read(actor):
        raise errors.forbidden()


def _region_q(actor: Actor, field_name: str = "region_code") -> Q:
    """The regions the actor reads, as a filter (nothing for an actor without a scope)."""
    if actor.is_system:
        return Q()
    q = Q(pk__in=[])
    for scope in actor.region_scopes(*READERS):
        length = {"province": 2, "prefecture": 4, "county": 6}[region_level(scope)]
        q |= Q(**{f"{field_name}__startswith": scope[:length]})
    return q


def _region_name(code: str) -> str:
    from yiwang.catalog import queries as catalog

    try:
        info = catalog.get_region(code)
    except Exception:
        return code
    return getattr(info, "name", "") or code if info else code


# -- the indicator catalogue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterView:
    name: str
    default: Any
    kind: str
    description_zh: str
    description_en: str
    value: Any = None  # the value used (in a run or an alert's finding)


@dataclass(frozen=True)
class IndicatorView:
    code: str
    name_zh: str
    name_en: str
    family: str
    family_label: str
    units: tuple[str, ...]
    unit_labels: tuple[str, ...]
    basis: str
    description_zh: str
    description_en: str
    interpretation_zh: str
    procedures: tuple[str, ...]
    min_population: int
    needs: tuple[str, ...]
    weight: float
    parameters: tuple[ParameterView, ...]


def _indicator_view(ind: registry.Indicator, values: dict[str, Any] | None = None) -> IndicatorView:
    return IndicatorView(
        code=ind.code,
        name_zh=ind.name_zh,
        name_en=ind.name_en,
        family=ind.family.value,
        family_label=FAMILY_LABELS_ZH[ind.family],
        units=tuple(u.value for u in ind.units),
        unit_labels=tuple(UNIT_LABELS_ZH[u] for u in ind.units),
        basis=ind.basis,
        description_zh=ind.description_zh,
        description_en=ind.description_en,
        interpretation_zh=ind.interpretation_zh,
        procedures=ind.procedures,
        min_population=ind.min_population,
        needs=ind.needs,
        weight=ind.weight,
        parameters=tuple(
            ParameterView(
                p.name, p.default, p.kind, p.description_zh, p.description_en, (values or {}).get(p.name, p.default)
            )
            for p in ind.parameters
        ),
    )


def list_indicators() -> list[IndicatorView]:
    """The indicator catalogue (public: definitions and sources, no results)."""
    return [_indicator_view(i) for i in registry.all_indicators()]


def get_indicator(code: str) -> IndicatorView:
    return _indicator_view(registry.get(code))


# -- alerts ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    id: int
    title: str
    score: float
    status: str
    status_label: str
    source: str
    region_code: str
    subject_type: str
    subject_type_label: str
    subject_id: str
    subject_label: str
    ocid: str
    codes: tuple[str, ...]
    code_names: tuple[str, ...]
    assignee_ref: str
    assignee_label: str
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class AlertPage:
    total: int
    rows: list[AlertRow]
    limit: int
    offset: int


def status_labels() -> dict[str, str]:
    """The alert states' Chinese labels by value (new → 待分派 …), for pages that show an alert's state."""
    return {s.value: label for s, label in STATUS_LABELS_ZH.items()}


def _code_name(code: str) -> str:
    ind = {i.code: i for i in registry.all_indicators()}.get(code)
    return ind.name_zh if ind else code


def _row(a: Alert) -> AlertRow:
    return AlertRow(
        id=a.pk,
        title=a.title,
        score=round(a.score, 4),
        status=a.status,
        status_label=STATUS_LABELS_ZH[Status(a.status)],
        source=a.source,
        region_code=a.region_code,
        subject_type=a.subject_type,
        subject_type_label=UNIT_LABELS_ZH.get(a.subject_type, a.subject_type),  # type: ignore[call-overload]
        subject_id=a.subject_id,
        subject_label=a.subject_label,
        ocid=a.ocid,
        codes=tuple(a.codes),
        code_names=tuple(_code_name(c) for c in a.codes),
        assignee_ref=a.assignee_ref,
        assignee_label=a.assignee_label,
        created_at=a.created_at,
        updated_at=a.updated_at,
        version=a.version,
    )


def _alerts(actor: Actor) -> QuerySet[Alert]:
    _require_reader(actor)
    return Alert.objects.filter(_region_q(actor))


def list_alerts_for(
    actor: Actor,
    *,
    status: str | None = None,
    open_only: bool = False,
    region: str | None = None,
    code: str | None = None,
    subject_type: str | None = None,
    source: str | None = None,
    q: str | None = None,
    min_score: float | None = None,
    mine: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> AlertPage:
    """Alerts in the actor's regions, strongest first, with filters."""
    qs = _alerts(actor)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status=Status.CLOSED)
    if region:
        qs = qs.filter(region_code__startswith=region.rstrip("0")[: max(2, len(region.rstrip("0")))])
    if code:
        qs = qs.filter(findings__code=code).distinct()
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if source:
        qs = qs.filter(source=source)
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(subject_label__icontains=q) | Q(subject_id__icontains=q) | Q(ocid__icontains=q)
        )
    if min_score is not None:
        qs = qs.filter(score__gte=min_score)
    if mine:
        qs = qs.filter(assignee_ref=actor.ref)
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    total = qs.count()
    rows = [_row(a) for a in qs.order_by("-score", "-created_at", "-pk")[offset : offset + limit]]
    return AlertPage(total, rows, limit, offset)


def count_open_alerts_for(actor: Actor) -> dict[str, int]:
    """Open alerts per status in the actor's regions (for dashboards)."""
    rows = _alerts(actor).exclude(status=Status.CLOSED).values("status").annotate(n=Count("pk"))
    return {r["status"]: r["n"] for r in rows}


@dataclass(frozen=True)
class FindingView:
    code: str
    indicator: IndicatorView
    value: float | None
    severity: float
    contribution: float
    evidence: dict[str, Any]
    run_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor_label: str
    verb: str
    verb_label: str
    from_status: str
    to_status: str
    reason: str
    details: dict[str, Any]


@dataclass(frozen=True)
class FeedbackView:
    code: str
    name: str
    verdict: str
    verdict_label: str
    note: str
    at: datetime


@dataclass(frozen=True)
class AlertDetail(AlertRow):
    region_name: str = ""
    related: tuple[tuple[str, str, str], ...] = ()
    findings: tuple[FindingView, ...] = ()
    events: tuple[EventView, ...] = ()
    feedback: tuple[FeedbackView, ...] = ()
    decision_reason: str = ""
    close_reason: str = ""
    allowed: tuple[str, ...] = ()  # workflow verbs this actor may use now
    score_explained: tuple[tuple[str, float], ...] = ()  # code → contribution
    first_run_id: int | None = None
    last_run_id: int | None = None


VERB_EVENT_LABELS = {**{v.value: VERB_LABELS_ZH[v] for v in Verb}, "raised": "生成预警", "updated": "新增发现"}


def get_alert_for(actor: Actor, alert_id: int) -> AlertDetail:
    """An alert that explains itself: each indicator's definition, the parameters used, the evidence table, the
    history and the verdicts; what this actor may do next."""
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        raise errors.alert_not_found(alert_id) from None
    alert = _alerts(actor).filter(pk=pk).first()
    if alert is None:
        raise errors.alert_not_found(alert_id)
    row = _row(alert)
    findings = []
    latest: dict[str, float] = {}
    for f in alert.findings.order_by("-created_at", "-contribution", "code", "pk"):
        try:
            view = _indicator_view(registry.get(f.code), f.parameters)
        except Exception:
            view = IndicatorView(
                f.code, f.code, f.code, alert.source, alert.source, (), (), "", "", "", "", (), 1, (), 0.5, ()
            )
        findings.append(
            FindingView(f.code, view, f.value, f.severity, f.contribution, f.evidence, f.run_id, f.created_at)
        )
        latest.setdefault(f.code, f.contribution)
    verbs = tuple(v.value for v in allowed(alert.status)) if is_regulator_over(actor, alert.region_code) else ()
    return AlertDetail(
        **row.__dict__,
        region_name=_region_name(alert.region_code),
        related=tuple(tuple(r) for r in alert.related),  # type: ignore[misc]
        findings=tuple(findings),
        events=tuple(
            EventView(
                e.at,
                e.actor_label,
                e.verb,
                VERB_EVENT_LABELS.get(e.verb, e.verb),
                e.from_status,
                e.to_status,
                e.reason,
                e.details,
            )
            for e in alert.events.all()
        ),
        feedback=tuple(
            FeedbackView(fb.code, _code_name(fb.code), fb.verdict, Verdict(fb.verdict).label, fb.note, fb.at)
            for fb in alert.feedback.all()
        ),
        decision_reason=alert.decision_reason,
        close_reason=alert.close_reason,
        allowed=verbs,
        score_explained=tuple(sorted(latest.items(), key=lambda kv: -kv[1])),
        first_run_id=alert.first_run_id,
        last_run_id=alert.last_run_id,
    )


# -- runs -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    id: int
    source: str
    source_label: str
    label: str
    region_code: str
    input_digest: str
    input_bytes: int
    frame_counts: dict[str, int]
    indicator_codes: tuple[str, ...]
    findings_count: int
    alerts_raised: int
    alerts_updated: int
    min_alert_score: float
    seconds_ingest: float
    seconds_compute: float
    started_by_label: str
    started_at: datetime
    finished_at: datetime
    summary: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _run_view(r: Run, *, full: bool = False) -> RunView:
    return RunView(
        id=r.pk,
        source=r.source,
        source_label=r.get_source_display(),
        label=r.label,
        region_code=r.region_code,
        input_digest=r.input_digest,
        input_bytes=r.input_bytes,
        frame_counts=r.frame_counts,
        indicator_codes=tuple(r.indicator_codes),
        findings_count=r.findings_count,
        alerts_raised=r.alerts_raised,
        alerts_updated=r.alerts_updated,
        min_alert_score=r.min_alert_score,
        seconds_ingest=r.seconds_ingest,
        seconds_compute=r.seconds_compute,
        started_by_label=r.started_by_label,
        started_at=r.started_at,
        finished_at=r.finished_at,
        summary=r.summary if full else {},
        parameters=r.parameters if full else {},
        ingest=r.ingest if full else {},
        notes=tuple(r.notes) if full else (),
    )


def _runs(actor: Actor) -> QuerySet[Run]:
    """Runs whose whole scope the actor reads (a district regulator does not read a city-wide run)."""
    _require_reader(actor)
    return Run.objects.filter(_region_q(actor))


def list_runs_for(actor: Actor, *, limit: int = 50) -> list[RunView]:
    return [_run_view(r) for r in _runs(actor).order_by("-started_at", "-pk")[: max(1, min(limit, MAX_PAGE))]]


def get_run_for(actor: Actor, run_id: int) -> RunView:
    try:
        run = _runs(actor).filter(pk=int(run_id)).first()
    except (TypeError, ValueError):
        run = None
    if run is None:
        raise errors.run_not_found(run_id)
    return _run_view(run, full=True)


@dataclass(frozen=True)
class RunFindingView:
    code: str
    unit: str
    unit_id: str
    value: float | None
    primary: bool
    severity: float
    ocid: str
    region_code: str
    evidence: dict[str, Any]
    related: list[Any]


def list_run_findings_for(
    actor: Actor, run_id: int, *, code: str | None = None, unit: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[RunFindingView]]:
    get_run_for(actor, run_id)
    qs = RunFinding.objects.filter(run_id=run_id)
    if code:
        qs = qs.filter(code=code)
    if unit:
        qs = qs.filter(unit=unit)
    total = qs.count()
    limit = max(1, min(int(limit), MAX_PAGE))
    rows = qs.order_by("code", "-primary", "unit", "unit_id", "pk")[max(0, offset) : max(0, offset) + limit]
    return total, [
        RunFindingView(
            f.code, f.unit, f.unit_id, f.value, f.primary, f.severity, f.ocid, f.region_code, f.evidence, f.related
        )
        for f in rows
    ]


def cardinal_output_for(actor: Actor, run_id: int, *, meta: bool = True, maps: bool = False) -> dict[str, Any]:
    """The run's results in Cardinal's JSON shape (``OCID``, ``Buyer``, ``ProcuringEntity``, ``Tenderer``,
    ``Meta``), rebuilt from the stored findings, so they can be compared with Cardinal's own output."""
    view = get_run_for(actor, run_id)
    outputs: dict[str, registry.IndicatorOutput] = {}
    for code in view.indicator_codes:
        out = registry.IndicatorOutput(code)
        out.meta = dict((view.summary.get(code) or {}).get("meta") or {})
        outputs[code] = out
    groups = set(registry.CARDINAL_GROUPS)
    for f in (
        RunFinding.objects.filter(run_id=run_id, unit__in=[u.value for u in groups])
        .order_by("pk")
        .iterator(chunk_size=5000)
    ):
        if f.code in outputs:
            outputs[f.code].findings.append(
                registry.Finding(f.code, Unit(f.unit), f.unit_id, f.value, {}, ocid=f.ocid or None, primary=f.primary)
            )
    cardinal_codes = {i.code for i in registry.all_indicators() if i.family == registry.Family.CARDINAL}
    return registry.cardinal_json({c: o for c, o in outputs.items() if c in cardinal_codes}, meta=meta, maps=maps)


# -- feedback -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackStat:
    code: str
    name: str
    true_positives: int
    false_positives: int
    factor: float


def feedback_stats_for(actor: Actor, codes: Sequence[str] | None = None) -> list[FeedbackStat]:
    """Regulators' verdicts per indicator and the weight factor they give it (platform-wide)."""
    _require_reader(actor)
    rows = IndicatorFeedback.objects.values("code").annotate(
        tp=Count("pk", filter=Q(verdict=Verdict.TRUE_POSITIVE)),
        fp=Count("pk", filter=Q(verdict=Verdict.FALSE_POSITIVE)),
    )
    stats = {r["code"]: (r["tp"], r["fp"]) for r in rows}
    wanted = list(codes) if codes is not None else sorted(set(stats) | {i.code for i in registry.all_indicators()})
    factors = feedback_factors()
    return [
        FeedbackStat(
            c,
            _code_name(c),
            stats.get(c, (0, 0))[0],
            stats.get(c, (0, 0))[1],
            round(factors.get(c, scoring.feedback_factor(0, 0)), 4),
        )
        for c in wanted
    ]


# -- counts for the statistics (supervision.stats) ----------------------------------------------------------------


@dataclass(frozen=True)
class AlertCounts:
    total: int
    by_status: dict[str, int]  # status label → count
    by_code: dict[str, int]  # "R018 name" → alerts that carry the indicator


def count_alerts_for(
    actor: Actor, *, region: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> AlertCounts:
    """Alerts raised in ``[since, until)`` in the actor's regions (optionally one region), per status and per
    indicator code — for the periodic evaluation report."""
    qs = _alerts(actor)
    if region:
        qs = qs.filter(region_code__startswith=region.rstrip("0")[: max(2, len(region.rstrip("0")))])
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    by_status = {
        STATUS_LABELS_ZH[Status(r["status"])]: r["n"]
        for r in qs.values("status").annotate(n=Count("pk")).order_by("status")
    }
    by_code: dict[str, int] = {}
    for codes in qs.values_list("codes", flat=True):
        for code in codes or ():
            key = f"{code} {_code_name(code)}"
            by_code[key] = by_code.get(key, 0) + 1
    return AlertCounts(sum(by_status.values()), by_status, dict(sorted(by_code.items())))
