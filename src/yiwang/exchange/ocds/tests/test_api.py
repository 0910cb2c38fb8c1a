"""The API (``/api/v1/ocds``) and the public pages: releases since a time, records, daily packages, bulk files
with stable bytes, imports with their errors, refusals with specific codes."""

from __future__ import annotations

import io
import json

import pytest

from yiwang.exchange.ocds import actions
from yiwang.exchange.ocds.models import Release
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api import auth, testing

pytestmark = pytest.mark.django_db
STAFF = Actor(ActorKind.ACCOUNT, "901", "工作人员", grants=(RoleGrant(Role.STAFF, region="310000"),))
ENTITY_USER = Actor(ActorKind.ACCOUNT, "903", "投标人", grants=(RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1),))


@pytest.fixture
def actors(settings):
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    testing.ACTORS.update({"staff": STAFF, "bidder": ENTITY_USER})
    yield
    testing.ACTORS.pop("staff", None)
    testing.ACTORS.pop("bidder", None)
    auth.resolver.cache_clear()


def _release(rid: str, date: str, ocid: str = "ocds-yw0001-X1", **fields) -> dict:
    return {"ocid": ocid, "id": rid, "date": date, "tag": ["tender"], "initiationType": "tender", **fields}


def _local(*releases: dict) -> None:
    """Store releases as our own (what the publisher does), to exercise the read side alone."""
    from yiwang.exchange.ocds.actions import _row
    from yiwang.kernel.clock import SystemClock

    moment = SystemClock().now()
    Release.objects.bulk_create([_row(r, source="local", moment=moment, feed_seq=i) for i, r in enumerate(releases)])


def test_reads(api, clock, ocds_schema):
    _local(
        _release("a", "2026-03-01T15:30:00.000000Z", tender={"id": "t", "title": "A"}),  # 03-01 23:30 Shanghai
        _release("b", "2026-03-01T16:30:00.000000Z", tender={"id": "t", "status": "active"}),  # 03-02 00:30
        _release("c", "2026-03-02T01:00:00.000000Z", ocid="ocds-yw0001-X2"),
    )
    days = api.get("/ocds/packages").json()
    assert [(d["date"], d["releases"], d["processes"]) for d in days] == [("2026-03-02", 2, 2), ("2026-03-01", 1, 1)]
    one = api.get("/ocds/packages/2026-03-02")
    assert one.status_code == 200
    assert one["Content-Type"].startswith("application/json")
    package = json.loads(one.content)
    assert ocds_schema.package_errors(package) == []
    assert [r["id"] for r in package["releases"]] == ["b", "c"]
    assert api.get("/ocds/packages/2026-03-02").content == one.content
    missing = api.get("/ocds/packages/2026-02-01")
    assert missing.status_code == 404
    assert missing.json()["code"] == "ocds.no_package"
    assert api.get("/ocds/packages/2026-13-01").status_code == 422
    since = api.get("/ocds/releases", {"since": "2026-03-01T16:00:00Z"}).json()
    assert [r["id"] for r in since["releases"]] == ["b", "c"]
    first = api.get("/ocds/releases", {"limit": 2}).json()
    assert [r["id"] for r in first["releases"]] == ["a", "b"]
    assert "after=" in first["links"]["next"]
    after = first["links"]["next"].split("after=")[1].split("&")[0]
    assert [r["id"] for r in api.get("/ocds/releases", {"after": after}).json()["releases"]] == ["c"]
    assert api.get("/ocds/releases", {"since": "2026-03-01T16:00:00"}).json()["code"] == "ocds.naive_since"
    assert api.get("/ocds/releases", {"limit": 0}).json()["code"] == "ocds.bad_limit"
    record = api.get("/ocds/records/ocds-yw0001-X1").json()
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["tender"] == {"id": "t", "title": "A", "status": "active"}
    assert ocds_schema.release_errors(compiled) == []
    assert api.get("/ocds/records/nope").json()["code"] == "ocds.process_not_found"
    bulk = api.get("/ocds/bulk/releases.jsonl")
    assert bulk.content.count(b"\n") == 3
    assert bulk.content == api.get("/ocds/bulk/releases.jsonl").content
    zipped = api.get("/ocds/bulk/packages.zip")
    assert zipped.content[:2] == b"PK"
    assert zipped.content == api.get("/ocds/bulk/packages.zip").content
    assert api.get("/ocds/bulk/compiled.jsonl").content.count(b"\n") == 2


