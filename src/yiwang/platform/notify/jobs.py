"""Clock due job of the notify app: ``notify.deliver_mail`` (every 30 s) attempts every queued e-mail that is
due — first attempts the task worker has not reached yet, retries after a failure (with back-off), and
mails whose runner died mid-attempt (lease expired). Each attempt claims its mail first, so running the job in
two clocks, or beside the task worker, sends nothing twice."""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.platform.notify.actions import deliver_mail, due_mail_ids

log = logging.getLogger("yiwang.notify")


def deliver_due_mail(now: datetime, *, limit: int = 200) -> int:
    sent = 0
    for mail_id in due_mail_ids(now, limit):
        try:
            sent += deliver_mail(mail_id) == "sent"
        except Exception:
            log.exception("delivering mail %s failed; retried at the next run", mail_id)
    return sent
