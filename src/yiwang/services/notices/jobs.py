"""Clock due jobs of notices (registered in ``NoticesConfig.ready``; ``yiwang clock`` runs them).

* ``notices.publish_due`` (every second): publishes every scheduled notice whose time has come. Each is
  published by :func:`~yiwang.services.notices.actions.do_publish_due_notice`, which re-checks the status
  under the row lock: two clocks, or a job that runs again after a crash, publish a notice once. The
  publication time is when the action ran (when the notice actually became public), not ``publish_at``.
* ``notices.match_subscriptions`` (every 5 s): tells subscribers about notices published since the last run
  (``match_pending``), once per subscription and notice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.kernel.actors import Actor
from yiwang.services.notices import actions
from yiwang.services.notices.domain.states import Status
from yiwang.services.notices.models import Notice

log = logging.getLogger("yiwang.notices")
BATCH = 200


def publish_due(now: datetime, *, limit: int = BATCH) -> int:
    actor = Actor.system("clock")
    ids = list(
        Notice.objects.filter(status=Status.SCHEDULED, publish_at__lte=now)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    published = 0
    for notice_id in ids:
        try:
            published += actions.do_publish_due_notice(actor=actor, notice_id=notice_id, now=now)
        except Exception:
            log.exception("publishing scheduled notice %s failed; retried at the next tick", notice_id)
    return published


def match_subscriptions(now: datetime, *, limit: int = BATCH) -> int:
    actor = Actor.system("clock")
    ids = list(
        Notice.objects.filter(match_pending=True).order_by("published_at", "pk").values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for notice_id in ids:
        try:
            sent += actions.do_notify_subscribers(actor=actor, notice_id=notice_id)
        except Exception:
            log.exception("matching subscriptions against notice %s failed; retried at the next run", notice_id)
    return sent
