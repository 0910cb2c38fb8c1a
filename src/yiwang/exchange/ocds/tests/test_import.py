"""The importer: our own export comes back identical (releases, compiled records), repeated imports store
nothing twice, malformed lines are counted by line number, nothing readable leaves nothing behind, imported
processes are searchable, and only staff and regulators import."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from yiwang.exchange.ocds import actions, queries
from yiwang.exchange.ocds.models import ImportBatch, Release, Source
from yiwang.exchange.ocds.search import KIND
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import InvalidInput, PermissionDenied
from yiwang.platform.audit import queries as audit
from yiwang.platform.outbox import feed
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.queries import search_for
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db
STAFF = Actor(ActorKind.ACCOUNT, "901", "工作人员", grants=(RoleGrant(Role.STAFF, region="310000"),))
REGULATOR = Actor(ActorKind.ACCOUNT, "902", "监管人员", grants=(RoleGrant(Role.REGULATOR, region="310000"),))
ENTITY_USER = Actor(ActorKind.ACCOUNT, "903", "投标人", grants=(RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1),))


def release(ocid: str, rid: str, date: str, **fields) -> dict:
    return {"ocid": ocid, "id": rid, "date": date, "tag": ["tender"], "initiationType": "tender", **fields}


def test_our_export_round_trips(world, clock):
    _project, section = support.ready_project(world)
    support.open_and_hand_over(
        world, clock, section, {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    )
    actions.do_publish_releases(actor=STAFF)
    ocid = f"ocds-yw0001-{section.deal_code}"
    exported = queries.bulk_jsonl()
    releases = queries.releases_of(ocid)
    compiled = queries.compiled_release(ocid)
    record_package = queries.record_package(ocid)
    day_files = {d.day: queries.day_package_bytes(d.day) for d in queries.list_days()}
    assert len(releases) == 3
    Release.objects.all().delete()
    batch = actions.do_import_ocds(actor=REGULATOR, data=exported, label="round trip")
    assert (batch.added, batch.duplicates, batch.conflicts, batch.format) == (3, 0, 0, "json_lines")
    assert batch.summary["malformed"] == 0
    assert set(Release.objects.values_list("source", flat=True)) == {Source.EXTERNAL}
    assert queries.releases_of(ocid) == releases
    assert queries.compiled_release(ocid) == compiled
    # the same data in the other shapes: nothing stored twice
    again = actions.do_import_ocds(actor=STAFF, data=json.dumps(record_package).encode())
    assert (again.added, again.duplicates, again.format) == (0, 3, "record_package")
    for data in day_files.values():
        assert actions.do_import_ocds(actor=STAFF, data=data).added == 0
    assert Release.objects.count() == 3
    # the imported process is in the unified search, for everyone
    page = search_for(Actor.anonymous(), SearchQuery(kinds=(KIND,)))
    assert [hit.url for hit in page.hits] == [f"/exchange/ocds/records/{ocid}/"]
    # and in the compiled JSON Lines the red-flag engine reads
    lines = queries.compiled_releases_jsonl(source=Source.EXTERNAL).splitlines()
    assert [json.loads(line)["ocid"] for line in lines] == [ocid]


def test_a_zip_of_daily_packages_is_not_ocds_but_its_members_are(db, clock):
    data = json.dumps(
        {
            "uri": "u",
            "version": "1.1",
            "publishedDate": "2026-01-01T00:00:00Z",
            "publisher": {"name": "x"},
            "releases": [release("ext-1", "r1", "2026-01-01T00:00:00Z")],
        }
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2026-01-01.json", data)
    with pytest.raises(InvalidInput) as err:
        actions.do_import_ocds(actor=STAFF, data=buffer.getvalue())
    assert err.value.code == "ocds.nothing_to_import"
    assert actions.do_import_ocds(actor=STAFF, data=data).added == 1


def test_malformed_lines_are_reported_and_the_rest_stored(db, clock):
    lines = [
        json.dumps(release("ext-1", "r1", "2026-01-01T08:00:00+08:00", tender={"id": "t", "title": "道路养护"})),
        "{broken",
        json.dumps(release("ext-1", "r2", "2026-01-02T08:00:00+08:00", tender={"id": "t", "status": "active"})),
        json.dumps({"id": "no-ocid", "date": "2026-01-01T00:00:00Z"}),
        json.dumps(release("ext-1", "r1", "2026-01-01T08:00:00+08:00", tender={"id": "t", "title": "道路养护"})),
        json.dumps(release("ext-1", "r2", "2026-01-02T08:00:00+08:00", tender={"id": "t", "status": "cancelled"})),
    ]
    batch = actions.do_import_ocds(actor=STAFF, data="\n".join(lines).encode())
    assert (batch.added, batch.duplicates, batch.conflicts) == (2, 1, 1)
    assert [(e["line"], e["code"]) for e in batch.summary["errors"]] == [
        (2, "ocds.invalid_json"),
        (4, "ocds.without_ocid"),
    ]
    compiled = queries.compiled_release("ext-1")
    assert compiled["tender"] == {"id": "t", "title": "道路养护", "status": "active"}  # the first version kept
    assert queries.list_imports_for(STAFF)[0].pk == batch.pk


def test_nothing_readable_leaves_nothing_behind(db, clock):
    witnessed, events = len(audit.entries(limit=10000)), feed.last_seq()
    for data in (b"", b"{not json\n[1]\n", json.dumps({"releases": [{"id": "x"}]}).encode()):
        with pytest.raises(InvalidInput) as err:
            actions.do_import_ocds(actor=STAFF, data=data)
        assert err.value.code == "ocds.nothing_to_import"
    assert not ImportBatch.objects.exists()
    assert not Release.objects.exists()
    assert len(audit.entries(limit=10000)) == witnessed
    assert feed.last_seq() == events


def test_only_staff_and_regulators_import(db, clock):
    data = json.dumps(release("ext-1", "r1", "2026-01-01T00:00:00Z")).encode()
    for actor in (Actor.anonymous(), ENTITY_USER):
        with pytest.raises(PermissionDenied) as err:
            actions.do_import_ocds(actor=actor, data=data)
        assert err.value.code == "ocds.forbidden"
    assert not Release.objects.exists()
    with pytest.raises(PermissionDenied):
        queries.list_imports_for(ENTITY_USER)
