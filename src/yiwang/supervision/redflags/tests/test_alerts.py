"""Runs and alerts on the database: the seeded collusion scenario raises an alert that explains itself; the
workflow is witnessed; regions are kept apart; refusals leave nothing behind; verdicts temper the weights."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from yiwang.platform import testing
from yiwang.supervision.redflags import actions, jobs, queries
from yiwang.supervision.redflags.demo import MACHINE_MAC, REGION, SECTION, collusion_snapshot, seed_collusion_scenario
from yiwang.supervision.redflags.models import Alert, IndicatorFeedback, Run
from yiwang.supervision.redflags.tests import support
from yiwang.supervision.redflags.tests.builder import award, bid, jsonl, release

pytestmark = pytest.mark.django_db

MH = support.regulator("310112", 301)  # 闵行
MH2 = support.regulator("310112", 302)
XH = support.regulator("310104", 303)  # 徐汇
CITY = support.regulator("310000", 304)


def scenario_alert() -> Alert:
    seed_collusion_scenario(MH)
    return Alert.objects.get(subject_id=SECTION)


def test_seeded_collusion_scenario_raises_an_explained_alert(clock):
    base = testing.base()
    run = seed_collusion_scenario(MH)
    assert run.region_code == REGION
    assert run.alerts_raised == 1
    page = queries.list_alerts_for(MH)
    (row,) = page.rows
    assert row.subject_type == "process"
    assert row.subject_id == SECTION
    assert row.region_code == REGION
    assert {"CN-40-1", "CN-40-6", "CN-40-4P"} <= set(row.codes)
    assert row.score > 0.99  # 1 − (1 − 0.9)(1 − 0.95)(1 − 0.75 × 0.9)…
    detail = queries.get_alert_for(MH, row.id)
    by_code = {f.code: f for f in detail.findings}
    machine = by_code["CN-40-1"]
    assert machine.indicator.basis.startswith("《招标投标法实施条例》第40条")
    assert machine.evidence["matches"][0]["value"] == MACHINE_MAC.replace("-", "")
    assert machine.evidence["linked_tenderers"] == ["9001", "9002"]
    assert {p.name: p.value for p in machine.indicator.parameters}["max_holders"] == 5
    deposit = by_code["CN-40-6"]
    assert deposit.evidence["linked_tenderers"] == ["9001", "9002"]
    progression = by_code["CN-40-4P"]
    assert progression.evidence["patterns"] == ["arithmetic"]
    assert progression.evidence["gaps"] == [20000.0, 20000.0]
    assert [b["bid_id"] for b in progression.evidence["bids"]] == ["YWR-DEMO-A", "YWR-DEMO-B", "YWR-DEMO-C"]
    assert detail.allowed == ("assign",)
    assert dict(detail.score_explained)["CN-40-6"] == pytest.approx(0.95)
    # the single-section screens are "not computable", not 0
    assert run.summary["SCREENS"]["not_computable"]["code"] == "redflags.population_too_small"
    # witnessed, and on the feed as restricted events that name nothing
    (entry,) = support.witnessed(base, "redflags.run_screens")
    assert entry["alerts"][0][0] == row.id
    assert entry["input_digest"] == run.input_digest
    evs = support.events(base)
    assert [e.event_type for e in evs] == ["redflags.run_completed.v1", "redflags.alert_raised.v1"]
    assert all(e.visibility == "restricted" for e in evs)
    assert evs[1].data == {"alert_id": row.id}


def test_a_rerun_with_the_same_findings_raises_nothing_new(clock):
    seed_collusion_scenario(MH)
    again = seed_collusion_scenario(MH)
    assert again.alerts_raised == 0
    assert again.alerts_updated == 0
    assert Alert.objects.count() == 1


def test_a_district_regulator_cannot_see_another_districts_alerts(clock):
    alert = scenario_alert()
    assert queries.list_alerts_for(XH).total == 0
    with pytest.raises(NotFound) as caught:
        queries.get_alert_for(XH, alert.pk)
    assert caught.value.code == "redflags.alert_not_found"
    with pytest.raises(NotFound):
        actions.do_assign_alert(actor=XH, alert_id=alert.pk, assignee=XH)
    assert queries.list_alerts_for(CITY).total == 1  # the city sees every district
    assert queries.get_alert_for(support.auditor(), alert.pk).allowed == ()  # auditors read, do not act
    with pytest.raises(PermissionDenied):
        actions.do_assign_alert(actor=support.auditor(), alert_id=alert.pk, assignee=MH)
    for outsider in (support.staff("310112"), support.bidder(), Actor.anonymous()):
        with pytest.raises((PermissionDenied, NotFound, NotAuthenticated)):
            queries.list_alerts_for(outsider)
        with pytest.raises((PermissionDenied, NotFound, NotAuthenticated)):
            queries.get_alert_for(outsider, alert.pk)
    # the district's own run is not readable from another district either
    run = Run.objects.get()
    with pytest.raises(NotFound):
        queries.get_run_for(XH, run.pk)


def test_workflow_assign_investigate_dismiss_close_witnessed(clock):
    alert = scenario_alert()
    base = testing.base()
    a = actions.do_assign_alert(actor=MH, alert_id=alert.pk, assignee=MH2, expected_version=alert.version)
    assert a.status == "assigned"
    assert a.assignee_ref == MH2.ref
    clock.advance(timedelta(minutes=5))
    a = actions.do_start_investigation(actor=MH2, alert_id=alert.pk)
    a = actions.do_dismiss_alert(
        actor=MH2, alert_id=alert.pk, reason="同一写字楼共用设备，经核实为不同编制人", false_positive_codes=["CN-40-1"]
    )
    assert a.status == "dismissed"
    verdicts = dict(IndicatorFeedback.objects.filter(alert=a).values_list("code", "verdict"))
    assert verdicts == {"CN-40-1": "false_positive"}  # only the named indicator; the others have no verdict
    a = actions.do_close_alert(actor=MH, alert_id=alert.pk, reason="已函告招标人")
    assert a.status == "closed"
    assert a.close_reason == "已函告招标人"
    steps = [(e.fields.action, json_loads(e.payload_text)) for e in base.entries()]
    assert [s for s, _ in steps] == [
        "redflags.assign_alert",
        "redflags.investigate_alert",
        "redflags.dismiss_alert",
        "redflags.close_alert",
    ]
    assert steps[2][1]["reason"].startswith("同一写字楼")
    assert steps[2][1]["false_positive_codes"] == ["CN-40-1"]
    assert [e.event_type for e in support.events(base)] == [
        "redflags.alert_assigned.v1",
        "redflags.alert_investigated.v1",
        "redflags.alert_dismissed.v1",
        "redflags.alert_closed.v1",
    ]
    detail = queries.get_alert_for(CITY, alert.pk)
    assert [e.verb for e in detail.events] == ["raised", "assign", "investigate", "dismiss", "close"]
    assert detail.allowed == ()
    # once closed, the same findings are not raised again; new evidence would open a new alert
    assert seed_collusion_scenario(MH).alerts_raised == 0


def json_loads(text: str):
    import json

    return json.loads(text)


def test_confirm_records_true_positives(clock):
    alert = scenario_alert()
    actions.do_assign_alert(actor=MH, alert_id=alert.pk, assignee=MH)
    actions.do_start_investigation(actor=MH, alert_id=alert.pk)
    a = actions.do_confirm_alert(actor=MH, alert_id=alert.pk, reason="银行流水证实同一付款人")
    assert a.status == "confirmed"
    verdicts = dict(IndicatorFeedback.objects.filter(alert=a).values_list("code", "verdict"))
    assert set(verdicts.values()) == {"true_positive"}
    assert set(verdicts) == set(a.codes)


@pytest.mark.parametrize(
    ("step", "code", "error"),
    [
        (lambda a: actions.do_start_investigation(actor=MH, alert_id=a.pk), "redflags.wrong_status", Conflict),
        (lambda a: actions.do_close_alert(actor=MH, alert_id=a.pk, reason="x"), "redflags.wrong_status", Conflict),
        (
            lambda a: actions.do_assign_alert(actor=MH, alert_id=a.pk, assignee=XH),
            "redflags.assignee_invalid",
            InvalidInput,
        ),
        (
            lambda a: actions.do_assign_alert(actor=MH, alert_id=a.pk, assignee=support.staff()),
            "redflags.assignee_invalid",
            InvalidInput,
        ),
        (
            lambda a: actions.do_assign_alert(actor=MH, alert_id=a.pk, assignee=MH, expected_version=a.version + 1),
            "precondition.failed",
            PreconditionFailed,
        ),
        (
            lambda a: actions.do_assign_alert(actor=MH, alert_id=a.pk + 999, assignee=MH),
            "redflags.alert_not_found",
            NotFound,
        ),
    ],
)
def test_refused_transitions_leave_nothing_behind(clock, step, code, error):
    alert = scenario_alert()
    before = support.state()
    with pytest.raises(error) as caught:
        step(alert)
    assert caught.value.code == code
    assert support.state() == before
    alert.refresh_from_db()
    assert alert.status == "new"
    assert alert.version == 1


def test_a_decision_needs_a_reason_and_known_codes(clock):
    alert = scenario_alert()
    actions.do_assign_alert(actor=MH, alert_id=alert.pk, assignee=MH)
    actions.do_start_investigation(actor=MH, alert_id=alert.pk)
    before = support.state()
    with pytest.raises(InvalidInput) as caught:
        actions.do_dismiss_alert(actor=MH, alert_id=alert.pk, reason="   ")
    assert caught.value.code == "redflags.reason_required"
    with pytest.raises(InvalidInput) as caught:
        actions.do_dismiss_alert(actor=MH, alert_id=alert.pk, reason="误报", false_positive_codes=["R999"])
    assert caught.value.code == "redflags.codes_invalid"
    with pytest.raises(InvalidInput) as caught:
        actions.do_confirm_alert(actor=MH, alert_id=alert.pk, reason="x" * 2001)
    assert caught.value.code == "redflags.reason_too_long"
    assert support.state() == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"codes": ["R999"]}, "redflags.unknown_indicator"),
        ({"codes": []}, "redflags.no_indicators"),
        ({"overrides": {"CN-40-4P": {"eps": "wide"}}}, "redflags.parameter_invalid"),
        ({"overrides": {"CN-40-4P": {"eps": 5}}}, "redflags.parameter_invalid"),
        ({"overrides": {"CN-40-4P": {"nonsense": 1}}}, "redflags.unknown_parameter"),
        ({"region_code": "310104"}, "redflags.region_not_covered"),
        ({"region_code": "31011"}, "region.format"),
        ({"min_alert_score": 1.5}, "redflags.min_alert_score_invalid"),
    ],
)
def test_refused_runs_leave_nothing_behind(clock, kwargs, code):
    before = support.state()
    args = {"actor": MH, "snapshot": collusion_snapshot(), "region_code": REGION, **kwargs}
    with pytest.raises((InvalidInput, PermissionDenied)) as caught:
        actions.do_run_snapshot(**args)
    assert caught.value.code == code
    assert support.state() == before


def test_only_regulators_run_screens(clock):
    before = support.state()
    for who in (support.staff(), support.bidder(), support.auditor()):
        with pytest.raises(PermissionDenied) as caught:
            actions.do_run_snapshot(actor=who, snapshot=collusion_snapshot(), region_code=REGION)
        assert caught.value.code == "redflags.forbidden"
    assert support.state() == before


def test_verdicts_temper_an_indicators_weight(clock):
    alert = scenario_alert()
    first_score = alert.score
    actions.do_assign_alert(actor=MH, alert_id=alert.pk, assignee=MH)
    actions.do_start_investigation(actor=MH, alert_id=alert.pk)
    actions.do_dismiss_alert(actor=MH, alert_id=alert.pk, reason="全部误报")
    actions.do_close_alert(actor=MH, alert_id=alert.pk, reason="误报")
    factors = actions.feedback_factors()
    # one false positive each: (0 + 2) / (0 + 1 + 4) / 0.5 = 0.8
    assert factors == {c: pytest.approx(0.8) for c in alert.codes}
    stats = {s.code: s for s in queries.feedback_stats_for(CITY, alert.codes)}
    assert stats["CN-40-6"].false_positives == 1
    assert stats["CN-40-6"].factor == pytest.approx(0.8)
    # a new section with the same pattern now scores lower
    snapshot = collusion_snapshot()
    renamed = {name: df for name, df in snapshot.frames.items()}
    import polars as pl

    for name in ("tenders", "bids", "parties", "fingerprints"):
        renamed[name] = renamed[name].with_columns(pl.col("ocid").str.replace("demo-collusion-1", "demo-collusion-2"))
    from yiwang.supervision.redflags.domain.frames import make_snapshot

    run = actions.do_run_snapshot(
        actor=MH, snapshot=make_snapshot(renamed, currency="CNY"), region_code=REGION, codes=alert.codes
    )
    new = Alert.objects.get(first_run=run)
    assert new.score < first_score


def test_importing_ocds_reports_malformed_lines_and_keeps_cardinal_shape(clock):
    releases = [
        release(
            f"oc-{i}", method="open", tenderers=1, buyer="B1", parties=[{"id": "B1", "address": {"region": "310112"}}]
        )
        for i in range(3)
    ]
    data = (
        jsonl(releases).replace(b'"ocid": "oc-1"', b'"ocid": "oc-1"', 1)
        + b'{"ocid": broken}\n'
        + jsonl([release("oc-9", bids=[bid("A", 1)], awards=[award("A")])])
    )
    run = actions.do_import_ocds(actor=MH, source=data, region_code="310112", label="sample.jsonl", workers=1)
    assert run.source == "ocds"
    assert run.ingest["malformed"] == 1
    assert run.ingest["errors"][0]["line"] == 4
    assert run.ingest["errors"][0]["code"] == "ocds.invalid_json"
    assert len(run.input_digest) == 64
    assert run.input_bytes == len(data)
    cardinal = queries.cardinal_output_for(MH, run.pk)
    assert cardinal["OCID"] == {f"oc-{i}": {"R018": 1.0} for i in range(3)}
    assert set(cardinal) <= {"OCID", "Buyer", "ProcuringEntity", "Tenderer", "Meta"}
    assert run.summary["R024"]["not_computable"]["code"] == "redflags.population_empty"
    # three single-bid processes of one buyer in 闵行: one finding each, no alert (R018 alone is below the line)
    assert run.findings_count == 3
    assert run.alerts_raised == 0
    total, rows = queries.list_run_findings_for(MH, run.pk, code="R018")
    assert total == 3
    assert {r.region_code for r in rows} == {"310112"}


def test_other_supervision_contexts_raise_alerts_on_the_same_workflow(clock):
    base = testing.base()
    alert = actions.do_raise_alert(
        actor=Actor.system("credit"),
        source="credit",
        key="entity:9001:blacklist",
        subject_type="bidder",
        subject_id="9001",
        subject_label="甲建设工程有限公司",
        region_code="310112",
        title="失信被执行人仍参与投标",
        findings=[
            actions.FindingIn("CREDIT-BLACKLIST", 1.0, {"list": "失信被执行人", "since": "2026-01-05"}, weight=0.8)
        ],
    )
    assert alert.key == "credit:entity:9001:blacklist"
    assert alert.score == pytest.approx(0.8)
    assert queries.list_alerts_for(MH, source="credit").total == 1
    detail = queries.get_alert_for(MH, alert.pk)
    assert detail.findings[0].indicator.name_zh == "CREDIT-BLACKLIST"
    assert support.witnessed(base, "redflags.raise_alert")[0]["result"] == "raised"
    actions.do_assign_alert(actor=MH, alert_id=alert.pk, assignee=MH)


def test_the_platform_screen_runs_on_what_the_platform_records(clock):
    run = actions.do_run_platform(actor=Actor.system("clock"), region_code="310000")
    assert run.source == "platform"
    assert run.findings_count == 0
    assert any(n.startswith("投标工具特征码：0 份投标文件") for n in run.notes)
    assert run.summary["CN-40-1"]["not_computable"]["code"] == "redflags.data_missing"


def test_the_clock_job_runs_once_per_interval(clock, settings):
    settings.YIWANG_REDFLAGS_PLATFORM_EVERY_MINUTES = 60
    assert jobs.run_due_platform_screen(clock.now()) == 1
    assert jobs.run_due_platform_screen(clock.now()) == 0
    clock.advance(timedelta(minutes=61))
    assert jobs.run_due_platform_screen(clock.now()) == 1
    settings.YIWANG_REDFLAGS_PLATFORM_EVERY_MINUTES = 0
    clock.advance(timedelta(days=2))
    assert jobs.run_due_platform_screen(clock.now()) == 0
    assert Run.objects.filter(source="platform").count() == 2
