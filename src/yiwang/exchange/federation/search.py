"""Regional 一网尽览: the notices of peer hubs as documents of this hub's search (kind ``federation_notice``).

A hit shows the home hub's name and links back to the notice on the home hub. A correction replaces the
document (one document per notice chain and peer). A withdrawn notice stays findable, marked withdrawn, as on
its home hub; a notice record a sub-platform deleted leaves the index, as on its home hub.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from yiwang.platform.search.index import SearchDocument

KIND = "federation_notice"
KIND_LABEL = "区域公告（互联平台）"


def _region(code: str) -> str:
    return code if len(code) == 6 and code.isdigit() else ""


def _category(code: str) -> str:
    return code if code and len(code) <= 32 and all(c.isalnum() or c in "_.-" for c in code) and code.isascii() else ""


def notice_document(notice: Any) -> SearchDocument:
    peer = notice.peer
    body = "\n".join(
        line
        for line in (
            f"发布平台：{peer.name}",
            f"公告编号：{notice.number}" if notice.number else "",
            f"原文链接：{notice.url}" if notice.url else "",
            f"已撤销：{notice.withdraw_reason}" if notice.withdrawn else "",
        )
        if line
    )
    return SearchDocument(
        kind=KIND,
        key=str(notice.pk),
        title=notice.title[:500],
        body=body,
        url=notice.url or f"/exchange/federation/notices/{notice.pk}/",
        public=True,
        category=_category(notice.category),
        region=_region(notice.region_code),
        published_at=notice.published_at,
        extra={
            "hub_code": peer.code,
            "hub_name": peer.name,
            "number": notice.number,
            "version": notice.version,
            "status": "withdrawn" if notice.withdrawn else "published",
        },
    )


def indexed(notice: Any) -> bool:
    """Whether the notice belongs in the index (everything but deleted sub-platform records)."""
    return not (notice.withdrawn and notice.chain.startswith("exchange:"))


def all_documents() -> Iterator[SearchDocument]:
    """Every regional notice (for ``yiwang search rebuild``)."""
    from yiwang.exchange.federation.models import RemoteNotice

    rows = RemoteNotice.objects.select_related("peer").order_by("pk")
    for notice in rows.iterator(chunk_size=1000):
        if indexed(notice):
            yield notice_document(notice)
