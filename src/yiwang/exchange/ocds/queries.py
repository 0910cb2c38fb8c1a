"""Reads of the OCDS store. Everything published here is public by construction (releases are built from the
tender context's public views), so the reads need no actor; the import batches are for staff and regulators.

Public functions for other contexts (portal, supervision):

- ``record_package(ocid) -> dict`` — the record package of one process (ours or imported)
- ``compiled_release(ocid) -> dict``
- ``compiled_releases_jsonl(*, source=None) -> bytes`` — JSON Lines of compiled releases, one process a line:
  what the red-flag engine's OCDS reader takes (``supervision.redflags.actions.do_import_ocds(source=…)``)
- ``list_days() -> list[Day]``, ``day_package(day) -> dict``, ``day_package_bytes(day) -> bytes``
- ``releases_since(*, since=None, after=0, limit=100) -> ReleasePage``
- ``bulk_jsonl() -> bytes``, ``bulk_zip() -> bytes``
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max

from yiwang.exchange.ocds import conf
from yiwang.exchange.ocds.domain import packages
from yiwang.exchange.ocds.domain.merge import compile_releases
from yiwang.exchange.ocds.models import ImportBatch, Release, Source
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.errors import NotFound, PermissionDenied

API = "/api/v1/ocds"
MAX_PAGE = 1000


def _uri(path: str) -> str:
    return f"{conf.public_url()}{API}{path}"


def _no_process(ocid: str) -> NotFound:
    return NotFound(
        "ocds.process_not_found", "没有该交易过程的 OCDS 数据", "no OCDS data for this ocid", {"ocid": ocid}
    )


@dataclass(frozen=True)
class Day:
    day: date
    releases: int
    processes: int
    latest: datetime


def list_days() -> list[Day]:
    """The days with releases of ours (newest first)."""
    rows = (
        Release.objects.filter(source=Source.LOCAL)
        .values("day")
        .annotate(n=Count("pk"), p=Count("ocid", distinct=True), latest=Max("date"))
        .order_by("-day")
    )
    return [Day(r["day"], r["n"], r["p"], r["latest"]) for r in rows]


def _day_rows(day: date) -> list[dict[str, Any]]:
    return [r.data for r in Release.objects.filter(source=Source.LOCAL, day=day).order_by("date", "ocid", "pk")]


def day_package(day: date) -> dict[str, Any]:
    """The release package of one day (Asia/Shanghai) of our releases."""
    rows = _day_rows(day)
    if not rows:
        raise NotFound(
            "ocds.no_package",
            "该日没有发布的 OCDS 数据",
            "no OCDS releases were published that day",
            {"date": str(day)},
        )
    return packages.release_package(rows, uri=_uri(f"/packages/{day.isoformat()}"), publisher=conf.publisher())


def day_package_bytes(day: date) -> bytes:
    return canonical_json(day_package(day))


@dataclass(frozen=True)
class ReleasePage:
    package: dict[str, Any]
    next_after: int
    has_more: bool


def releases_since(*, since: datetime | None = None, after: int = 0, limit: int = 100) -> ReleasePage:
    """Our releases dated at or after ``since``, in the order they were stored, after the cursor ``after``."""
    limit = max(1, min(limit, MAX_PAGE))
    qs = Release.objects.filter(source=Source.LOCAL, pk__gt=max(0, after))
    if since is not None:
        qs = qs.filter(date__gte=since)
    rows = list(qs.order_by("pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    releases = [r.data for r in rows]
    next_after = rows[-1].pk if rows else max(0, after)
    package: dict[str, Any] = {
        "uri": _uri(f"/releases?after={after}" + (f"&since={iso_utc(since)}" if since else "")),
        "version": packages.VERSION,
        "publishedDate": max((str(r["date"]) for r in releases), default=iso_utc(since) if since else ""),
        "publisher": conf.publisher(),
        "releases": releases,
    }
    if not package["publishedDate"]:
        package.pop("publishedDate")
    if has_more:
        package["links"] = {
            "next": _uri(f"/releases?after={next_after}" + (f"&since={iso_utc(since)}" if since else ""))
        }
    return ReleasePage(package, next_after, has_more)


def _process_rows(ocid: str) -> list[Release]:
    return list(Release.objects.filter(ocid=ocid).order_by("date", "pk"))


def releases_of(ocid: str) -> list[dict[str, Any]]:
    rows = _process_rows(ocid)
    if not rows:
        raise _no_process(ocid)
    return [r.data for r in rows]


def compiled_release(ocid: str) -> dict[str, Any]:
    return compile_releases(releases_of(ocid))


def record_of(ocid: str) -> dict[str, Any]:
    return packages.record(ocid, releases_of(ocid))


def record_package(ocid: str) -> dict[str, Any]:
    return packages.record_package([record_of(ocid)], uri=_uri(f"/records/{ocid}"), publisher=conf.publisher())


def source_of(ocid: str) -> str:
    return Release.objects.filter(ocid=ocid).values_list("source", flat=True).first() or ""


def bulk_jsonl() -> bytes:
    """Every release of ours, one a line, by (date, ocid, id)."""
    rows = Release.objects.filter(source=Source.LOCAL).order_by("date", "ocid", "release_id")
    return packages.json_lines(r.data for r in rows.iterator(chunk_size=1000))


def bulk_zip() -> bytes:
    """A zip of the daily release packages (``<YYYY-MM-DD>.json`` each)."""
    return packages.zip_of((f"{d.day.isoformat()}.json", day_package_bytes(d.day)) for d in list_days())


def compiled_releases_jsonl(*, source: str | None = None) -> bytes:
    """One compiled release per process, one a line (ocid order), of ours, the imported ones, or both."""
    qs = Release.objects.all() if source is None else Release.objects.filter(source=source)
    ocids = list(qs.values_list("ocid", flat=True).distinct().order_by("ocid"))
    return packages.json_lines(compiled_release(ocid) for ocid in ocids)


@dataclass(frozen=True)
class ProcessRow:
    ocid: str
    title: str
    buyer: str
    latest: datetime
    releases: int
    source: str


def list_processes(*, source: str | None = None, limit: int = 100) -> list[ProcessRow]:
    qs = Release.objects.all() if source is None else Release.objects.filter(source=source)
    rows = qs.values("ocid").annotate(n=Count("pk"), latest=Max("date")).order_by("-latest", "ocid")[:limit]
    out = []
    for row in rows:
        compiled = compiled_release(row["ocid"])
        tender = compiled.get("tender") if isinstance(compiled.get("tender"), dict) else {}
        buyer = compiled.get("buyer") if isinstance(compiled.get("buyer"), dict) else {}
        out.append(
            ProcessRow(
                row["ocid"],
                str(tender.get("title") or row["ocid"]),
                str(buyer.get("name") or ""),
                row["latest"],
                row["n"],
                source_of(row["ocid"]),
            )
        )
    return out


def may_import(actor: Actor) -> bool:
    return actor.is_system or actor.has_role(Role.STAFF, Role.REGULATOR)


def list_imports_for(actor: Actor, limit: int = 50) -> list[ImportBatch]:
    if not may_import(actor) and not actor.has_role(Role.AUDITOR):
        raise PermissionDenied("ocds.forbidden", "无权查看导入记录", "you may not see the import batches", {})
    return list(ImportBatch.objects.order_by("-pk")[:limit])
