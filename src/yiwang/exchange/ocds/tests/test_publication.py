"""Publication: a works tender run from the notice to the contract gives OCDS 1.1 releases that validate, one
per stage, with a stable ocid and stable ids; publishing again changes nothing; nothing secret before the
opening; daily packages, records and bulk files with stable bytes."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from yiwang.exchange.ocds import actions, queries
from yiwang.exchange.ocds.models import Release
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import PermissionDenied
from yiwang.platform.audit import queries as audit
from yiwang.platform.outbox import feed
from yiwang.trading.tender import actions as tender
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db
PUBLISHER = Actor.system("ocds-test")
PRICES = (4_800_000_000, 4_700_000_000, 4_900_000_000)


def publish_all() -> int:
    added = 0
    for _ in range(50):
        result = actions.do_publish_releases(actor=PUBLISHER)
        added += len(result.added)
        if result.read == 0:
            break
    return added


def run_to_contract(world, clock):
    project = support.create_project(world, content="道路改建，长 2.3 km", fund_source="区财政")
    section = project.sections.get()
    doc = support.upload_documents(world, project)
    project = support.publish(world, project)
    for bidder in world.bidders:
        tender.do_download_document(actor=bidder.actor, document_id=doc.pk, entity_id=bidder.entity_id)
    tender.do_issue_clarification(actor=world.agency.actor, project_id=project.pk, text="第5页标高更正为 4.50 m")
    prices = dict(zip(world.bidders, PRICES, strict=True))
    support.open_and_hand_over(world, clock, section, prices)
    support.record_result(world, section, [(world.b, prices[world.b]), (world.a, prices[world.a])])
    tender.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    award = tender.do_award_section(actor=world.agency.actor, section_id=section.pk)
    tender.do_sign_contract(
        actor=world.agency.actor,
        section_id=section.pk,
        amount_fen=award.price_fen,
        code="HT-2026-001",
        document=(io.BytesIO(support.PDF + b"contract"), "合同.pdf"),
        performance_security_fen=award.price_fen // 10,
    )
    section.refresh_from_db()
    return project, section


def test_a_works_tender_to_the_contract_publishes_valid_releases(world, clock, ocds_schema):
    _project, section = run_to_contract(world, clock)
    assert publish_all() >= 7
    ocid = f"ocds-yw0001-{section.deal_code}"
    releases = queries.releases_of(ocid)
    tags = [r["tag"][0] for r in releases]
    assert tags == ["planning", "tender", "tenderUpdate", "tenderUpdate", "award", "award", "contract"], tags
    for release in releases:
        assert release["ocid"] == ocid
        assert ocds_schema.release_errors(release) == [], release["id"]
    assert len({r["id"] for r in releases}) == len(releases)
    # the dates are the events' times, in order
    assert [r["date"] for r in releases] == sorted(r["date"] for r in releases)
    record = queries.record_of(ocid)
    compiled = record["compiledRelease"]
    assert ocds_schema.release_errors(compiled) == []
    assert compiled["tag"] == ["compiled"]
    assert compiled["tender"]["numberOfTenderers"] == 3
    assert compiled["tender"]["status"] == "active"
    assert compiled["tender"]["amendments"][0]["description"] == "第5页标高更正为 4.50 m"
    assert compiled["buyer"]["name"] == world.tenderer.name
    assert compiled["tender"]["procuringEntity"]["name"] == world.agency.name
    statuses = {a["suppliers"][0]["name"] if "suppliers" in a else a["id"]: a["status"] for a in compiled["awards"]}
    assert statuses[world.b.name] == "active"
    assert statuses[world.a.name] == "unsuccessful"
    contract = compiled["contracts"][0]
    assert contract["value"] == {"amount": PRICES[1] // 100, "currency": "CNY"}
    assert contract["awardID"] in {a["id"] for a in compiled["awards"] if a["status"] == "active"}
    bids = {b["tenderers"][0]["name"]: b["value"]["amount"] for b in compiled["bids"]["details"]}
    assert bids == {p.name: price // 100 for p, price in zip(world.bidders, PRICES, strict=True)}
    parties = {p["id"]: p for p in compiled["parties"]}
    assert set(parties[f"CN-USCC-{world.b.uscc}"]["roles"]) == {"tenderer", "supplier"}
    # the versioned release keeps the history of the tender's end date
    versioned = record["versionedRelease"]
    assert versioned["ocid"] == ocid
    assert versioned["tender"]["status"][0]["value"] == "active"
    # daily packages validate and hold every release once
    days = queries.list_days()
    assert sum(d.releases for d in days) == len(releases)
    for day in days:
        package = queries.day_package(day.day)
        assert ocds_schema.package_errors(package) == [], day.day
        assert package["version"] == "1.1"
        assert package["uri"].endswith(f"/api/v1/ocds/packages/{day.day.isoformat()}")
    # a record package of compiled releases (validated as releases) and the bulk files
    rp = queries.record_package(ocid)
    assert rp["records"][0]["ocid"] == ocid
    assert rp["version"] == "1.1"
    lines = [json.loads(line) for line in queries.bulk_jsonl().splitlines()]
    assert [r["id"] for r in lines] == [r["id"] for r in releases]  # by date (one process here)
    with zipfile.ZipFile(io.BytesIO(queries.bulk_zip())) as archive:
        assert archive.namelist() == sorted(f"{d.day.isoformat()}.json" for d in days)
        for d in days:
            assert archive.read(f"{d.day.isoformat()}.json") == queries.day_package_bytes(d.day)


def test_publishing_again_is_idempotent_and_bytes_are_stable(world, clock, ocds_schema):
    _project, section = support.ready_project(world)
    support.to_opening(world, clock, section, {world.a: PRICES[0], world.b: PRICES[1]})
    first = publish_all()
    assert first == 2  # planning and tender; the opening has not closed
    before = {d.day: queries.day_package_bytes(d.day) for d in queries.list_days()}
    bulk, archive = queries.bulk_jsonl(), queries.bulk_zip()
    witnessed = len(audit.entries(limit=10000))
    events = feed.last_seq()
    # nothing new: no release, no witness entry, no feed event
    assert actions.do_publish_releases(actor=PUBLISHER).added == []
    assert len(audit.entries(limit=10000)) == witnessed
    assert feed.last_seq() == events
    # re-reading the whole feed finds every release already stored
    again = actions.do_publish_releases(actor=PUBLISHER, from_start=True)
    assert again.added == []
    assert again.existing == first
    assert Release.objects.count() == first
    assert {d.day: queries.day_package_bytes(d.day) for d in queries.list_days()} == before
    assert queries.bulk_jsonl() == bulk
    assert queries.bulk_zip() == archive


def test_nothing_secret_before_the_opening(world, clock, ocds_schema):
    _project, section = support.ready_project(world)
    submissions = support.to_opening(
        world, clock, section, {world.a: PRICES[0], world.b: PRICES[1], world.c: PRICES[2]}
    )
    # the deadline passed and the opening started, but the opening record is not published yet
    assert section.status == "opening"
    publish_all()
    secret = [p.name for p in world.bidders] + [p.uscc for p in world.bidders]
    secret += [str(price // 100) for price in PRICES] + [str(price) for price in PRICES]
    text = queries.bulk_jsonl().decode() + json.dumps(queries.record_package(f"ocds-yw0001-{section.deal_code}"))
    for value in secret:
        assert value not in text, value
    for release in queries.releases_of(f"ocds-yw0001-{section.deal_code}"):
        assert "bids" not in release
        assert "tenderers" not in release.get("tender", {})
        assert ocds_schema.release_errors(release) == []
    # once the opening record is published, the bidders and their read-out prices are public
    for bidder, submission in submissions.items():
        support.decrypt(bidder, submission)
    tender.do_close_opening(actor=world.staff_actor, section_id=section.pk)
    assert publish_all() == 1
    compiled = queries.compiled_release(f"ocds-yw0001-{section.deal_code}")
    assert compiled["tender"]["numberOfTenderers"] == 3
    assert sorted(t["name"] for t in compiled["tender"]["tenderers"]) == sorted(p.name for p in world.bidders)


def test_a_later_publication_does_not_leak_later_facts_into_earlier_stages(world, clock):
    """Published only after the opening: the tender release still carries no bidder (each stage its own)."""
    _project, section = support.ready_project(world)
    support.open_and_hand_over(world, clock, section, {world.a: PRICES[0], world.b: PRICES[1], world.c: PRICES[2]})
    publish_all()
    releases = queries.releases_of(f"ocds-yw0001-{section.deal_code}")
    early = [r for r in releases if r["tag"][0] in ("planning", "tender")]
    assert len(early) == 2
    for release in early:
        text = json.dumps(release, ensure_ascii=False)
        assert all(p.name not in text for p in world.bidders)


def test_the_ocid_prefix_comes_from_the_settings(world, clock, settings):
    settings.YIWANG_OCDS = {"OCID_PREFIX": "ocds-test99"}
    _project, section = support.ready_project(world)
    publish_all()
    assert {r.ocid for r in Release.objects.all()} == {f"ocds-test99-{section.deal_code}"}


def test_only_staff_publish(world, clock):
    _project, _section = support.ready_project(world)
    with pytest.raises(PermissionDenied) as err:
        actions.do_publish_releases(actor=world.a.actor)
    assert err.value.code == "ocds.forbidden"
    assert Release.objects.count() == 0
    assert len(actions.do_publish_releases(actor=world.staff_actor).added) == 2


def test_the_clock_job_publishes(world, clock):
    _project, _section = support.ready_project(world)
    assert actions.publish_due(clock.now()) == 2
    assert actions.publish_due(clock.now() + timedelta(minutes=1)) == 0
