"""State changes of the archive: create (a version of) a project's archive, place and release legal holds, mark
versions past their retention, dispose of a version.

Creating an archive builds the package first — outside any transaction, reading only — and then, in one action,
stores it in the document store (kind ``archive``, owner ``services.archive/<project ref>``, one storage version
per archive version), records the version with its retention and witnesses it. A refusal before the action
leaves nothing behind; a failure inside it rolls everything back (rows, witness entries, events). Copying the
package into the blob store happens inside that transaction (as for any document stored within an action): on
the embedded profile it holds the write lock for that copy.

Nothing is ever deleted automatically. The retention sweep (a due job) only marks versions past their retention
period without a legal hold as eligible; disposing of one needs a member of staff and a reason, and keeps the
manifest, its signature and a tombstone (who, when, why) for ever.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.kernel.ids import validate_region_code_format
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.storage import actions as storage
from yiwang.services.archive import access
from yiwang.services.archive.builder import BuildRequest, built_package, retention_for
from yiwang.services.archive.domain import disposal, errors
from yiwang.services.archive.domain.refs import ProjectRef, parse_project_ref
from yiwang.services.archive.domain.retention import check_category
from yiwang.services.archive.lock_objects import (
    active_holds_for_update,
    archive_by_id_for_update,
    archive_for_update,
    hold_for_update,
    versions_for_update,
)
from yiwang.services.archive.models import Archive, ArchiveVersion, LegalHold, VersionStatus
from yiwang.services.archive.package.format import safe_segment

OWNER_CONTEXT = "services.archive"  # the document store's owner context of archive packages
STORAGE_KIND = "archive"
MAX_TITLE = 200
RESTRICTED = Visibility.RESTRICTED


def package_owner(project_ref: ProjectRef | str) -> storage.Owner:
    return storage.Owner(OWNER_CONTEXT, str(project_ref))


def _title(title: object) -> str:
    text = " ".join(str(title or "").split())
    if len(text) > MAX_TITLE:
        raise InvalidInput(
            "archive.title_invalid", "标题不超过 200 字", "The title has at most 200 characters", {"field": "title"}
        )
    return text


def _region(region: object) -> str:
    text = str(region or "").strip()
    if not text:
        return ""
    try:
        return validate_region_code_format(text)
    except InvalidInput as exc:
        raise exc.at("region") from None


def _existing(ref: ProjectRef) -> Archive | None:
    return Archive.objects.filter(project_ref=str(ref)).first()


def _locked_or_new(ref: ProjectRef, *, title: str, region: str, moment: datetime) -> tuple[Archive, bool]:
    """The project's archive row, locked; made if missing (a concurrent maker wins on the unique key)."""
    archive = archive_for_update(str(ref))
    if archive is not None:
        return archive, False
    try:
        with transaction.atomic():
            Archive.objects.create(
                project_ref=str(ref), title=title, region=region, created_at=moment, updated_at=moment
            )
    except IntegrityError:
        pass  # made meanwhile by another transaction: lock that one
    archive = archive_for_update(str(ref))
    assert archive is not None
    return archive, True


def _witness_archive(act: ActionRecorder, archive: Archive, payload: dict, event: str, data: dict) -> None:
    act.witness(archive, {"project_ref": archive.project_ref, **payload})
    act.emit(event, archive, {"project_ref": archive.project_ref, **data}, visibility=RESTRICTED)


# creating --------------------------------------------------------------------------------------------------


