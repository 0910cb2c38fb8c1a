"""The public facts of a tender section, read through the tender context's public queries.

Everything here is read as an anonymous visitor would (``Actor.anonymous()``), so the tender context's own
secrecy rules decide what exists: no bidder and no price before the opening record is published, candidates
only once they are publicised, documents only once issued. Nothing reads another context's tables.
"""

from __future__ import annotations

from typing import Any

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import NotFound
from yiwang.registry import queries as registry_queries
from yiwang.trading.tender import queries as tender_queries

PUBLIC = Actor.anonymous()


def _iso(value: Any) -> str | None:
    return iso_utc(value) if value else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _org(entity_id: int | None, names: dict[int, str]) -> dict[str, Any] | None:
    if not entity_id:
        return None
    refs = registry_queries.get_entity_refs([entity_id])
    ref = refs.get(entity_id)
    return {"name": ref.name if ref else names.get(entity_id, f"entity:{entity_id}"), "uscc": ref.uscc if ref else None}


def project_facts(project_id: int) -> dict[str, Any] | None:
    """The public project (None when it is not public)."""
    try:
        view = tender_queries.get_project_for(PUBLIC, project_id)
    except NotFound:
        return None
    p = view.project
    return {
        "id": p.pk,
        "name": p.name,
        "code": p.tender_project_code,
        "deal_code": p.deal_code,
        "content": p.content,
        "subject": p.subject,
        "category": p.category,
        "region_code": p.region_code,
        "fund_source": p.fund_source,
        "procedure_key": view.procedure.key,
        "procedure_title": view.procedure.title_zh,
        "invitation": view.procedure.invitation,
        "prequalification": view.procedure.prequalification,
        "published_at": _iso(p.published_at),
        "buyer": _org(p.tenderer_entity_id, view.names),
        "agency": _org(p.agency_entity_id, view.names),
        "documents": [
            {"id": str(d.document_id), "title": d.title, "kind": d.kind, "issued_at": _iso(d.issued_at)}
            for d in view.documents
        ],
        "clarifications": [
            {
                "number": c.number,
                "text": c.text,
                "issued_at": _iso(c.issued_at),
                "postponed": c.postponed,
                "new_deadline": _iso(c.new_deadline),
            }
            for c in view.clarifications
        ],
        "section_ids": [s.section.pk for s in view.sections],
    }


def section_facts(section_id: int, project: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The public facts of one section and its project (None when it is not public)."""
    try:
        view = tender_queries.get_section_for(PUBLIC, section_id)
    except NotFound:
        return None
    s = view.section
    project = project if project is not None else project_facts(s.project_id)
    if project is None:
        return None
    facts: dict[str, Any] = {
        "project": project,
        "section": {
            "id": s.pk,
            "code": s.code,
            "deal_code": s.deal_code,
            "name": s.name,
            "content": s.content,
            "status": s.status,
            "round": s.round,
            "estimate_fen": s.estimate_fen,
            "ceiling_fen": s.ceiling_fen,
            "qualification_text": s.qualification_text,
            "evaluation_method": s.evaluation_method,
            "doc_get_start": _iso(s.doc_get_start),
            "doc_get_end": _iso(s.doc_get_end),
            "bid_deadline": _iso(s.bid_deadline),
        },
        "opening": None,
        "candidates": [],
        "award": None,
        "contract": None,
    }
    record = view.opening_record
    if record:
        facts["opening"] = {
            "closed_at": record.get("closed_at"),
            "entries": [
                {
                    "number": e["number"],
                    "bidder": e["bidder"],
                    "bidder_id": e.get("bidder_id") or None,
                    "received_at": e.get("received_at"),
                    "decrypted": e.get("opening_status") == "decrypted",
                    "price_fen": _int((e.get("readout") or {}).get("price_fen")),
                }
                for e in record.get("entries", [])
            ],
        }
    facts["candidates"] = [
        {"round": c.round, "rank": c.rank, "name": c.name, "uscc": c.uscc or None, "price_fen": c.price_fen}
        for c in view.candidates
    ]
    if view.award is not None:
        a = view.award
        facts["award"] = {
            "id": a.pk,
            "name": a.name,
            "uscc": a.uscc or None,
            "price_fen": a.price_fen,
            "issued_at": _iso(a.issued_at),
            "letter_number": a.letter_number,
            "status": a.status,
        }
    if view.contract is not None:
        c = view.contract
        facts["contract"] = {
            "id": c.pk,
            "name": c.name,
            "code": c.code,
            "amount_fen": c.amount_fen,
            "signed_at": _iso(c.signed_at),
        }
    return facts
