"""The notices and subscriptions APIs: codes, permissions, idempotency, If-Match, public data."""

from __future__ import annotations

import pytest

from yiwang.kernel.canonical import digest_json
from yiwang.platform import testing
from yiwang.services.notices import jobs
from yiwang.services.notices.models import Notice
from yiwang.services.notices.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.services.notices.tests.urls")]


@pytest.fixture
def tokens(test_actors, staff, agency):
    test_actors.update(
        {
            "staff": staff,
            "agency": agency,
            "other-agency": support.agency(entity_id=5, n=401),
            "visitor": support.visitor(),
            "regulator": support.regulator(),
        }
    )
    return test_actors


def body(**overrides):
    data = {
        "owner": "tender.section:34",
        "notice_type": "tender_notice",
        "category": "works",
        "region_code": "310112",
        "title": "闵行区七宝镇道路大修工程施工招标公告",
        "body_html": support.BODY + "<script>alert(1)</script>",
        "fields": support.TENDER_FIELDS,
        "publisher_entity_id": support.AGENCY_ENTITY,
    }
    data.update(overrides)
    return data


def test_draft_edit_publish_and_read_back(api, clock, tokens):
    agency = api.with_token("agency")
    r = agency.post("/notices", body(), headers={"Idempotency-Key": "draft-1"})
    assert r.status_code == 201, r.json()
    notice_id = r.json()["id"]
    assert r["Location"] == f"/api/v1/notices/{notice_id}"
    assert r["ETag"] == '"1"'
    assert r.json()["status"] == "draft"
    assert "<script>" not in r.json()["data"]["NOTICE_CONTENT"]
    replay = agency.post("/notices", body(), headers={"Idempotency-Key": "draft-1"})
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()["id"]) == (201, "true", notice_id)
    assert Notice.objects.count() == 1

    assert api.get(f"/notices/{notice_id}").status_code == 404  # drafts are not public
    assert api.with_token("other-agency").get(f"/notices/{notice_id}").status_code == 404
    assert api.with_token("regulator").get(f"/notices/{notice_id}").status_code == 200

    r = agency.patch(f"/notices/{notice_id}", {"title": "闵行区七宝镇道路大修工程施工招标公告（修订）"})
    assert (r.status_code, r.json()["code"]) == (428, "precondition.if_match_required")
    r = agency.patch(f"/notices/{notice_id}", {"title": "新标题"}, headers={"If-Match": '"7"'})
    assert (r.status_code, r.json()["code"]) == (412, "precondition.failed")
    r = agency.patch(
        f"/notices/{notice_id}", {"title": "闵行区七宝镇道路大修工程施工招标公告（修订）"}, headers={"If-Match": '"1"'}
    )
    assert (r.status_code, r["ETag"]) == (200, '"2"')

    r = agency.post(f"/notices/{notice_id}/publish", {})
    assert r.status_code == 200
    assert r.json()["status"] == "published"
    public = api.get(f"/notices/{notice_id}").json()
    assert digest_json(public["data"]) == public["data_sha256"]
    assert public["pdf"]["url"] == f"/notices/{notice_id}.pdf"
    assert public["data"]["NOTICE_NAME"] == "闵行区七宝镇道路大修工程施工招标公告（修订）"
    listed = api.get("/notices", {"region": "310000", "type": "tender_notice"}).json()
    assert [i["id"] for i in listed["items"]] == [notice_id]
    assert api.get("/notices", {"region": "310115"}).json()["total"] == 0

    r = agency.patch(f"/notices/{notice_id}", {"title": "改已发布的"}, headers={"If-Match": "*"})
    assert (r.status_code, r.json()["code"]) == (409, "notices.not_editable")


def test_publish_in_one_step_correct_and_withdraw(api, clock, tokens):
    staff = api.with_token("staff")
    r = staff.post("/notices", body(publish=True))
    assert (r.status_code, r.json()["status"]) == (201, "published")
    first = r.json()["id"]
    r = staff.post(
        f"/notices/{first}/corrections",
        {"reason": "延期", "fields": {**support.TENDER_FIELDS, "BID_OPEN_TIME": "2026-03-26T09:30:00+08:00"}},
    )
    assert r.status_code == 201, r.json()
    second = r.json()["id"]
    assert r.json()["data"]["NOTICE_NATURE"] == "2"
    assert [v["id"] for v in api.get(f"/notices/{first}/versions").json()] == [first, second]
    assert api.get(f"/notices/{first}").json()["superseded_by"] == second
    r = staff.post(f"/notices/{first}/corrections", {"reason": "再改"})
    assert (r.status_code, r.json()["code"]) == (409, "notices.already_corrected")
    r = staff.post(f"/notices/{second}/withdraw", {"reason": ""})
    assert (r.status_code, r.json()["code"]) == (422, "notices.reason_required")
    r = staff.post(f"/notices/{second}/withdraw", {"reason": "项目终止"})
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")


