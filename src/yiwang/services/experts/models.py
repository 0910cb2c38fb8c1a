"""Persistence of the expert pool (专家库) and the committee draws (专家抽取).

Employers, avoided firms and related firms are registry entities referred to by id (and USCC), never by name,
so recusal matching is exact. Personal data (identity number, phone) stays on :class:`Expert` and never enters
a witness payload or a feed event.
"""

from __future__ import annotations

from django.db import models

from yiwang.services.experts.domain.performance import ATTENDANCE_LABELS_ZH, Attendance
from yiwang.services.experts.domain.pool import (
    STATUS_LABELS_ZH,
    TITLE_LEVEL_LABELS_ZH,
    ExpertStatus,
    TitleLevel,
)


class Specialty(models.Model):
    """One node of the specialty classification (专业分类), shipped in ``data/specialties.json``."""

    code = models.CharField(max_length=7, primary_key=True)
    name = models.CharField(max_length=100)
    parent_code = models.CharField(max_length=7, blank=True, default="")
    level = models.PositiveSmallIntegerField()
    inferred = models.BooleanField(default=False)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort"]
        verbose_name = "专业分类"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Expert(models.Model):
    name = models.CharField(max_length=50)
    id_number = models.CharField(max_length=18, unique=True)  # 居民身份证号码 (18-character form)
    gender = models.CharField(max_length=6)  # male | female, from the identity number
    birth_date = models.DateField()  # from the identity number
    title = models.CharField(max_length=60)  # 职称, e.g. 高级工程师
    title_level = models.CharField(max_length=16, choices=[(t.value, TITLE_LEVEL_LABELS_ZH[t]) for t in TitleLevel])
    equivalent_level = models.BooleanField(default=False)  # 同等专业水平
    equivalent_note = models.CharField(max_length=300, blank=True, default="")
    education = models.CharField(max_length=30, blank=True, default="")
    kinds = models.JSONField(default=list)  # PoolKind values the expert evaluates
    employer_entity_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # registry entity
    employer_uscc = models.CharField(max_length=18, blank=True, default="", db_index=True)
    employer_name = models.CharField(max_length=200)
    position = models.CharField(max_length=60, blank=True, default="")  # 职务
    region_code = models.CharField(max_length=6, db_index=True)
    practice_since = models.DateField()  # 从事本专业工作起始日期
    phone = models.CharField(max_length=30)
    email = models.CharField(max_length=120, blank=True, default="")
    notify_channels = models.JSONField(default=list)  # in_site | sms | voice
    status = models.CharField(
        max_length=12, choices=[(s.value, STATUS_LABELS_ZH[s]) for s in ExpertStatus], db_index=True
    )
    entered_on = models.DateField()
    exited_on = models.DateField(null=True, blank=True)
    exit_reason = models.CharField(max_length=300, blank=True, default="")
    account_id = models.BigIntegerField(null=True, blank=True, unique=True)  # identity account
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        verbose_name = "评标评审专家"

    def __str__(self) -> str:
        return f"{self.name}（{self.pk}）"


class ExpertSpecialty(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="specialties")
    code = models.CharField(max_length=7)
    is_main = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expert", "code"], name="experts_specialty_once")]
        indexes = [models.Index(fields=["code", "expert"], name="experts_specialty_code_idx")]
        ordering = ["-is_main", "code"]

    def __str__(self) -> str:
        return f"{self.expert_id}:{self.code}"


class StatusChange(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="status_changes")
    action = models.CharField(max_length=20)  # enrol | suspend | reinstate | retire
    from_status = models.CharField(max_length=12, blank=True, default="")
    to_status = models.CharField(max_length=12)
    reason = models.CharField(max_length=300, blank=True, default="")
    changed_at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.action}"


class Unavailability(models.Model):
    """Days the expert declared they cannot evaluate (inclusive, Shanghai dates)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="unavailability")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True, default="")
    declared_at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["end_date", "start_date"], name="experts_unavail_idx")]
        ordering = ["start_date", "pk"]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.start_date}–{self.end_date}"


class TieKind(models.TextChoices):
    RELATIVE = "relative", "近亲属关系（与该单位负责人、法定代表人等）"
    INTEREST = "interest", "经济利益关系"
    FORMER_EMPLOYER = "former_employer", "曾在该单位任职（劳动关系）"
    OFFICER = "officer", "担任该单位董事、监事"
    OWNER = "owner", "该单位控股股东或实际控制人"
    OTHER = "other", "其他利害关系"


class Tie(models.Model):
    """A relationship the expert declared with a firm (申报的利害关系): a recusal ground."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="ties")
    entity_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    uscc = models.CharField(max_length=18, blank=True, default="", db_index=True)
    entity_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=TieKind.choices)
    description = models.CharField(max_length=300, blank=True, default="")
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    declared_at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.expert_id}→{self.entity_name}"


class SanctionKind(models.TextChoices):
    ADMINISTRATIVE = "administrative", "行政处罚"
    CRIMINAL = "criminal", "刑事处罚"
    SUSPENSION = "suspension", "暂停评标（评审）资格"
    POINTS = "points", "不良行为记分"
    OTHER = "other", "其他处理"


