"""Persistence of the red-flag engine: runs (snapshot × indicators × parameters, with the digest of the input),
their findings, and alerts with their findings, history and per-indicator verdicts.

Alerts are generic on purpose: other supervision contexts (credit, complaints, statistics) raise theirs through
``actions.do_raise_alert`` with their own ``source`` and indicator codes, and share the workflow and the pages."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from yiwang.supervision.redflags.domain.registry import UNIT_LABELS_ZH, Unit
from yiwang.supervision.redflags.domain.workflow import STATUS_LABELS_ZH, Status


class RunSource(models.TextChoices):
    OCDS = "ocds", "OCDS 文件导入"
    PLATFORM = "platform", "平台交易数据"
    FRAMES = "frames", "给定快照"


class Run(models.Model):
    """One screening run: a snapshot, the indicators chosen and their parameters, and what they found."""

    source = models.CharField(max_length=12, choices=RunSource.choices)
    label = models.CharField(max_length=255, blank=True, default="")
    region_code = models.CharField(max_length=6)  # the run's scope: who may see it
    input_digest = models.CharField(max_length=64)  # SHA-256 of the OCDS file, or of the canonical snapshot
    input_bytes = models.BigIntegerField(default=0)
    frame_counts = models.JSONField(default=dict)
    indicator_codes = models.JSONField(default=list)
    parameters = models.JSONField(default=dict)  # code → resolved parameters (defaults + overrides)
    ingest = models.JSONField(default=dict)  # the OCDS ingestion report (malformed lines with their numbers)
    summary = models.JSONField(default=dict)  # code → population, flagged, not computable, meta, seconds …
    findings_count = models.PositiveIntegerField(default=0)
    alerts_raised = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    min_alert_score = models.FloatField(default=0.5)
    seconds_ingest = models.FloatField(default=0.0)
    seconds_compute = models.FloatField(default=0.0)
    notes = models.JSONField(default=list)
    started_by = models.CharField(max_length=120)
    started_by_label = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "预警筛查批次"
        indexes = [models.Index(fields=["region_code", "started_at"], name="redflags_run_region_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_source_display()} {self.label}"


class RunFinding(models.Model):
    """A flagged unit in a run (Cardinal's "results"), with its evidence."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=40)
    unit = models.CharField(max_length=20, choices=[(u.value, UNIT_LABELS_ZH[u]) for u in Unit])
    unit_id = models.CharField(max_length=300)
    value = models.FloatField(null=True, blank=True)
    primary = models.BooleanField(default=True)
    severity = models.FloatField(default=1.0)
    ocid = models.CharField(max_length=200, blank=True, default="")
    region_code = models.CharField(max_length=6, blank=True, default="")
    evidence = models.JSONField(default=dict)
    related = models.JSONField(default=list)

    class Meta:
        ordering = ["run", "code", "unit", "unit_id", "pk"]
        indexes = [
            models.Index(fields=["run", "code"], name="redflags_finding_code_idx"),
            models.Index(fields=["run", "unit", "unit_id"], name="redflags_finding_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.unit}:{self.unit_id}"


class Alert(models.Model):
    """预警: a subject (a section, a bidder, a pair, an expert …) flagged strongly enough to be looked at, with
    its findings, a combined score, its region, and its workflow. Never shown to market participants."""

    key = models.CharField(max_length=400)  # "<unit>:<id>" (red flags) or "<source>:…" (other contexts)
    source = models.CharField(max_length=40, default="redflags")
    subject_type = models.CharField(max_length=20)
    subject_id = models.CharField(max_length=300)
    subject_label = models.CharField(max_length=300, blank=True, default="")
    ocid = models.CharField(max_length=200, blank=True, default="")
    region_code = models.CharField(max_length=6)
    title = models.CharField(max_length=300)
    score = models.FloatField()
    codes = models.JSONField(default=list)
    related = models.JSONField(default=list)  # [[unit, id, label], …]
    evidence_digest = models.CharField(max_length=64)  # of the findings last raised (a rerun with the same is no news)
    status = models.CharField(
        max_length=14, choices=[(s.value, STATUS_LABELS_ZH[s]) for s in Status], default=Status.NEW
    )
    assignee_ref = models.CharField(max_length=120, blank=True, default="")
    assignee_label = models.CharField(max_length=200, blank=True, default="")
    decision_reason = models.TextField(blank=True, default="")
    close_reason = models.TextField(blank=True, default="")
    first_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-score", "-created_at", "-pk"]
        verbose_name = "预警"
        constraints = [
            # one open (not closed) alert per subject
            models.UniqueConstraint(fields=["key"], condition=~Q(status="closed"), name="redflags_alert_one_open"),
        ]
        indexes = [
            models.Index(fields=["region_code", "status"], name="redflags_alert_region_idx"),
            models.Index(fields=["key"], name="redflags_alert_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.score:.2f})"


class AlertFinding(models.Model):
    """What an alert rests on: each indicator's finding with its numbers and record ids."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="findings")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(max_length=40)
    value = models.FloatField(null=True, blank=True)
    severity = models.FloatField(default=1.0)
    contribution = models.FloatField(default=0.0)  # weight × feedback factor × severity
    evidence = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["alert", "-contribution", "code", "pk"]

    def __str__(self) -> str:
        return f"{self.code} on alert {self.alert_id}"


class AlertEvent(models.Model):
    """The alert's history (each transition is also in the witness log)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200, blank=True, default="")
    verb = models.CharField(
        max_length=20
    )  # raised | updated | assign | investigate | confirm | dismiss | close | feedback
    from_status = models.CharField(max_length=14, blank=True, default="")
    to_status = models.CharField(max_length=14, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["alert", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.verb} {self.from_status}→{self.to_status}"


class Verdict(models.TextChoices):
    TRUE_POSITIVE = "true_positive", "属实"
    FALSE_POSITIVE = "false_positive", "误报"


class IndicatorFeedback(models.Model):
    """A regulator's verdict on one indicator of one alert: the false-positive record per indicator."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="feedback")
    code = models.CharField(max_length=40)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    note = models.CharField(max_length=500, blank=True, default="")
    actor_ref = models.CharField(max_length=120)
    at = models.DateTimeField()

    class Meta:
        ordering = ["code", "at", "pk"]
        constraints = [models.UniqueConstraint(fields=["alert", "code"], name="redflags_feedback_once")]
        indexes = [models.Index(fields=["code", "verdict"], name="redflags_feedback_code_idx")]

    def __str__(self) -> str:
        return f"{self.code}: {self.verdict}"