def do_create_archive(
    *,
    actor: Actor,
    project_ref: str,
    reason: str,
    category: str = "",
    title: str = "",
    region: str = "",
    head_size: int | None = None,
) -> ArchiveVersion:
    """Archive the project now (a new version if it has been archived before; earlier versions stay).

    ``category`` (``works``, ``gp`` …) chooses the retention rules: ``platform.archive_retention_min`` and,
    where one exists, the category's own (``gp.file_retention_min``); the longest applies. Staff (over the
    archive's region) and the platform may archive. ``head_size`` proves the entries against that signed tree
    head instead of the latest (to reproduce a package)."""
    ref = parse_project_ref(project_ref)
    reason = errors.check_reason(reason)
    category = check_category(category)
    title = _title(title)
    region = _region(region)
    existing = _existing(ref)
    scope = existing.region if existing is not None else region
    if not access.may_create(actor, scope):
        raise errors.forbidden("生成电子档案", "create archives")
    moment = now()
    retention = retention_for(category, moment)
    request = BuildRequest(
        project_ref=ref,
        category=category,
        title=title or (existing.title if existing is not None else ""),
        created_at=moment,
        created_by=actor.ref,
        retention=retention,
        head_size=head_size,
    )
    with built_package(request) as built, action(actor, "archive.create_archive") as act:
        archive, _ = _locked_or_new(ref, title=request.title, region=region, moment=moment)
        number = archive.current_version + 1
        filename = f"archive-{safe_segment(str(ref).replace(':', '-'), max_length=100)}-v{number}.zip"
        with built.open() as stream:
            if archive.document_id is None:
                stored = storage.do_store_document(
                    actor=actor,
                    owner=package_owner(ref),
                    title=f"电子档案 {ref}",
                    kind=STORAGE_KIND,
                    stream=stream,
                    filename=filename,
                    note=reason,
                )
                archive.document_id = stored.document.pk
            else:
                stored = storage.do_add_version(
                    actor=actor, document=archive.document_id, stream=stream, filename=filename, note=reason
                )
        version = ArchiveVersion.objects.create(
            archive=archive,
            number=number,
            category=category,
            reason=reason,
            created_at=moment,
            created_by=actor.ref,
            document_version=stored.number,
            package_size=stored.size,  # the store hashed the package while taking it in
            package_sha256=stored.sha256,
            package_sm3=stored.sm3,
            manifest_sha256=built.manifest_sha256,
            manifest_text=built.manifest_bytes.decode("utf-8"),
            signature_text=built.signature_bytes.decode("utf-8"),
            head_size=built.head.tree_size,
            head_root=built.head.root_hash.hex(),
            item_count=len(built.manifest.items),
            entry_count=built.manifest.entry_count,
            retention_rules=list(retention.rules),
            retention_years=retention.years,
            retention_until=retention.until,
        )
        archive.current_version = number
        archive.updated_at = moment
        if request.title and not archive.title:
            archive.title = request.title
        archive.save(update_fields=["document_id", "current_version", "updated_at", "title"])
        facts = {
            "version": number,
            "package_sha256": stored.sha256,
            "package_sm3": stored.sm3,
            "package_size": stored.size,
            "manifest_sha256": built.manifest_sha256,
            "tree_size": built.head.tree_size,
            "root_hash": built.head.root_hash.hex(),
            "items": version.item_count,
            "entries": version.entry_count,
            "retention_years": retention.years,
            "retention_until": retention.to_json()["until"],
        }
        _witness_archive(
            act,
            archive,
            {
                **facts,
                "category": category,
                "reason": reason,
                "retention_rules": [r["rule_id"] for r in retention.rules],
                "storage_document": str(archive.document_id),
                "storage_version": stored.number,
            },
            "archive.archive_created.v1",
            facts,
        )
        version.archive = archive
        return version


# legal holds -----------------------------------------------------------------------------------------------


def do_place_legal_hold(*, actor: Actor, project_ref: str, reason: str, region: str = "") -> LegalHold:
    """Place a legal hold (法律保全) on a project's archive — made empty if the project is not archived yet, so
    a hold can precede the archive. While a hold is active nothing of the archive may be disposed of.
    Staff and regulators (over the archive's region) may."""
    ref = parse_project_ref(project_ref)
    reason = errors.check_reason(reason)
    region = _region(region)
    existing = _existing(ref)
    if not access.may_hold(actor, existing.region if existing is not None else region):
        raise errors.forbidden("实施法律保全", "place legal holds")
    with action(actor, "archive.place_legal_hold") as act:
        archive, _ = _locked_or_new(ref, title="", region=region, moment=act.now)
        hold = LegalHold.objects.create(archive=archive, reason=reason, placed_at=act.now, placed_by=actor.ref)
        back = list(versions_for_update(archive).filter(status=VersionStatus.ELIGIBLE).values_list("number", flat=True))
        if back:  # no longer eligible for disposal while held
            ArchiveVersion.objects.filter(archive=archive, number__in=back).update(
                status=VersionStatus.KEPT, eligible_since=None
            )
        archive.updated_at = act.now
        archive.save(update_fields=["updated_at"])
        _witness_archive(
            act,
            archive,
            {"hold": hold.pk, "reason": reason, "no_longer_eligible": back},
            "archive.legal_hold_placed.v1",
            {"hold": hold.pk},
        )
        return hold


def do_release_legal_hold(*, actor: Actor, project_ref: str, reason: str, hold_id: int | None = None) -> LegalHold:
    """Release a legal hold (the one given, or the only active one). Staff and regulators may."""
    ref = parse_project_ref(project_ref)
    reason = errors.check_reason(reason)
    existing = _existing(ref)
    if existing is None:
        raise errors.archive_not_found(ref)
    if not access.may_hold(actor, existing.region):
        raise errors.forbidden("解除法律保全", "release legal holds")
    with action(actor, "archive.release_legal_hold") as act:
        archive = archive_for_update(str(ref))
        assert archive is not None
        active = list(active_holds_for_update(archive))
        if hold_id is None:
            if not active:
                raise Conflict(
                    "archive.no_active_hold", "该档案没有生效的法律保全", "The archive has no active legal hold"
                )
            if len(active) > 1:
                raise InvalidInput(
                    "archive.hold_ambiguous",
                    "该档案有多项法律保全，请指明解除哪一项",
                    "The archive has several active legal holds: say which one to release",
                    {"field": "hold_id", "active": [h.pk for h in active]},
                )
            hold = active[0]
        else:
            found = hold_for_update(hold_id)
            if found is None or found.archive_id != archive.pk:
                raise errors.hold_not_found(hold_id)
            if not found.active:
                raise errors.hold_released(found.pk)
            hold = found
        hold.released_at, hold.released_by, hold.release_reason = act.now, actor.ref, reason
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        archive.updated_at = act.now
        archive.save(update_fields=["updated_at"])
        _witness_archive(
            act,
            archive,
            {"hold": hold.pk, "reason": reason, "still_active": len(active) - 1},
            "archive.legal_hold_released.v1",
            {"hold": hold.pk},
        )
        return hold


