"""Notices (公告), their attachments, disclosure obligations (公开义务) and search subscriptions (订阅)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Q

from yiwang.services.notices.domain.states import NATURE_LABELS_ZH, NATURE_NORMAL, STATUS_LABELS_ZH, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Notice(models.Model):
    """One version of a notice. A correction is another row (``notice_version`` + 1, ``supersedes`` the old
    one, same ``root``); published rows are never edited (only their status moves on, see domain/states.py).

    ``owner_ref`` is the caller's opaque reference of what the notice is about (``tender.section:34``);
    ``publisher_entity_id`` the registry entity that publishes it (tenderer, agency), whose users may manage
    it besides staff over the region."""

    owner_ref = models.CharField(max_length=120)
    publisher_entity_id = models.BigIntegerField(null=True, blank=True)
    notice_type = models.CharField(max_length=32)
    category = models.CharField(max_length=32)
    region_code = models.CharField(max_length=6)
    stage = models.CharField(max_length=32, blank=True, default="")
    deal_code = models.CharField(max_length=40, blank=True, default="")  # 统一交易标识码
    title = models.CharField(max_length=300)
    body_html = models.TextField()  # sanitised
    body_text = models.TextField()
    fields = models.JSONField(default=dict)  # data-spec names → normalised values
    amount_fen = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=[(s.value, STATUS_LABELS_ZH[s]) for s in Status])
    nature = models.CharField(max_length=1, default=NATURE_NORMAL)  # NOTICE_NATURE
    notice_version = models.PositiveIntegerField(default=1)
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="successors")
    correction_reason = models.TextField(blank=True, default="")
    publish_at = models.DateTimeField(null=True, blank=True)  # scheduled publication
    published_at = models.DateTimeField(null=True, blank=True)  # when it actually became public
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(blank=True, default="")
    data_sha256 = models.CharField(max_length=64, blank=True, default="")
    pdf_document_id = models.UUIDField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    match_pending = models.BooleanField(default=False)  # subscriptions not yet matched against it
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)  # ETag of the row (drafts change; published do not)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="notices_public_newest"),
            models.Index(fields=["owner_ref", "notice_type"], name="notices_owner"),
            models.Index(fields=["status", "publish_at"], name="notices_due"),
            models.Index(fields=["match_pending"], condition=Q(match_pending=True), name="notices_match_pending"),
        ]
        verbose_name = "公告"

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """公告编号: GG + year of creation + the row number (GG20260000042)."""
        return f"GG{self.created_at.astimezone(SHANGHAI):%Y}{self.pk:07d}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS_ZH[Status(self.status)]

    @property
    def nature_label(self) -> str:
        return NATURE_LABELS_ZH.get(self.nature, self.nature)

    @property
    def is_public(self) -> bool:
        return self.published_at is not None

    @property
    def root_id_or_self(self) -> int:
        return self.root_id or self.pk


class NoticeAttachment(models.Model):
    """A stored document (platform.storage) attached to a notice version."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    document_id = models.UUIDField()
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["notice", "sort", "pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "document_id"], name="notices_attachment_once")]

    def __str__(self) -> str:
        return self.filename


class DisclosureObligation(models.Model):
    """A notice the disclosure list (公开目录) requires for one object, with its deadline.

    Registered by the trading context when the event the deadline counts from happens ("evaluation report
    received for section 34"); fulfilled by the first publication of a notice of one of ``notice_types``
    for the same ``owner_ref``."""

    owner_ref = models.CharField(max_length=120)
    occurrence = models.CharField(max_length=40, blank=True, default="")  # tells repeated obligations apart
    category = models.CharField(max_length=32)
    stage = models.CharField(max_length=32)
    region_code = models.CharField(max_length=6)
    requirement_key = models.CharField(max_length=80)
    requirement_title = models.CharField(max_length=200)
    notice_types = models.JSONField(default=list)
    due_rule = models.CharField(max_length=80, blank=True, default="")
    rule_kind = models.CharField(max_length=16, blank=True, default="")
    rule_source = models.CharField(max_length=300, blank=True, default="")
    anchor_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="obligations")
    published_at = models.DateTimeField(null=True, blank=True)  # first publication of the fulfilling notice
    publisher_entity_id = models.BigIntegerField(null=True, blank=True)
    registered_by = models.CharField(max_length=120)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["due_at"], name="notices_obligation_due"),
            models.Index(fields=["owner_ref", "notice"], name="notices_obligation_owner"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_ref", "requirement_key", "occurrence"], name="notices_obligation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_key} for {self.owner_ref}"


class Subscription(models.Model):
    """A saved search (订阅): new public notices matching it produce an in-site message (and an e-mail to
    ``email`` when given)."""

    subscriber = models.CharField(max_length=120)  # actor ref (account:12)
    name = models.CharField(max_length=60)
    query_text = models.CharField(max_length=100, blank=True, default="")
    categories = models.JSONField(default=list)
    notice_types = models.JSONField(default=list)
    stages = models.JSONField(default=list)
    region = models.CharField(max_length=6, blank=True, default="")
    min_amount_fen = models.BigIntegerField(null=True, blank=True)
    max_amount_fen = models.BigIntegerField(null=True, blank=True)
    email = models.CharField(max_length=254, blank=True, default="")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["subscriber"], name="notices_subscriber")]

    def __str__(self) -> str:
        return self.name


class SubscriptionMatch(models.Model):
    """One notice that matched one subscription: at most one message each."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="matches")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="subscription_matches")
    message_id = models.BigIntegerField(null=True, blank=True)  # the notify message sent
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "notice"], name="notices_match_once"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.subscription_id} × notice {self.notice_id}"
