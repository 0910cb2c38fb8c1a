"""The red-flag engine's state changes: screening runs (with their findings and the alerts they raise) and the
alert workflow. Every one is an action: rows, witness entry and feed event commit together or not at all.

Computing a run (reading the OCDS file, building the platform snapshot, running the indicators) happens before
the action's transaction, so a long computation never holds the database's write lock; only the results are
written inside it. Everything that can be refused (the region, the indicator codes, the parameters) is checked
before anything is computed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from django.db.models import Count, Q

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import region_covers, validate_region_code_format
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.supervision.redflags import snapshots
from yiwang.supervision.redflags.domain import errors, ocds, registry, scoring
from yiwang.supervision.redflags.domain.frames import Snapshot
from yiwang.supervision.redflags.domain.registry import UNIT_LABELS_ZH, Unit
from yiwang.supervision.redflags.domain.workflow import STATUS_LABELS_ZH, Status, Verb, check_reason, next_status
from yiwang.supervision.redflags.models import (
    Alert,
    AlertEvent,
    AlertFinding,
    IndicatorFeedback,
    Run,
    RunFinding,
    RunSource,
    Verdict,
)

log = logging.getLogger(__name__)

DEFAULT_MIN_ALERT_SCORE = 0.5
DEFAULT_MAX_ALERTS = 200
MAX_STORED_FINDINGS = 200_000  # a run keeps at most this many findings (the strongest first)


# -- who may ----------------------------------------------------------------------------------------------------


def is_regulator_over(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.REGULATOR)


def _require_regulator(actor: Actor, region_code: str) -> None:
    if actor.is_system:
        return
    if not actor.has_role(Role.REGULATOR):
        raise errors.forbidden()
    if not actor.covers_region(region_code, Role.REGULATOR):
        raise errors.region_not_covered(region_code)


def covers(scope: str, code: str) -> bool:
    """``region_covers`` for data that may hold invalid codes (those are simply not covered)."""
    try:
        return region_covers(scope, code)
    except InvalidInput:
        return False


def _region(region_code: str) -> str:
    try:
        return validate_region_code_format(region_code)
    except InvalidInput as exc:
        raise exc.at("region_code") from None


# -- runs --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookups:
    """Regions and names of what the findings are about, from the snapshot."""

    process_region: dict[str, str]
    process_title: dict[str, str]
    party_region: dict[str, str]
    party_name: dict[str, str]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Lookups:
        t = snapshot.tenders
        parties = snapshot.frames["parties"]
        first_region = (
            parties.filter(pl.col("party_id").is_not_null() & pl.col("region").str.contains(r"^\d{6}$"))
            .group_by("party_id")
            .agg(pl.col("region").first())
        )
        first_name = (
            parties.filter(pl.col("party_id").is_not_null() & pl.col("name").is_not_null())
            .group_by("party_id")
            .agg(pl.col("name").first())
        )
        return cls(
            process_region=dict(
                t.filter(pl.col("region").str.contains(r"^\d{6}$")).select("ocid", "region").iter_rows()
            ),
            process_title=dict(t.filter(pl.col("title").is_not_null()).select("ocid", "title").iter_rows()),
            party_region=dict(first_region.iter_rows()),
            party_name=dict(first_name.iter_rows()),
        )

    def label(self, unit: str, unit_id: str) -> str:
        if unit == Unit.PROCESS:
            return self.process_title.get(unit_id, unit_id)
        if unit in (Unit.BIDDER, Unit.BUYER, Unit.PROCURING_ENTITY, "bidder"):
            return self.party_name.get(unit_id, unit_id)
        if unit in (Unit.BIDDER_PAIR, Unit.BIDDER_GROUP):
            return "、".join(self.party_name.get(x, x) for x in unit_id.split("|"))
        return unit_id

    def region_of(self, unit: str, unit_id: str, ocid: str | None, scope: str) -> str:
        """The unit's region when known and inside the run's scope, else the scope."""
        candidates: list[str | None] = []
        if ocid:
            candidates.append(self.process_region.get(ocid))
        if unit == Unit.PROCESS:
            candidates.append(self.process_region.get(unit_id))
        if unit in (Unit.BIDDER, Unit.BUYER, Unit.PROCURING_ENTITY):
            candidates.append(self.party_region.get(unit_id))
        if unit in (Unit.BIDDER_PAIR, Unit.BIDDER_GROUP):
            regions = {self.party_region.get(x) for x in unit_id.split("|")}
            if len(regions) == 1:
                candidates.append(regions.pop())
        for c in candidates:
            if c and covers(scope, c):
                return c
        return scope


def feedback_factors() -> dict[str, float]:
    """Per indicator, the factor regulators' verdicts give its weight (see domain/scoring.py)."""
    rows = IndicatorFeedback.objects.values("code").annotate(
        tp=Count("pk", filter=Q(verdict=Verdict.TRUE_POSITIVE)),
        fp=Count("pk", filter=Q(verdict=Verdict.FALSE_POSITIVE)),
    )
    return {r["code"]: scoring.feedback_factor(r["tp"], r["fp"]) for r in rows}


