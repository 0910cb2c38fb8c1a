"""Row locks of the evaluation context. Every action locks its evaluation row first (so the evaluation's
state, its sheets and its bids change one action at a time), then the rows it changes, in primary-key order."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.trading.tender.evaluation.models import Bid, Evaluation, Member, Sheet


def evaluation_for_update(evaluation_id: int) -> QuerySet[Evaluation]:
    return Evaluation.objects.select_for_update().filter(pk=evaluation_id)


def evaluation_of_section_for_update(section_ref: str) -> QuerySet[Evaluation]:
    return Evaluation.objects.select_for_update().filter(section_ref=section_ref)


def bids_for_update(evaluation_id: int) -> QuerySet[Bid]:
    return Bid.objects.select_for_update().filter(evaluation_id=evaluation_id).order_by("pk")


def members_for_update(evaluation_id: int) -> QuerySet[Member]:
    return Member.objects.select_for_update().filter(evaluation_id=evaluation_id).order_by("pk")


def sheets_for_update(evaluation_id: int, stage: str) -> QuerySet[Sheet]:
    return Sheet.objects.select_for_update().filter(evaluation_id=evaluation_id, stage=stage).order_by("pk")
