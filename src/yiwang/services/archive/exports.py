"""Exporting a package to a file without recording it (``yiwang archive export --no-store``), and reproducing
a recorded version from the database to show that its bytes follow from the data (``--reproduce N``).

Neither is an action: nothing is recorded (a tree head may be signed when none covers the project yet). Both
need the right to create archives, since the result carries the platform's signature.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from yiwang.kernel.actors import Actor
from yiwang.platform.audit.merkle import parse_utc
from yiwang.platform.clock import now
from yiwang.services.archive import access
from yiwang.services.archive.builder import BuildRequest, Retention, built_package, retention_for
from yiwang.services.archive.domain import errors
from yiwang.services.archive.domain.refs import parse_project_ref
from yiwang.services.archive.domain.retention import check_category
from yiwang.services.archive.models import Archive, ArchiveVersion
from yiwang.services.archive.package.format import Manifest


@dataclass(frozen=True)
class Exported:
    path: Path
    size: int
    sha256: str
    items: int
    entries: int
    tree_size: int
    identical: bool | None = None  # reproduce: same bytes as the recorded version


def export_package(
    *,
    actor: Actor,
    project_ref: str,
    out: Path,
    category: str = "",
    title: str = "",
    created_at: datetime | None = None,
    head_size: int | None = None,
) -> Exported:
    """Build the project's package now (or as of ``created_at``) and write it to ``out``; record nothing."""
    ref = parse_project_ref(project_ref)
    category = check_category(category)
    archive = Archive.objects.filter(project_ref=str(ref)).first()
    if not access.may_create(actor, archive.region if archive is not None else ""):
        raise errors.forbidden("导出电子档案", "export archives")
    moment = created_at or now()
    request = BuildRequest(
        project_ref=ref,
        category=category,
        title=title or (archive.title if archive is not None else ""),
        created_at=moment,
        created_by=actor.ref,
        retention=retention_for(category, moment),
        head_size=head_size,
    )
    return _write(request, out)


def _write(request: BuildRequest, out: Path, expected_sha256: str | None = None) -> Exported:
    with built_package(request) as built:
        shutil.copyfile(built.path, out)
        digests = built.digests()
        return Exported(
            path=out,
            size=digests.size,
            sha256=digests.sha256,
            items=len(built.manifest.items),
            entries=built.manifest.entry_count,
            tree_size=built.head.tree_size,
            identical=None if expected_sha256 is None else digests.sha256 == expected_sha256,
        )


def reproduce_version(*, actor: Actor, project_ref: str, number: int, out: Path) -> Exported:
    """Build version ``number`` of the project's archive again from the database — the same items, the witness
    entries up to the same signed tree head, the same time, author, category, retention and signature — and say
    whether the bytes are those recorded. Records added since do not matter; a recorded item that is gone or
    changed, or an entry that no longer proves, does."""
    ref = parse_project_ref(project_ref)
    archive = Archive.objects.filter(project_ref=str(ref)).first()
    if archive is None:
        raise errors.archive_not_found(ref)
    if not access.may_create(actor, archive.region):
        raise errors.forbidden("导出电子档案", "export archives")
    version = ArchiveVersion.objects.filter(archive=archive, number=number).first()
    if version is None:
        raise errors.version_not_found(ref, number)
    manifest = Manifest.from_bytes(version.manifest_text.encode("utf-8"))
    retention = manifest.retention
    request = BuildRequest(
        project_ref=ref,
        category=manifest.category,
        title=manifest.title,
        created_at=parse_utc(manifest.created_at).astimezone(UTC),
        created_by=manifest.created_by,
        retention=Retention(
            years=int(retention["years"]),
            until=parse_utc(retention["until"]),
            rules=tuple(retention.get("rules", ())),
        ),
        head_size=version.head_size,
        only_paths=frozenset(item.path for item in manifest.items),
    )
    return _write(request, out, expected_sha256=version.package_sha256)