def _json_safe(value: Any) -> Any:
    """Evidence as plain JSON (NaN/inf → null, tuples → lists, datetimes → ISO text)."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _summary(out: registry.IndicatorOutput) -> dict[str, Any]:
    return _json_safe(
        {
            "population": out.population,
            "flagged": sum(1 for f in out.findings if f.primary),
            "mentions": sum(1 for f in out.findings if not f.primary),
            "not_computable": out.not_computable.as_dict() if out.not_computable else None,
            "skipped": dict(out.skipped),
            "meta": dict(out.meta),
            "seconds": round(out.seconds, 4),
        }
    )


def _title(subject: scoring.Subject, label: str) -> str:
    names = [
        registry.REGISTRY[c].name_zh if c in registry.REGISTRY else c
        for c in sorted(subject.contributions, key=lambda c: -subject.contributions[c])
    ]
    head = "、".join(names[:2]) + (f" 等 {len(names)} 项" if len(names) > 2 else "")
    return f"{UNIT_LABELS_ZH.get(subject.unit, subject.unit)}「{label}」：{head}"[:300]


def _digest(items: Iterable[Mapping[str, Any]]) -> str:
    return hashlib.sha256(canonical_json(sorted((dict(i) for i in items), key=lambda i: i["code"]))).hexdigest()


def do_run_snapshot(
    *,
    actor: Actor,
    snapshot: Snapshot,
    region_code: str,
    source: str = RunSource.FRAMES,
    label: str = "",
    codes: Sequence[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ingest: Mapping[str, Any] | None = None,
    input_digest: str | None = None,
    input_bytes: int = 0,
    seconds_ingest: float = 0.0,
    min_alert_score: float = DEFAULT_MIN_ALERT_SCORE,
    max_alerts: int = DEFAULT_MAX_ALERTS,
    raise_alerts: bool = True,
) -> Run:
    """Run the chosen indicators (default: all) over ``snapshot`` for ``region_code``; store the run, its
    findings and the alerts it raises. Regulators over the region, or the platform itself."""
    region = _region(region_code)
    _require_regulator(actor, region)
    registry.check_selection(codes, overrides)  # refuse unknown codes and bad parameters before computing
    if not 0.0 <= float(min_alert_score) <= 1.0:
        raise InvalidInput(
            "redflags.min_alert_score_invalid", "预警分数线应在 0–1 之间", "min_alert_score must be within 0–1"
        ).at("min_alert_score")
    started = now()
    t0 = time.perf_counter()
    output = registry.run(snapshot, codes, overrides)
    digest = input_digest or snapshots.snapshot_digest(snapshot)
    lookups = Lookups.of(snapshot)
    findings = [f for out in output.outputs.values() for f in out.findings]
    weights = {code: registry.REGISTRY[code].weight for code in output.outputs}
    subjects = scoring.subjects(findings, weights, feedback_factors()) if raise_alerts else []
    candidates = [s for s in subjects if s.score >= min_alert_score][: max(0, int(max_alerts))]
    seconds_compute = time.perf_counter() - t0
    stored = sorted(findings, key=lambda f: (not f.primary, -f.severity))[:MAX_STORED_FINDINGS]

    with action(actor, "redflags.run_screens") as act:
        run = Run.objects.create(
            source=source,
            label=(label or snapshot.label)[:255],
            region_code=region,
            input_digest=digest,
            input_bytes=input_bytes,
            frame_counts=snapshot.counts(),
            indicator_codes=list(output.outputs),
            parameters=_json_safe(output.parameters),
            ingest=_json_safe(dict(ingest or {})),
            summary={code: _summary(out) for code, out in output.outputs.items()},
            findings_count=len(findings),
            min_alert_score=float(min_alert_score),
            seconds_ingest=seconds_ingest,
            seconds_compute=seconds_compute,
            notes=list(snapshot.notes)[:50]
            + ([f"仅保存前 {MAX_STORED_FINDINGS} 条发现"] if len(findings) > MAX_STORED_FINDINGS else []),
            started_by=actor.ref,
            started_by_label=actor.label[:200],
            started_at=started,
            finished_at=now(),
        )
        RunFinding.objects.bulk_create(
            [
                RunFinding(
                    run=run,
                    code=f.code,
                    unit=f.unit.value,
                    unit_id=f.unit_id[:300],
                    value=_json_safe(f.value),
                    primary=f.primary,
                    severity=f.severity,
                    ocid=(f.ocid or "")[:200],
                    region_code=lookups.region_of(f.unit, f.unit_id, f.ocid, region),
                    evidence=_json_safe(dict(f.evidence)),
                    related=_json_safe([list(r) for r in f.related]),
                )
                for f in stored
            ],
            batch_size=2000,
        )
        raised: list[list[Any]] = []
        updated = 0
        for subject in candidates:
            label_ = lookups.label(subject.unit, subject.unit_id)
            items = [
                {
                    "code": f.code,
                    "value": _json_safe(f.value),
                    "severity": f.severity,
                    "contribution": subject.contributions.get(f.code, 0.0),
                    "evidence": _json_safe(dict(f.evidence)),
                    "parameters": _json_safe(output.parameters.get(f.code, {})),
                }
                for f in subject.findings
            ]
            alert, what = _upsert_alert(
                run=run,
                key=subject.key,
                source="redflags",
                subject_type=subject.unit.value,
                subject_id=subject.unit_id,
                subject_label=label_,
                ocid=subject.ocid or "",
                region_code=lookups.region_of(subject.unit, subject.unit_id, subject.ocid, region),
                title=_title(subject, label_),
                score=subject.score,
                related=[[u, i, lookups.label(u, i)] for u, i in subject.related()],
                items=items,
                actor=actor,
            )
            if what == "raised":
                raised.append([alert.pk, alert.evidence_digest])
            elif what == "updated":
                updated += 1
                raised.append([alert.pk, alert.evidence_digest])
        run.alerts_raised = len(raised) - updated
        run.alerts_updated = updated
        run.save(update_fields=["alerts_raised", "alerts_updated"])
        act.witness(
            run,
            {
                "source": run.source,
                "label": run.label,
                "region_code": region,
                "input_digest": digest,
                "codes": run.indicator_codes,
                "parameters_digest": hashlib.sha256(canonical_json(run.parameters)).hexdigest(),
                "findings": run.findings_count,
                "alerts": raised,
            },
        )
        act.emit(
            "redflags.run_completed.v1",
            run,
            {"run_id": run.pk, "region_code": region, "alerts_raised": run.alerts_raised, "alerts_updated": updated},
            visibility=Visibility.RESTRICTED,
        )
        for alert_id, _ in raised:
            act.emit(
                "redflags.alert_raised.v1",
                ("redflags.alert", alert_id),
                {"alert_id": alert_id},
                visibility=Visibility.RESTRICTED,
            )
    log.info("redflags run %s: %s findings, %s alerts", run.pk, run.findings_count, len(raised))
    return run


def do_import_ocds(
    *,
    actor: Actor,
    source: bytes | str | Path | BinaryIO,
    region_code: str,
    label: str = "",
    currency: str | None = None,
    codes: Sequence[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    min_alert_score: float = DEFAULT_MIN_ALERT_SCORE,
    max_alerts: int = DEFAULT_MAX_ALERTS,
    workers: int | None = None,
) -> Run:
    """Screen an OCDS JSON Lines file (compiled releases or records). Malformed lines are skipped and reported in
    ``run.ingest`` with their line numbers. Cardinal's indicators by default."""
    region = _region(region_code)
    _require_regulator(actor, region)
    chosen = (
        list(codes)
        if codes is not None
        else [i.code for i in registry.all_indicators() if i.family == registry.Family.CARDINAL]
    )
    registry.check_selection(chosen, overrides)
    snapshot, report = ocds.read_ocds(source, label=label, currency=currency, workers=workers)
    return do_run_snapshot(
        actor=actor,
        snapshot=snapshot,
        region_code=region,
        source=RunSource.OCDS,
        label=report.label or label,
        codes=chosen,
        overrides=overrides,
        ingest=report.as_dict(),
        input_digest=report.sha256,
        input_bytes=report.bytes,
        seconds_ingest=report.seconds,
        min_alert_score=min_alert_score,
        max_alerts=max_alerts,
    )


