"""Persistence of the tender context. Only this context's actions write these rows; others read through queries.

Aggregates: a :class:`Project` (招标项目) with its :class:`Section` rows (标段/包, each with its own state and
``next_check``); documents and their downloads; questions and clarifications; objections (their own aggregate);
the evaluation hand-over and its result; candidates; the award; the contract and performance records; flags for
supervision. Bids live in the bid box (``services.bidbox``), keyed by the section's owner reference.
"""

from __future__ import annotations

from django.db import models

from yiwang.trading.tender.domain.states import P, S


class _Row(models.Model):
    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"


class Counter(_Row):
    """Serial numbers (project codes per letter/region/year, tender projects per project, deal codes per day)."""

    name = models.CharField(max_length=100, unique=True)
    value = models.BigIntegerField(default=0)


class Plan(_Row):
    """招标计划 / 采购意向: published ahead of the procedure."""

    category = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    region_code = models.CharField(max_length=6)
    entity_id = models.BigIntegerField()  # the tenderer or purchaser
    agency_entity_id = models.BigIntegerField(null=True, blank=True)
    estimate_fen = models.BigIntegerField(null=True, blank=True)
    expected_time = models.CharField(max_length=50)
    body = models.TextField(blank=True)
    notice_id = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField()
    created_by = models.CharField(max_length=120)
    is_test_data = models.BooleanField(default=False)


class Project(_Row):
    """招标项目 / 采购项目 (TENDER_PROJECT / PURCHASE_PROJECT)."""

    project_code = models.CharField(max_length=17, db_index=True)
    tender_project_code = models.CharField(max_length=20, unique=True)
    deal_code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=600)
    procedure = models.CharField(max_length=40)
    procedure_config = models.JSONField()
    procedure_version = models.IntegerField()
    rules = models.JSONField()
    rules_version = models.IntegerField(null=True)
    category = models.CharField(max_length=20)
    subject = models.CharField(max_length=20)
    trading_item = models.CharField(max_length=60)
    region_code = models.CharField(max_length=6, db_index=True)
    tenderer_entity_id = models.BigIntegerField(db_index=True)
    agency_entity_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=20, default=P.PREPARED, db_index=True)
    content = models.TextField(blank=True)
    fund_source = models.CharField(max_length=200, blank=True)
    approval_number = models.CharField(max_length=100, blank=True)
    contact_name = models.CharField(max_length=50, blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    opening_address = models.CharField(max_length=200, blank=True)
    opening_room_id = models.BigIntegerField(null=True, blank=True)  # venues room for the opening
    evaluation_room_id = models.BigIntegerField(null=True, blank=True)  # venues room for the evaluation
    opening_key_id = models.BigIntegerField(null=True, blank=True)  # the bid box's opening key (ceremony)
    bid_validity_days = models.IntegerField(default=90)
    state_funded = models.BooleanField(default=False)  # 国有资金占控股或者主导地位: the first candidate must win
    is_test_data = models.BooleanField(default=False)
    acceleration = models.IntegerField(default=1)
    notice_id = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=120)
    updated_at = models.DateTimeField()
    version = models.IntegerField(default=1)

    class Meta:
        ordering = ("-created_at", "-pk")


class Section(_Row):
    """标段（包）: the unit that is bid, opened, evaluated, awarded and contracted."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="sections")
    number = models.SmallIntegerField()
    code = models.CharField(max_length=23, unique=True)
    deal_code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    content = models.TextField(blank=True)
    estimate_fen = models.BigIntegerField()  # 合同估算价 / 预算金额
    ceiling_fen = models.BigIntegerField(null=True, blank=True)  # 最高投标限价
    deposit_fen = models.BigIntegerField(default=0)
    duration_text = models.CharField(max_length=100, blank=True)  # 工期 / 交货期
    qualification_text = models.TextField(blank=True)
    required_qualifications = models.JSONField(default=list)  # [{"type": ..., "level": ...}] checked at submission
    evaluation_method = models.CharField(max_length=40)
    evaluation_config = models.JSONField(default=dict)
    round = models.SmallIntegerField(default=1)  # 招标次数 (BID_ECTION_NUM)
    pq_round = models.SmallIntegerField(default=1)
    status = models.CharField(max_length=20, default=S.DRAFT, db_index=True)
    next_check = models.DateTimeField(null=True, blank=True, db_index=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=300, blank=True)
    frozen_remaining_seconds = models.BigIntegerField(null=True, blank=True)
    # 责令暂停: the reference of a regulator's order in force (e.g. ``supervision.complaints:12``); while it is set,
    # answering objections does not resume the section, only lifting the order does
    suspension_order = models.CharField(max_length=120, blank=True)
    # the current round
    documents_issued_at = models.DateTimeField(null=True, blank=True)
    doc_get_start = models.DateTimeField(null=True, blank=True)
    doc_get_end = models.DateTimeField(null=True, blank=True)
    pq_deadline = models.DateTimeField(null=True, blank=True)
    bid_deadline = models.DateTimeField(null=True, blank=True)
    opening_at = models.DateTimeField(null=True, blank=True)
    box_id = models.BigIntegerField(null=True, blank=True)
    box_deadline = models.DateTimeField(null=True, blank=True)
    lot_ref = models.CharField(max_length=120, blank=True)
    opening_started_at = models.DateTimeField(null=True, blank=True)
    decryption_ends_at = models.DateTimeField(null=True, blank=True)
    opening_closed_at = models.DateTimeField(null=True, blank=True)
    opening_booking_id = models.BigIntegerField(null=True, blank=True)
    evaluation_booking_id = models.BigIntegerField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    evaluation_poll_at = models.DateTimeField(null=True, blank=True)
    report_received_at = models.DateTimeField(null=True, blank=True)
    candidates_due = models.DateTimeField(null=True, blank=True)
    publicity_start = models.DateTimeField(null=True, blank=True)
    publicity_end = models.DateTimeField(null=True, blank=True)
    award_due = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    contract_due = models.DateTimeField(null=True, blank=True)
    contract_signed_at = models.DateTimeField(null=True, blank=True)
    contract_publication_due = models.DateTimeField(null=True, blank=True)
    contract_published_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    version = models.IntegerField(default=1)

    class Meta:
        ordering = ("project_id", "number")
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="tender_section_number_unique")]


class SectionEvent(_Row):
    """The section's timeline (what happened, in people's words); public entries are shown on the project page."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="events")
    round = models.SmallIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    public = models.BooleanField(default=True)
    notice_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("at", "pk")


