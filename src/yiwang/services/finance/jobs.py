"""Clock due jobs of finance (registered in ``FinanceConfig.ready``; ``yiwang clock`` runs them).

- ``finance.bank_inbox``: posts every bank notice received but not yet posted (the recovery path after a
  crash between "received" and "posted"; normally the endpoint posts at once).
- ``finance.refunds``: sends every due refund to the bank (re-sending unconfirmed instructions after their
  retry delay) and raises a late-refund alert for every unpaid refund past its legal deadline.

- ``finance.guarantees``: sends due guarantee claims to their issuers, expires guarantees whose validity
  ended, and tells issuers about released or expired guarantees.
- ``finance.settlements``: sends due payouts to sellers and raises an alert for overdue instalments.
- ``finance.invoices``: issues pending e-invoices (the safety net behind the task enqueued with each fee).

All are idempotent: each item is handled by an action that locks it and checks its state first, so running a
job twice, or in two clocks at once, posts nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Q

from yiwang.kernel.actors import Actor
from yiwang.services.finance import actions, guarantee_actions, invoice_actions, settlement_actions
from yiwang.services.finance.domain.guarantees import GuaranteeStatus
from yiwang.services.finance.domain.invoices import Status as InvoiceStatus
from yiwang.services.finance.models import (
    BankNotice,
    ClaimStatus,
    Guarantee,
    GuaranteeClaim,
    Invoice,
    NoticeStatus,
    PayoutStatus,
    Refund,
    RefundStatus,
    SettlementPayout,
)

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


def run_guarantees(now: datetime, *, limit: int = REFUND_BATCH) -> int:
    actor = Actor.system("clock")
    done = 0
    claims = list(
        GuaranteeClaim.objects.filter(
            status__in=[ClaimStatus.PENDING, ClaimStatus.INSTRUCTED], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for claim_id in claims:
        try:
            done += guarantee_actions.send_claim(claim_id, actor=actor)
        except Exception:
            log.exception("claim %s could not be sent; retried after its delay", claim_id)
    done += guarantee_actions.do_expire_guarantees(actor=actor, now=now, limit=limit)
    to_notify = list(
        Guarantee.objects.filter(
            Q(status=GuaranteeStatus.RELEASED) | Q(status=GuaranteeStatus.EXPIRED),
            issuer_notified_at__isnull=True,
            notify_next_at__lte=now,
        )
        .order_by("notify_next_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for guarantee_id in to_notify:
        try:
            done += guarantee_actions.notify_issuer(guarantee_id, actor=actor)
        except Exception:
            log.exception("issuer of guarantee %s could not be told; retried after its delay", guarantee_id)
    return done


def run_settlements(now: datetime, *, limit: int = REFUND_BATCH) -> int:
    actor = Actor.system("clock")
    ids = list(
        SettlementPayout.objects.filter(
            status__in=[PayoutStatus.PENDING, PayoutStatus.INSTRUCTED], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for payout_id in ids:
        try:
            sent += settlement_actions.pay_settlement_payout(payout_id, actor=actor)
        except Exception:
            log.exception("payout %s could not be sent; retried after its delay", payout_id)
    return sent + settlement_actions.do_flag_overdue_instalments(actor=actor, now=now)


def run_invoices(now: datetime, *, limit: int = REFUND_BATCH) -> int:
    actor = Actor.system("clock")
    ids = list(
        Invoice.objects.filter(status=InvoiceStatus.PENDING, next_attempt_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(invoice_actions.issue_invoice(invoice_id, actor=actor) for invoice_id in ids)
