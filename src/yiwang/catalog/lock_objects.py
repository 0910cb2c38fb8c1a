"""Row locks of the catalog context: ``select_for_update`` querysets, always ordered by pk (deadlock-free)."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.catalog.models import HolidayYear, ListVersion


def list_versions_for_update(kind: str) -> QuerySet[ListVersion]:
    """Every version of one list, locked (publishing changes the previous version's status too)."""
    return ListVersion.objects.select_for_update().filter(kind=kind).order_by("pk")


def holiday_year_for_update(year: int) -> QuerySet[HolidayYear]:
    return HolidayYear.objects.select_for_update().filter(year=year).order_by("pk")
