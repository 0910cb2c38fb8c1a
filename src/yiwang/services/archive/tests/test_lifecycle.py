"""Retention from the catalogue, legal holds, the retention sweep, disposal with a tombstone, permissions, and
nothing left behind on refusal."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from yiwang.catalog import queries as catalog
from yiwang.kernel.errors import YiwangError
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.audit import queries as witness
from yiwang.platform.testing import log_state
from yiwang.services.archive import actions, jobs, queries
from yiwang.services.archive.models import Archive, ArchiveVersion, LegalHold, VersionStatus
from yiwang.services.archive.tests import support

pytestmark = pytest.mark.django_db

YEARS_16 = timedelta(days=366 * 16)


def _refused(code: str, fn, /, **kwargs) -> YiwangError:
    before = log_state()
    counts = (Archive.objects.count(), ArchiveVersion.objects.count(), LegalHold.objects.count())
    with pytest.raises(YiwangError) as caught:
        fn(**kwargs)
    assert caught.value.code == code, caught.value
    assert log_state() == before  # no witness entry, no event
    assert (Archive.objects.count(), ArchiveVersion.objects.count(), LegalHold.objects.count()) == counts
    return caught.value


@pytest.fixture
def version(project, staff):
    return actions.do_create_archive(actor=staff, project_ref=project.ref, reason="项目结束归档", category="gp")


def test_retention_comes_from_the_catalogue(version):
    assert version.retention_years == 15
    assert [r["rule_id"] for r in version.retention_rules] == [
        "platform.archive_retention_min",
        "gp.file_retention_min",
    ]
    assert all(r["source"] and r["version"] >= 1 for r in version.retention_rules)
    # created Monday 2026-03-02; 2041-03-02 is a Saturday, so the period runs to the end of Monday 2041-03-04
    assert version.retention_until == datetime(2041, 3, 5, tzinfo=SHANGHAI)


def test_a_longer_category_rule_wins(project, staff, monkeypatch):
    real = catalog.rule

    def rule(rule_id, *, on=None):
        value = real(rule_id, on=on)
        if rule_id == "gp.file_retention_min":
            from dataclasses import replace

            return replace(value, value=30)
        return value

    monkeypatch.setattr(catalog, "rule", rule)
    gp = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档", category="gp")
    works = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档", category="works")
    assert (gp.retention_years, works.retention_years) == (30, 15)
    assert gp.retention_until.astimezone(SHANGHAI).year == 2056


def test_creating_is_witnessed_with_the_package_digests(version):
    entry = witness.entries_about(("archive.archive", version.archive_id))[-1]
    assert entry.action == "archive.create_archive"
    import json

    payload = json.loads(entry.payload_text)
    assert payload["package_sha256"] == version.package_sha256
    assert payload["manifest_sha256"] == version.manifest_sha256
    assert payload["retention_rules"] == ["platform.archive_retention_min", "gp.file_retention_min"]


def test_a_legal_hold_blocks_disposal_until_released(version, staff, clock):
    ref = version.archive.project_ref
    regulator = support.regulator()
    hold = actions.do_place_legal_hold(actor=regulator, project_ref=ref, reason="案件调查需要")
    clock.advance(YEARS_16)
    assert jobs.retention_sweep(clock.now()) == 0  # held: not eligible
    _refused("archive.legal_hold_active", actions.do_dispose_archive, actor=staff, project_ref=ref, reason="到期")
    _refused(
        "archive.legal_hold_active", actions.do_dispose_archive, actor=staff, project_ref=ref, reason="到期", version=1
    )
    actions.do_release_legal_hold(actor=regulator, project_ref=ref, reason="调查结束", hold_id=hold.pk)
    _refused(
        "archive.hold_released",
        actions.do_release_legal_hold,
        actor=regulator,
        project_ref=ref,
        reason="再次解除",
        hold_id=hold.pk,
    )
    assert jobs.retention_sweep(clock.now()) == 1
    done = actions.do_dispose_archive(actor=staff, project_ref=ref, reason="保存期满，经鉴定销毁")
    assert [v.number for v in done] == [1]


def test_a_hold_can_precede_the_archive(db, clock, staff, project):
    hold = actions.do_place_legal_hold(actor=support.regulator(), project_ref=project.ref, reason="先行保全")
    assert hold.archive.current_version == 0
    version = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档")
    assert version.archive_id == hold.archive_id
    assert version.number == 1


def test_placing_a_hold_takes_eligible_versions_back(version, clock):
    clock.advance(YEARS_16)
    assert jobs.retention_sweep(clock.now()) == 1
    assert ArchiveVersion.objects.get(pk=version.pk).status == VersionStatus.ELIGIBLE
    actions.do_place_legal_hold(actor=support.staff(), project_ref=version.archive.project_ref, reason="复核")
    assert ArchiveVersion.objects.get(pk=version.pk).status == VersionStatus.KEPT


def test_the_sweep_marks_and_never_deletes(version, clock, tmp_path):
    assert jobs.retention_sweep(clock.now()) == 0
    clock.set(version.retention_until - timedelta(microseconds=1))
    assert jobs.retention_sweep(clock.now()) == 0
    clock.set(version.retention_until)
    before = log_state()
    assert jobs.retention_sweep(clock.now()) == 1
    assert jobs.retention_sweep(clock.now()) == 0  # idempotent
    row = ArchiveVersion.objects.get(pk=version.pk)
    assert row.status == VersionStatus.ELIGIBLE
    assert row.eligible_since == version.retention_until
    after = log_state()
    assert after.witness_entries == before.witness_entries + 1
    assert after.feed_events == before.feed_events + 1
    assert support.package_of(version, tmp_path / "still.zip").stat().st_size == version.package_size
    candidates = queries.list_disposal_candidates_for(support.staff())
    assert [(a.project_ref, a.disposable_versions) for a in candidates] == [("tender.project:12", [1])]


def test_disposal_needs_expiry_and_keeps_a_tombstone(version, staff, clock):
    ref = version.archive.project_ref
    _refused("archive.nothing_to_dispose", actions.do_dispose_archive, actor=staff, project_ref=ref, reason="提前")
    _refused(
        "archive.retention_not_expired",
        actions.do_dispose_archive,
        actor=staff,
        project_ref=ref,
        reason="提前",
        version=1,
    )
    clock.advance(YEARS_16)
    actions.do_dispose_archive(actor=staff, project_ref=ref, reason="保存期满，经鉴定销毁", version=1)
    row = ArchiveVersion.objects.get(pk=version.pk)
    assert row.status == VersionStatus.DISPOSED
    assert row.disposed_by == staff.ref
    assert row.disposal_reason == "保存期满，经鉴定销毁"
    assert row.disposed_at == clock.now()
    assert row.manifest_text == version.manifest_text
    assert row.signature_text == version.signature_text
    assert row.package_sha256 == version.package_sha256
    entry = witness.entries_about(("archive.archive", version.archive_id))[-1]
    assert entry.action == "archive.dispose_archive"
    assert version.package_sha256 in entry.payload_text
    _refused(
        "archive.already_disposed",
        actions.do_dispose_archive,
        actor=staff,
        project_ref=ref,
        reason="再次",
        version=1,
    )
    _refused(
        "archive.version_disposed", queries.download_link_for, actor=staff, archive_id=version.archive_id, number=1
    )
    assert queries.manifest_of_for(staff, version.archive_id, 1)["manifest"] == version.manifest_text


def test_permissions(project, version, clock):
    ref = version.archive.project_ref
    bidder, regulator, auditor = support.bidder(), support.regulator(), support.auditor()
    _refused("archive.forbidden", actions.do_create_archive, actor=bidder, project_ref=ref, reason="归档")
    _refused("archive.forbidden", actions.do_create_archive, actor=regulator, project_ref=ref, reason="归档")
    _refused("archive.forbidden", actions.do_place_legal_hold, actor=auditor, project_ref=ref, reason="保全")
    _refused("archive.forbidden", actions.do_place_legal_hold, actor=bidder, project_ref=ref, reason="保全")
    clock.advance(YEARS_16)
    for actor in (regulator, auditor, support.SYSTEM):  # disposal is staff's explicit act, never the platform's
        _refused("archive.forbidden", actions.do_dispose_archive, actor=actor, project_ref=ref, reason="处置")
    _refused("archive.forbidden", actions.do_mark_disposal_eligible, actor=support.staff())
    # reading: staff, auditors, regulators — over the archive's region
    for reader in (support.staff(), regulator, auditor, support.SYSTEM):
        assert queries.get_archive_for(reader, version.archive_id).project_ref == ref
    with pytest.raises(YiwangError) as caught:
        queries.list_archives_for(bidder)
    assert caught.value.code == "archive.forbidden"
    with pytest.raises(YiwangError):
        queries.download_link_for(bidder, version.archive_id, 1)


def test_regions_limit_who_sees_an_archive(db, clock, project):
    minhang = support.staff("mh", region="310112")
    version = actions.do_create_archive(actor=minhang, project_ref=project.ref, reason="归档", region="310112")
    assert version.archive.region == "310112"
    pudong = support.staff("pd", region="310115")
    assert queries.list_archives_for(pudong).total == 0
    with pytest.raises(YiwangError) as caught:
        queries.get_archive_for(pudong, version.archive_id)
    assert caught.value.code == "archive.not_found"
    assert queries.list_archives_for(support.staff("sh", region="310000")).total == 1
    _refused("archive.forbidden", actions.do_create_archive, actor=pudong, project_ref=project.ref, reason="归档")


def test_bad_input_is_refused_with_nothing_left_behind(project, staff):
    _refused("archive.project_ref_invalid", actions.do_create_archive, actor=staff, project_ref="项目12", reason="归档")
    _refused("archive.reason_required", actions.do_create_archive, actor=staff, project_ref=project.ref, reason="  ")
    _refused(
        "archive.category_invalid",
        actions.do_create_archive,
        actor=staff,
        project_ref=project.ref,
        reason="归档",
        category="政府采购",
    )
    _refused(
        "region.format", actions.do_create_archive, actor=staff, project_ref=project.ref, reason="归档", region="31"
    )
    _refused("archive.not_found", actions.do_dispose_archive, actor=staff, project_ref="tender.project:404", reason="x")
    _refused(
        "archive.not_found", actions.do_release_legal_hold, actor=staff, project_ref="tender.project:404", reason="x"
    )


def test_releasing_without_naming_a_hold(version, staff):
    ref = version.archive.project_ref
    _refused("archive.no_active_hold", actions.do_release_legal_hold, actor=staff, project_ref=ref, reason="解除")
    first = actions.do_place_legal_hold(actor=staff, project_ref=ref, reason="一")
    actions.do_place_legal_hold(actor=support.regulator(), project_ref=ref, reason="二")
    _refused("archive.hold_ambiguous", actions.do_release_legal_hold, actor=staff, project_ref=ref, reason="解除")
    _refused(
        "archive.hold_not_found",
        actions.do_release_legal_hold,
        actor=staff,
        project_ref=ref,
        reason="解除",
        hold_id=first.pk + 100,
    )
    assert actions.do_release_legal_hold(actor=staff, project_ref=ref, reason="解除", hold_id=first.pk).pk == first.pk
    assert queries.get_archive_for(staff, version.archive_id).active_holds == 1


def test_public_statistics_name_nothing(version, clock):
    actions.do_place_legal_hold(actor=support.staff(), project_ref=version.archive.project_ref, reason="保全")
    assert queries.statistics() == {"archives": 1, "versions": 1, "disposed_versions": 0, "archives_on_hold": 1}


def test_the_sweep_is_a_registered_due_job():
    from yiwang.platform.clock import due_jobs

    assert "archive.retention_sweep" in {job.name for job in due_jobs()}
    assert jobs.SWEEP_EVERY_SECONDS == 3600
