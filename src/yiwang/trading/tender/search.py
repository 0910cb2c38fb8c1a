"""Projects in the unified search (一网尽览): one public document per published project (kind ``tender_project``),
indexed when it is published or changes stage; ``yiwang search rebuild`` re-feeds them from here."""

from __future__ import annotations

from collections.abc import Iterator

from yiwang.platform.search.index import SearchDocument, index_document

KIND = "tender_project"


def project_document(project) -> SearchDocument:
    from yiwang.trading.tender.domain.states import PROJECT_LABELS, P

    sections = list(project.sections.all())
    body = " ".join(
        [project.content, project.tender_project_code, project.project_code, project.deal_code]
        + [f"{s.code} {s.name} {s.content}" for s in sections]
    )
    return SearchDocument(
        kind=KIND,
        key=str(project.pk),
        title=project.name,
        published_at=project.published_at,
        body=body,
        url=f"/tender/projects/{project.pk}/",
        public=True,
        category=project.category,
        region=project.region_code,
        stage=project.status,
        amount_fen=sum(s.estimate_fen for s in sections) or None,
        extra={
            "status": PROJECT_LABELS[P(project.status)],
            "procedure": project.procedure,
            "code": project.tender_project_code,
        },
    )


def index_project(project) -> None:
    if project.published_at is not None:
        index_document(project_document(project))


def all_project_documents() -> Iterator[SearchDocument]:
    from yiwang.trading.tender.models import Project

    for project in Project.objects.filter(published_at__isnull=False, is_test_data=False).prefetch_related("sections"):
        yield project_document(project)
