"""The tender context's archive collector: what it holds about a project goes into the project's archive.

``yiwang archive export tender.project:<id>`` gathers, besides the project's documents (tender documents,
clarification files, evaluation reports, award letters, contracts — owned by ``tender.project/<id>``, found by the
archive's storage collector): every notice of the project and its sections as published (JSON), the opening
records of every round, the decrypted bids' digests, the evaluation hand-over and result, the candidates,
awards, contracts, performance records, objections and flags (each a JSON record with the witness refs of its
object, so the archive includes their witness entries with inclusion proofs).
"""

from __future__ import annotations

from collections.abc import Iterator

from yiwang.kernel.canonical import iso_utc
from yiwang.services.archive.collectors import ArchiveItem


def _project_id(project_ref: str) -> int | None:
    kind, _, pk = project_ref.partition(":")
    if kind != "tender.project" or not pk.isdigit():
        return None
    return int(pk)


def project_records(project_ref: str) -> Iterator[ArchiveItem]:
    from yiwang.services.bidbox import queries as bidbox_queries
    from yiwang.services.notices import queries as notice_queries
    from yiwang.trading.tender import queries
    from yiwang.trading.tender.models import Project

    pk = _project_id(project_ref)
    project = Project.objects.filter(pk=pk).first() if pk else None
    if project is None:
        return
    yield ArchiveItem.of_json(
        key="project",
        kind="record",
        title=f"招标项目 {project.tender_project_code}",
        value=queries.project_record(project),
        witness_refs=[("tender.project", str(project.pk))],
    )
    owners = [f"tender.project:{project.pk}"] + [f"tender.section:{s.pk}" for s in project.sections.all()]
    for owner in owners:
        for notice in notice_queries.list_notices_of(owner):
            if notice.published_at is None:
                continue
            yield ArchiveItem.of_json(
                key=f"notice:{notice.pk}",
                kind="notice",
                title=notice.title,
                value={
                    "id": notice.pk,
                    "number": notice.number,
                    "type": notice.notice_type,
                    "title": notice.title,
                    "published_at": iso_utc(notice.published_at),
                    "fields": notice.fields,
                    "body_html": notice.body_html,
                    "status": notice.status,
                    "owner": owner,
                },
                witness_refs=[("notices.notice", str(notice.pk))],
            )
    for section in project.sections.all():
        for item in queries.section_records(section):
            yield ArchiveItem.of_json(
                key=item["key"],
                kind=item["kind"],
                title=item["title"],
                value=item["value"],
                witness_refs=[tuple(r) for r in item.get("witness_refs", [])],
            )
        for box_ref in queries.box_refs(section):
            view = bidbox_queries.get_box_of_owner(box_ref)
            if view is None or view.status != "closed":
                continue
            yield ArchiveItem.of_json(
                key=f"opening:{view.id}",
                kind="opening_record",
                title=f"开标记录 {section.code}",
                value=bidbox_queries.get_opening_record(view.id),
                witness_refs=[("bidbox.box", str(view.id))],
            )
