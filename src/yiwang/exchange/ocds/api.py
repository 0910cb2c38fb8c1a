"""OCDS 数据发布 API (``/api/v1/ocds``): our releases as OCDS 1.1 (by time, per process, per day, in bulk),
and the import of external OCDS data. Reads are public; publishing and importing are for staff (importing for
regulators too)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from yiwang.exchange.ocds import actions, queries
from yiwang.exchange.ocds.schemas import DayOut, ImportOut, PublishOut
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

router = Router(tags=["ocds OCDS 数据发布"])
PUBLIC = ActorAuth(required=False)
JSON = "application/json; charset=utf-8"
MAX_PUBLISH_PAGES = 20


def _json(value: Any) -> HttpResponse:
    return HttpResponse(canonical_json(value), content_type=JSON)


class ReleasesQuery(Schema):
    since: datetime | None = None
    after: int = 0
    limit: int = 100


@router.get("/releases", auth=PUBLIC, response={200: dict[str, Any], **ERRORS})
def list_releases(request: HttpRequest, q: Query[ReleasesQuery]):
    """A release package of our releases dated at or after ``since`` (RFC 3339), in publication order, from the
    cursor ``after``; ``links.next`` when more follow. At most 1,000 a page."""
    if q.since is not None and q.since.tzinfo is None:
        raise InvalidInput("ocds.naive_since", "since 须带时区", "since needs a time zone offset", {"field": "since"})
    if not 1 <= q.limit <= queries.MAX_PAGE:
        raise InvalidInput(
            "ocds.bad_limit", "limit 须在 1–1000 之间", "limit is 1-1000", {"field": "limit", "max": queries.MAX_PAGE}
        )
    return _json(queries.releases_since(since=q.since, after=q.after, limit=q.limit).package)


@router.get("/records/{ocid}", auth=PUBLIC, response={200: dict[str, Any], **ERRORS})
def get_record(request: HttpRequest, ocid: str):
    """The record package of one process: every release, the compiled release and the versioned release.
    ``ocds.process_not_found`` (404) for an unknown ocid."""
    return _json(queries.record_package(ocid))


@router.get("/packages", auth=PUBLIC, response={200: list[DayOut], **ERRORS})
def list_packages(request: HttpRequest):
    """The days (Asia/Shanghai) with releases, newest first, each with its package's address."""
    return [
        {
            "date": d.day,
            "releases": d.releases,
            "processes": d.processes,
            "latest": d.latest,
            "url": f"{queries.API}/packages/{d.day.isoformat()}",
        }
        for d in queries.list_days()
    ]


@router.get("/packages/{day}", auth=PUBLIC, response={200: dict[str, Any], **ERRORS})
def get_package(request: HttpRequest, day: date):
    """The release package of one day: the same bytes every time for the same releases."""
    return HttpResponse(queries.day_package_bytes(day), content_type=JSON)


@router.get("/bulk/releases.jsonl", auth=PUBLIC, response={200: str, **ERRORS})
def bulk_releases(request: HttpRequest):
    """Every release of ours as JSON Lines (one release a line, by date, ocid and id)."""
    response = HttpResponse(queries.bulk_jsonl(), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ocds-releases.jsonl"'
    return response


@router.get("/bulk/packages.zip", auth=PUBLIC, response={200: str, **ERRORS})
def bulk_packages(request: HttpRequest):
    """A zip of every daily release package (``YYYY-MM-DD.json``)."""
    response = HttpResponse(queries.bulk_zip(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="ocds-packages.zip"'
    return response


@router.get("/bulk/compiled.jsonl", auth=PUBLIC, response={200: str, **ERRORS})
def bulk_compiled(request: HttpRequest):
    """One compiled release per process (ours and imported), one a line: the input of the red-flag screens."""
    return HttpResponse(queries.compiled_releases_jsonl(), content_type="application/x-ndjson; charset=utf-8")


@acts(router, "/publish", response={200: PublishOut, **CREATE_ERRORS})
def publish(request: HttpRequest):
    """Publish now what the feed holds (staff; the clock does it every minute)."""
    actor = actor_of(request)
    read = added = existing = cursor = 0
    for _ in range(MAX_PUBLISH_PAGES):
        result = actions.do_publish_releases(actor=actor)
        read, added, existing, cursor = (
            read + result.read,
            added + len(result.added),
            existing + result.existing,
            result.cursor,
        )
        if result.read == 0:
            break
    return {"read": read, "added": added, "existing": existing, "cursor": cursor}


def _batch_out(batch: Any) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "label": batch.label,
        "format": batch.format,
        "size": batch.size,
        "sha256": batch.sha256,
        "added": batch.added,
        "duplicates": batch.duplicates,
        "conflicts": batch.conflicts,
        "imported_at": batch.imported_at,
        "summary": batch.summary,
    }


@creates(
    router,
    "/imports",
    response={201: ImportOut, **CREATE_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object", "description": "a release or record package"}},
                "application/x-ndjson": {"schema": {"type": "string", "description": "JSON Lines"}},
            },
        },
        "parameters": [{"in": "query", "name": "label", "required": False, "schema": {"type": "string"}}],
    },
)
def import_ocds(request: HttpRequest):
    """Import external OCDS (the body: a release package, a record package, a release, a record, or JSON Lines
    of these). Malformed lines are skipped and listed in ``summary.errors`` with their line numbers;
    ``ocds.nothing_to_import`` (422) when nothing could be read, and then nothing is stored."""
    batch = actions.do_import_ocds(
        actor=actor_of(request), data=request.body, label=str(request.GET.get("label", ""))[:200]
    )
    return Status(201, _batch_out(batch))


@router.get("/imports", response={200: list[ImportOut], **ERRORS})
def list_imports(request: HttpRequest):
    """The latest import batches (staff, regulators, auditors)."""
    return [_batch_out(b) for b in queries.list_imports_for(actor_of(request))]
