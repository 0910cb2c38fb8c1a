"""The API and the pages: regulators read and act within their regions; nobody else sees an alert."""

from __future__ import annotations

import json

import pytest

from yiwang.supervision.redflags.demo import SECTION, seed_collusion_scenario
from yiwang.supervision.redflags.models import Alert, Run
from yiwang.supervision.redflags.tests import support
from yiwang.supervision.redflags.tests.builder import jsonl, release

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(test_actors):
    test_actors.update(
        {
            "mh": support.regulator("310112", 301),
            "mh2": support.regulator("310112", 302),
            "xh": support.regulator("310104", 303),
            "city": support.regulator("310000", 304),
            "audit": support.auditor("310000"),
            "staff": support.staff("310112"),
            "bidder": support.bidder(),
        }
    )
    return test_actors


@pytest.fixture
def alert(people, clock) -> Alert:
    seed_collusion_scenario(people["mh"])
    return Alert.objects.get(subject_id=SECTION)


def test_catalogue_is_public(api):
    r = api.get("/redflags/indicators")
    assert r.status_code == 200
    codes = {i["code"] for i in r.json()}
    assert {"R003", "R018", "R024", "R025", "R028", "R030", "R035", "R036", "R038", "R048", "R058"} <= codes
    assert {"SCREENS", "CN-40-1", "CN-40-6", "CN-40-4P", "CN-40-4D", "NET-COBID", "EXP-PIVOT"} <= codes
    one = api.get("/redflags/indicators/R024").json()
    assert one["units"] == ["process", "bidder"]
    assert {p["name"] for p in one["parameters"]} >= {"threshold", "currency"}
    assert api.get("/redflags/indicators/R999").json()["code"] == "redflags.unknown_indicator"


def test_alerts_api_is_scoped_by_region(api, alert):
    r = api.with_token("mh").get("/redflags/alerts")
    assert r.status_code == 200
    assert r.json()["total"] == 1
    assert api.with_token("xh").get("/redflags/alerts").json()["total"] == 0
    assert api.with_token("xh").get(f"/redflags/alerts/{alert.pk}").status_code == 404
    assert api.with_token("city").get(f"/redflags/alerts/{alert.pk}").status_code == 200
    for who in ("staff", "bidder"):
        r = api.with_token(who).get("/redflags/alerts")
        assert r.status_code == 403
        assert r.json()["code"] == "redflags.forbidden"
        assert api.with_token(who).get(f"/redflags/alerts/{alert.pk}").status_code == 403
    assert api.get("/redflags/alerts").status_code == 401