class Invitee(_Row):
    """An entity allowed to take part in a section's round: invited (邀请招标) or pre-qualified (资格预审合格)."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="invitees")
    round = models.SmallIntegerField()
    entity_id = models.BigIntegerField()
    source = models.CharField(max_length=20)  # invited | prequalified
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "round", "entity_id"], name="tender_invitee_unique"),
        ]


class PqApplication(_Row):
    """资格预审申请."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="pq_applications")
    pq_round = models.SmallIntegerField()
    entity_id = models.BigIntegerField()
    actor_ref = models.CharField(max_length=120)
    note = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="submitted")  # submitted | qualified | rejected
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "pq_round", "entity_id"], name="tender_pq_application_unique"),
        ]


class TenderDocument(_Row):
    """A document of the procedure kept in the document store (owner ``tender.project/<project id>``): tender
    and PQ documents, clarifications, the evaluation report, award letters, contracts."""

    KINDS = {
        "tender_documents": "招标文件",
        "pq_documents": "资格预审文件",
        "clarification": "澄清/修改文件",
        "evaluation_report": "评标报告",
        "award_letter": "中标通知书",
        "contract": "合同",
        "performance": "履约资料",
        "other": "其他",
    }

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="documents")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    round = models.SmallIntegerField(default=1)
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    document_id = models.UUIDField()
    version_number = models.IntegerField()
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    sm3 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.CharField(max_length=120)
    issued_at = models.DateTimeField(null=True, blank=True)  # made available to bidders (with the notice)
    public = models.BooleanField(default=False)
    signature_record_id = models.BigIntegerField(null=True, blank=True)  # identity.ca signature of the issuer
    signer_entity_id = models.BigIntegerField(null=True, blank=True)
    platform_signature = models.TextField(blank=True)  # base64, over b"yiwang.tender.document.v1\0" + sha256
    platform_key_id = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ("uploaded_at", "pk")


class DocumentDownload(_Row):
    """Who fetched a tender document (获取招标文件). Secret before the opening: counts only, even for staff."""

    document = models.ForeignKey(TenderDocument, on_delete=models.PROTECT, related_name="downloads")
    entity_id = models.BigIntegerField(null=True, blank=True)
    actor_ref = models.CharField(max_length=120)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["document", "entity_id"], name="tender_download_doc_entity")]


class Question(_Row):
    """A bidder's question about the documents (answered by a clarification, without the asker's name)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="questions")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.PROTECT)
    entity_id = models.BigIntegerField()
    actor_ref = models.CharField(max_length=120)
    text = models.TextField()
    asked_at = models.DateTimeField()
    clarification = models.ForeignKey("Clarification", null=True, blank=True, on_delete=models.PROTECT)
    answered_at = models.DateTimeField(null=True, blank=True)


class Clarification(_Row):
    """澄清/修改: published as a notice; one that affects the bids issued too late postpones the deadline."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="clarifications")
    number = models.IntegerField()
    section_ids = models.JSONField(default=list)
    text = models.TextField()
    affects_bids = models.BooleanField(default=True)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=120)
    postponed = models.BooleanField(default=False)
    old_deadline = models.DateTimeField(null=True, blank=True)
    new_deadline = models.DateTimeField(null=True, blank=True)
    rule_id = models.CharField(max_length=80, blank=True)
    notice_id = models.BigIntegerField(null=True, blank=True)
    document = models.ForeignKey(TenderDocument, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="tender_clarification_number")]


