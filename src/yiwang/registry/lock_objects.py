"""Row locks of the registry context: ``select_for_update`` querysets, always ordered by pk (deadlock-free).

Every change of a registration locks the entity row first, then the child row it changes: one order
everywhere, so two actions on one entity queue up instead of deadlocking.
"""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.registry.models import BankAccount, Entity, Personnel, Qualification


def entity_qs_for_update(entity_id: int) -> QuerySet[Entity]:
    return Entity.objects.select_for_update().filter(pk=entity_id).order_by("pk")


def qualification_qs_for_update(entity_id: int, qualification_id: int) -> QuerySet[Qualification]:
    return Qualification.objects.select_for_update().filter(pk=qualification_id, entity_id=entity_id).order_by("pk")


def personnel_qs_for_update(entity_id: int, personnel_id: int) -> QuerySet[Personnel]:
    return Personnel.objects.select_for_update().filter(pk=personnel_id, entity_id=entity_id).order_by("pk")


def current_bank_account_qs_for_update(entity_id: int) -> QuerySet[BankAccount]:
    return BankAccount.objects.select_for_update().filter(entity_id=entity_id, valid_to__isnull=True).order_by("pk")