class Sanction(models.Model):
    """A sanction from supervision or credit (处理处罚): in force from ``start_date`` to ``end_date``."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=20, choices=SanctionKind.choices)
    authority = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True, default="")  # decision number
    reason = models.CharField(max_length=300)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "pk"]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.kind} {self.start_date}"


class SeedCommitment(models.Model):
    """A server secret committed in the witness log before it seeds a draw (see ``domain/draw.py``)."""

    secret = models.CharField(max_length=64)
    commitment = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"seed {self.pk}"


class DrawStatus(models.TextChoices):
    CONFIRMING = "confirming", "待专家确认"
    CONFIRMED = "confirmed", "已组成"
    SHORT = "short", "人数不足（待补抽）"
    CANCELLED = "cancelled", "已撤销"


class Draw(models.Model):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="supplements")
    project_ref = models.CharField(max_length=100, db_index=True)
    section_ref = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=6)  # the responsible region (staff and regulators over it)
    region_scope = models.JSONField(default=list)
    meeting_start = models.DateTimeField()
    meeting_end = models.DateTimeField()
    venue = models.CharField(max_length=200, blank=True, default="")
    representatives = models.PositiveSmallIntegerField(default=0)
    budget_fen = models.BigIntegerField(null=True, blank=True)
    lines = models.JSONField(default=list)
    avoided_firms = models.JSONField(default=list)
    avoided_experts = models.JSONField(default=list)
    party_entity_ids = models.JSONField(default=list)  # tenderer and agency: they see counts and status
    request = models.JSONField(default=dict)  # the canonical request that was hashed
    request_digest = models.CharField(max_length=64)
    rules = models.JSONField(default=dict)
    commitment = models.OneToOneField(SeedCommitment, on_delete=models.PROTECT, related_name="draw")
    public_seq = models.BigIntegerField()
    public_hash = models.CharField(max_length=64)
    seed = models.CharField(max_length=64)
    candidates = models.JSONField(default=list)
    candidates_digest = models.CharField(max_length=64)
    exclusions = models.JSONField(default=list)
    result = models.JSONField(default=list)
    result_digest = models.CharField(max_length=64)
    seal_salt = models.CharField(max_length=32)
    sealed = models.JSONField(default=list)  # the seat list as sealed: revealed by the "unsealed" entry
    sealed_digest = models.CharField(max_length=64, blank=True, default="")
    confirm_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=DrawStatus.choices, default=DrawStatus.CONFIRMING)
    unsealed_at = models.DateTimeField(null=True, blank=True)
    unsealed_by = models.CharField(max_length=120, blank=True, default="")
    requested_by_ref = models.CharField(max_length=120)
    requested_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["meeting_start"], name="experts_draw_meeting_idx")]
        verbose_name = "专家抽取"

    def __str__(self) -> str:
        return f"抽取 {self.pk} {self.project_ref}"

    @property
    def ref(self) -> str:
        return f"experts.draw:{self.pk}"


class SeatRole(models.TextChoices):
    MEMBER = "member", "抽中专家"
    RESERVE = "reserve", "备选专家"


class SeatStatus(models.TextChoices):
    RESERVE = "reserve", "备选"
    NOTIFIED = "notified", "已通知待确认"
    CONFIRMED = "confirmed", "已确认参加"
    DECLINED = "declined", "拒绝参加"
    NO_ANSWER = "no_answer", "逾期未答复"
    CHECKED_IN = "checked_in", "已签到"
    ABSENT = "absent", "缺席"
    SKIPPED = "skipped", "递补时已不符合条件"
    RELEASED = "released", "未启用"


BOOKING_STATUSES = (SeatStatus.NOTIFIED, SeatStatus.CONFIRMED, SeatStatus.CHECKED_IN)


class Seat(models.Model):
    """One expert in one draw: a member (抽中) or a reserve (备选), and what became of them."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="seats")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="seats")
    line = models.PositiveSmallIntegerField()
    specialty = models.CharField(max_length=7)
    role = models.CharField(max_length=8, choices=SeatRole.choices)
    rank = models.PositiveSmallIntegerField()  # order within the line and role (reserves are called in order)
    status = models.CharField(max_length=12, choices=SeatStatus.choices)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    meeting_start = models.DateTimeField()
    meeting_end = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True, db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True, default="")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["line", "role", "rank", "pk"]
        indexes = [
            models.Index(fields=["status", "meeting_start", "meeting_end"], name="experts_seat_booking_idx"),
            models.Index(fields=["expert", "status"], name="experts_seat_expert_idx"),
        ]

    def __str__(self) -> str:
        return f"seat {self.pk} of draw {self.draw_id}"


class Performance(models.Model):
    """How an expert did on one assignment (专家评价)."""

    seat = models.OneToOneField(Seat, on_delete=models.CASCADE, related_name="performance")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="performance")
    attendance = models.CharField(max_length=10, choices=[(a.value, ATTENDANCE_LABELS_ZH[a]) for a in Attendance])
    evaluation_minutes = models.PositiveIntegerField(null=True, blank=True)
    score_deviation = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    complaints = models.PositiveIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True, default="")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-recorded_at", "pk"]

    def __str__(self) -> str:
        return f"performance of seat {self.seat_id}"


class Delivery(models.Model):
    """What was handed to an SMS or voice adapter, and what it answered (delivery bookkeeping)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="deliveries")
    seat = models.ForeignKey(Seat, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    channel = models.CharField(max_length=10)
    body = models.TextField()
    status = models.CharField(max_length=10, default="queued")  # queued | sent | failed
    provider_ref = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk}"