class Objection(_Row):
    """异议 (tender) / 质疑 (GP): about the documents, the opening or the results. Its own aggregate."""

    KINDS = {
        "documents": "对招标文件的异议",
        "pq_documents": "对资格预审文件的异议",
        "opening": "对开标的异议",
        "results": "对评标结果的异议",
        "challenge": "质疑",
    }

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="objections")
    round = models.SmallIntegerField()
    kind = models.CharField(max_length=20)
    entity_id = models.BigIntegerField()
    actor_ref = models.CharField(max_length=120)
    text = models.TextField()
    raised_at = models.DateTimeField()
    answer_due = models.DateTimeField(null=True, blank=True)
    rule_id = models.CharField(max_length=80, blank=True)
    suspends = models.BooleanField(default=False)
    status = models.CharField(max_length=20, default="pending")  # pending | answered
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ("raised_at", "pk")


class EvaluationRecord(_Row):
    """The hand-over of a section's round to the evaluation, and what came back."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="evaluations")
    round = models.SmallIntegerField()
    ref = models.CharField(max_length=120)  # tender.section:<id> (round 1) | tender.section:<id>-r<n>
    gateway = models.CharField(max_length=20)  # app | recorded
    evaluation_id = models.CharField(max_length=80, blank=True)  # the evaluation app's own id
    started_at = models.DateTimeField()
    config = models.JSONField()
    bids = models.JSONField()  # the valid bids handed over
    excluded = models.JSONField(default=list)  # bids refused at hand-over (deposit, credit) with reasons
    status = models.CharField(max_length=20, default="in_progress")  # in_progress | completed | failed
    completed_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(TenderDocument, null=True, blank=True, on_delete=models.PROTECT)
    report_sha256 = models.CharField(max_length=64, blank=True)
    report_data = models.JSONField(default=dict)
    failure_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["section", "round"], name="tender_evaluation_per_round")]


class Candidate(_Row):
    """中标候选人 (≤ 3, ranked) of a section's round."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="candidates")
    round = models.SmallIntegerField()
    rank = models.SmallIntegerField()
    entity_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    uscc = models.CharField(max_length=18, blank=True)
    price_fen = models.BigIntegerField()
    score = models.CharField(max_length=50, blank=True)
    note = models.CharField(max_length=300, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("round", "rank")
        constraints = [models.UniqueConstraint(fields=["section", "round", "rank"], name="tender_candidate_rank")]


class Award(_Row):
    """定标: the winner, the award letter (中标通知书) and the award notice."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="awards")
    round = models.SmallIntegerField()
    entity_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    uscc = models.CharField(max_length=18, blank=True)
    price_fen = models.BigIntegerField()
    letter = models.ForeignKey(TenderDocument, on_delete=models.PROTECT)
    letter_number = models.CharField(max_length=40, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=120)
    contract_due = models.DateTimeField()
    notice_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, default="issued")  # issued | contracted | declined


class Contract(_Row):
    """The written contract (合同) of an award, published as a notice."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="contracts")
    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="contract")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=50, blank=True)
    amount_fen = models.BigIntegerField()
    performance_security_fen = models.BigIntegerField(default=0)
    signed_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=120)
    document = models.ForeignKey(TenderDocument, null=True, blank=True, on_delete=models.PROTECT)
    late = models.BooleanField(default=False)
    publication_due = models.DateTimeField(null=True, blank=True)
    notice_id = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)


class Performance(_Row):
    """履约 records: progress, acceptance (验收), payment, defects; a final one completes the section."""

    KINDS = {"progress": "履约进度", "acceptance": "验收", "payment": "支付", "defect": "质量问题", "other": "其他"}

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="performance")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="performance")
    kind = models.CharField(max_length=20)
    text = models.TextField()
    at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=120)
    final = models.BooleanField(default=False)
    notice_id = models.BigIntegerField(null=True, blank=True)


class Flag(_Row):
    """监管提示: an act that was due and did not happen in time (never silently allowed), for supervision."""

    KINDS = {
        "objection_answer_late": "异议（质疑）未在期限内答复",
        "candidates_late": "未在期限内公示中标候选人",
        "award_late": "未在期限内确定中标（成交）人并公告",
        "contract_late": "未在期限内订立书面合同",
        "contract_publication_late": "未在期限内公告合同",
        "bid_excluded": "投标在移交评标时被排除",
        "evaluation_not_started": "评标系统未能组织评标",
        "suspension_deadline_missed": "暂停期间投标箱截止时间未能顺延（时钟停止），须终止后重新招标",
    }

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="flags")
    round = models.SmallIntegerField()
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=60, default="")
    rule_id = models.CharField(max_length=80, blank=True)
    rule_source = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "round", "kind", "key"], name="tender_flag_once"),
        ]
