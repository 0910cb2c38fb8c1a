"""Tables of the complaints context (投诉). Other contexts read them through ``queries`` only."""

from __future__ import annotations

from django.db import models

from yiwang.supervision.complaints.domain.rules import MATTER_LABELS, STATUS_LABELS, TRACK_LABELS, Status


class Complaint(models.Model):
    """One complaint to the regulator, with its legal time limits computed when they start (and the catalogue
    rules they came from in ``rules``)."""

    track = models.CharField(max_length=10, choices=list(TRACK_LABELS.items()))
    matter = models.CharField(max_length=12, choices=list(MATTER_LABELS.items()))
    complainant_entity_id = models.PositiveBigIntegerField(db_index=True)
    complainant_name = models.CharField(max_length=200)
    respondent = models.CharField(max_length=200)  # 被投诉人
    procedure_ref = models.CharField(max_length=120, db_index=True)  # e.g. tender.section:12
    procedure_title = models.CharField(max_length=300)
    region_code = models.CharField(max_length=12, db_index=True)  # the regulator's region
    facts = models.TextField()  # 投诉事项及事实依据
    claims = models.TextField()  # 投诉请求
    anchor_on = models.DateField()  # works: 知道或应当知道之日; gp: 质疑答复期满（或答复）之日
    objection_ref = models.CharField(max_length=120, blank=True)
    objection_raised_on = models.DateField(null=True, blank=True)
    objection_answered_on = models.DateField(null=True, blank=True)
    filed_at = models.DateTimeField()
    filed_by = models.CharField(max_length=120)
    filing_deadline = models.DateTimeField()
    status = models.CharField(max_length=14, choices=list(STATUS_LABELS.items()), default=Status.FILED)
    acceptance_due = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_late = models.BooleanField(default=False)
    decision_due = models.DateTimeField(null=True, blank=True)
    rules = models.JSONField(default=dict)  # rule id → catalogue value used
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_until = models.DateTimeField(null=True, blank=True)  # the legal cap, if any
    suspensions = models.JSONField(default=list)  # [{from, to, reason}]
    # The decision clock stopped for testing, appraisal or an expert review (条例 Art.61; 94号令 Art.28).
    clock_paused_at = models.DateTimeField(null=True, blank=True)
    clock_pause_kind = models.CharField(max_length=16, blank=True)
    clock_pauses = models.JSONField(default=list)  # [{from, to, kind, basis, reason, excluded}]
    excluded_units = models.PositiveIntegerField(default=0)  # days/working days left out of the decision period
    outcome = models.CharField(max_length=12, blank=True)
    decision_text = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=120, blank=True)
    decided_late = models.BooleanField(default=False)
    closing_reason = models.TextField(blank=True)  # 不予受理 / 撤回 reasons
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        indexes = [models.Index(fields=["status", "acceptance_due"]), models.Index(fields=["status", "decision_due"])]

    def __str__(self) -> str:
        return f"投诉 {self.pk}：{self.procedure_title}"
