"""The pure parts: merging (compiled and versioned releases), the releases of each stage (validated against the
OCDS 1.1 schema), packages with stable bytes, and the reader of external OCDS."""

from __future__ import annotations

import copy
import io
import itertools
import json
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.exchange.ocds.domain import packages, reader
from yiwang.exchange.ocds.domain.build import STAGES, amount, build_release
from yiwang.exchange.ocds.domain.merge import compile_releases, ordered, version_releases

PUBLISHER = {"name": "一网交易平台"}


def facts() -> dict:
    return {
        "project": {
            "id": 1,
            "name": "闵行区浦江镇道路改建工程",
            "code": "31011220260001001",
            "deal_code": "D-1",
            "content": "道路改建",
            "subject": "works",
            "procedure_key": "tender.open",
            "procedure_title": "公开招标",
            "invitation": False,
            "prequalification": False,
            "published_at": "2026-03-02T01:00:00.000000Z",
            "fund_source": "区财政",
            "buyer": {"name": "徐汇城建", "uscc": "91310104132203571A"},
            "agency": {"name": "申城咨询", "uscc": "91310000132260947A"},
            "documents": [
                {
                    "id": "doc-1",
                    "title": "招标文件",
                    "kind": "tender_documents",
                    "issued_at": "2026-03-02T01:00:00.000000Z",
                }
            ],
            "clarifications": [
                {
                    "number": 1,
                    "text": "更正标高",
                    "issued_at": "2026-03-05T01:00:00.000000Z",
                    "postponed": True,
                    "new_deadline": "2026-03-30T01:00:00.000000Z",
                }
            ],
            "section_ids": [7],
        },
        "section": {
            "id": 7,
            "code": "31011220260001001001001",
            "deal_code": "3101122026000100100100",
            "name": "第1标段（施工）",
            "content": "",
            "status": "contracted",
            "round": 1,
            "estimate_fen": 5_000_000_000,
            "ceiling_fen": None,
            "qualification_text": "",
            "evaluation_method": "lowest_evaluated_price",
            "doc_get_start": "2026-03-02T01:00:00.000000Z",
            "doc_get_end": "2026-03-08T01:00:00.000000Z",
            "bid_deadline": "2026-03-23T01:00:00.000000Z",
        },
        "opening": {
            "closed_at": "2026-03-23T02:00:00.000000Z",
            "entries": [
                {
                    "number": 1,
                    "bidder": "浦江建设",
                    "bidder_id": "91310115MA1FL2X37F",
                    "received_at": "2026-03-20T01:00:00.000000Z",
                    "decrypted": True,
                    "price_fen": 4_800_000_050,
                },
                {
                    "number": 2,
                    "bidder": "绿源环保",
                    "bidder_id": "91310112MA1G8K4P1Q",
                    "received_at": "2026-03-21T01:00:00.000000Z",
                    "decrypted": False,
                    "price_fen": None,
                },
            ],
        },
        "candidates": [
            {"round": 1, "rank": 1, "name": "浦江建设", "uscc": "91310115MA1FL2X37F", "price_fen": 4_800_000_050},
            {"round": 1, "rank": 2, "name": "松江智造", "uscc": "91310117MA1J5R6T2U", "price_fen": 4_900_000_000},
        ],
        "award": {
            "id": 3,
            "name": "浦江建设",
            "uscc": "91310115MA1FL2X37F",
            "price_fen": 4_800_000_050,
            "issued_at": "2026-04-01T01:00:00.000000Z",
            "letter_number": "ZB2026-1",
            "status": "issued",
        },
        "contract": {
            "id": 4,
            "name": "施工合同",
            "code": "HT-1",
            "amount_fen": 4_800_000_050,
            "signed_at": "2026-04-10T01:00:00.000000Z",
        },
    }


ALL_STAGES = [*STAGES, "amendment:1"]


@pytest.mark.parametrize("stage", ALL_STAGES)
def test_every_stage_gives_a_valid_release(stage, ocds_schema):
    release = build_release(facts(), stage, prefix="ocds-yw0001", seq=42, date="2026-04-10T01:00:00.000000Z")
    assert release is not None
    assert release["ocid"] == "ocds-yw0001-3101122026000100100100"
    assert release["id"] == f"ocds-yw0001-3101122026000100100100-0000000042-{stage.replace(':', '')}"
    assert ocds_schema.release_errors(release) == []


def test_stages_without_public_facts_give_no_release():
    bare = facts()
    bare.update(opening=None, candidates=[], award=None, contract=None)
    for stage in ("opening", "candidates", "award", "contract", "amendment:9"):
        assert build_release(bare, stage, prefix="p", seq=1, date="2026-03-02T01:00:00Z") is None
    with pytest.raises(ValueError, match="unknown OCDS stage"):
        build_release(bare, "nonsense", prefix="p", seq=1, date="2026-03-02T01:00:00Z")


