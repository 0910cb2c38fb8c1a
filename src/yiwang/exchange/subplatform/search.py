"""How pushed records appear in the unified search (一网尽览): one document per record (its current version).

Only a dataset's public fields go into the text; datasets that carry personal data (评标专家) are indexed as
private documents, which only privileged searchers see. A deleted record leaves the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from yiwang.exchange.subplatform.domain.datasets import get_dataset
from yiwang.platform.search.index import SearchDocument

KIND = "exchange_record"


def record_path(record_id: int) -> str:
    return f"/exchange/records/{record_id}/"


def record_document(record: Any) -> SearchDocument:
    dataset = get_dataset(record.dataset)
    assert dataset is not None
    fields = dataset.field_map
    lines = [
        f"{fields[name].name_zh}：{record.content[name]}"
        for name in dataset.public_fields
        if name in record.content and fields[name].type in ("string", "code")
    ]
    region = record.region_code if len(record.region_code) == 6 and record.region_code.isdigit() else ""
    return SearchDocument(
        kind=KIND,
        key=str(record.pk),
        title=record.title[:500],
        body="\n".join(lines),
        url=record_path(record.pk),
        public=not dataset.personal_data,
        category=dataset.category,
        region=region,
        stage=dataset.table[:32],
        published_at=record.received_at,
        extra={
            "dataset": dataset.table,
            "dataset_label": dataset.name_zh,
            "platform_code": record.platform.platform_code,
            "record_key": record.record_key[:200],
            "version": record.version,
        },
    )


def all_documents() -> Iterator[SearchDocument]:
    """Every live record (for ``yiwang search rebuild``)."""
    from yiwang.exchange.subplatform.models import Record

    rows = Record.objects.filter(deleted=False).select_related("platform").order_by("pk")
    for record in rows.iterator(chunk_size=1000):
        yield record_document(record)
