"""State changes of the inbox: send messages (with optional e-mail), mark them read; deliver queued e-mail.

**Who witnesses a message.** :func:`do_send_messages` is an action of its own (``notify.send_message``,
one witness entry per message). Called inside another action — the normal case: "the candidates were
published, tell the subscribers" — it nests: its rows are written in the caller's transaction and its
witness entries are handed to the caller's action, which appends them at its end. So a message exists if and
only if the event it announces committed, and the log shows both, in order. Called on its own (a staff
notice to one person), it is a complete action by itself.

Witness payloads name the recipient, category and key and carry a SHA-256 of the content, never the text:
the witness log is kept forever and is read by auditors, the inbox is private. A **confidential** message
(e.g. telling an expert they were drawn, while the committee is sealed) witnesses only a salted commitment
``SHA-256(salt ‖ 0x00 ‖ recipient)`` instead of the recipient; the salt stays on the message row, so an audit
after unsealing can still prove who was told, while the log itself reveals nobody.

**E-mail.** A message sent with ``email=`` (or :func:`do_queue_mail`) writes an outbox-mail row in the same
transaction and enqueues :data:`~yiwang.platform.notify.tasks.deliver_mail_task` (stored in that
transaction too with the database task backend). :func:`deliver_mail` hands the mail to the configured
:class:`~yiwang.platform.notify.ports.EmailSender` *after* commit — a rolled-back action never e-mails
anyone — and the clock job ``notify.deliver_mail`` retries what failed (backing off) or was left half-sent
by a crash. Exactly one runner holds a mail at a time (a conditional update claims it for a lease);
the result is recorded by the witnessed action ``notify.record_mail_delivery``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F, Q

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import digest_json
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now as clock_now
from yiwang.platform.notify import errors
from yiwang.platform.notify.html import MESSAGE, clean_html, html_to_text
from yiwang.platform.notify.models import MailStatus, Message, OutboxMail
from yiwang.platform.notify.ports import OutgoingMail, email_sender, from_address

__all__ = [
    "NewMessage",
    "deliver_mail",
    "do_mark_all_read",
    "do_mark_read",
    "do_queue_mail",
    "do_send_message",
    "do_send_messages",
]

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_LINK = 500
MAX_KEY = 200
LEASE = timedelta(minutes=5)  # a claimed mail not finished within this is offered again
BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600)

_RECIPIENT = re.compile(r"^(account|client):[\x21-\x7e]{1,100}$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
_LINK = re.compile(r"^(/(?![/\\])|https?://)[^\s\x00-\x1f\x7f\"'<>\\]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class NewMessage:
    """One message to send. ``body`` is plain text, ``body_html`` HTML (sanitised on the way in; when both
    are given the HTML is shown and ``body`` is the plain-text form). ``link`` is a site path (``/notices/7/``)
    or an http(s) address. ``key`` is the sender's idempotency key: a second message with the same
    (recipient, key) is not sent. ``email``: also e-mail this address (through the port, after commit)."""

    recipient: str
    title: str
    body: str = ""
    body_html: str = ""
    link: str = ""
    category: str = "general"
    key: str = ""
    email: str = ""
    confidential: bool = False


@dataclass(frozen=True)
class _Clean:
    recipient: str
    title: str
    body_text: str
    body_html: str
    link: str
    category: str
    key: str
    email: str
    confidential: bool = False


def _check(m: NewMessage) -> _Clean:
    recipient = (m.recipient or "").strip()
    if not _RECIPIENT.match(recipient):
        raise errors.invalid(
            "recipient",
            "收件人须为账户引用（如 account:12）",
            "the recipient must be an actor reference such as account:12",
        )
    title = " ".join((m.title or "").split())
    if not 1 <= len(title) <= MAX_TITLE or _CONTROL.search(title):
        raise errors.invalid("title", f"标题须为 1–{MAX_TITLE} 个字符", f"the title must be 1-{MAX_TITLE} characters")
    if len(m.body or "") > MAX_BODY or len(m.body_html or "") > MAX_BODY * 2:
        raise errors.body_too_long(MAX_BODY)
    body_html = clean_html(m.body_html or "", MESSAGE)
    body_text = (m.body or "").strip() or html_to_text(body_html)
    if len(body_text) > MAX_BODY:
        raise errors.body_too_long(MAX_BODY)
    link = (m.link or "").strip()
    if link and (len(link) > MAX_LINK or not _LINK.match(link)):
        raise errors.invalid(
            "link", "链接须为站内路径（/ 开头）或 http(s) 地址", "the link must be a site path or http(s) URL"
        )
    category = (m.category or "general").strip()
    if not _CATEGORY.match(category):
        raise errors.invalid("category", "消息类别代码格式不正确", "the category must be a short lower-case code")
    key = (m.key or "").strip()
    if len(key) > MAX_KEY or _CONTROL.search(key):
        raise errors.invalid("key", f"幂等键最长 {MAX_KEY} 个字符", f"the key is at most {MAX_KEY} characters")
    email = (m.email or "").strip()
    if email:
        _check_email(email)
    return _Clean(recipient, title, body_text, body_html, link, category, key, email, bool(m.confidential))


def _check_email(address: str) -> str:
    try:
        validate_email(address)
    except ValidationError:
        raise errors.invalid("email", "电子邮箱地址格式不正确", "the e-mail address is not valid") from None
    return address


def do_send_messages(*, actor: Actor, messages: Sequence[NewMessage]) -> list[Message]:
    """Put ``messages`` into their recipients' inboxes (and queue their e-mails). Messages whose
    (recipient, key) was sent before are skipped; returns the messages written. Every message is checked
    before anything is written: one bad message refuses the whole batch."""
    cleaned = [_check(m) for m in messages]
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in cleaned:  # the same (recipient, key) twice in one batch counts once
        if c.key and (c.recipient, c.key) in seen:
            continue
        seen.add((c.recipient, c.key))
        unique.append(c)
    keyed = [c for c in unique if c.key]
    existing: set[tuple[str, str]] = set()
    if keyed:
        condition = Q()
        for c in keyed:
            condition |= Q(recipient=c.recipient, key=c.key)
        existing = set(Message.objects.filter(condition).values_list("recipient", "key"))
    todo = [c for c in unique if not (c.key and (c.recipient, c.key) in existing)]
    if not todo:
        return []
    with action(actor, "notify.send_message") as act:
        return [_write(act, actor, c) for c in todo]


def do_send_message(
    *,
    actor: Actor,
    recipient: str,
    title: str,
    body: str = "",
    body_html: str = "",
    link: str = "",
    category: str = "general",
    key: str = "",
    email: str = "",
    confidential: bool = False,
) -> Message | None:
    """One message (see :class:`NewMessage`); ``None`` when (recipient, key) was sent before."""
    sent = do_send_messages(
        actor=actor,
        messages=[NewMessage(recipient, title, body, body_html, link, category, key, email, confidential)],
    )
    return sent[0] if sent else None


def recipient_commitment(salt: str, recipient: str) -> str:
    """The witness log's stand-in for a confidential message's recipient (see the module docstring)."""
    return hashlib.sha256(bytes.fromhex(salt) + b"\0" + recipient.encode()).hexdigest()


def _who(message: Message) -> dict[str, str]:
    if message.recipient_salt:
        return {"recipient_commitment": recipient_commitment(message.recipient_salt, message.recipient)}
    return {"recipient": message.recipient}


def _write(act: ActionRecorder, actor: Actor, c: _Clean) -> Message:
    message = Message.objects.create(
        recipient_salt=secrets.token_hex(16) if c.confidential else "",
        recipient=c.recipient,
        category=c.category,
        title=c.title,
        body_text=c.body_text,
        body_html=c.body_html,
        link=c.link,
        key=c.key,
        sender=actor.ref,
        created_at=act.now,
    )
    act.witness(
        message,
        {
            **_who(message),
            "category": c.category,
            "key": c.key,
            "content_sha256": digest_json([c.title, c.body_text, c.body_html, c.link]),
            "email": bool(c.email),
        },
    )
    if c.email:
        body = c.body_text + (f"\n\n{_absolute(c.link)}" if c.link else "")
        _queue(act, actor, to=c.email, subject=c.title, body_text=body, key=f"message:{message.pk}", message=message)
    return message


def _absolute(link: str) -> str:
    if link.startswith("/"):
        base = (getattr(settings, "YIWANG_PUBLIC_URL", "") or "").rstrip("/")
        return f"{base}{link}" if base else link
    return link


def _queue(
    act: ActionRecorder, actor: Actor, *, to: str, subject: str, body_text: str, key: str, message: Message | None
) -> OutboxMail:
    from yiwang.platform.notify.tasks import deliver_mail_task

    mail = OutboxMail.objects.create(
        key=key,
        message=message,
        to_address=to,
        subject=subject[:MAX_TITLE],
        body_text=body_text,
        next_attempt_at=act.now,
        sender=actor.ref,
        created_at=act.now,
    )
    act.witness(mail, {"key": key, "to_sha256": digest_json(to.lower()), "subject_sha256": digest_json(subject)})
    act.enqueue(deliver_mail_task, mail.pk)
    return mail


def do_queue_mail(*, actor: Actor, to: str, subject: str, body_text: str, key: str) -> OutboxMail | None:
    """Queue an e-mail that belongs to no in-site message; ``None`` if ``key`` was queued before."""
    to = _check_email((to or "").strip())
    subject = " ".join((subject or "").split())
    if not 1 <= len(subject) <= MAX_TITLE:
        raise errors.invalid(
            "subject", f"主题须为 1–{MAX_TITLE} 个字符", f"the subject must be 1-{MAX_TITLE} characters"
        )
    if len(body_text or "") > MAX_BODY:
        raise errors.body_too_long(MAX_BODY)
    key = (key or "").strip()
    if not 1 <= len(key) <= MAX_KEY:
        raise errors.invalid("key", f"幂等键须为 1–{MAX_KEY} 个字符", f"the key must be 1-{MAX_KEY} characters")
    if OutboxMail.objects.filter(key=key).exists():
        return None
    with action(actor, "notify.queue_mail") as act:
        return _queue(act, actor, to=to, subject=subject, body_text=body_text or "", key=key, message=None)


def do_mark_read(*, actor: Actor, message_id: int) -> Message:
    """Mark one of the actor's own messages read (already read: nothing changes)."""
    message = Message.objects.filter(pk=message_id, recipient=actor.ref).first() if actor.is_authenticated else None
    if message is None:
        raise errors.message_not_found(message_id)
    if message.read_at is not None:
        return message
    with action(actor, "notify.mark_read") as act:
        updated = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=act.now)
        message.read_at = act.now if updated else Message.objects.get(pk=message.pk).read_at
        act.witness(message, _who(message))
        return message


