"""Row locks of the tender context, gathered here and always taken in primary-key order (project before its
sections, sections by pk), so two actions never wait on each other crosswise."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from yiwang.trading.tender.models import Counter, Objection, Project, Section


def project_for_update(project_id: int) -> Project | None:
    return Project.objects.select_for_update().filter(pk=project_id).first()


def section_for_update(section_id: int) -> Section | None:
    return Section.objects.select_for_update().select_related("project").filter(pk=section_id).first()


def sections_for_update(project_id: int, section_ids: list[int] | None = None) -> list[Section]:
    rows = Section.objects.select_for_update().filter(project_id=project_id)
    if section_ids is not None:
        rows = rows.filter(pk__in=section_ids)
    return list(rows.order_by("pk"))


def objection_for_update(objection_id: int) -> Objection | None:
    return Objection.objects.select_for_update().filter(pk=objection_id).first()


def next_serial(name: str) -> int:
    """The next value of the counter ``name`` (created at 1), under its row lock: gap-free within a commit."""
    row = Counter.objects.select_for_update().filter(name=name).first()
    if row is None:
        try:
            with transaction.atomic():
                Counter.objects.create(name=name, value=0)
        except IntegrityError:
            pass  # created meanwhile by another transaction
        row = Counter.objects.select_for_update().get(name=name)
    row.value += 1
    row.save(update_fields=["value"])
    return row.value
