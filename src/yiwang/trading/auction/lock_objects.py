"""Row locks of the auction context."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.trading.auction.models import Lot


def lot_for_update(lot_id: int) -> QuerySet[Lot]:
    return Lot.objects.select_for_update().filter(pk=lot_id)