def test_stage_releases_carry_only_their_own_facts():
    f = facts()
    for stage in ("planning", "tender", "amendment:1", "cancelled", "unsuccessful"):
        text = json.dumps(build_release(f, stage, prefix="p", seq=1, date="2026-03-02T01:00:00Z"), ensure_ascii=False)
        assert "浦江建设" not in text, stage
        assert "48000000" not in text, stage


def test_amounts_are_yuan_from_fen():
    assert amount(5_000_000_000) == {"amount": 50_000_000, "currency": "CNY"}
    assert amount(4_800_000_050) == {"amount": 48_000_000.5, "currency": "CNY"}
    assert amount(None) is None


def test_the_whole_process_compiles_and_versions(ocds_schema):
    f = facts()
    stages = ["planning", "tender", "amendment:1", "opening", "candidates", "award", "contract"]
    releases = [
        build_release(f, stage, prefix="p", seq=i, date=f"2026-04-{i + 1:02d}T01:00:00.000000Z")
        for i, stage in enumerate(stages)
    ]
    compiled = compile_releases(list(reversed(releases)))  # the order given does not matter, the dates do
    assert ocds_schema.release_errors(compiled) == []
    assert compiled["id"] == "p-3101122026000100100100-2026-04-07T01:00:00.000000Z"
    assert compiled["tender"]["tenderPeriod"] == {
        "startDate": "2026-03-02T01:00:00.000000Z",
        "endDate": "2026-03-30T01:00:00.000000Z",
    }
    awards = {a["id"]: a for a in compiled["awards"]}
    assert awards["31011220260001001001001-r1-c1"]["status"] == "active"
    assert awards["31011220260001001001001-r1-c2"]["status"] == "unsuccessful"
    assert awards["31011220260001001001001-r1-c2"]["suppliers"][0]["name"] == "松江智造"  # kept from the candidates
    parties = {p["id"]: p for p in compiled["parties"]}
    assert parties["CN-USCC-91310115MA1FL2X37F"]["roles"] == ["tenderer", "supplier"]
    versioned = version_releases(releases)
    end = versioned["tender"]["tenderPeriod"]["endDate"]
    assert [v["value"] for v in end] == ["2026-03-23T01:00:00.000000Z", "2026-03-30T01:00:00.000000Z"]
    assert end[1]["releaseTag"] == ["tenderAmendment"]
    assert [b["id"] for b in compiled["bids"]["details"]] == [
        "31011220260001001001001-r1-bid-1",
        "31011220260001001001001-r1-bid-2",
    ]  # a later round's bids never merge into this round's
    status = {a["id"]: a["status"] for a in versioned["awards"]}
    assert [v["value"] for v in status["31011220260001001001001-r1-c1"]] == ["pending", "active"]


# -- merging rules -----------------------------------------------------------------------------------------------
def _r(date: str, **fields) -> dict:
    return {"ocid": "o", "id": date, "date": date, "tag": ["tender"], **fields}


def test_merge_rules():
    a = _r("2026-01-01T00:00:00Z", tender={"title": "A", "items": [{"id": "1", "quantity": 1}], "x": 1}, keep=[1, 2])
    b = _r(
        "2026-01-02T00:00:00Z",
        tender={"items": [{"id": "2", "quantity": 5}, {"id": "1", "unit": {"name": "m"}}], "x": None},
        keep=[3],
    )
    compiled = compile_releases([a, b])
    assert compiled["tender"] == {
        "title": "A",
        "items": [{"id": "1", "quantity": 1, "unit": {"name": "m"}}, {"id": "2", "quantity": 5}],
    }
    assert compiled["keep"] == [3]  # arrays without ids replace the earlier array
    assert compiled["tag"] == ["compiled"]
    assert compiled["date"] == "2026-01-02T00:00:00Z"


def test_dates_with_offsets_are_ordered_as_instants():
    a = _r("2026-01-01T09:00:00+08:00", v=1)  # 01:00 UTC
    b = _r("2026-01-01T02:00:00Z", v=2)
    assert [r["v"] for r in ordered([b, a])] == [1, 2]
    assert compile_releases([b, a])["v"] == 2


values = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.booleans())


@given(st.lists(st.dictionaries(st.sampled_from("abc"), values, max_size=3), min_size=1, max_size=6))
def test_latest_value_wins_per_field(fields):
    releases = [_r(f"2026-01-{i + 1:02d}T00:00:00Z", **{"f": f}) for i, f in enumerate(fields)]
    compiled = compile_releases(releases)
    for key in "abc":
        last = [f[key] for f in fields if key in f]
        if last:
            assert compiled["f"][key] == last[-1]
        else:
            assert key not in compiled.get("f", {})
    # merging is idempotent: the compiled release merged again with the last release changes nothing
    again = compile_releases([compiled | {"tag": ["compiled"]}, releases[-1]])
    assert again.get("f") == compiled.get("f")
    versioned = version_releases(releases)
    for key in "abc":
        history = versioned.get("f", {}).get(key, [])
        assert all(x["value"] != y["value"] for x, y in itertools.pairwise(history))


