"""Persistence of the bid box. What is *not* here matters as much as what is: no private key, no share after use,
no content key, no plaintext (decrypted bids go to the document store only after the opening)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from yiwang.services.bidbox.domain.rules import (
    BOX_STATE_LABELS,
    OPENING_STATUS_LABELS,
    OUTCOME_LABELS,
    SUBMISSION_STATUS_LABELS,
    BoxState,
    DecryptPath,
    FallbackPolicy,
    Fault,
    OpeningStatus,
    Outcome,
    SubmissionStatus,
)


def _choices(enum: type, labels: dict) -> list[tuple[str, str]]:
    return [(member.value, labels.get(member, member.value) or "—") for member in enum]


class OpeningKey(models.Model):
    """The public half of an opening key made by a key ceremony (开标密钥). The private half exists only as the
    custodians' shares, handed out once and never stored."""

    key_id = models.CharField(max_length=80, unique=True)  # "sm3:" + SM3 of the SubjectPublicKeyInfo DER
    algorithm = models.CharField(max_length=16)  # sm2 | ec-p256
    public_key_der = models.BinaryField()
    threshold = models.PositiveSmallIntegerField()  # k
    total = models.PositiveSmallIntegerField()  # n
    custodians = models.JSONField(default=list)  # [{"index": 1, "name": "…"}, …] — names only
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=120)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "开标密钥（公钥）"

    def __str__(self) -> str:
        return f"{self.key_id[:20]}… ({self.threshold}/{self.total})"


