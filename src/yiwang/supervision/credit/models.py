"""Tables of the credit context (信用). Other contexts read them through ``queries`` and ``gates`` only."""

from __future__ import annotations

from django.db import models

from yiwang.supervision.credit.domain.records import KIND_LABELS, SOURCE_LABELS, STATUS_LABELS, Kind, Source, Status


class CreditRecord(models.Model):
    """One record about a market entity, entered by a regulator or trading-centre staff (or taken from an
    external credit platform or a complaint decision). ``confined_actions`` are the restricted actions in force
    from ``starts_on`` to ``ends_on`` (inclusive; None = open-ended)."""

    entity_id = models.PositiveBigIntegerField(db_index=True)  # registry entity
    subject_code = models.CharField(max_length=32, blank=True)  # its USCC when recorded
    subject_name = models.CharField(max_length=200)  # its name when recorded
    kind = models.CharField(max_length=20, choices=list(KIND_LABELS.items()))
    severity = models.CharField(max_length=10, blank=True)
    level = models.CharField(max_length=12, blank=True)  # performance level
    title = models.CharField(max_length=200)  # 事由摘要
    facts = models.TextField()  # 违法违规事实 / 表彰事由
    decision_number = models.CharField(max_length=100, blank=True)  # 决定文书号
    authority = models.CharField(max_length=200)  # 决定（认定）机关
    basis = models.CharField(max_length=300)  # 依据（法规名称及条款）
    source = models.CharField(max_length=20, choices=list(SOURCE_LABELS.items()), default=Source.REGULATOR)
    source_ref = models.CharField(max_length=200, blank=True)  # external case number, complaint number …
    decided_on = models.DateField()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    confined_actions = models.JSONField(default=list)
    region_code = models.CharField(max_length=12, db_index=True)  # the recording authority's region
    public_until = models.DateField(null=True, blank=True)  # end of publication (exclusive)
    repairable_from = models.DateField(null=True, blank=True)  # the shortest publication period ends
    publication_rules = models.JSONField(default=dict)  # the catalogue rules the two dates came from
    status = models.CharField(max_length=10, choices=list(STATUS_LABELS.items()), default=Status.ACTIVE)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.CharField(max_length=120, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-decided_on", "-pk"]
        indexes = [models.Index(fields=["entity_id", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.subject_name} {KIND_LABELS.get(self.kind, self.kind)} {self.title}"

    @property
    def is_list(self) -> bool:
        return self.kind in (Kind.BLACKLIST, Kind.REDLIST)


class RepairRequest(models.Model):
    """信用修复申请: the entity asks that a published record stop being published early; a regulator decides."""

    PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
    STATUSES = {PENDING: "待审核", APPROVED: "已同意修复", REJECTED: "不予修复"}

    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="repairs")
    entity_id = models.PositiveBigIntegerField(db_index=True)
    region_code = models.CharField(max_length=12, db_index=True)
    reason = models.TextField()  # 纠正失信行为、履行法定义务的情况
    commitment = models.TextField()  # 信用承诺
    status = models.CharField(max_length=10, choices=list(STATUSES.items()), default=PENDING)
    filed_at = models.DateTimeField()
    filed_by = models.CharField(max_length=120)
    due_at = models.DateTimeField()  # the review time limit (exclusive end)
    due_rule = models.JSONField(default=dict)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=120, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_late = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=models.Q(status="pending"), name="credit_one_pending_repair"
            )
        ]

    def __str__(self) -> str:
        return f"信用修复申请 {self.pk}（记录 {self.record_id}）"


class CreditCheck(models.Model):
    """What the external credit platforms answered about an entity at a check point (kept as evidence)."""

    entity_id = models.PositiveBigIntegerField(db_index=True)
    subject_code = models.CharField(max_length=32)
    subject_name = models.CharField(max_length=200)
    checkpoint = models.CharField(max_length=60)  # manual | registration | tender.bid_deadline …
    owner_ref = models.CharField(max_length=120, blank=True)  # what the check was made for (tender.section:12)
    checked_at = models.DateTimeField()
    checked_by = models.CharField(max_length=120)
    answers = models.JSONField(default=list)  # per platform: code, name, status, reference, hits
    hit_count = models.PositiveIntegerField(default=0)
    unavailable = models.PositiveIntegerField(default=0)  # platforms that could not answer
    digest = models.CharField(max_length=64)  # SHA-256 of the canonical answers

    class Meta:
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"外部信用核查 {self.pk}（{self.subject_name}）"
