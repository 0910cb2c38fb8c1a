"""``yiwang redflags demo`` after ``yiwang seed-demo``: the collusion scenario goes through tendering, finance's
simulated bank and the bid box, and the alert's evidence comes from those records."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from yiwang.kernel.actors import Actor
from yiwang.supervision.redflags import queries
from yiwang.supervision.redflags.demo import MACHINE_MAC, SECTION

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
READER = Actor.system("test")


def test_the_demo_seeds_the_scenario_through_the_platform(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("redflags", "demo", stdout=out)
    text = out.getvalue()
    assert "开标记录已公布" in text
    assert "新预警 1 条" in text
    [alert] = queries.list_alerts_for(READER, region="310112").rows
    assert alert.subject_id.startswith("tender.section:")
    assert alert.subject_id != SECTION  # a real section, not the given frames
    assert {"CN-40-1", "CN-40-6", "CN-40-4P"} <= set(alert.codes)
    detail = queries.get_alert_for(READER, alert.id)
    by_code = {f.code: f for f in detail.findings}
    machine = by_code["CN-40-1"].evidence["matches"]
    assert {m["kind"] for m in machine} >= {"machine_mac", "machine_disk"}
    assert MACHINE_MAC.replace("-", "") in {m["value"] for m in machine}
    assert all(s == "bidbox.envelope" for m in machine for s in m["sources"])
    [payer] = by_code["CN-40-6"].evidence["matches"]
    assert all(s.startswith("finance.alert:") for s in payer["sources"])
    assert len(by_code["CN-40-1"].evidence["linked_tenderers"]) == 2
    assert by_code["CN-40-1"].evidence["linked_tenderers"] == by_code["CN-40-6"].evidence["linked_tenderers"]


def test_without_the_seed_the_demo_gives_the_frames(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("redflags", "demo", stdout=out)
    assert "以给定数据表演示" in out.getvalue()
    [alert] = queries.list_alerts_for(READER, region="310112").rows
    assert alert.subject_id == SECTION
