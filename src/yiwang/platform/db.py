"""Small database helpers shared by the platform apps."""

from __future__ import annotations

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def locked_singleton(model: type[M], pk: int = 1) -> M:
    """Lock (``SELECT … FOR UPDATE``) the one row of a head/counter table, creating it on first use.

    Creation uses ``INSERT … ON CONFLICT DO NOTHING`` so two first writers cannot both create it. On SQLite
    the lock is the database write lock that ``BEGIN IMMEDIATE`` already took.
    """
    try:
        return model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist:
        model.objects.bulk_create([model(pk=pk)], ignore_conflicts=True)
        return model.objects.select_for_update().get(pk=pk)
