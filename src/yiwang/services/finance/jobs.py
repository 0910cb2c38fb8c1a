"""Clock due jobs of finance (registered in ``FinanceConfig.ready``; ``yiwang clock`` runs them).

- ``finance.bank_inbox``: posts every bank notice received but not yet posted (the recovery path after a
  crash between "received" and "posted"; normally the endpoint posts at once).
- ``finance.refunds``: sends every due refund to the bank (re-sending unconfirmed instructions after their
  retry delay) and raises a late-refund alert for every unpaid refund past its legal deadline.

Both are idempotent: each item is handled by an action that locks it and checks its state first, so running a
job twice, or in two clocks at once, posts nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.kernel.actors import Actor
from yiwang.services.finance import actions
from yiwang.services.finance.models import BankNotice, NoticeStatus, Refund, RefundStatus

log = logging.getLogger("yiwang.finance")
INBOX_BATCH = 500
REFUND_BATCH = 200


def process_bank_inbox(now: datetime, *, limit: int = INBOX_BATCH) -> int:
    actor = Actor.system("clock")
    ids = list(
        BankNotice.objects.filter(status=NoticeStatus.RECEIVED)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for notice_id in ids:
        try:
            notice = actions.do_post_bank_notice(actor=actor, notice_id=notice_id)
        except Exception:
            log.exception("posting bank notice %s failed; retried at the next tick", notice_id)
            continue
        done += notice.status != NoticeStatus.RECEIVED
    return done


def run_refunds(now: datetime, *, limit: int = REFUND_BATCH) -> int:
    actor = Actor.system("clock")
    ids = list(
        Refund.objects.filter(status__in=[RefundStatus.PENDING, RefundStatus.INSTRUCTED], next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for refund_id in ids:
        try:
            sent += actions.pay_refund(refund_id, actor=actor)
        except Exception:
            log.exception("refund %s could not be sent; retried after its delay", refund_id)
    return sent + actions.do_flag_overdue_refunds(actor=actor, now=now)
