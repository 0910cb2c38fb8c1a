"""Row locks of the finance context: ``select_for_update`` querysets, always ordered by pk.

One order everywhere, so two actions never wait on each other in a cycle:

    BankNotice → GuaranteeIssuer → Lot → Settlement → Guarantee → GuaranteeClaim → Refund → SettlementPayout
    → Deposit → Instalment → Invoice → Account (accounts among themselves by pk)

Processing a notice locks the notice first (that is what makes it exactly-once), then what it posts to.
Releasing deposits locks the lot, then its deposits, then the accounts of each posting. On SQLite the
``BEGIN IMMEDIATE`` write lock already serialises writers; these locks matter on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from yiwang.services.finance.models import (
    Account,
    BankNotice,
    Deposit,
    Guarantee,
    GuaranteeClaim,
    GuaranteeIssuer,
    Instalment,
    Invoice,
    Lot,
    Refund,
    Settlement,
    SettlementPayout,
)


def notice_qs_for_update(notice_id: int) -> QuerySet[BankNotice]:
    return BankNotice.objects.select_for_update().filter(pk=notice_id).order_by("pk")


def lot_qs_for_update(ref: str) -> QuerySet[Lot]:
    return Lot.objects.select_for_update().filter(ref=ref).order_by("pk")


def refund_qs_for_update(refund_id: int) -> QuerySet[Refund]:
    return Refund.objects.select_for_update().filter(pk=refund_id).order_by("pk")


def refund_by_instruction_for_update(instruction_ref: str) -> QuerySet[Refund]:
    return Refund.objects.select_for_update().filter(instruction_ref=instruction_ref).order_by("pk")


def deposit_qs_for_update(deposit_id: int) -> QuerySet[Deposit]:
    return Deposit.objects.select_for_update().filter(pk=deposit_id).order_by("pk")


def lot_deposits_for_update(lot_id: int, entity_ids: Iterable[int] | None = None) -> QuerySet[Deposit]:
    qs = Deposit.objects.select_for_update().filter(lot_id=lot_id)
    if entity_ids is not None:
        qs = qs.filter(entity_id__in=list(entity_ids))
    return qs.order_by("pk")


def lock_accounts(account_ids: Iterable[int]) -> list[Account]:
    """Lock the accounts a posting touches, in pk order (evaluated at once)."""
    return list(Account.objects.select_for_update().filter(pk__in=sorted(set(account_ids))).order_by("pk"))


def issuer_qs_for_update(issuer_id: int) -> QuerySet[GuaranteeIssuer]:
    return GuaranteeIssuer.objects.select_for_update().filter(pk=issuer_id).order_by("pk")


def guarantees_for_update(**filters: object) -> QuerySet[Guarantee]:
    return Guarantee.objects.select_for_update().filter(**filters).order_by("pk")


def claim_qs_for_update(claim_id: int) -> QuerySet[GuaranteeClaim]:
    return GuaranteeClaim.objects.select_for_update().filter(pk=claim_id).order_by("pk")


def settlement_qs_for_update(**filters: object) -> QuerySet[Settlement]:
    return Settlement.objects.select_for_update().filter(**filters).order_by("pk")


def instalments_for_update(settlement_id: int) -> QuerySet[Instalment]:
    return Instalment.objects.select_for_update().filter(settlement_id=settlement_id).order_by("pk")


def payout_qs_for_update(**filters: object) -> QuerySet[SettlementPayout]:
    return SettlementPayout.objects.select_for_update().filter(**filters).order_by("pk")


def invoice_qs_for_update(**filters: object) -> QuerySet[Invoice]:
    return Invoice.objects.select_for_update().filter(**filters).order_by("pk")