class Box(models.Model):
    """One sealed-submission box, owned by a caller's object (a tender section, an auction lot …)."""

    owner_context = models.CharField(max_length=60)
    owner_ref = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    project_code = models.CharField(max_length=128)  # what envelopes must name in meta.project_code
    section_code = models.CharField(max_length=128)  # … and in meta.section_code
    region = models.CharField(max_length=6, blank=True)
    deadline = models.DateTimeField()
    opening_at = models.DateTimeField()
    opening_rule = models.JSONField(default=dict)  # the catalogue rule snapshot that set opening_at
    min_bidders = models.PositiveSmallIntegerField()
    min_bidders_rule = models.JSONField(default=dict)
    max_bytes = models.BigIntegerField()  # the largest envelope accepted
    decryption_window_seconds = models.PositiveIntegerField()
    opening_key = models.ForeignKey(OpeningKey, on_delete=models.PROTECT, related_name="boxes")
    require_confirmed_session = models.BooleanField(default=False)
    fallback_policy = models.CharField(
        max_length=16, choices=[(p.value, p.value) for p in FallbackPolicy], default=FallbackPolicy.ATTRIBUTED
    )
    readout_fields = models.JSONField(default=list)
    auto_start = models.BooleanField(default=True)  # the clock starts the opening at opening_at
    status = models.CharField(max_length=12, choices=_choices(BoxState, BOX_STATE_LABELS), default=BoxState.ACCEPTING)
    outcome = models.CharField(max_length=20, choices=_choices(Outcome, OUTCOME_LABELS), blank=True, default="")
    opening_started_at = models.DateTimeField(null=True, blank=True)
    decryption_ends_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    record = models.JSONField(null=True, blank=True)  # the published opening record (开标记录)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-deadline", "-pk"]
        verbose_name = "电子投标箱"
        constraints = [
            models.UniqueConstraint(fields=["owner_context", "owner_ref"], name="bidbox_box_owner_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "opening_at"], name="bidbox_box_due_open_idx"),
            models.Index(fields=["status", "decryption_ends_at"], name="bidbox_box_due_close_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.owner_context}/{self.owner_ref})"


class Postponement(models.Model):
    """A deadline postponement (截止时间顺延), with its reason."""

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="postponements")
    old_deadline = models.DateTimeField()
    new_deadline = models.DateTimeField()
    old_opening_at = models.DateTimeField()
    new_opening_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.old_deadline:%Y-%m-%d %H:%M} → {self.new_deadline:%Y-%m-%d %H:%M}"


class Submission(models.Model):
    """One received envelope. The id is random, so ids say nothing about how many came before."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    box = models.ForeignKey(Box, on_delete=models.PROTECT, related_name="submissions")
    entity_id = models.BigIntegerField()  # the bidding entity (registry)
    submitted_by = models.CharField(max_length=120)  # actor ref of the person who uploaded it
    document_id = models.UUIDField()  # the stored envelope (platform.storage), owner = the box
    document_version = models.PositiveIntegerField(default=1)
    envelope_id = models.CharField(max_length=32)
    envelope_sm3 = models.CharField(max_length=64)
    envelope_sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    plaintext_sm3 = models.CharField(max_length=64)
    plaintext_sha256 = models.CharField(max_length=64)
    plaintext_size = models.BigIntegerField()
    file_name = models.CharField(max_length=255)
    receipt_id = models.CharField(max_length=40, unique=True)
    received_at = models.DateTimeField()
    receipt = models.BinaryField()  # the RCPT ‖ RSIG sections to append to the envelope
    receipt_key_id = models.CharField(max_length=120)
    cert_fingerprint = models.CharField(max_length=64)
    cert_serial = models.CharField(max_length=80)
    cert_issuer = models.CharField(max_length=1000)
    cert_binding_id = models.BigIntegerField(null=True)
    signer_algorithm = models.CharField(max_length=32)
    signed_digest = models.CharField(max_length=128)  # digest of what the bidder signed (for the signature record)
    digest_algorithm = models.CharField(max_length=16)
    bidder_signature = models.BinaryField()  # the envelope's BSIG, recorded with identity.ca at the close
    # Confidential (docs/trust/bidbox.md §4a): the bid tool's authoring fingerprints kept from the envelope's signed
    # meta.extra ({"values": {key: [value, …]}, "notes": [{key, code, reason}]}) and the uploader's address.
    # Read only through queries.list_submission_fingerprints (supervision, after the opening record).
    tool_fingerprints = models.JSONField(default=dict)
    upload_ip = models.CharField(max_length=45, blank=True, default="")
    upload_ip_source = models.CharField(max_length=20, blank=True, default="")  # remote_addr | x_forwarded_for
    status = models.CharField(
        max_length=12,
        choices=_choices(SubmissionStatus, SUBMISSION_STATUS_LABELS),
        default=SubmissionStatus.SUBMITTED,
    )
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    opening_status = models.CharField(
        max_length=12, choices=_choices(OpeningStatus, OPENING_STATUS_LABELS), blank=True, default=""
    )
    fault = models.CharField(max_length=10, choices=[(f.value, f.value or "—") for f in Fault], blank=True, default="")
    claim = models.BooleanField(default=False)  # 撤回 caused by others: the bidder may claim damages
    failure_code = models.CharField(max_length=80, blank=True)
    fallback_allowed = models.BooleanField(default=False)
    fallback_reason = models.CharField(max_length=32, blank=True)
    fallback_note = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_code = models.CharField(max_length=80, blank=True)
    decrypted_via = models.CharField(
        max_length=12, choices=[(p.value, p.value) for p in DecryptPath], blank=True, default=""
    )
    decrypted_at = models.DateTimeField(null=True, blank=True)
    decrypted_by = models.CharField(max_length=120, blank=True)
    plaintext_document_id = models.UUIDField(null=True, blank=True)
    summary = models.JSONField(default=dict)
    summary_error = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = "投标文件递交"
        constraints = [
            models.UniqueConstraint(
                fields=["box", "entity_id"],
                condition=Q(status="submitted"),
                name="bidbox_one_current_submission",
            ),
        ]
        indexes = [
            models.Index(fields=["box", "status"], name="bidbox_sub_box_status_idx"),
            models.Index(fields=["entity_id", "received_at"], name="bidbox_sub_entity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id}"


class PendingShare(models.Model):
    """A custodian's share entered at an opening, kept only until k are in: the call that receives the k-th
    share recovers the key in memory, opens what it may, and deletes every pending share of the box."""

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="pending_shares")
    share_index = models.PositiveSmallIntegerField()
    share_text = models.TextField()
    custodian_name = models.CharField(max_length=100)
    entered_by = models.CharField(max_length=120)
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["box", "share_index"], name="bidbox_share_index_unique"),
            models.UniqueConstraint(fields=["box", "entered_by"], name="bidbox_share_person_unique"),
        ]

    def __str__(self) -> str:  # never the share itself
        return f"share #{self.share_index} of box {self.box_id}"


class SubmitterNotice(models.Model):
    """A notice to the submitter of an envelope (deadline postponed, opening started, result of decryption)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="notices")
    entity_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["entity_id", "created_at"], name="bidbox_notice_entity_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:40]}"