def test_scheduled_through_the_api(api, clock, tokens):
    from datetime import timedelta

    at = (clock.now() + timedelta(hours=1)).isoformat()
    r = api.with_token("agency").post("/notices", body(publish=True, publish_at=at))
    assert (r.status_code, r.json()["status"]) == (201, "scheduled")
    r = api.with_token("agency").post("/notices", body(publish_at=at))
    assert (r.status_code, r.json()["code"]) == (422, "notices.publish_at_without_publish")
    clock.advance(timedelta(hours=1))
    jobs.publish_due(clock.now())
    assert api.get("/notices").json()["total"] == 1


@pytest.mark.parametrize(
    ("token", "overrides", "status", "code"),
    [
        ("visitor", {}, 403, "notices.forbidden"),
        ("other-agency", {}, 403, "notices.forbidden"),
        ("regulator", {}, 403, "notices.forbidden"),
        ("agency", {"fields": {}}, 422, "notices.field_required"),
        ("agency", {"fields": {**support.TENDER_FIELDS, "X": 1}}, 422, "notices.field_unknown"),
        ("agency", {"notice_type": "nope"}, 422, "notices.type_unknown"),
        ("agency", {"region_code": "31011"}, 422, "notices.region_invalid"),
        ("agency", {"publish": True, "publish_at": "2020-01-01T00:00:00+08:00"}, 422, "notices.publish_at_past"),
        ("agency", {"title": 12}, 422, "request.invalid"),
    ],
)
def test_refusals_have_codes_and_leave_nothing(api, clock, tokens, token, overrides, status, code):
    before = testing.log_state()
    r = api.with_token(token).post("/notices", body(**overrides))
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert testing.log_state() == before
    assert not Notice.objects.exists()


def test_anonymous_callers_cannot_write(api, clock, tokens):
    assert api.post("/notices", body()).status_code == 401
    assert api.get("/notices/999").status_code == 404
    assert api.get("/notices/disclosure", {"from": "2026-03-01", "to": "2026-03-31"}).status_code == 401


def test_obligations_and_the_disclosure_report(api, clock, tokens):
    r = api.with_token("staff").post(
        "/notices/obligations",
        {
            "owner": "gp.package:1",
            "category": "gp",
            "stage": "result",
            "anchor_at": "2026-02-13T10:00:00+08:00",
            "region_code": "310112",
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()[0]["due_at"] == "2026-02-25T00:00:00+08:00"
    r = api.with_token("regulator").get("/notices/disclosure", {"from": "2026-02-01", "to": "2026-02-28"})
    assert r.status_code == 200
    report = r.json()
    assert report["tally"] == {"required": 1, "on_time": 0, "late": 0, "missing": 1, "pending": 0, "rate": "0.0"}
    assert report["missing"][0]["obligation"]["owner"] == "gp.package:1"
    r = api.with_token("visitor").get("/notices/disclosure", {"from": "2026-02-01", "to": "2026-02-28"})
    assert (r.status_code, r.json()["code"]) == (403, "notices.forbidden")
    r = api.with_token("staff").get("/notices/disclosure", {"from": "2026-03-01", "to": "2026-02-01"})
    assert (r.status_code, r.json()["code"]) == (422, "notices.period_invalid")
    r = api.with_token("visitor").post(
        "/notices/obligations",
        {
            "owner": "gp.package:2",
            "category": "gp",
            "stage": "result",
            "anchor_at": "2026-02-13T10:00:00+08:00",
            "region_code": "310112",
        },
    )
    assert (r.status_code, r.json()["code"]) == (403, "notices.forbidden")


def test_subscriptions_api(api, clock, tokens):
    me = api.with_token("visitor")
    r = me.post("/subscriptions", {"name": "道路", "query": "道路", "email": "me@example.org"})
    assert r.status_code == 201, r.json()
    sub = r.json()
    assert (sub["query"], sub["active"], r["ETag"]) == ("道路", True, '"1"')
    r = me.post("/subscriptions", {"name": "空的"})
    assert (r.status_code, r.json()["code"]) == (422, "notices.subscription_empty")
    assert [s["id"] for s in me.get("/subscriptions").json()] == [sub["id"]]
    assert api.with_token("agency").get(f"/subscriptions/{sub['id']}").status_code == 404
    r = me.patch(f"/subscriptions/{sub['id']}", {"active": False})
    assert r.status_code == 428
    r = me.patch(f"/subscriptions/{sub['id']}", {"active": False}, headers={"If-Match": '"1"'})
    assert (r.status_code, r.json()["active"]) == (200, False)
    assert me.delete(f"/subscriptions/{sub['id']}").status_code == 204
    assert me.get("/subscriptions").json() == []
    assert api.get("/subscriptions").status_code == 401


def test_search_api_finds_published_notices_by_two_character_words(api, clock, system):
    published = support.tender_notice(system)
    support.draft(system, owner="tender.section:35", title="浦东道路照明招标公告")
    for word in ("道路", "招标"):
        hits = api.get("/search", {"q": word, "kind": "notice"}).json()["hits"]
        assert [h["key"] for h in hits] == [str(published.pk)], word
        assert hits[0]["url"] == f"/notices/{published.pk}/"
