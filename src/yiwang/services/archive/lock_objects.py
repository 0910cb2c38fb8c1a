"""Row locks of the archive, taken in one order (archive, then its versions by number, then its holds by id)."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.services.archive.models import Archive, ArchiveVersion, LegalHold


def archive_for_update(project_ref: str) -> Archive | None:
    return Archive.objects.select_for_update().filter(project_ref=project_ref).first()


def archive_by_id_for_update(archive_id: int) -> Archive | None:
    return Archive.objects.select_for_update().filter(pk=archive_id).first()


def versions_for_update(archive: Archive) -> QuerySet[ArchiveVersion]:
    return ArchiveVersion.objects.select_for_update().filter(archive=archive).order_by("number")


def active_holds_for_update(archive: Archive) -> QuerySet[LegalHold]:
    return LegalHold.objects.select_for_update().filter(archive=archive, released_at__isnull=True).order_by("id")


def hold_for_update(hold_id: int) -> LegalHold | None:
    return LegalHold.objects.select_for_update().select_related("archive").filter(pk=hold_id).first()
