"""Row locks of on-site records (a correction locks the record it corrects)."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.services.witness.models import OnsiteRecord


def record_for_update(record_id: int) -> QuerySet[OnsiteRecord]:
    return OnsiteRecord.objects.select_for_update().filter(pk=record_id)
