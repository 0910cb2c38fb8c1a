"""Reads of the archive, restricted by the actor (staff, auditors and regulators over the archive's region).

The public sees counts only (:func:`statistics`): no project, no person. Packages are handed out as the
document store's signed, short-lived links (the store witnesses each download of a restricted document).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import region_level
from yiwang.platform.clock import now
from yiwang.platform.storage import links
from yiwang.platform.storage import queries as storage
from yiwang.services.archive import access
from yiwang.services.archive.domain import disposal, errors
from yiwang.services.archive.domain.refs import parse_project_ref
from yiwang.services.archive.models import Archive, ArchiveVersion, LegalHold, VersionStatus

OWNER_CONTEXT = "services.archive"
MAX_PAGE = 200


@dataclass(frozen=True)
class VersionView:
    number: int
    created_at: datetime
    created_by: str
    category: str
    reason: str
    package_size: int
    package_sha256: str
    package_sm3: str
    manifest_sha256: str
    head_size: int
    item_count: int
    entry_count: int
    retention_years: int
    retention_until: datetime
    status: str
    status_label: str
    eligible_since: datetime | None
    disposed_at: datetime | None
    disposed_by: str
    disposal_reason: str
    disposable_now: bool  # past retention, not disposed, no active hold


@dataclass(frozen=True)
class HoldView:
    id: int
    reason: str
    placed_at: datetime
    placed_by: str
    released_at: datetime | None
    released_by: str
    release_reason: str
    active: bool


@dataclass(frozen=True)
class ArchiveView:
    id: int
    project_ref: str
    title: str
    region: str
    current_version: int
    created_at: datetime
    updated_at: datetime
    active_holds: int
    versions: tuple[VersionView, ...]
    holds: tuple[HoldView, ...]

    @property
    def on_hold(self) -> bool:
        return self.active_holds > 0

    @property
    def latest(self) -> VersionView | None:
        return self.versions[-1] if self.versions else None

    @property
    def disposable_versions(self) -> list[int]:
        return [v.number for v in self.versions if v.disposable_now]


@dataclass(frozen=True)
class Page:
    total: int
    limit: int
    offset: int
    items: list[ArchiveView]


def _version_view(v: ArchiveVersion, active_holds: int, moment: datetime) -> VersionView:
    return VersionView(
        number=v.number,
        created_at=v.created_at,
        created_by=v.created_by,
        category=v.category,
        reason=v.reason,
        package_size=v.package_size,
        package_sha256=v.package_sha256,
        package_sm3=v.package_sm3,
        manifest_sha256=v.manifest_sha256,
        head_size=v.head_size,
        item_count=v.item_count,
        entry_count=v.entry_count,
        retention_years=v.retention_years,
        retention_until=v.retention_until,
        status=v.status,
        status_label=VersionStatus(v.status).label,
        eligible_since=v.eligible_since,
        disposed_at=v.disposed_at,
        disposed_by=v.disposed_by,
        disposal_reason=v.disposal_reason,
        disposable_now=disposal.is_eligible(
            now=moment,
            retention_until=v.retention_until,
            disposed=v.status == VersionStatus.DISPOSED,
            active_holds=active_holds,
        ),
    )


def _hold_view(h: LegalHold) -> HoldView:
    return HoldView(
        id=h.pk,
        reason=h.reason,
        placed_at=h.placed_at,
        placed_by=h.placed_by,
        released_at=h.released_at,
        released_by=h.released_by,
        release_reason=h.release_reason,
        active=h.released_at is None,
    )


def _views(archives: list[Archive]) -> list[ArchiveView]:
    ids = [a.pk for a in archives]
    versions: dict[int, list[ArchiveVersion]] = {i: [] for i in ids}
    for v in ArchiveVersion.objects.filter(archive_id__in=ids).order_by("archive_id", "number"):
        versions[v.archive_id].append(v)
    holds: dict[int, list[LegalHold]] = {i: [] for i in ids}
    for h in LegalHold.objects.filter(archive_id__in=ids).order_by("archive_id", "placed_at", "id"):
        holds[h.archive_id].append(h)
    moment = now()
    out = []
    for a in archives:
        active = sum(1 for h in holds[a.pk] if h.released_at is None)
        out.append(
            ArchiveView(
                id=a.pk,
                project_ref=a.project_ref,
                title=a.title,
                region=a.region,
                current_version=a.current_version,
                created_at=a.created_at,
                updated_at=a.updated_at,
                active_holds=active,
                versions=tuple(_version_view(v, active, moment) for v in versions[a.pk]),
                holds=tuple(_hold_view(h) for h in holds[a.pk]),
            )
        )
    return out


def _visible(actor: Actor) -> Q | None:
    """The archives ``actor`` may read (``None``: none at all)."""
    if actor.is_system:
        return Q()
    if not actor.has_role(*access.READERS):
        return None
    where = Q(region="")
    for scope in actor.region_scopes(*access.READERS):
        digits = {"province": 2, "prefecture": 4, "county": 6}[region_level(scope)]
        where |= Q(region__startswith=scope[:digits])
    return where


def _readable(actor: Actor) -> QuerySet[Archive]:
    where = _visible(actor)
    if where is None:
        raise errors.forbidden("查看电子档案", "read archives")
    return Archive.objects.filter(where)


def list_archives_for(
    actor: Actor,
    *,
    project: str | None = None,
    status: str | None = None,
    on_hold: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Archives ``actor`` may read, most recently changed first. ``project``: a reference or its beginning
    (``tender.project:``); ``status``: ``kept``/``eligible``/``disposed`` (any version in it)."""
    qs = _readable(actor)
    if project:
        qs = qs.filter(project_ref__startswith=project.strip())
    if status:
        if status not in VersionStatus.values:
            raise InvalidInput(
                "archive.status_invalid",
                "状态须为 kept、eligible 或 disposed",
                "status is kept, eligible or disposed",
                {"field": "status"},
            )
        qs = qs.filter(versions__status=status).distinct()
    if on_hold is not None:
        qs = qs.annotate(n_active=Count("holds", filter=Q(holds__released_at__isnull=True)))
        qs = qs.filter(n_active__gt=0) if on_hold else qs.filter(n_active=0)
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    total = qs.count()
    archives = list(qs.order_by("-updated_at", "-id")[offset : offset + limit])
    return Page(total=total, limit=limit, offset=offset, items=_views(archives))


