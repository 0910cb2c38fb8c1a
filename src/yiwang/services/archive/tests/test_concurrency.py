"""Two members of staff archive the same project at the same moment (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from yiwang.platform.testing import postgres_only
from yiwang.services.archive import actions
from yiwang.services.archive.models import Archive, ArchiveVersion
from yiwang.services.archive.package.verify import verify_package
from yiwang.services.archive.tests import support

pytestmark = [*postgres_only(), pytest.mark.django_db(transaction=True)]


def test_concurrent_archiving_makes_two_versions_of_one_archive(tmp_path):
    staff = support.staff()
    support.make_project(staff)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def archive(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            actions.do_create_archive(actor=support.staff(f"s{n}"), project_ref=support.PROJECT, reason=f"归档 {n}")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=archive, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    archive_row = Archive.objects.get()
    assert archive_row.current_version == 2
    numbers = sorted(ArchiveVersion.objects.values_list("number", "document_version"))
    assert numbers == [(1, 1), (2, 2)]
    for version in ArchiveVersion.objects.all():
        assert verify_package(support.package_of(version, tmp_path / f"v{version.number}.zip")).ok
