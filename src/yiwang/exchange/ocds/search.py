"""External OCDS processes in the unified search (一网尽览): one public document per imported ``ocid``, made from
its compiled release (title, buyer, suppliers, value), linking to the record page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from yiwang.exchange.ocds.domain.merge import compile_releases
from yiwang.platform.search.index import SearchDocument

KIND = "ocds_external"
CATEGORY = "ocds"


def record_path(ocid: str) -> str:
    return f"/exchange/ocds/records/{quote(ocid, safe='-._~')}/"


def key_of(ocid: str) -> str:
    return ocid if len(ocid) <= 128 else "sha256:" + hashlib.sha256(ocid.encode()).hexdigest()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def compiled_document(ocid: str, compiled: dict[str, Any], published_at: Any) -> SearchDocument:
    tender = compiled.get("tender") if isinstance(compiled.get("tender"), dict) else {}
    buyer = compiled.get("buyer") if isinstance(compiled.get("buyer"), dict) else {}
    title = _text(tender.get("title")) or _text(compiled.get("planning", {}).get("budget", {}).get("project")) or ocid
    lines = [f"OCID：{ocid}"]
    if _text(buyer.get("name")):
        lines.append(f"采购人：{_text(buyer.get('name'))}")
    if _text(tender.get("description")):
        lines.append(_text(tender.get("description")))
    suppliers = sorted(
        {
            _text(s.get("name"))
            for a in compiled.get("awards") or []
            if isinstance(a, dict)
            for s in a.get("suppliers") or []
            if isinstance(s, dict) and _text(s.get("name"))
        }
    )
    if suppliers:
        lines.append("供应商：" + "、".join(suppliers))
    tags = compiled.get("tag") or []
    return SearchDocument(
        kind=KIND,
        key=key_of(ocid),
        title=title[:500],
        body="\n".join(lines),
        url=record_path(ocid) if len(record_path(ocid)) <= 500 else "",
        public=True,
        category=CATEGORY,
        published_at=published_at,
        extra={"ocid": ocid[:200], "source": "external", "tag": str(tags[0]) if tags else ""},
    )


def document_for(ocid: str) -> SearchDocument | None:
    """The search document of an external process from every stored release of it."""
    from yiwang.exchange.ocds.models import Release, Source

    rows = list(Release.objects.filter(ocid=ocid, source=Source.EXTERNAL).order_by("date", "pk"))
    if not rows:
        return None
    compiled = compile_releases([r.data for r in rows])
    return compiled_document(ocid, compiled, rows[-1].date)


def all_documents() -> Iterator[SearchDocument]:
    """Every external process (for ``yiwang search rebuild``)."""
    from yiwang.exchange.ocds.models import Release, Source

    ocids = Release.objects.filter(source=Source.EXTERNAL).values_list("ocid", flat=True).distinct().order_by("ocid")
    for ocid in ocids.iterator(chunk_size=1000):
        doc = document_for(ocid)
        if doc is not None:
            yield doc