def test_imports_over_the_api(api, clock, actors):
    body = "\n".join([json.dumps(_release("r1", "2026-03-01T00:00:00Z", ocid="ext-9")), "oops"]).encode()
    post = api.with_token("staff").client.post
    response = post(
        "/api/v1/ocds/imports?label=外部",
        data=body,
        content_type="application/x-ndjson",
        headers={"Authorization": "Bearer staff"},
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["added"] == 1
    assert out["label"] == "外部"
    assert out["summary"]["errors"] == [
        {"line": 2, "code": "ocds.invalid_json", "message": out["summary"]["errors"][0]["message"]}
    ]
    refused = post(
        "/api/v1/ocds/imports",
        data=b"oops",
        content_type="application/x-ndjson",
        headers={"Authorization": "Bearer staff"},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "ocds.nothing_to_import"
    forbidden = post(
        "/api/v1/ocds/imports",
        data=body,
        content_type="application/x-ndjson",
        headers={"Authorization": "Bearer bidder"},
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "ocds.forbidden"
    assert api.post("/ocds/imports", {"ocid": "x"}).status_code == 401
    assert Release.objects.count() == 1
    assert [b["added"] for b in api.with_token("staff").get("/ocds/imports").json()] == [1]
    assert api.with_token("bidder").get("/ocds/imports").status_code == 403
    assert api.with_token("bidder").post("/ocds/publish").json()["code"] == "ocds.forbidden"
    assert api.with_token("staff").post("/ocds/publish").json()["added"] == 0


def test_pages(client, clock, actors):
    _local(_release("a", "2026-03-01T15:30:00.000000Z", tender={"id": "t", "title": "浦江道路工程"}))
    actions.do_import_ocds(
        actor=STAFF,
        data=json.dumps(
            _release("r1", "2026-03-01T00:00:00Z", ocid="ext-9", tender={"id": "t", "title": "外省项目"})
        ).encode(),
    )
    page = client.get("/exchange/ocds/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2026-03-01.json" in text
    assert "浦江道路工程" in text
    assert "外省项目" in text
    assert "导入外部 OCDS 数据" not in text
    assert "导入外部 OCDS 数据" in client.get("/exchange/ocds/", headers={"X-Test-Actor": "staff"}).content.decode()
    record = client.get("/exchange/ocds/records/ext-9/")
    assert record.status_code == 200
    assert "外省项目" in record.content.decode()
    assert client.get("/exchange/ocds/records/nope/").status_code == 404
    assert client.post("/exchange/ocds/import/", headers={"X-Test-Actor": "bidder"}).status_code == 403


def test_the_commands(db, clock, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "ext.jsonl"
    path.write_bytes(json.dumps(_release("r1", "2026-03-01T00:00:00Z", ocid="ext-7")).encode() + b"\n{oops\n")
    out = io.StringIO()
    call_command("ocds_import", str(path), stdout=out)
    assert "导入 1 条" in out.getvalue()
    assert "第 2 行 ocds.invalid_json" in out.getvalue()
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{oops\n")
    with pytest.raises(CommandError, match=r"ocds\.nothing_to_import"):
        call_command("ocds_import", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="cannot read"):
        call_command("ocds_import", str(tmp_path / "missing.jsonl"), stdout=io.StringIO())
    out = io.StringIO()
    call_command("ocds_publish", "--from-start", stdout=out)
    assert "新发布 0 条" in out.getvalue()