# -- packages -------------------------------------------------------------------------------------------------
def test_packages_have_stable_bytes(ocds_schema):
    f = facts()
    releases = [
        build_release(f, s, prefix="p", seq=i, date=f"2026-04-0{i + 1}T01:00:00.000000Z")
        for i, s in enumerate(("planning", "tender", "opening"))
    ]
    one = packages.release_package(
        releases, uri="http://localhost:8000/api/v1/ocds/packages/2026-04-01", publisher=PUBLISHER
    )
    two = packages.release_package(list(reversed(copy.deepcopy(releases))), uri=one["uri"], publisher=PUBLISHER)
    assert packages.json_lines([one]) == packages.json_lines([two])
    assert one["publishedDate"] == "2026-04-03T01:00:00.000000Z"
    assert ocds_schema.package_errors(one) == []
    z1 = packages.zip_of([("b.json", b"2"), ("a.json", b"1")])
    assert z1 == packages.zip_of([("a.json", b"1"), ("b.json", b"2")])
    assert zipfile.ZipFile(io.BytesIO(z1)).namelist() == ["a.json", "b.json"]
    with pytest.raises(ValueError, match="at least one release"):
        packages.release_package([], uri="x", publisher=PUBLISHER)


# -- reading external OCDS ---------------------------------------------------------------------------------------
def test_json_lines_with_malformed_lines_are_counted_by_line():
    good = json.dumps(_r("2026-01-01T00:00:00Z"))
    data = (
        "\n".join(
            [
                good,
                "",
                "{not json",
                "[1, 2]",
                json.dumps({"id": "x", "date": "2026-01-01T00:00:00Z"}),
                '{"v": NaN}',
                json.dumps(_r("yesterday")),
                json.dumps(_r("2026-01-02T00:00:00Z")),
            ]
        ).encode()
        + b"\n"
    )
    result = reader.read(data)
    assert result.format == "json_lines"
    assert result.lines == 8
    assert result.blank == 1
    assert [r["id"] for r in result.releases] == ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]
    assert [(e.line, e.code) for e in result.errors] == [
        (3, "ocds.invalid_json"),
        (4, "ocds.not_object"),
        (5, "ocds.without_ocid"),
        (6, "ocds.invalid_json"),
        (7, "ocds.bad_date"),
    ]
    assert result.malformed == 4
    assert result.without_ocid == 1


def test_packages_records_and_single_releases_are_read():
    rel = [_r("2026-01-01T00:00:00Z"), _r("2026-01-02T00:00:00Z")]
    package = {
        "uri": "u",
        "version": "1.1",
        "publishedDate": "2026-01-02T00:00:00Z",
        "publisher": PUBLISHER,
        "releases": rel,
    }
    assert reader.read(json.dumps(package).encode()).format == "release_package"
    assert len(reader.read(json.dumps(package, indent=2).encode()).releases) == 2
    record = packages.record("o", rel)
    rp = packages.record_package([record], uri="u", publisher=PUBLISHER)
    got = reader.read(json.dumps(rp).encode())
    assert got.format == "record_package"
    assert got.records == 1
    assert len(got.releases) == 2
    linked = {
        "ocid": "o",
        "releases": [{"url": "x", "date": "2026-01-02T00:00:00Z", "tag": ["tender"]}],
        "compiledRelease": record["compiledRelease"],
    }
    got = reader.read(json.dumps(linked).encode())
    assert got.format == "record"
    assert got.releases[0]["tag"] == ["compiled"]
    assert reader.read(json.dumps(rel[0]).encode()).format == "release"
    assert reader.read(json.dumps(rel).encode()).format == "array"
    assert reader.read(b"  \n").format == "empty"


def test_the_shared_json_lines_rules():
    from yiwang.kernel import jsonlines

    assert list(jsonlines.numbered_lines(b"a\n\nb\n")) == [(1, b"a"), (2, b""), (3, b"b")]
    assert list(jsonlines.numbered_lines(b"a", first_line=10)) == [(10, b"a")]
    assert jsonlines.parse_line(b"  ") == (None, None)
    assert jsonlines.parse_line(b'{"a": 1}') == ({"a": 1}, None)
    for bad in (b"NaN", b'{"a": Infinity}', b"{", b"\xff"):
        value, problem = jsonlines.parse_line(bad)
        assert value is None
        assert problem
