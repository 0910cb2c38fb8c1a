"""Row locks of the notices context: ``select_for_update`` querysets, always ordered by pk.

One order everywhere: notices by pk (publishing a correction locks the old and the new version together,
:func:`notices_for_update`, so the older — lower pk — comes first), then obligations, then subscriptions.
"""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.services.notices.models import DisclosureObligation, Notice, Subscription


def notice_for_update(notice_id: int) -> Notice | None:
    return Notice.objects.select_for_update().filter(pk=notice_id).order_by("pk").first()


def notices_for_update(notice_ids: list[int]) -> list[Notice]:
    return list(Notice.objects.select_for_update().filter(pk__in=notice_ids).order_by("pk"))


def subscription_for_update(subscription_id: int) -> Subscription | None:
    return Subscription.objects.select_for_update().filter(pk=subscription_id).order_by("pk").first()


def open_obligations_for_update(owner_ref: str) -> QuerySet[DisclosureObligation]:
    return (
        DisclosureObligation.objects.select_for_update().filter(owner_ref=owner_ref, notice__isnull=True).order_by("pk")
    )


def obligation_for_update(owner_ref: str, key: str, occurrence: str) -> DisclosureObligation | None:
    return (
        DisclosureObligation.objects.select_for_update()
        .filter(owner_ref=owner_ref, requirement_key=key, occurrence=occurrence)
        .order_by("pk")
        .first()
    )
