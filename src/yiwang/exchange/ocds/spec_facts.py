"""The facts of a pushed sub-platform record for its OCDS releases (``domain/spec.py``), read through the exchange's
public queries *as of the feed event*: the record's own version (for a delete, the version it deleted) and its
chain — the tender project, the sections it concerns, the candidates and the result of each section — as the hub
held them when that version was accepted (its position in the exchange's version log, so that records pushed
together in one batch see only those before them). Only datasets without personal data are read (the exchange's
public fields); nothing reads the exchange's tables."""

from __future__ import annotations

from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.exchange.ocds.domain.spec import CATEGORY_OF, PUBLISHED_DATASETS
from yiwang.exchange.subplatform import queries as exchange

EVENT_TYPES: dict[str, str] = {f"exchange.{name.lower()}.received.v1": name for name in PUBLISHED_DATASETS}
NOTICE = "TENDER_ANN_QUA_INQUERY_ANN"


def _content(dataset: str, key: str, moment: int) -> dict[str, Any] | None:
    version = exchange.public_version_as_of(dataset, key, moment)
    return version.content if version is not None and not version.deleted else None


def _method_label(code: Any) -> str | None:
    if not code:
        return None
    return catalog.code_label("gp_method", str(code)) or str(code)


def spec_facts(data: dict[str, Any]) -> dict[str, Any] | None:
    """The builder's input for the feed event ``exchange.<dataset>.received.v1`` with ``data`` (None when the
    dataset is not published as OCDS or the record version cannot be read)."""
    dataset = str(data.get("dataset", ""))
    category = CATEGORY_OF.get(dataset)
    if category is None:
        return None
    operation = str(data.get("operation", ""))
    key = str(data.get("key", ""))
    version = exchange.public_version(dataset, key, int(data.get("version") or 0))
    if version is None:
        return None
    moment = version.position
    # a delete: the public fields of the version it deleted; else the record as the feed published it
    record = version.content if operation == "delete" else data.get("record")
    if not isinstance(record, dict) or not record:
        return None
    facts: dict[str, Any] = {
        "dataset": dataset,
        "operation": operation,
        "first": operation == "add",
        "key": key,
        "record": record,
    }
    if category == "works":
        tp_code = str(record.get("TENDER_PROJECT_CODE", ""))
        facts["tender_project"] = record if dataset == "TENDER_PROJECT" else _content("TENDER_PROJECT", tp_code, moment)
        if dataset == "TENDER_PROJECT":
            codes = [v.key for v in exchange.live_versions_as_of("SECTION", tp_code, moment)]
        elif dataset == NOTICE:
            named = {c.strip() for c in str(record.get("BID_SECTION_CODES") or "").split(",") if c.strip()}
            live = [v.key for v in exchange.live_versions_as_of("SECTION", tp_code, moment)]
            codes = [c for c in live if not named or c in named]
        else:
            codes = [str(record.get("BID_SECTION_CODE", ""))]
        sections = []
        for code in codes:
            target: dict[str, Any] = {
                "code": code,
                "record": record if dataset == "SECTION" else _content("SECTION", code, moment),
                "candidates": _content("TENDER_CANDIDATE_ANNOUNCE", code, moment),
                "result": _content("WIN_RESULT_ANNO", code, moment),
            }
            if dataset == "SECTION":
                target["notices"] = [
                    v.content
                    for v in exchange.live_versions_as_of(NOTICE, tp_code, moment)
                    if code in str(v.content.get("BID_SECTION_CODES") or code)
                ]
            sections.append(target)
        facts["sections"] = sections
    elif category == "gp":
        package = f"{record.get('PURCHASE_PROJECT_CODE')}|{record.get('PURCHASE_SECTION_CODE')}"
        project = record if dataset == "PURCHASE_PROJECT" else _content("PURCHASE_PROJECT", package, moment)
        facts["purchase_project"] = project
        facts["method_label"] = _method_label((project or {}).get("PURCHASER_MODE"))
    return facts
