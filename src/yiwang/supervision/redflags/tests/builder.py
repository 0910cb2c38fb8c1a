"""Small OCDS compiled releases for the tests, written by hand (one line per release)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def bid(
    tenderers: str | list[str],
    amount: float | None = None,
    status: str = "valid",
    *,
    currency: str = "CNY",
    date: str | None = None,
    bid_id: str | None = None,
) -> dict[str, Any]:
    ids = [tenderers] if isinstance(tenderers, str) else tenderers
    out: dict[str, Any] = {"status": status, "tenderers": [{"id": t} for t in ids]}
    if bid_id:
        out["id"] = bid_id
    if amount is not None:
        out["value"] = {"amount": amount, "currency": currency}
    if date:
        out["date"] = date
    return out


def award(
    suppliers: str | list[str], status: str = "active", *, items: list[str] | None = None, award_id: str | None = None
) -> dict[str, Any]:
    ids = [suppliers] if isinstance(suppliers, str) else suppliers
    out: dict[str, Any] = {"status": status, "suppliers": [{"id": s} for s in ids]}
    if award_id:
        out["id"] = award_id
    if items is not None:
        out["items"] = [{"id": str(i), "classification": {"scheme": "CPV", "id": code}} for i, code in enumerate(items)]
    return out


def release(
    ocid: str,
    *,
    bids: list[dict[str, Any]] | None = None,
    awards: list[dict[str, Any]] | None = None,
    status: str | None = "active",
    method: str | None = "open",
    details: str | None = None,
    tenderers: int | None = None,
    start: str | None = None,
    end: str | None = None,
    buyer: str | None = None,
    procuring_entity: str | None = None,
    parties: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    tender: dict[str, Any] = {"id": f"{ocid}-t"}
    if status is not None:
        tender["status"] = status
    if method is not None:
        tender["procurementMethod"] = method
    if details is not None:
        tender["procurementMethodDetails"] = details
    if tenderers is not None:
        tender["numberOfTenderers"] = tenderers
    if start or end:
        tender["tenderPeriod"] = {k: v for k, v in (("startDate", start), ("endDate", end)) if v}
    if procuring_entity:
        tender["procuringEntity"] = {"id": procuring_entity}
    out: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-r",
        "date": "2026-01-01T00:00:00Z",
        "tag": ["compiled"],
        "tender": tender,
    }
    if buyer:
        out["buyer"] = {"id": buyer}
    if bids is not None:
        out["bids"] = {"details": bids}
    if awards is not None:
        out["awards"] = awards
    if parties is not None:
        out["parties"] = parties
    return out


def jsonl(releases: Iterable[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(r, ensure_ascii=False) for r in releases) + "\n").encode("utf-8")