# retention and disposal ------------------------------------------------------------------------------------


def do_mark_disposal_eligible(*, actor: Actor, moment: datetime | None = None) -> int:
    """The retention sweep: mark every kept version past its retention period, of an archive without an active
    legal hold, as eligible for disposal (witnessed; an event tells staff). Deletes nothing. Returns how many
    versions it marked."""
    if not actor.is_system:
        raise errors.forbidden("执行保存期限检查", "run the retention sweep")
    moment = moment or now()
    due = list(
        ArchiveVersion.objects.filter(status=VersionStatus.KEPT, retention_until__lte=moment)
        .exclude(archive_id__in=LegalHold.objects.filter(released_at__isnull=True).values("archive_id"))
        .values_list("archive_id", flat=True)
        .distinct()
    )
    if not due:
        return 0
    try:
        return _mark_eligible(actor, due, moment)
    except _NothingMarked:  # every candidate was held or changed meanwhile: nothing to witness
        return 0


class _NothingMarked(Exception):
    pass


def _mark_eligible(actor: Actor, due: list[int], moment: datetime) -> int:
    marked = 0
    with action(actor, "archive.mark_disposal_eligible") as act:
        for archive_id in sorted(set(due)):
            archive = archive_by_id_for_update(archive_id)
            if archive is None or active_holds_for_update(archive).exists():
                continue
            numbers = list(
                versions_for_update(archive)
                .filter(status=VersionStatus.KEPT, retention_until__lte=moment)
                .values_list("number", flat=True)
            )
            if not numbers:
                continue
            ArchiveVersion.objects.filter(archive=archive, number__in=numbers).update(
                status=VersionStatus.ELIGIBLE, eligible_since=moment
            )
            marked += len(numbers)
            _witness_archive(
                act, archive, {"eligible_versions": numbers}, "archive.disposal_eligible.v1", {"versions": numbers}
            )
        if not marked:
            raise _NothingMarked
    return marked


def do_dispose_archive(
    *, actor: Actor, project_ref: str, reason: str, version: int | None = None
) -> list[ArchiveVersion]:
    """Dispose of the archive's versions past retention (or of ``version``): refused under an active legal hold,
    before the retention period has ended, or twice. Staff only. The version keeps its manifest, signature and
    digests, and records who disposed of it, when and why (the tombstone); its package can no longer be
    downloaded through the archive."""
    ref = parse_project_ref(project_ref)
    reason = errors.check_reason(reason)
    existing = _existing(ref)
    if existing is None:
        raise errors.archive_not_found(ref)
    if not access.may_dispose(actor, existing.region):
        raise errors.forbidden("处置电子档案", "dispose of archives")
    with action(actor, "archive.dispose_archive") as act:
        archive = archive_for_update(str(ref))
        assert archive is not None
        holds = active_holds_for_update(archive).count()
        versions = list(versions_for_update(archive))
        if version is not None:
            chosen = [v for v in versions if v.number == version]
            if not chosen:
                raise errors.version_not_found(ref, version)
        else:
            if holds:
                raise errors.legal_hold_active(str(ref), holds)
            chosen = [v for v in versions if v.status != VersionStatus.DISPOSED and v.retention_until <= act.now]
            if not chosen:
                raise errors.nothing_to_dispose(str(ref))
        for v in chosen:
            disposal.check_disposable(
                project_ref=str(ref),
                number=v.number,
                now=act.now,
                retention_until=v.retention_until,
                disposed=v.status == VersionStatus.DISPOSED,
                active_holds=holds,
            )
        tombstones = []
        for v in chosen:
            v.status = VersionStatus.DISPOSED
            v.disposed_at, v.disposed_by, v.disposal_reason = act.now, actor.ref, reason
            v.save(update_fields=["status", "disposed_at", "disposed_by", "disposal_reason"])
            tombstones.append(
                {"version": v.number, "package_sha256": v.package_sha256, "manifest_sha256": v.manifest_sha256}
            )
        archive.updated_at = act.now
        archive.save(update_fields=["updated_at"])
        _witness_archive(
            act,
            archive,
            {"reason": reason, "disposed": tombstones},
            "archive.archive_disposed.v1",
            {"versions": [t["version"] for t in tombstones]},
        )
        return chosen
