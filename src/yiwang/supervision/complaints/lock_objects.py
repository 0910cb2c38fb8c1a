"""Row locks of the complaints context."""

from __future__ import annotations

from yiwang.supervision.complaints.models import Complaint


def complaint_for_update(complaint_id: int) -> Complaint | None:
    return Complaint.objects.select_for_update().filter(pk=complaint_id).first()
