"""Supervision over trading (the supervision issue's "done when"): a complaint about a live tender is accepted,
the regulator orders the procedure suspended — the section takes no bids while it stands still — and deciding the
complaint resumes it with the frozen time given back. The complaint and the section both record the order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from yiwang.kernel.errors import Conflict
from yiwang.supervision.complaints import actions as complaints
from yiwang.supervision.complaints import queries as complaint_queries
from yiwang.trading.tender import queries as tender_queries
from yiwang.trading.tender.tests import support
from yiwang.trading.tender.tests.support import T0

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tender_test_settings(settings, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": tmp_path / "blobs"},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    settings.YIWANG_COMPLAINTS = {"PROCEDURE_PORT": "yiwang.supervision.complaints.ports.TenderSections"}


def test_a_complaint_suspends_and_its_decision_resumes_a_live_tender(clock, system):
    world = support.make_world(system)
    project, section = support.ready_project(world)
    deadline = section.bid_deadline
    clock.set(T0 + timedelta(days=3))
    complaint = complaints.do_file_complaint(
        actor=world.a.actor,
        data={
            "track": "works",
            "matter": "process",
            "complainant_entity_id": world.a.entity_id,
            "respondent": "招标人及其代理机构",
            "procedure_ref": f"tender.section:{section.pk}",
            "procedure_title": project.name,
            "region_code": project.region_code,
            "facts": "招标代理机构向个别潜在投标人透露已获取招标文件的单位名称。",
            "claims": "责令改正并依法处理。",
            "anchor_on": (T0 + timedelta(days=2)).date().isoformat(),
        },
    )
    regulator = world.regulator_actor
    complaints.do_act_on_complaint(actor=regulator, complaint_id=complaint.pk, verb="accept")
    complaints.do_act_on_complaint(
        actor=regulator, complaint_id=complaint.pk, verb="suspend", reason="投诉处理期间暂停招标投标活动"
    )
    view = tender_queries.get_section_for(regulator, section.pk)
    assert view.suspended
    assert view.section.suspension_order == f"supervision.complaints:{complaint.pk}"
    assert complaint_queries.pending_for_procedure(f"tender.section:{section.pk}").suspended
    support.pay_deposit(section, world.b)
    with pytest.raises(Conflict) as caught:
        support.submit(section, world.b, 4_700_000_000, pay=False)
    assert caught.value.code == "tender.suspended"

    remaining = deadline - clock.now()
    clock.set(T0 + timedelta(days=6))
    complaints.do_act_on_complaint(
        actor=regulator,
        complaint_id=complaint.pk,
        verb="decide",
        outcome="dismissed",
        reason="投诉缺乏事实依据，驳回。",
    )
    view = tender_queries.get_section_for(regulator, section.pk)
    assert not view.suspended
    assert view.section.suspension_order == ""
    assert view.section.bid_deadline == clock.now() + remaining  # the three days it stood still are given back
    assert support.submit(section, world.b, 4_700_000_000, pay=False).receipt_id
