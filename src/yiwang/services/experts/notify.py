"""Notifying drawn experts: the :class:`Notifier` port (SMS, voice, in-site) and its adapters.

In-site messages are rows on the expert's workbench, written inside the drawing action. SMS and voice go to
an adapter after the transaction commits (a rolled-back draw never phones anyone); what was handed over is
kept in :class:`~yiwang.services.experts.models.Delivery`. The default adapters only log: a deployment names
real gateways in ``settings.YIWANG_EXPERTS_NOTIFIERS = {"sms": "dotted.Path", "voice": "dotted.Path"}``.

Messages never name the project's tenderer or bidders (抽取通知不透露项目当事人); they give the meeting time,
the venue and the answer deadline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("yiwang.experts.notify")

IN_SITE, SMS, VOICE = "in_site", "sms", "voice"
CHANNELS = (IN_SITE, SMS, VOICE)
CHANNEL_LABELS_ZH = {IN_SITE: "站内信", SMS: "短信", VOICE: "语音电话"}


@dataclass(frozen=True)
class Outgoing:
    channel: str
    phone: str
    title: str
    body: str
    delivery_id: int


class Notifier(Protocol):
    def send(self, message: Outgoing) -> str:
        """Hand ``message`` to the gateway; return the gateway's reference. Raise on failure."""
        ...


class LoggingNotifier:
    """Logs the message instead of sending it (development, tests). ``sent`` keeps what it was given."""

    sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> str:
        LoggingNotifier.sent.append(message)
        log.info("%s to %s: %s", message.channel, message.phone[-4:].rjust(len(message.phone), "*"), message.title)
        return f"log-{message.delivery_id}"


@cache
def notifier(channel: str) -> Notifier:
    configured = getattr(settings, "YIWANG_EXPERTS_NOTIFIERS", {}) or {}
    path = configured.get(channel)
    return import_string(path)() if path else LoggingNotifier()