def get_archive_for(actor: Actor, archive_id: int | str) -> ArchiveView:
    try:
        pk = int(archive_id)
    except (TypeError, ValueError):
        raise errors.archive_not_found(archive_id) from None
    archive = _readable(actor).filter(pk=pk).first()
    if archive is None:
        raise errors.archive_not_found(archive_id)
    return _views([archive])[0]


def get_archive_of_project_for(actor: Actor, project_ref: str) -> ArchiveView:
    ref = parse_project_ref(project_ref)
    archive = _readable(actor).filter(project_ref=str(ref)).first()
    if archive is None:
        raise errors.archive_not_found(ref)
    return _views([archive])[0]


def _version_row(actor: Actor, archive_id: int | str, number: int) -> tuple[Archive, ArchiveVersion]:
    view = get_archive_for(actor, archive_id)
    row = ArchiveVersion.objects.select_related("archive").filter(archive_id=view.id, number=number).first()
    if row is None:
        raise errors.version_not_found(archive_id, number)
    return row.archive, row


def manifest_of_for(actor: Actor, archive_id: int | str, number: int) -> dict[str, Any]:
    """The version's manifest and signature (kept after disposal too), as text."""
    _, row = _version_row(actor, archive_id, number)
    return {"manifest": row.manifest_text, "signature": row.signature_text, "manifest_sha256": row.manifest_sha256}


def download_link_for(actor: Actor, archive_id: int | str, number: int, ttl: int | None = None) -> links.DownloadLink:
    """A signed, short-lived link to the version's package (the download itself is witnessed by the store)."""
    archive, row = _version_row(actor, archive_id, number)
    if row.status == VersionStatus.DISPOSED:
        raise errors.version_disposed(row.number)
    document = storage.get_owned_document(storage.Owner(OWNER_CONTEXT, archive.project_ref), archive.document_id)
    return links.make_link(actor, storage.get_version(document, row.document_version), ttl)


def package_version(archive_id: int, number: int) -> Any:
    """For the command line (the platform itself): the storage version holding a package."""
    row = ArchiveVersion.objects.select_related("archive").filter(archive_id=archive_id, number=number).first()
    if row is None:
        raise errors.version_not_found(archive_id, number)
    if row.status == VersionStatus.DISPOSED:
        raise errors.version_disposed(row.number)
    document = storage.get_owned_document(
        storage.Owner(OWNER_CONTEXT, row.archive.project_ref), row.archive.document_id
    )
    return storage.get_version(document, row.document_version)


def list_disposal_candidates_for(actor: Actor) -> list[ArchiveView]:
    """Archives with versions past retention, not disposed of, without an active hold (what staff may dispose
    of; the retention sweep marks them ``eligible``)."""
    moment = now()
    held = LegalHold.objects.filter(released_at__isnull=True).values("archive_id")
    qs = (
        _readable(actor)
        .filter(
            versions__retention_until__lte=moment,
            versions__status__in=[VersionStatus.KEPT, VersionStatus.ELIGIBLE],
        )
        .exclude(pk__in=held)
        .distinct()
    )
    return [view for view in _views(list(qs.order_by("id"))) if view.disposable_versions]


def statistics() -> dict[str, int]:
    """Public counts: nothing personal, no project named."""
    versions = ArchiveVersion.objects.aggregate(
        versions=Count("id"),
        disposed=Count("id", filter=Q(status=VersionStatus.DISPOSED)),
    )
    return {
        "archives": Archive.objects.filter(current_version__gt=0).count(),
        "versions": versions["versions"],
        "disposed_versions": versions["disposed"],
        "archives_on_hold": Archive.objects.filter(holds__released_at__isnull=True).distinct().count(),
    }


def _hold_row(actor: Actor, hold_id: int | str) -> LegalHold:
    try:
        pk = int(hold_id)
    except (TypeError, ValueError):
        raise errors.hold_not_found(hold_id) from None
    hold = LegalHold.objects.select_related("archive").filter(pk=pk).first()
    if hold is None or not _readable(actor).filter(pk=hold.archive_id).exists():
        raise errors.hold_not_found(hold_id)
    return hold


def hold_for(actor: Actor, hold_id: int | str) -> HoldView:
    return _hold_view(_hold_row(actor, hold_id))


def project_of_hold_for(actor: Actor, hold_id: int | str) -> str:
    """The project reference of a hold's archive (for acting on a hold by its number)."""
    return _hold_row(actor, hold_id).archive.project_ref
