"""Reading external OCDS: release packages, record packages, single releases or records, and JSON Lines of
any of these. Pure Python.

The line rules are those of the red-flag engine's OCDS reader (supervision.redflags.domain.ocds), through
the shared ``yiwang.kernel.jsonlines``, so one file reads the same in both places: the standard's JSON only
(``NaN`` and ``Infinity`` are refused); a line that is not valid JSON, or not a JSON object, is counted with
its line number and the parser's message and skipped; blank lines are skipped silently; objects without a
text ``ocid`` are counted and skipped.

What becomes a release: every full release (``ocid``, ``id``, ``date``); for a record, its embedded full
releases, or — when it only links its releases — its ``compiledRelease`` (kept as one release tagged
``compiled``, the most that can be known without fetching the links).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yiwang.kernel import jsonlines

MAX_REPORTED = 1000


@dataclass(frozen=True)
class LineError:
    line: int
    code: str  # ocds.invalid_json | ocds.not_object | ocds.not_ocds | ocds.bad_date | ocds.without_ocid
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "message": self.message}


@dataclass
class ReadResult:
    format: str = ""  # release_package | record_package | release | record | json_lines | array
    lines: int = 0
    blank: int = 0
    objects: int = 0
    packages: int = 0
    records: int = 0
    malformed: int = 0
    without_ocid: int = 0
    releases: list[dict[str, Any]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    def error(self, line: int, code: str, message: str) -> None:
        if code == "ocds.without_ocid":
            self.without_ocid += 1
        else:
            self.malformed += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(LineError(line, code, message[:300]))

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "lines": self.lines,
            "blank": self.blank,
            "objects": self.objects,
            "packages": self.packages,
            "records": self.records,
            "releases": len(self.releases),
            "malformed": self.malformed,
            "without_ocid": self.without_ocid,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.malformed + self.without_ocid > len(self.errors),
        }


def _is_release(obj: Mapping[str, Any]) -> bool:
    return isinstance(obj.get("id"), str | int) and isinstance(obj.get("date"), str) and "compiledRelease" not in obj


def dated(text: Any) -> bool:
    """An ISO 8601 date-time (a missing offset is read as UTC by the store)."""
    if not isinstance(text, str):
        return False
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _releases_of_record(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    ocid = record["ocid"]
    full = [
        r
        for r in record.get("releases") or []
        if isinstance(r, dict) and r.get("ocid") == ocid and _is_release(r) and dated(r["date"]) and "url" not in r
    ]
    if full:
        return [dict(r) for r in full]
    compiled = record.get("compiledRelease")
    if isinstance(compiled, dict):
        out = dict(compiled)
        out["ocid"] = ocid
        out.setdefault("id", f"{ocid}-compiled")
        out["id"] = str(out["id"])
        out["tag"] = ["compiled"]
        if dated(out.get("date")):
            return [out]
    return []


def _take(result: ReadResult, obj: Any, line: int) -> None:
    """One JSON value: a package, a record or a release (anything else is reported)."""
    if not isinstance(obj, dict):
        result.error(line, "ocds.not_object", f"expected a JSON object, found {type(obj).__name__}")
        return
    result.objects += 1
    if isinstance(obj.get("releases"), list) and "ocid" not in obj:
        result.packages += 1
        for item in obj["releases"]:
            _take_release(result, item, line)
        return
    if isinstance(obj.get("records"), list):
        result.packages += 1
        for item in obj["records"]:
            _take_record(result, item, line)
        return
    if "compiledRelease" in obj or (isinstance(obj.get("releases"), list) and "ocid" in obj):
        _take_record(result, obj, line)
        return
    _take_release(result, obj, line)


def _take_release(result: ReadResult, obj: Any, line: int) -> None:
    if not isinstance(obj, dict):
        result.error(line, "ocds.not_object", "a release must be a JSON object")
        return
    if not isinstance(obj.get("ocid"), str) or not obj["ocid"]:
        result.error(line, "ocds.without_ocid", "a release without a text ocid")
        return
    if not _is_release(obj):
        result.error(line, "ocds.not_ocds", "a release needs an id and a date")
        return
    if not dated(obj["date"]):
        result.error(line, "ocds.bad_date", f"release date {str(obj['date'])[:40]!r} is not an ISO 8601 date-time")
        return
    release = dict(obj)
    release["id"] = str(release["id"])
    result.releases.append(release)


def _take_record(result: ReadResult, obj: Any, line: int) -> None:
    if not isinstance(obj, dict):
        result.error(line, "ocds.not_object", "a record must be a JSON object")
        return
    if not isinstance(obj.get("ocid"), str) or not obj["ocid"]:
        result.error(line, "ocds.without_ocid", "a record without a text ocid")
        return
    result.records += 1
    found = _releases_of_record(obj)
    if not found:
        result.error(line, "ocds.not_ocds", "a record without full releases or a dated compiledRelease")
        return
    result.releases.extend(found)


def read(data: bytes) -> ReadResult:
    """Read one upload (a JSON document or JSON Lines)."""
    result = ReadResult()
    text = data.lstrip()
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    if not text.strip():
        result.format = "empty"
        return result
    try:
        whole = jsonlines.decode(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        whole = None
        is_document = False
    else:
        is_document = True
    if is_document:
        result.lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if isinstance(whole, list):
            result.format = "array"
            for item in whole:
                _take(result, item, 1)
        else:
            _take(result, whole, 1)
            result.format = (
                "release_package"
                if isinstance(whole, dict) and "releases" in whole and "ocid" not in whole
                else "record_package"
                if isinstance(whole, dict) and "records" in whole
                else "record"
                if result.records
                else "release"
            )
        return result
    result.format = "json_lines"
    for number, raw in jsonlines.numbered_lines(data):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        result.lines += 1
        obj, problem = jsonlines.parse_line(raw)
        if problem is not None:
            result.error(number, "ocds.invalid_json", problem)
        elif obj is None and not raw.strip():
            result.blank += 1
        else:
            _take(result, obj, number)
    return result
