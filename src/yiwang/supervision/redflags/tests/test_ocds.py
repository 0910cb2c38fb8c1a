"""The OCDS JSON Lines reader: malformed lines are counted, reported with their line numbers and skipped; records,
blank lines, numeric ids, wrong types; the parallel path gives the same frames as the single one."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from yiwang.supervision.redflags.domain import ocds, registry
from yiwang.supervision.redflags.domain.errors import InvalidInput
from yiwang.supervision.redflags.tests.builder import award, bid, jsonl, release

GOOD = json.dumps(release("ok-1", method="open", tenderers=1)).encode()


def test_malformed_lines_are_reported_with_numbers_and_skipped():
    lines = [
        GOOD,  # 1
        b"",  # 2 blank
        b'{"ocid": "broken", ',  # 3 truncated
        b"[1, 2, 3]",  # 4 not an object
        b'{"ocid": "x"} trailing',  # 5 extra data
        b'{"ocid": "nan", "tender": {"value": {"amount": NaN}}}',  # 6 NaN is not JSON
        b"\xff\xfe not utf-8",  # 7
        b"   \t ",  # 8 blank
        json.dumps(release("ok-2", method="open", tenderers=1), ensure_ascii=False).encode(),  # 9
        b'"just a string"',  # 10
        b'{"releases": []}',  # 11 an object without an ocid (a package): skipped, not malformed
    ]
    snapshot, report = ocds.read_ocds(b"\n".join(lines), workers=1)  # the last line has no newline
    assert snapshot.tenders.get_column("ocid").to_list() == ["ok-1", "ok-2"]
    assert snapshot.tenders.get_column("line").to_list() == [1, 9]
    assert report.lines == 11
    assert report.blank == 2
    assert report.parsed == 3
    assert report.without_ocid == 1
    assert report.malformed == 6
    assert [(e.line, e.code) for e in report.errors] == [
        (3, "ocds.invalid_json"),
        (4, "ocds.not_object"),
        (5, "ocds.invalid_json"),
        (6, "ocds.invalid_json"),
        (7, "ocds.invalid_json"),
        (10, "ocds.not_object"),
    ]
    assert "NaN" in report.errors[3].message
    # the run goes on: the good lines are screened
    out = registry.run(snapshot, ["R018"])
    assert out.outputs["R018"].flagged() == {"ok-1": 1.0, "ok-2": 1.0}


def test_a_file_of_garbage_is_not_a_crash():
    snapshot, report = ocds.read_ocds(b"\x00\x01\x02\n}{\n[[[\n", workers=1)
    assert report.malformed == 3
    assert snapshot.tenders.height == 0
    out = registry.run(snapshot, ["R024", "R025", "R038", "SCREENS"])
    assert all(o.not_computable is not None for o in out.outputs.values())


def test_records_compiled_release_is_read():
    record = {
        "ocid": "rec-1",
        "releases": [{"url": "x"}],
        "compiledRelease": release("rec-1", method="open", tenderers=1),
    }
    snapshot, report = ocds.read_ocds(jsonl([record]), workers=1)
    assert report.records == 1
    assert snapshot.tenders.row(0, named=True)["number_of_tenderers"] == 1


def test_types_ids_and_lists():
    doc = release("t-1", bids=[bid("A", 100)], awards=[award("A")])
    doc["bids"]["details"].append(
        {"status": "valid", "value": {"amount": "12.5", "currency": "CNY"}, "tenderers": [{"id": 42}]}
    )
    doc["bids"]["details"].append({"status": "valid", "tenderers": {"id": "not-a-list"}})
    doc["bids"]["details"].append("not an object")
    doc["tender"]["numberOfTenderers"] = "3"
    snapshot, _report = ocds.read_ocds(jsonl([doc]), workers=1)
    bids = snapshot.bids.sort("amount", nulls_last=True)
    assert bids.get_column("amount").to_list() == [100.0, None, None]  # a text amount is not a number
    assert bids.get_column("tenderer_ids").to_list() == [["A"], ["42"], None]  # numeric id → text; object → absent
    assert snapshot.tenders.row(0, named=True)["number_of_tenderers"] is None
    assert snapshot.awards.row(0, named=True)["award_id"] == "#0"  # items find their award without an id


def test_regions_come_from_the_buyer_party():
    doc = release(
        "r-1",
        buyer="B",
        procuring_entity="PE",
        parties=[{"id": "B", "roles": ["buyer"], "address": {"region": "310112"}}],
    )
    other = release(
        "r-2",
        buyer="B2",
        procuring_entity="PE2",
        parties=[{"id": "PE2", "address": {"region": "310104"}}, {"id": "B2", "address": {"region": "闵行"}}],
    )
    snapshot, _ = ocds.read_ocds(jsonl([doc, other]), workers=1)
    assert dict(snapshot.tenders.select("ocid", "region").iter_rows()) == {"r-1": "310112", "r-2": "310104"}


def test_dates_are_read_as_utc_instants():
    doc = release("d-1", start="2026-01-01T08:00:00+08:00", end="2026-01-02T00:00:00.5Z")
    snapshot, _ = ocds.read_ocds(jsonl([doc]), workers=1)
    row = snapshot.tenders.row(0, named=True)
    assert row["tender_start"].isoformat() == "2026-01-01T00:00:00+00:00"
    assert row["tender_end"].isoformat() == "2026-01-02T00:00:00.500000+00:00"


def test_parallel_reading_equals_single_and_counts_lines_across_chunks():
    releases = [
        release(f"p-{i}", bids=[bid("A", 100 + i), bid("B", 200)], awards=[award("A")], tenderers=2) for i in range(300)
    ]
    data = jsonl(releases)
    lines = data.split(b"\n")
    lines[150] = b"{broken"
    data = b"\n".join(lines)
    one, r1 = ocds.read_ocds(data, workers=1, chunk_bytes=4096)
    two, r2 = ocds.read_ocds(io.BytesIO(data), workers=2, chunk_bytes=4096)
    assert r1.workers == 1
    assert r2.workers == 2
    for name in one.frames:
        assert_frame_equal(one.frames[name], two.frames[name])
    assert (
        [(e.line, e.code) for e in r1.errors] == [(151, "ocds.invalid_json")] == [(e.line, e.code) for e in r2.errors]
    )
    assert r1.sha256 == r2.sha256
    assert r1.bytes == len(data)


def test_a_missing_file_is_refused_cleanly(tmp_path):
    with pytest.raises(InvalidInput) as caught:
        ocds.read_ocds(tmp_path / "nope.jsonl")
    assert caught.value.code == "redflags.ocds_unreadable"


def test_reading_a_path(tmp_path):
    path = tmp_path / "sample.jsonl"
    path.write_bytes(jsonl([release("f-1")]))
    snapshot, report = ocds.read_ocds(path)
    assert report.label == "sample.jsonl"
    assert snapshot.tenders.height == 1
    assert isinstance(snapshot.tenders.schema["tender_end"], pl.Datetime)
