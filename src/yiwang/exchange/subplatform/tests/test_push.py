"""Pushing national-spec records: a whole works tender accepted, stored, witnessed, searchable and in the feed;
refused records answered per field with nothing left behind."""

from __future__ import annotations

import pytest

from yiwang.exchange.subplatform.models import Record, RecordVersion, Refusal
from yiwang.exchange.subplatform.tests.support import (
    GP,
    counts,
    opening,
    project,
    result,
    section,
    tender_project,
    works_tender,
)
from yiwang.kernel.actors import Role
from yiwang.platform.audit import queries as audit

pytestmark = pytest.mark.django_db


def test_a_whole_works_tender_is_accepted_witnessed_searchable_and_in_the_feed(hub, api):
    for dataset, record in works_tender():
        response = hub.works.push(dataset, record)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["accepted"] == 1
        assert body["refused"] == 0
        assert body["results"][0]["outcome"] == "created"
        assert body["results"][0]["version"] == 1
    assert Record.objects.count() == 6
    assert RecordVersion.objects.count() == 6

    # witnessed: one entry per record, naming the platform, key and digest
    entries = [e for e in audit.entries(action="exchange.push_records", limit=100)]
    assert len(entries) == 6
    notice = Record.objects.get(dataset="TENDER_ANN_QUA_INQUERY_ANN")
    assert notice.record_key == "E3101120001000001|1"
    assert notice.title == "莘庄镇社区文化中心新建工程施工招标公告"

    # the pull side: the feed, filtered per dataset
    feed = api.get("/feed", {"type": "exchange.tender_ann_qua_inquery_ann.received.v1"}).json()
    (event,) = feed["events"]
    assert event["data"]["key"] == "E3101120001000001|1"
    assert event["data"]["operation"] == "add"
    assert event["data"]["platform_code"] == hub.platform.platform_code
    assert event["data"]["record"]["NOTICE_NAME"] == "莘庄镇社区文化中心新建工程施工招标公告"
    assert event["data"]["digest"] == notice.digest
    assert event["witness_seq"] is not None

    # searchable by everyone, linking to the public record page
    hits = hub.search("社区文化中心")
    assert {h.title for h in hits} >= {
        "莘庄镇社区文化中心新建工程施工招标公告",
        "莘庄镇社区文化中心新建工程施工中标结果公告",
    }
    page = api.client.get(f"/exchange/records/{notice.pk}/")
    assert page.status_code == 200
    assert "现对施工总承包进行公开招标" in page.content.decode()