def test_alert_detail_explains_itself_and_the_workflow_runs_over_the_api(api, alert):
    r = api.with_token("mh").get(f"/redflags/alerts/{alert.pk}")
    body = r.json()
    assert r["ETag"] == '"1"'
    machine = next(f for f in body["findings"] if f["code"] == "CN-40-1")
    assert machine["indicator"]["name_zh"] == "同一机器制作投标文件"
    assert machine["evidence"]["linked_tenderers"] == ["9001", "9002"]
    assert body["allowed"] == ["assign"]
    mh = api.with_token("mh")
    r = mh.post(f"/redflags/alerts/{alert.pk}/assign", {"assignee": "me"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["status"] == "assigned"
    r = mh.post(f"/redflags/alerts/{alert.pk}/assign", {"assignee": "me"}, headers={"If-Match": '"1"'})
    assert r.status_code == 412
    r = mh.post(f"/redflags/alerts/{alert.pk}/close", {"reason": "x"})
    assert r.status_code == 409
    assert r.json()["code"] == "redflags.wrong_status"
    assert mh.post(f"/redflags/alerts/{alert.pk}/investigate").json()["status"] == "investigating"
    r = mh.post(f"/redflags/alerts/{alert.pk}/dismiss", {"reason": ""})
    assert r.status_code == 422
    assert r.json()["code"] == "redflags.reason_required"
    r = mh.post(
        f"/redflags/alerts/{alert.pk}/confirm", {"reason": "银行流水证实", "false_positive_codes": ["CN-40-4P"]}
    )
    assert r.status_code == 200
    assert r.json()["status"] == "confirmed"
    assert {f["code"]: f["verdict"] for f in r.json()["feedback"]}["CN-40-4P"] == "false_positive"
    assert mh.post(f"/redflags/alerts/{alert.pk}/close", {"reason": "移交处理"}).json()["status"] == "closed"
    stats = {s["code"]: s for s in api.with_token("city").get("/redflags/feedback").json()}
    assert stats["CN-40-4P"]["false_positives"] == 1
    assert stats["CN-40-1"]["true_positives"] == 1
    # auditors read but cannot act
    r = api.with_token("audit").post(f"/redflags/alerts/{alert.pk}/assign", {"assignee": "me"})
    assert r.status_code == 403


def test_runs_over_the_api(api, people, clock):
    r = api.with_token("mh").post("/redflags/runs", {"region_code": "310112", "codes": ["CN-40-1", "R018"]})
    assert r.status_code == 201, r.json()
    assert r.json()["indicator_codes"] == ["CN-40-1", "R018"]
    assert r["Location"].endswith(f"/runs/{r.json()['id']}")
    r = api.with_token("mh").post("/redflags/runs", {"region_code": "310104"})
    assert r.status_code == 403
    assert r.json()["code"] == "redflags.region_not_covered"
    r = api.with_token("mh").post(
        "/redflags/runs", {"region_code": "310112", "codes": ["R024"], "parameters": {"R024": {"threshold": -1}}}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "redflags.parameter_invalid"
    assert Run.objects.count() == 1


def test_ocds_upload_reports_malformed_lines(api, people, clock, client):
    data = (
        jsonl([release("u-1", method="open", tenderers=1)])
        + b"not json\n"
        + jsonl([release("u-2", method="open", tenderers=1)])
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        "/api/v1/redflags/runs/ocds",
        {"file": SimpleUploadedFile("upload.jsonl", data), "region_code": "310112", "codes": "R018,R024"},
        headers={"Authorization": "Bearer mh"},
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["ingest"]["malformed"] == 1
    assert body["ingest"]["errors"][0]["line"] == 2
    assert body["summary"]["R024"]["not_computable"]["code"] == "redflags.population_empty"
    cardinal = api.with_token("mh").get(f"/redflags/runs/{body['id']}/cardinal").json()
    assert cardinal["OCID"] == {"u-1": {"R018": 1.0}, "u-2": {"R018": 1.0}}
    assert api.with_token("xh").get(f"/redflags/runs/{body['id']}").status_code == 404
    findings = api.with_token("mh").get(f"/redflags/runs/{body['id']}/findings", {"code": "R018"}).json()
    assert findings["total"] == 2
    r = client.post(
        "/api/v1/redflags/runs/ocds",
        {"file": SimpleUploadedFile("upload.jsonl", data), "region_code": "310112", "parameters": "[1]"},
        headers={"Authorization": "Bearer mh"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "redflags.parameters_invalid"


# -- pages ---------------------------------------------------------------------------------------------------------


def page(client, path, who=None, **kwargs):
    headers = {"X-Test-Actor": who} if who else {}
    return client.get(path, headers=headers, **kwargs)


def test_alert_pages_for_regulators(client, alert):
    r = page(client, "/supervision/redflags/", "mh")
    assert r.status_code == 200
    assert "同一机器制作投标文件" in r.content.decode()
    r = page(client, "/supervision/redflags/?code=CN-40-6&min_score=0.9", "mh")
    assert f"/supervision/redflags/{alert.pk}/" in r.content.decode()
    r = page(client, f"/supervision/redflags/{alert.pk}/", "mh")
    html = r.content.decode()
    assert r.status_code == 200
    for text in (
        "投标保证金从同一账户转出",
        "《招标投标法实施条例》第40条",
        "3C7C3F1A2B4D",
        "相邻差额",
        "max_holders",
        "分派",
    ):
        assert text in html, text
    assert page(client, f"/supervision/redflags/{alert.pk}/", "xh").status_code == 404
    assert page(client, "/supervision/redflags/", "bidder").status_code == 403
    assert page(client, "/supervision/redflags/", "staff").status_code == 403
    assert page(client, "/supervision/redflags/").status_code == 302  # to sign in


def test_workflow_buttons(client, alert):
    url = f"/supervision/redflags/{alert.pk}/act/"
    r = client.post(url, {"verb": "assign", "version": "1", "assignee": ""}, headers={"X-Test-Actor": "mh"})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "assigned"
    client.post(url, {"verb": "investigate"}, headers={"X-Test-Actor": "mh"})
    r = client.post(url, {"verb": "dismiss", "reason": ""}, headers={"X-Test-Actor": "mh"}, follow=True)
    assert "请填写理由" in r.content.decode()
    client.post(url, {"verb": "dismiss", "reason": "误报", "fp": ["CN-40-4P"]}, headers={"X-Test-Actor": "mh"})
    alert.refresh_from_db()
    assert alert.status == "dismissed"
    assert client.post(url, {"verb": "close", "reason": "x"}, headers={"X-Test-Actor": "xh"}).status_code == 404


def test_run_pages(client, people, clock):
    data = jsonl([release("w-1", method="open", tenderers=1)]) + b"{oops\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        "/supervision/redflags/runs/start/",
        {"source": "ocds", "region_code": "310112", "file": SimpleUploadedFile("w.jsonl", data)},
        headers={"X-Test-Actor": "mh"},
    )
    assert r.status_code == 302
    run = Run.objects.get()
    html = page(client, f"/supervision/redflags/runs/{run.pk}/", "mh").content.decode()
    assert "格式错误 <strong>1</strong> 行" in html
    assert "ocds.invalid_json" in html
    r = page(client, f"/supervision/redflags/runs/{run.pk}/cardinal.json", "mh")
    assert json.loads(r.content)["OCID"] == {"w-1": {"R018": 1.0}}
    assert page(client, "/supervision/redflags/runs/", "mh").status_code == 200
    r = client.post(
        "/supervision/redflags/runs/start/",
        {"source": "platform", "region_code": "310112"},
        headers={"X-Test-Actor": "mh"},
    )
    assert r.status_code == 302
    assert Run.objects.count() == 2
    assert (
        client.post(
            "/supervision/redflags/runs/start/", {"region_code": "310112"}, headers={"X-Test-Actor": "audit"}
        ).status_code
        == 403
    )
    assert page(client, "/supervision/redflags/indicators/").status_code == 200
