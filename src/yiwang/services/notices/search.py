"""How notices appear in the unified search (一网尽览): one document per notice *chain*.

The key is the chain's first version (``root``), so publishing a correction replaces the document of the
version it corrects: a search finds the current text, linked to the newest version (which shows the chain).
Drafts and scheduled notices are not in the index; a withdrawn notice stays, marked in ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from yiwang.platform.search.index import SearchDocument
from yiwang.services.notices.domain import fields as field_rules
from yiwang.services.notices.domain.states import Status
from yiwang.services.notices.rendering import notice_path

KIND = "notice"


def notice_document(notice: Any, type_label: str) -> SearchDocument:
    body = "\n".join(t for t in (notice.body_text, field_rules.summary_text(notice.notice_type, notice.fields)) if t)
    return SearchDocument(
        kind=KIND,
        key=str(notice.root_id_or_self),
        title=notice.title,
        body=body,
        url=notice_path(notice.pk),
        public=True,
        category=notice.category,
        region=notice.region_code,
        stage=notice.stage,
        published_at=notice.published_at,
        amount_fen=notice.amount_fen,
        extra={
            "notice_id": notice.pk,
            "number": notice.number,
            "notice_type": notice.notice_type,
            "type_label": type_label,
            "status": notice.status,
            "version": notice.notice_version,
            "deal_code": notice.deal_code or None,
        },
    )


def all_notice_documents() -> Iterator[SearchDocument]:
    """Every chain's current public version (for ``yiwang search rebuild``)."""
    from yiwang.catalog.queries import code_entries
    from yiwang.services.notices.models import Notice

    labels = {e.code: e.label_zh for e in code_entries("notice_type")}
    current = Notice.objects.filter(
        status__in=[Status.PUBLISHED, Status.WITHDRAWN], published_at__isnull=False
    ).order_by("pk")
    for notice in current.iterator(chunk_size=1000):
        yield notice_document(notice, labels.get(notice.notice_type, notice.notice_type))