def _refused(response, code: str, field: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "exchange.record_refused"
    assert any(e["code"] == code and e["field"] == field for e in body["details"]["errors"]), body
    return body


@pytest.mark.parametrize(
    ("record", "code", "field"),
    [
        (project(PROJECT_NAME=None), "exchange.field_required", "PROJECT_NAME"),
        (project(PROJECT_CODE="X" * 18), "exchange.too_long", "PROJECT_CODE"),
        (project(INDUSTRIES_TYPE="Z01"), "exchange.bad_code", "INDUSTRIES_TYPE"),
        (project(REGION_CODE="319999"), "exchange.bad_code", "REGION_CODE"),
        (project(CREATE_TIME="20260230120000"), "exchange.bad_type", "CREATE_TIME"),
        (project(PROJECT_OWNER="某单位"), "exchange.unknown_field", "PROJECT_OWNER"),
        (project(DATA_TYPE="4"), "exchange.bad_code", "DATA_TYPE"),
        (project(DATA_TIMESTAMP="20260302100000"), "exchange.timestamp_in_future", "DATA_TIMESTAMP"),
        (project(PLATFORM_CODE=GP), "exchange.platform_mismatch", "PLATFORM_CODE"),
        (project(DATA_TYPE="2"), "exchange.not_found", ""),
    ],
)
def test_a_bad_record_is_refused_per_field_and_leaves_only_the_quality_log(hub, record, code, field):
    before = counts()
    body = _refused(hub.works.push("PROJECT", record), code, field)
    assert body["details"]["field"] == body["details"]["errors"][0]["field"]
    after = counts()
    assert after == {**before, "refusals": before["refusals"] + 1, "nonces": before["nonces"] + 1}
    refusal = Refusal.objects.get()
    assert refusal.first_code == body["details"]["errors"][0]["code"]
    assert refusal.platform == hub.platform


def test_every_error_of_a_record_is_returned(hub):
    body = _refused(
        hub.works.push("PROJECT", project(PROJECT_NAME="", REGION_CODE="31011", INDUSTRIES_TYPE="A1000")),
        "exchange.field_required",
        "PROJECT_NAME",
    )
    fields = {(e["field"], e["code"]) for e in body["details"]["errors"]}
    assert fields == {
        ("PROJECT_NAME", "exchange.field_required"),
        ("REGION_CODE", "exchange.bad_code"),
        ("INDUSTRIES_TYPE", "exchange.too_long"),
    }


def test_a_child_before_its_parent_is_refused(hub):
    before = counts()
    _refused(hub.works.push("SECTION", section()), "exchange.parent_missing", "TENDER_PROJECT_CODE")
    assert counts()["records"] == before["records"]


def test_an_unknown_dataset_and_a_body_that_is_not_json(hub):
    response = hub.works.push("NO_SUCH_SET", project())
    assert response.status_code == 404
    assert response.json()["code"] == "exchange.unknown_dataset"
    headers = hub.works.signed_headers({})
    response = hub.works.api.with_token(hub.works.token).client.post(
        "/api/v1/exchange/records/PROJECT",
        data=b"{not json",
        content_type="application/json",
        headers={**headers, "Authorization": f"Bearer {hub.works.token}"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "exchange.malformed_body"


def test_replays_are_idempotent_and_versions_move_forward_only(hub, api):
    hub.works.push("PROJECT", project())
    before = counts()
    # the same record signed again (new nonce): unchanged, nothing stored, no witness entry, no event
    again = hub.works.push("PROJECT", project())
    assert again.status_code == 200
    assert again.json()["results"][0]["outcome"] == "unchanged"
    assert again.json()["receipt_id"] is None
    assert counts() == {**before, "nonces": before["nonces"] + 1}

    # an update with a newer DATA_TIMESTAMP is version 2
    newer = project(DATA_TYPE="2", DATA_TIMESTAMP="20260302085930", PROJECT_NAME="莘庄镇社区文化中心新建工程（调整）")
    response = hub.works.push("PROJECT", newer)
    assert response.json()["results"][0] == {**response.json()["results"][0], "outcome": "updated", "version": 2}
    assert Record.objects.get().version == 2
    assert hub.search("调整")

    # an older version arriving late is refused; so is different content under the same DATA_TIMESTAMP
    _refused(
        hub.works.push("PROJECT", project(DATA_TYPE="2", PROJECT_NAME="旧名称")), "exchange.stale", "DATA_TIMESTAMP"
    )
    _refused(
        hub.works.push("PROJECT", {**newer, "PROJECT_NAME": "另一名称"}),
        "exchange.timestamp_reused",
        "DATA_TIMESTAMP",
    )
    # adding an existing record is refused (use DATA_TYPE 2)
    _refused(hub.works.push("PROJECT", project(DATA_TIMESTAMP="20260302085940")), "exchange.already_exists", "")
    assert RecordVersion.objects.count() == 2


def test_delete_removes_the_record_from_search_and_is_refused_while_children_live(hub, api):
    hub.works.push("PROJECT", project())
    hub.works.push("TENDER_PROJECT", tender_project())
    delete = {"DATA_TYPE": "3", "PLATFORM_CODE": hub.platform.platform_code, "PROJECT_CODE": "2026-310112-48-01"}
    _refused(hub.works.push("PROJECT", {**delete, "DATA_TIMESTAMP": "20260302085910"}), "exchange.has_children", "")
    delete_child = {
        "DATA_TYPE": "3",
        "PLATFORM_CODE": hub.platform.platform_code,
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "DATA_TIMESTAMP": "20260302085910",
    }
    response = hub.works.push("TENDER_PROJECT", delete_child)
    assert response.json()["results"][0]["outcome"] == "deleted"
    assert not hub.search("施工招标")
    record = Record.objects.get(dataset="TENDER_PROJECT")
    assert record.deleted
    assert record.version == 2
    assert api.client.get(f"/exchange/records/{record.pk}/").status_code == 404
    feed = api.get("/feed", {"type": "exchange.tender_project.received.v1"}).json()
    assert [e["data"]["operation"] for e in feed["events"]] == ["add", "delete"]
    # the parent can go now
    assert (
        hub.works.push("PROJECT", {**delete, "DATA_TIMESTAMP": "20260302085920"}).json()["results"][0]["outcome"]
        == "deleted"
    )


def test_a_batch_accepts_the_valid_records_and_answers_every_one(hub):
    items = [
        ("PROJECT", project()),
        ("TENDER_PROJECT", tender_project(REGION_CODE="999999")),  # refused
        ("TENDER_PROJECT", tender_project()),
        ("SECTION", section()),
        ("BID_OPENING_RECORD", opening(BID_OPENING_TIME=None)),  # refused
        ("WIN_RESULT_ANNO", result()),
        ("NO_SUCH_SET", {}),  # refused
    ]
    response = hub.works.batch(items)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["unchanged"], body["refused"]) == (4, 0, 3)
    outcomes = [r["outcome"] for r in body["results"]]
    assert outcomes == ["created", "refused", "created", "created", "refused", "created", "refused"]
    assert body["results"][1]["errors"][0]["field"] == "REGION_CODE"
    assert body["results"][4]["errors"][0]["field"] == "BID_OPENING_TIME"
    assert body["results"][6]["errors"][0]["code"] == "exchange.unknown_dataset"
    assert Record.objects.count() == 4
    assert Refusal.objects.count() == 3
    # the same batch again: the accepted ones are unchanged, the refused ones refused again
    again = hub.works.batch(items).json()
    assert (again["accepted"], again["unchanged"], again["refused"]) == (0, 4, 3)


@pytest.mark.parametrize(
    "body",
    [{"records": []}, {"records": "x"}, [], {"records": [{"dataset": "PROJECT", "record": {}, "x": 1}]}],
)
def test_a_malformed_batch_is_refused_whole(hub, body):
    before = counts()
    headers = hub.works.signed_headers(body)
    response = hub.works.api.with_token(hub.works.token).post("/exchange/batch", body, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "exchange.malformed_batch"
    assert counts() == before


def test_a_batch_of_more_than_1000_records_is_refused(hub):
    body = {"records": [{"dataset": "PROJECT", "record": project(PROJECT_CODE=f"P{i:05d}")} for i in range(1001)]}
    response = hub.works.api.with_token(hub.works.token).post(
        "/exchange/batch", body, headers=hub.works.signed_headers(body)
    )
    assert response.status_code == 422
    assert response.json()["details"]["max"] == 1000


def test_reconciliation_matches_what_the_sub_platform_computes(hub, api):
    from yiwang.exchange.subplatform.domain.digests import DayEntry, day_summary
    from yiwang.exchange.subplatform.domain.validation import content_digest, record_content

    sent = [project(), project(PROJECT_CODE="2026-310112-48-02", PROJECT_NAME="第二个项目")]
    for record in sent:
        assert hub.works.push("PROJECT", record).status_code == 200
    mine = day_summary(
        DayEntry(r["PROJECT_CODE"], r["DATA_TIMESTAMP"], content_digest(record_content(r))) for r in sent
    )
    client = api.with_token(hub.works.token)
    theirs = client.get("/exchange/reconciliation", {"dataset": "PROJECT", "day": "20260302"}).json()
    assert (theirs["count"], theirs["live"], theirs["digest"]) == (2, 2, mine.digest)
    assert client.get("/exchange/reconciliation", {"dataset": "PROJECT", "day": "20260303"}).json()["count"] == 0
    # staff name the platform; others may not read it
    staff = hub.account("reader", Role.STAFF)
    api.client.force_login(staff)
    params = {"dataset": "PROJECT", "day": "20260302", "platform_code": hub.platform.platform_code}
    assert api.client.get("/api/v1/exchange/reconciliation", params).json()["digest"] == mine.digest


def test_definitions_and_schemas_are_public(api):
    datasets = api.get("/exchange/datasets").json()
    notice = next(d for d in datasets if d["table"] == "TENDER_ANN_QUA_INQUERY_ANN")
    assert notice["feed_type"] == "exchange.tender_ann_qua_inquery_ann.received.v1"
    assert notice["parent"] == "TENDER_PROJECT"
    schema = api.get("/exchange/schemas/PROJECT.json").json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "A01" in schema["properties"]["INDUSTRIES_TYPE"]["enum"]
    assert api.get("/exchange/schemas/NOPE.json").status_code == 404


def test_records_read_through_the_api(hub, api):
    hub.works.push("PROJECT", project())
    public = api.get("/exchange/records/PROJECT", {"key": "2026-310112-48-01"}).json()
    assert public["full"] is False
    assert public["content"]["PROJECT_NAME"] == "闵行区莘庄镇社区文化中心新建工程"
    own = api.with_token(hub.works.token).get("/exchange/records/PROJECT", {"key": "2026-310112-48-01"}).json()
    assert own["full"] is True
    assert api.get("/exchange/records/PROJECT", {"key": "nope"}).status_code == 404
    quality = api.with_token(hub.works.token).get("/exchange/quality").json()
    (row,) = quality
    assert (row["platform_code"], row["accepted"], row["refused"], row["rate"]) == (
        hub.platform.platform_code,
        1,
        0,
        1.0,
    )
    assert row["completeness"] == 0.294  # 5 of PROJECT's 17 own fields
    assert row["mean_lag_hours"] == pytest.approx(60 / 3600)  # DATA_TIMESTAMP 08:59, received 09:00


def test_a_body_over_the_upload_limit_is_refused_with_a_code(hub, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    items = [("PROJECT", project(PROJECT_CODE=f"P{i:05d}", PROJECT_SCALE="规模" * 100)) for i in range(30)]
    before = counts()
    response = hub.works.batch(items)
    assert response.status_code == 422
    assert response.json()["code"] == "exchange.body_too_large"
    assert response.json()["details"]["max_bytes"] == 10_000
    assert counts() == before


def test_a_search_rebuild_keeps_the_live_records_and_drops_the_deleted(hub):
    from yiwang.platform.search.index import rebuild_index

    hub.works.push("PROJECT", project())
    hub.works.push("PROJECT", project(PROJECT_CODE="2026-310112-48-02", PROJECT_NAME="第二个社区项目"))
    delete = {"DATA_TYPE": "3", "PLATFORM_CODE": hub.platform.platform_code, "DATA_TIMESTAMP": "20260302085930"}
    hub.works.push("PROJECT", {**delete, "PROJECT_CODE": "2026-310112-48-02"})
    report = rebuild_index()
    assert report.sources["exchange.subplatform"] == 1
    assert [h.title for h in hub.search("社区")] == ["闵行区莘庄镇社区文化中心新建工程"]
