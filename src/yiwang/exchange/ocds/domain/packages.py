"""Release packages, record packages and bulk files, as stable bytes.

The same releases always give the same bytes: packages are canonical JSON (sorted keys, no white space,
UTF-8), releases are ordered by (date, ocid, id), a package's ``publishedDate`` is the latest release date it
holds (never the time of the request), and the zip of daily packages has fixed member times. Pure Python.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from yiwang.exchange.ocds.domain.merge import compile_releases, ordered, version_releases
from yiwang.kernel.canonical import canonical_json

VERSION = "1.1"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def sort_releases(releases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(releases, key=lambda r: (str(r.get("date", "")), str(r.get("ocid", "")), str(r.get("id", ""))))


def publisher_block(name: str, uid: str = "", scheme: str = "") -> dict[str, str]:
    out = {"name": name}
    if uid:
        out["uid"] = uid
    if scheme:
        out["scheme"] = scheme
    return out


def release_package(
    releases: Sequence[Mapping[str, Any]], *, uri: str, publisher: Mapping[str, str], published: str | None = None
) -> dict[str, Any]:
    items = sort_releases(releases)
    if not items:
        raise ValueError("a release package holds at least one release")
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": published or max(str(r["date"]) for r in items),
        "publisher": dict(publisher),
        "releases": [dict(r) for r in items],
    }


def record(ocid: str, releases: Sequence[Mapping[str, Any]], *, versioned: bool = True) -> dict[str, Any]:
    """One record: every release (embedded), the compiled release and, optionally, the versioned release."""
    items = ordered(releases)
    out: dict[str, Any] = {
        "ocid": ocid,
        "releases": [dict(r) for r in items],
        "compiledRelease": compile_releases(items),
    }
    if versioned:
        out["versionedRelease"] = version_releases(items)
    return out


def record_package(
    records: Sequence[Mapping[str, Any]], *, uri: str, publisher: Mapping[str, str], published: str | None = None
) -> dict[str, Any]:
    if not records:
        raise ValueError("a record package holds at least one record")
    dates = [str(r["compiledRelease"].get("date", "")) for r in records]
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": published or max(dates),
        "publisher": dict(publisher),
        "records": [dict(r) for r in sorted(records, key=lambda r: str(r["ocid"]))],
    }


def json_lines(items: Iterable[Mapping[str, Any]]) -> bytes:
    """One canonical JSON object per line, each line ending in a newline."""
    return b"".join(canonical_json(dict(item)) + b"\n" for item in items)


def zip_of(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend only on the names and contents given (fixed times and permissions)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
