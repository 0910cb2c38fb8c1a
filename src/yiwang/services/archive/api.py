"""Archive API (``/api/v1/archive``): public counts; for staff, auditors and regulators the archives, their
versions, manifests and download links; archiving (staff), legal holds (staff, regulators), disposal (staff).

Every POST takes ``Idempotency-Key`` (``creates``/``acts``). Packages are downloaded through the document store's
signed, short-lived links; verifying a package needs no API (``yiwang archive verify``).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, ErrorOut
from yiwang.services.archive import actions, queries
from yiwang.services.archive.schemas import (
    ArchiveIn,
    ArchiveListOut,
    ArchiveOut,
    DisposeIn,
    HoldIn,
    HoldOut,
    LinkOut,
    ManifestOut,
    ReasonIn,
    StatsOut,
)

router = Router(tags=["archive 电子档案"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/archive"
BUILD_ERRORS = {**CREATE_ERRORS, 503: ErrorOut}


@router.get("/stats", auth=PUBLIC, response={200: StatsOut, **ERRORS})
def stats(request: HttpRequest):
    """How many projects are archived, versions kept and disposed of, archives under legal hold (no names)."""
    return queries.statistics()


class ListQuery(Schema):
    project: str | None = None
    status: str | None = None
    on_hold: bool | None = None
    limit: int = 50
    offset: int = 0


@router.get("/archives", response={200: ArchiveListOut, **ERRORS})
def list_archives(request: HttpRequest, q: Query[ListQuery]):
    """Archives the caller may read (staff, auditors, regulators over the archive's region)."""
    page = queries.list_archives_for(
        actor_of(request), project=q.project, status=q.status, on_hold=q.on_hold, limit=q.limit, offset=q.offset
    )
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "items": page.items}


@creates(router, "/archives", response={201: ArchiveOut, **BUILD_ERRORS})
def create_archive(request: HttpRequest, response: HttpResponse, payload: ArchiveIn):
    """Archive a project now (staff): a new version of its archive (earlier versions stay).
    ``409 archive.nothing_to_archive`` when nothing is known about the project; ``409
    archive.digest_not_witnessed`` / ``archive.item_corrupted`` when a collected file cannot be vouched for;
    ``503 archive.collector_failed`` when a context's collector fails (no incomplete archive is made)."""
    actor = actor_of(request)
    version = actions.do_create_archive(
        actor=actor,
        project_ref=payload.project_ref,
        reason=payload.reason,
        category=payload.category,
        title=payload.title,
        region=payload.region,
    )
    response["Location"] = f"{BASE}/archives/{version.archive_id}"
    return Status(201, queries.get_archive_for(actor, version.archive_id))


@router.get("/archives/{archive_id}", response={200: ArchiveOut, **ERRORS})
def get_archive(request: HttpRequest, archive_id: int):
    return queries.get_archive_for(actor_of(request), archive_id)


@router.get("/archives/{archive_id}/versions/{number}/manifest", response={200: ManifestOut, **ERRORS})
def get_manifest(request: HttpRequest, archive_id: int, number: int):
    """The version's manifest and signature — kept for ever, also after the package was disposed of."""
    found = queries.manifest_of_for(actor_of(request), archive_id, number)
    return {
        "manifest_sha256": found["manifest_sha256"],
        "manifest": json.loads(found["manifest"]),
        "signature": json.loads(found["signature"]),
    }


@router.get("/archives/{archive_id}/versions/{number}/download", response={200: LinkOut, 409: ErrorOut, **ERRORS})
def download_link(request: HttpRequest, archive_id: int, number: int):
    """A signed link to the package, valid a few minutes (the download is witnessed). ``409
    archive.version_disposed`` once the version was disposed of."""
    link = queries.download_link_for(actor_of(request), archive_id, number)
    return {"url": link.url, "expires_at": link.expires_at}


@creates(router, "/holds", response={201: HoldOut, **CREATE_ERRORS})
def place_hold(request: HttpRequest, response: HttpResponse, payload: HoldIn):
    """Place a legal hold on a project's archive (staff, regulators); possible before the project is archived."""
    actor = actor_of(request)
    hold = actions.do_place_legal_hold(
        actor=actor, project_ref=payload.project_ref, reason=payload.reason, region=payload.region
    )
    response["Location"] = f"{BASE}/archives/{hold.archive_id}"
    return Status(201, queries.hold_for(actor, hold.pk))


@acts(router, "/holds/{hold_id}/release", response={200: HoldOut, **CREATE_ERRORS})
def release_hold(request: HttpRequest, hold_id: int, payload: ReasonIn):
    """Release a legal hold (staff, regulators). ``409 archive.hold_released`` if it was released already."""
    actor = actor_of(request)
    project_ref = queries.project_of_hold_for(actor, hold_id)
    actions.do_release_legal_hold(actor=actor, project_ref=project_ref, reason=payload.reason, hold_id=hold_id)
    return queries.hold_for(actor, hold_id)


@acts(router, "/archives/{archive_id}/dispose", response={200: ArchiveOut, **CREATE_ERRORS})
def dispose(request: HttpRequest, archive_id: int, payload: DisposeIn):
    """Dispose of versions past retention (staff only; never automatic). ``409 archive.legal_hold_active``,
    ``archive.retention_not_expired``, ``archive.already_disposed``, ``archive.nothing_to_dispose``. The
    manifest and a tombstone stay."""
    actor = actor_of(request)
    archive = queries.get_archive_for(actor, archive_id)
    actions.do_dispose_archive(
        actor=actor, project_ref=archive.project_ref, reason=payload.reason, version=payload.version
    )
    return queries.get_archive_for(actor, archive_id)


@router.get("/disposal-candidates", response={200: list[ArchiveOut], **ERRORS})
def disposal_candidates(request: HttpRequest):
    """Archives with versions past retention and no active legal hold (what staff may dispose of)."""
    return queries.list_disposal_candidates_for(actor_of(request))
