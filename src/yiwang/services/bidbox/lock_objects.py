"""Row locks of the bid box, in one place (ordered: box before its submissions, submissions by pk)."""

from __future__ import annotations

from uuid import UUID

from yiwang.services.bidbox.models import Box, Submission


def box_for_update(box_id: int) -> Box | None:
    return Box.objects.select_for_update().filter(pk=box_id).select_related("opening_key").first()


def submission_for_update(submission_id: UUID | str) -> Submission | None:
    return Submission.objects.select_for_update().filter(pk=submission_id).first()


def submissions_for_update(box_id: int, **filters: object) -> list[Submission]:
    return list(Submission.objects.select_for_update().filter(box_id=box_id, **filters).order_by("pk"))
