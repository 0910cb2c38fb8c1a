"""The tender bid document format and its read-out parser (registered with the bid box).

A bid document (the plaintext a bidder seals in its envelope) is either

- a JSON document ``{"format": "yiwang.tender.bid.v1", "summary": {"price_fen": 12345600, "duration_days": 180,
  "quality": "合格", "project_manager": "王工"}, "qualifications": [...], "technical": "…", "commercial": "…"}``, or
- a ZIP bundle (what bid-making tools produce) holding ``summary.json`` (the ``summary`` object, or a whole JSON
  document as above) next to the bid's PDF/OFD files.

``price_fen`` (integer 分) is required for the evaluation; the other summary fields are read out at the opening
(唱标). :func:`make_bid_document` builds the JSON form (tests, the demo, the benchmark).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any, BinaryIO

FORMAT = "yiwang.tender.bid.v1"
OWNER_CONTEXT = "tender.section"
READOUT_FIELDS = ("price_fen", "duration_days", "quality", "project_manager")
MAX_JSON = 16 << 20


class BidUnreadable(Exception):
    pass


def _summary_of(document: Any) -> Mapping[str, Any]:
    if isinstance(document, dict) and isinstance(document.get("summary"), dict):
        return document["summary"]
    if isinstance(document, dict) and "price_fen" in document:
        return document
    raise BidUnreadable("no summary")


def parse_summary(stream: BinaryIO, file_name: str) -> Mapping[str, Any]:
    """The bid box's read-out hook: the summary of a JSON bid or of a ZIP bundle's ``summary.json``. Anything
    unreadable goes through the box's generic parser, which refuses it the box's way (the bid still opens)."""
    from yiwang.services.bidbox.hooks import json_summary

    head = stream.read(4)
    stream.seek(0)
    if not head.startswith(b"PK"):
        return json_summary(stream, file_name)
    try:
        with zipfile.ZipFile(stream) as bundle:
            info = bundle.getinfo("summary.json")
            if info.file_size > MAX_JSON:
                raise BidUnreadable("summary.json too large")
            summary = _summary_of(json.loads(bundle.read(info).decode("utf-8")))
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, ValueError, BidUnreadable):
        return json_summary(io.BytesIO(b"{}"), file_name)  # refused by the box's parser: no summary
    return json_summary(io.BytesIO(json.dumps({"summary": summary}).encode()), file_name)


def make_bid_document(
    *,
    price_fen: int,
    section_code: str,
    bidder_uscc: str,
    bidder_name: str,
    duration_days: int = 180,
    quality: str = "合格",
    project_manager: str = "",
    padding: int = 0,
) -> bytes:
    """A JSON bid document (``padding`` adds that many bytes of technical text, for size tests)."""
    document = {
        "format": FORMAT,
        "section_code": section_code,
        "bidder": {"uscc": bidder_uscc, "name": bidder_name},
        "summary": {
            "price_fen": price_fen,
            "duration_days": duration_days,
            "quality": quality,
            "project_manager": project_manager or "项目负责人",
        },
        "technical": "技术标：施工组织设计……" + ("x" * padding),
        "commercial": "商务标：已标价工程量清单……",
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def read_price(summary: Mapping[str, Any]) -> int | None:
    """The bid price in 分 from a read-out summary (values are text there), or ``None``."""
    value = summary.get("price_fen")
    try:
        price = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return price if price >= 0 else None


def read_document(data: bytes) -> Mapping[str, Any]:
    """The whole JSON document of a bid (or of a bundle's ``summary.json``), for the evaluation hand-over."""
    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                return json.loads(bundle.read("summary.json").decode("utf-8"))
        return json.loads(data.decode("utf-8"))
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, ValueError) as exc:
        raise BidUnreadable(str(exc)) from exc


MAX_TEXT = 200_000  # characters of a bid's text kept for the similarity screens
TEXT_FIELDS = ("technical", "commercial", "qualifications")


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def read_text(data: bytes) -> str:
    """The readable text of a bid for the similarity screens (串通投标: near-identical documents): the technical,
    commercial and qualification parts of a JSON bid, or of a bundle's ``summary.json`` plus its ``.txt`` files.
    PDF/OFD files are not read (no text extraction here): such a bid has no text. At most :data:`MAX_TEXT`
    characters; an unreadable bid has none."""
    parts: list[str] = []
    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                names = bundle.namelist()
                if "summary.json" in names and bundle.getinfo("summary.json").file_size <= MAX_JSON:
                    document = json.loads(bundle.read("summary.json").decode("utf-8"))
                    if isinstance(document, dict):
                        for key in TEXT_FIELDS:
                            _strings(document.get(key), parts)
                for name in names:
                    if name.lower().endswith(".txt") and bundle.getinfo(name).file_size <= MAX_JSON:
                        parts.append(bundle.read(name).decode("utf-8", errors="replace"))
        else:
            document = json.loads(data.decode("utf-8"))
            if isinstance(document, dict):
                for key in TEXT_FIELDS:
                    _strings(document.get(key), parts)
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, ValueError):
        return ""
    return "\n".join(p for p in parts if p.strip())[:MAX_TEXT]