def do_mark_all_read(*, actor: Actor) -> int:
    """Mark every unread message of the actor read; returns how many changed."""
    if not actor.is_authenticated:
        return 0
    if not Message.objects.filter(recipient=actor.ref, read_at__isnull=True).exists():
        return 0
    with action(actor, "notify.mark_all_read") as act:
        count = Message.objects.filter(recipient=actor.ref, read_at__isnull=True).update(read_at=act.now)
        act.witness(("notify.inbox", actor.ref), {"marked_read": count})
        return count


# -- delivery ----------------------------------------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "YIWANG_NOTIFY_MAIL_MAX_ATTEMPTS", 6))


def _claim(mail_id: int, moment: datetime) -> bool:
    """Take the mail for one attempt (a conditional update: one runner wins, even across processes)."""
    due = Q(status=MailStatus.QUEUED, next_attempt_at__lte=moment) | Q(
        status=MailStatus.SENDING, claimed_until__lt=moment
    )
    return bool(
        OutboxMail.objects.filter(due, pk=mail_id).update(
            status=MailStatus.SENDING, claimed_until=moment + LEASE, attempts=F("attempts") + 1
        )
    )


def deliver_mail(mail_id: int) -> str:
    """One delivery attempt of a queued mail: ``sent``, ``retry`` (failed, offered again later), ``failed``
    (gave up after the last attempt) or ``skipped`` (not due, already sent, or held by another runner)."""
    moment = clock_now()
    if not _claim(mail_id, moment):
        return "skipped"
    mail = OutboxMail.objects.get(pk=mail_id)
    outgoing = OutgoingMail(
        message_id=mail.message_id,
        to=mail.to_address,
        subject=mail.subject,
        body_text=mail.body_text,
        from_address=from_address(),
    )
    try:
        ref = email_sender().send(outgoing)
    except Exception as exc:  # the gateway's failure is recorded and retried, never raised into the worker
        return _record(mail_id, ok=False, detail=f"{type(exc).__name__}: {exc}")
    return _record(mail_id, ok=True, detail=str(ref or ""))


