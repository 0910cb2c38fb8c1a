"""Evaluation (评标) rows: one evaluation per section, its bids, committee members, sheets, clarifications and
outlier records. Other contexts read them through ``queries`` only."""

from __future__ import annotations

from django.db import models

from yiwang.trading.tender.evaluation.domain.states import Outcome, Status


class Evaluation(models.Model):
    section_ref = models.CharField(max_length=100, unique=True)  # tender.section:<id>
    project_ref = models.CharField(max_length=100)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20)
    method = models.CharField(max_length=30)
    regime = models.CharField(max_length=10)
    region_code = models.CharField(max_length=6)
    config = models.JSONField()  # EvaluationConfig.as_json()
    rules = models.JSONField()  # EvaluationRules.as_json(): the legal numbers applied, with ids and sources
    committee_request = models.JSONField()
    tenderer_entity_id = models.IntegerField(null=True, blank=True)
    agency_entity_id = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, default=Status.FORMING)
    outcome = models.CharField(max_length=30, default=Outcome.NONE, blank=True)
    draw_id = models.IntegerField(null=True, blank=True)
    booking_id = models.IntegerField(null=True, blank=True)
    meeting_start = models.DateTimeField()
    meeting_end = models.DateTimeField()
    convened_at = models.DateTimeField(null=True, blank=True)
    chair_member_id = models.IntegerField(null=True, blank=True)
    stage_log = models.JSONField(default=list)  # [{stage, closed_at, by, summary}]
    screen = models.JSONField(null=True, blank=True)  # the abnormally-low screen
    collusion = models.JSONField(default=list)  # shared indicator groups (data for supervision)
    pivotal = models.JSONField(default=list)  # member labels without whom the first rank changes
    extension_due_at = models.DateTimeField(null=True, blank=True)
    extended_until = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=300, blank=True)
    report = models.JSONField(null=True, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    report_sm3 = models.CharField(max_length=64, blank=True)
    report_generated_at = models.DateTimeField(null=True, blank=True)
    report_json_document = models.UUIDField(null=True, blank=True)
    report_pdf_document = models.UUIDField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    names_public_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by_ref = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["region_code", "status"]), models.Index(fields=["draw_id"])]

    def __str__(self) -> str:
        return f"评标 {self.section_ref}"


class BidStatus(models.TextChoices):
    IN = "in", "有效"
    REJECTED = "rejected", "否决"


class Bid(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="bids")
    seq = models.PositiveIntegerField()
    entity_id = models.IntegerField()
    name = models.CharField(max_length=200)
    uscc = models.CharField(max_length=18, blank=True)
    pseudonym = models.CharField(max_length=40)
    price_fen = models.BigIntegerField()  # as opened
    offered_price_fen = models.BigIntegerField()  # after correction or final quote
    evaluated_price_fen = models.BigIntegerField()  # for ranking (lowest_evaluated: with adjustments)
    price_changes = models.JSONField(default=list)
    brand = models.CharField(max_length=100, blank=True)
    qualification = models.JSONField(default=dict)
    documents = models.JSONField(default=list)
    signals = models.JSONField(default=dict)
    consortium = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=BidStatus.choices, default=BidStatus.IN)
    rejected_stage = models.CharField(max_length=20, blank=True)
    review = models.JSONField(default=dict)  # stage → committee decision
    abnormally_low = models.BooleanField(default=False)
    scores = models.JSONField(null=True, blank=True)  # BidScore.as_json()
    total = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    tie_unresolved = models.BooleanField(default=False)
    brand_excluded = models.BooleanField(default=False)
    candidate_rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "seq"], name="evaluation_bid_seq"),
            models.UniqueConstraint(fields=["evaluation", "entity_id"], name="evaluation_bid_entity"),
        ]
        ordering = ["evaluation", "seq"]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.name}"


class MemberKind(models.TextChoices):
    EXPERT = "expert", "评审专家"
    REPRESENTATIVE = "representative", "招标人（采购人）代表"


class Member(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="members")
    ordinal = models.PositiveIntegerField()  # 评委 N
    kind = models.CharField(max_length=20, choices=MemberKind.choices)
    seat_id = models.IntegerField(null=True, blank=True)  # experts.seat
    expert_id = models.IntegerField(null=True, blank=True)
    account_id = models.IntegerField(null=True, blank=True)
    name = models.CharField(max_length=50)
    role = models.CharField(max_length=20, default="general")
    specialty = models.CharField(max_length=7, blank=True)
    entity_id = models.IntegerField(null=True, blank=True)  # representatives: the tenderer or purchaser
    checked_in_at = models.DateTimeField(null=True, blank=True)
    time_short_at = models.DateTimeField(null=True, blank=True)
    time_short_reason = models.CharField(max_length=300, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature_record_id = models.IntegerField(null=True, blank=True)
    signature_serial = models.CharField(max_length=64, blank=True)
    dissent = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "ordinal"], name="evaluation_member_ordinal"),
            models.UniqueConstraint(fields=["evaluation", "account_id"], name="evaluation_member_account"),
        ]
        ordering = ["evaluation", "ordinal"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"评委{self.ordinal}"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", "填写中"
    SUBMITTED = "submitted", "已提交"


class Sheet(models.Model):
    """A member's review sheet (qualification, compliance) or score sheet (scoring)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="sheets")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="sheets")
    stage = models.CharField(max_length=20)
    content = models.JSONField(default=dict)
    comments = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=SheetStatus.choices, default=SheetStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned = models.JSONField(default=list)  # [{at, reason}] — the chair returned it for correction
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "stage"], name="evaluation_sheet_member_stage")]
        ordering = ["evaluation", "stage", "member__ordinal"]

    def __str__(self) -> str:
        return f"{self.stage} {self.member_id}"


class ClarificationStatus(models.TextChoices):
    TO_ISSUE = "to_issue", "待发出"
    ISSUED = "issued", "待答复"
    ANSWERED = "answered", "已答复"
    DECIDED = "decided", "已认定"


class Clarification(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="clarifications")
    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="clarification")
    status = models.CharField(max_length=10, choices=ClarificationStatus.choices, default=ClarificationStatus.TO_ISSUE)
    basis = models.JSONField(default=dict)
    question = models.TextField(blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by_ref = models.CharField(max_length=100, blank=True)
    accepted = models.BooleanField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"澄清 {self.bid_id}"


class Outlier(models.Model):
    """A member's item score far from the others' (recorded for supervision when scoring closes)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="outliers")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="outliers")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="outliers")
    item = models.CharField(max_length=40)
    score = models.CharField(max_length=20)
    reference = models.CharField(max_length=20)
    deviation = models.CharField(max_length=20)
    methods = models.JSONField(default=list)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["evaluation", "bid__seq", "item", "member__ordinal"]

    def __str__(self) -> str:
        return f"{self.item} {self.member_id}"