def do_run_platform(
    *,
    actor: Actor,
    region_code: str,
    codes: Sequence[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    sources: Iterable[snapshots.Source] | None = None,
    min_alert_score: float = DEFAULT_MIN_ALERT_SCORE,
    max_alerts: int = DEFAULT_MAX_ALERTS,
) -> Run:
    """Screen the platform's own data in ``region_code`` (the configured adapters, or ``sources``)."""
    region = _region(region_code)
    _require_regulator(actor, region)
    registry.check_selection(codes, overrides)
    t0 = time.perf_counter()
    snapshot = snapshots.build_platform_snapshot(region, sources)
    return do_run_snapshot(
        actor=actor,
        snapshot=snapshot,
        region_code=region,
        source=RunSource.PLATFORM,
        label=snapshot.label,
        codes=codes,
        overrides=overrides,
        seconds_ingest=time.perf_counter() - t0,
        min_alert_score=min_alert_score,
        max_alerts=max_alerts,
    )


# -- alerts --------------------------------------------------------------------------------------------------------


def _upsert_alert(
    *,
    run: Run | None,
    key: str,
    source: str,
    subject_type: str,
    subject_id: str,
    subject_label: str,
    ocid: str,
    region_code: str,
    title: str,
    score: float,
    related: list[list[str]],
    items: list[dict[str, Any]],
    actor: Actor,
) -> tuple[Alert, str]:
    """Raise a new alert for ``key``, or add the new findings to its open one. Returns (alert, "raised" |
    "updated" | "unchanged"); a closed alert with exactly these findings is not raised again."""
    at = now()
    digest = _digest({"code": i["code"], "value": i["value"], "evidence": i["evidence"]} for i in items)
    open_alert = Alert.objects.select_for_update().filter(key=key).exclude(status=Status.CLOSED).first()
    codes = sorted({i["code"] for i in items})
    if open_alert is not None:
        if open_alert.evidence_digest == digest:
            return open_alert, "unchanged"
        open_alert.score = score
        open_alert.codes = sorted(set(open_alert.codes) | set(codes))
        open_alert.related = related or open_alert.related
        open_alert.evidence_digest = digest
        open_alert.last_run = run
        open_alert.title = title
        open_alert.updated_at = at
        open_alert.version += 1
        open_alert.save()
        _add_findings(open_alert, run, items, at)
        event = AlertEvent.objects.create(
            alert=open_alert,
            at=at,
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
            verb="updated",
            from_status=open_alert.status,
            to_status=open_alert.status,
            details={"run_id": run.pk if run else None, "codes": codes},
        )
        publish_alert(open_alert, event)
        return open_alert, "updated"
    if Alert.objects.filter(key=key, status=Status.CLOSED, evidence_digest=digest).exists():
        return Alert.objects.filter(key=key, status=Status.CLOSED, evidence_digest=digest).first(), "unchanged"  # type: ignore[return-value]
    alert = Alert.objects.create(
        key=key[:400],
        source=source,
        subject_type=subject_type,
        subject_id=subject_id[:300],
        subject_label=subject_label[:300],
        ocid=ocid[:200],
        region_code=region_code,
        title=title[:300],
        score=score,
        codes=codes,
        related=related,
        evidence_digest=digest,
        first_run=run,
        last_run=run,
        created_at=at,
        updated_at=at,
    )
    _add_findings(alert, run, items, at)
    event = AlertEvent.objects.create(
        alert=alert,
        at=at,
        actor_ref=actor.ref,
        actor_label=actor.label[:200],
        verb="raised",
        to_status=Status.NEW,
        details={"run_id": run.pk if run else None, "codes": codes, "score": score},
    )
    publish_alert(alert, event)
    return alert, "raised"


def _add_findings(alert: Alert, run: Run | None, items: list[dict[str, Any]], at: Any) -> None:
    AlertFinding.objects.bulk_create(
        [
            AlertFinding(
                alert=alert,
                run=run,
                code=i["code"],
                value=i["value"],
                severity=i.get("severity", 1.0),
                contribution=i.get("contribution", 0.0),
                evidence=i["evidence"],
                parameters=i.get("parameters", {}),
                created_at=at,
            )
            for i in items
        ]
    )


@dataclass(frozen=True)
class FindingIn:
    """A finding another supervision context raises an alert with."""

    code: str
    value: float | None
    evidence: Mapping[str, Any]
    weight: float = 0.5
    severity: float = 1.0


def do_raise_alert(
    *,
    actor: Actor,
    source: str,
    key: str,
    subject_type: str,
    subject_id: str,
    region_code: str,
    title: str,
    findings: Sequence[FindingIn],
    subject_label: str = "",
    ocid: str = "",
    related: Sequence[Sequence[str]] = (),
) -> Alert:
    """Raise (or update) an alert from another supervision context — credit, complaints, statistics — with its own
    ``source`` and indicator codes. Same workflow, pages and region scoping as the red flags."""
    region = _region(region_code)
    _require_regulator(actor, region)
    if not findings:
        raise errors.no_indicators()
    if not source or not key or not title.strip():
        raise InvalidInput(
            "redflags.alert_invalid", "预警须有来源、键和标题", "An alert needs a source, a key and a title"
        )
    contributions = {f.code: max(0.0, min(1.0, f.weight * f.severity)) for f in findings}
    items = [
        {
            "code": f.code,
            "value": f.value,
            "severity": f.severity,
            "contribution": contributions[f.code],
            "evidence": _json_safe(dict(f.evidence)),
            "parameters": {},
        }
        for f in findings
    ]
    with action(actor, "redflags.raise_alert") as act:
        alert, what = _upsert_alert(
            run=None,
            key=f"{source}:{key}",
            source=source,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_label=subject_label or subject_id,
            ocid=ocid,
            region_code=region,
            title=title.strip(),
            score=scoring.combine(contributions.values()),
            related=[list(r) for r in related],
            items=items,
            actor=actor,
        )
        act.witness(
            alert,
            {"key": alert.key, "source": source, "result": what, "digest": alert.evidence_digest, "codes": alert.codes},
        )
        if what != "unchanged":
            act.emit("redflags.alert_raised.v1", alert, {"alert_id": alert.pk}, visibility=Visibility.RESTRICTED)
    return alert


def _locked(actor: Actor, alert_id: int) -> Alert:
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        raise errors.alert_not_found(alert_id) from None
    alert = Alert.objects.select_for_update().filter(pk=pk).first()
    if alert is None or not (actor.is_system or actor.covers_region(alert.region_code, Role.REGULATOR, Role.AUDITOR)):
        raise errors.alert_not_found(alert_id)
    if not is_regulator_over(actor, alert.region_code):
        raise errors.forbidden()  # auditors read, they do not act
    return alert


def _transition(
    actor: Actor,
    alert_id: int,
    verb: Verb,
    *,
    reason: str = "",
    expected_version: int | None = None,
    details: Mapping[str, Any] | None = None,
    assignee: Actor | None = None,
    false_positive_codes: Sequence[str] | None = None,
) -> Alert:
    text = check_reason(verb, reason)
    with action(actor, f"redflags.{verb.value}_alert") as act:
        alert = _locked(actor, alert_id)
        check_version(alert.version, expected_version)
        before = alert.status
        alert.status = next_status(before, verb)
        at = now()
        extra: dict[str, Any] = dict(details or {})
        if verb == Verb.ASSIGN:
            assert assignee is not None
            if not (assignee.covers_region(alert.region_code, Role.REGULATOR)):
                raise errors.assignee_invalid(assignee.label)
            alert.assignee_ref, alert.assignee_label = assignee.ref, assignee.label[:200]
            extra["assignee"] = assignee.ref
        if verb in (Verb.CONFIRM, Verb.DISMISS):
            alert.decision_reason = text
            fp = (
                set(alert.codes)
                if (verb == Verb.DISMISS and false_positive_codes is None)
                else set(false_positive_codes or ())
            )
            unknown = sorted(fp - set(alert.codes))
            if unknown:
                raise errors.codes_invalid(unknown)
            for code in alert.codes:
                if verb == Verb.CONFIRM:
                    verdict = Verdict.FALSE_POSITIVE if code in fp else Verdict.TRUE_POSITIVE
                elif code in fp:
                    verdict = Verdict.FALSE_POSITIVE
                else:
                    continue
                IndicatorFeedback.objects.update_or_create(
                    alert=alert,
                    code=code,
                    defaults={"verdict": verdict, "actor_ref": actor.ref, "at": at, "note": text[:500]},
                )
            extra["false_positive_codes"] = sorted(fp)
        if verb == Verb.CLOSE:
            alert.close_reason = text
        alert.updated_at = at
        alert.version += 1
        alert.save()
        event = AlertEvent.objects.create(
            alert=alert,
            at=at,
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
            verb=verb.value,
            from_status=before,
            to_status=alert.status,
            reason=text,
            details=_json_safe(extra),
        )
        publish_alert(alert, event)
        act.witness(alert, {"from": before, "to": alert.status, "reason": text, **_json_safe(extra)})
        act.emit(
            f"redflags.alert_{_PAST[verb]}.v1",
            alert,
            {"alert_id": alert.pk, "status": alert.status},
            visibility=Visibility.RESTRICTED,
        )
    return alert


_PAST = {
    Verb.ASSIGN: "assigned",
    Verb.INVESTIGATE: "investigated",
    Verb.CONFIRM: "confirmed",
    Verb.DISMISS: "dismissed",
    Verb.CLOSE: "closed",
}


def do_assign_alert(*, actor: Actor, alert_id: int, assignee: Actor, expected_version: int | None = None) -> Alert:
    """分派: to a regulator over the alert's region (possibly oneself)."""
    return _transition(actor, alert_id, Verb.ASSIGN, expected_version=expected_version, assignee=assignee)


def do_start_investigation(*, actor: Actor, alert_id: int, expected_version: int | None = None) -> Alert:
    """开始核查."""
    return _transition(actor, alert_id, Verb.INVESTIGATE, expected_version=expected_version)


def do_confirm_alert(
    *,
    actor: Actor,
    alert_id: int,
    reason: str,
    false_positive_codes: Sequence[str] = (),
    expected_version: int | None = None,
) -> Alert:
    """确认问题 (with the reason): each of the alert's indicators is recorded as a true positive, except those
    named as false positives."""
    return _transition(
        actor,
        alert_id,
        Verb.CONFIRM,
        reason=reason,
        expected_version=expected_version,
        false_positive_codes=false_positive_codes,
    )


def do_dismiss_alert(
    *,
    actor: Actor,
    alert_id: int,
    reason: str,
    false_positive_codes: Sequence[str] | None = None,
    expected_version: int | None = None,
) -> Alert:
    """排除 (with the reason): the indicators named (default: all of the alert's) are recorded as false positives."""
    return _transition(
        actor,
        alert_id,
        Verb.DISMISS,
        reason=reason,
        expected_version=expected_version,
        false_positive_codes=false_positive_codes,
    )


def do_close_alert(*, actor: Actor, alert_id: int, reason: str, expected_version: int | None = None) -> Alert:
    """办结 (with the reason), after a confirmation or a dismissal."""
    return _transition(actor, alert_id, Verb.CLOSE, reason=reason, expected_version=expected_version)


def assignee_for_username(username: str) -> Actor | None:
    """The actor of an account (to assign an alert to), or None."""
    from yiwang.identity import auth as identity_auth
    from yiwang.identity import queries as identity_queries

    account = identity_queries.find_account(username.strip()) if username and username.strip() else None
    if account is None or not account.is_active:
        return None
    return identity_auth.actor_for_account(account)


# -- live: each new or changed alert on the regulators' private channels ---------------------------------------

ALERT_CHANNEL_KIND = "redflags.region"
_warned_undeclared = False


def alert_channels(region_code: str) -> list[str]:
    """The private live channels an alert of ``region_code`` is published on: its district's, its prefecture's
    and its province's (``redflags.region:310112``, ``…:310100``, ``…:310000``). A regulator watches the
    channel of the region he holds; nobody else may (see :func:`may_watch_alerts`)."""
    code = str(region_code)
    return [f"{ALERT_CHANNEL_KIND}:{c}" for c in dict.fromkeys((code, code[:4] + "00", code[:2] + "0000"))]


def may_watch_alerts(actor: Actor, channel: str) -> bool:
    """The live policy of ``redflags.region``: regulators over the channel's region, nobody else (not auditors,
    staff or market participants)."""
    kind, _, key = channel.partition(":")
    if kind != ALERT_CHANNEL_KIND or not key.isdigit() or len(key) != 6:
        return False
    return actor.is_authenticated and not actor.is_system and actor.covers_region(key, Role.REGULATOR)


def publish_alert(alert: Alert, event: AlertEvent) -> None:
    """Publish the alert's new state (after the action commits) on its regions' channels; the event id is the
    alert event's number, which grows. Needs the ``redflags.region`` live kind (private, log) declared."""
    global _warned_undeclared
    from yiwang.platform.live import config as live_config
    from yiwang.platform.live.publish import publish

    if ALERT_CHANNEL_KIND not in live_config.get().kinds:
        if not _warned_undeclared:
            log.warning("live kind %s is not declared: alerts are not pushed live", ALERT_CHANNEL_KIND)
            _warned_undeclared = True
        return
    data = {
        "alert_id": alert.pk,
        "verb": event.verb,
        "title": alert.title,
        "score": round(alert.score, 4),
        "status": alert.status,
        "status_label": STATUS_LABELS_ZH[Status(alert.status)],
        "region_code": alert.region_code,
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "subject_label": alert.subject_label,
        "ocid": alert.ocid,
        "codes": list(alert.codes),
        "at": event.at.isoformat(),
    }
    for channel in alert_channels(alert.region_code):
        publish(channel, event.pk, data)
