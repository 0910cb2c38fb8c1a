"""The e-mail port: what the platform hands an e-mail gateway, and the adapters chosen by settings.

``settings.YIWANG_NOTIFY_EMAIL_SENDER`` names the adapter class (dotted path); the default,
:class:`LoggingEmailSender`, only logs and remembers what it was given — every mail is in the outbox-mail table
anyway, which is what tests read. :class:`DjangoEmailSender` sends through Django's configured
``EMAIL_BACKEND`` (SMTP in a deployment). An adapter must be safe to call again with the same
``message_id`` (the platform retries after a lost answer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("yiwang.notify")


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str  # stable across retries of the same mail: a gateway may use it to drop repeats
    to: str
    subject: str
    body_text: str
    from_address: str


class EmailSender(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Hand ``mail`` to the gateway and return its reference. Raise on failure (it is retried)."""
        ...


class LoggingEmailSender:
    """Logs the mail instead of sending it (development, demo, tests). ``sent`` keeps what it was given."""

    sent: ClassVar[list[OutgoingMail]] = []

    def send(self, mail: OutgoingMail) -> str:
        LoggingEmailSender.sent.append(mail)
        local, _, domain = mail.to.partition("@")
        log.info("e-mail %s to %s***@%s: %s", mail.message_id, local[:1], domain, mail.subject)
        return f"logged:{mail.message_id}"


class DjangoEmailSender:
    """Sends through Django's e-mail backend (``EMAIL_BACKEND``, ``EMAIL_HOST`` …) as plain text, UTF-8."""

    def send(self, mail: OutgoingMail) -> str:
        from django.core.mail import EmailMessage

        message = EmailMessage(
            subject=mail.subject,
            body=mail.body_text,
            from_email=mail.from_address,
            to=[mail.to],
            headers={"Message-ID": mail.message_id},
        )
        message.send(fail_silently=False)
        return mail.message_id


DEFAULT_SENDER = "yiwang.platform.notify.ports.LoggingEmailSender"


@cache
def _sender(path: str) -> EmailSender:
    return import_string(path)()


def email_sender() -> EmailSender:
    """The configured adapter (one instance per class and process)."""
    return _sender(getattr(settings, "YIWANG_NOTIFY_EMAIL_SENDER", "") or DEFAULT_SENDER)


def from_address() -> str:
    return getattr(settings, "YIWANG_NOTIFY_EMAIL_FROM", "") or getattr(
        settings, "DEFAULT_FROM_EMAIL", "noreply@localhost"
    )
