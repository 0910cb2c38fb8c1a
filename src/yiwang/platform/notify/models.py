"""In-site messages (站内信) and the outgoing e-mail table (outbox mail)."""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q


class Message(models.Model):
    """One in-site message in one person's inbox.

    ``recipient`` is the actor reference of the person (``account:12``): the platform tier never looks
    accounts up. ``body_html`` is sanitised before it is stored (``notify.html.MESSAGE``); ``body_text`` is
    its plain text (or the plain body the sender gave). ``key`` is the sender's idempotency key: one message
    per (recipient, key)."""

    recipient = models.CharField(max_length=120)
    category = models.CharField(max_length=40, default="general")
    title = models.CharField(max_length=200)
    body_text = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    link = models.CharField(max_length=500, blank=True, default="")
    key = models.CharField(max_length=200, blank=True, default="")
    sender = models.CharField(max_length=120)  # the actor whose action sent it
    # Set for confidential messages: the witness log holds SHA-256(salt ‖ 0 ‖ recipient), not the recipient.
    recipient_salt = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notify_msg_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notify_msg_unread"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~Q(key=""), name="notify_msg_key_unique"),
        ]
        verbose_name = "站内信"

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MailStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class OutboxMail(models.Model):
    """An e-mail the platform has to send (outbox mail). Written in the transaction of the action that wants
    it sent; handed to the configured :class:`~yiwang.platform.notify.ports.EmailSender` after commit, with
    retries. ``key`` makes queueing idempotent; the ``Message-ID`` derived from the row lets a gateway drop
    a repeat of an attempt whose answer was lost."""

    key = models.CharField(max_length=200, unique=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails")
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    status = models.CharField(max_length=8, choices=MailStatus.choices, default=MailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(max_length=200, blank=True, default="")
    last_error = models.CharField(max_length=300, blank=True, default="")
    sender = models.CharField(max_length=120)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_mail_due")]
        verbose_name = "待发邮件"

    def __str__(self) -> str:
        return f"mail {self.pk} to {self.to_address}"

    @property
    def message_id(self) -> str:
        return f"<mail-{self.pk}.{self.key_digest}@yiwang.notify>"

    @property
    def key_digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]