def _record(mail_id: int, *, ok: bool, detail: str) -> str:
    with action(Actor.system("notify"), "notify.record_mail_delivery") as act:
        mail = OutboxMail.objects.select_for_update().get(pk=mail_id)
        if mail.status != MailStatus.SENDING:  # the lease ran out and another runner finished it
            act.witness(mail, {"outcome": "late", "attempt": mail.attempts})
            return "skipped"
        if ok:
            mail.status, mail.sent_at, mail.provider_ref, mail.last_error = MailStatus.SENT, act.now, detail[:200], ""
            outcome = "sent"
        elif mail.attempts >= max_attempts():
            mail.status, mail.last_error = MailStatus.FAILED, detail[:300]
            outcome = "failed"
        else:
            delay = BACKOFF_SECONDS[min(mail.attempts, len(BACKOFF_SECONDS)) - 1]
            mail.status, mail.last_error = MailStatus.QUEUED, detail[:300]
            mail.next_attempt_at = act.now + timedelta(seconds=delay)
            outcome = "retry"
        mail.claimed_until = None
        mail.save(update_fields=["status", "sent_at", "provider_ref", "last_error", "next_attempt_at", "claimed_until"])
        act.witness(mail, {"outcome": outcome, "attempt": mail.attempts})
        return outcome


def due_mail_ids(moment: datetime, limit: int = 200) -> list[int]:
    """Mails to attempt now: queued and due, or claimed by a runner whose lease ran out."""
    due = Q(status=MailStatus.QUEUED, next_attempt_at__lte=moment) | Q(
        status=MailStatus.SENDING, claimed_until__lt=moment
    )
    return list(OutboxMail.objects.filter(due).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
