"""Row locks of the credit context (select_for_update, gathered in one place)."""

from __future__ import annotations

from yiwang.supervision.credit.models import CreditRecord, RepairRequest


def record_for_update(record_id: int) -> CreditRecord | None:
    return CreditRecord.objects.select_for_update().filter(pk=record_id).first()


def repair_for_update(repair_id: int) -> RepairRequest | None:
    return RepairRequest.objects.select_for_update().filter(pk=repair_id).first()
