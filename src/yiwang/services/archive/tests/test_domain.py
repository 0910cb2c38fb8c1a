"""Pure rules: project references, retention arithmetic, disposal, the package format and writer (no database)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.kernel.periods import SHANGHAI, local_date
from yiwang.services.archive.domain import disposal
from yiwang.services.archive.domain.refs import parse_project_ref
from yiwang.services.archive.domain.retention import (
    RetentionRule,
    check_category,
    corresponding_day,
    retention_until,
    retention_years,
    rule_ids_for,
)
from yiwang.services.archive.package.format import (
    FileFacts,
    Manifest,
    ManifestError,
    ManifestSignature,
    is_safe_path,
    payload_mentions,
    proof_path,
    safe_segment,
)
from yiwang.services.archive.package.writer import Member, facts_of, write_package

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai


# -- project references -------------------------------------------------------------------------------------------


def test_project_references():
    ref = parse_project_ref("tender.project:12")
    assert (ref.object_type, ref.object_id, str(ref)) == ("tender.project", "12", "tender.project:12")
    assert parse_project_ref("services.bidbox.box:5:opened").object_id == "5:opened"
    for bad in (
        "",
        "12",
        "Tender.project:1",
        "tender project:1",
        "tender.project:",
        "tender.project:a b",
        "x:" + "9" * 200,
    ):
        with pytest.raises(InvalidInput) as caught:
            parse_project_ref(bad)
        assert caught.value.code == "archive.project_ref_invalid"


# -- retention --------------------------------------------------------------------------------------------------------


def test_which_rules_apply():
    assert rule_ids_for("works") == ("platform.archive_retention_min",)
    assert rule_ids_for("gp") == ("platform.archive_retention_min", "gp.file_retention_min")
    assert check_category(" gp ") == "gp"
    assert check_category("") == ""
    for bad in ("GP", "g p", "政府采购", "1gp"):
        with pytest.raises(InvalidInput):
            check_category(bad)


def test_the_longest_rule_wins_and_it_must_be_whole_years():
    rules = [
        RetentionRule("platform.archive_retention_min", 15, "year"),
        RetentionRule("gp.file_retention_min", 20, "year"),
    ]
    assert retention_years(rules) == 20
    for bad in (RetentionRule("x", 15, "day"), RetentionRule("x", 0, "year")):
        with pytest.raises(Conflict) as caught:
            retention_years([bad])
        assert caught.value.code == "archive.retention_rule_unusable"


def test_fifteen_years_from_a_monday_end_at_midnight_after_the_corresponding_day():
    # created 2026-03-02 (Mon); 2041-03-02 is a Saturday: the period runs to the end of Monday 2041-03-04
    end = retention_until(T0, 15)
    assert end == datetime(2041, 3, 5, tzinfo=SHANGHAI)
    # a working day needs no rolling; the creation day itself is not counted
    assert retention_until(datetime(2026, 3, 4, 1, tzinfo=UTC), 15) == datetime(2041, 3, 5, tzinfo=SHANGHAI)


def test_a_known_holiday_extends_the_period():
    def holidays(day: date) -> bool | None:
        return False if day in {date(2041, 3, 4)} else None

    assert retention_until(datetime(2026, 3, 4, 1, tzinfo=UTC), 15, is_workday=holidays) == datetime(
        2041, 3, 6, tzinfo=SHANGHAI
    )


def test_29_february():
    assert corresponding_day(date(2028, 2, 29), 15) == date(2043, 2, 28)
    assert corresponding_day(date(2028, 2, 29), 4) == date(2032, 2, 29)


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    years=st.integers(min_value=1, max_value=50),
)
def test_retention_is_never_shorter_than_the_rule(moment, years):
    end = retention_until(moment, years)
    last = corresponding_day(local_date(moment), years)
    start_of_next = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    assert end >= start_of_next
    assert end - start_of_next <= timedelta(days=2)  # only a weekend is rolled over without a calendar
    assert end.astimezone(SHANGHAI).time() == datetime.min.time()
    assert (end - timedelta(days=1)).astimezone(SHANGHAI).weekday() < 5


# -- disposal ----------------------------------------------------------------------------------------------------------


def test_disposal_rules():
    until = T0 + timedelta(days=1)
    assert not disposal.is_eligible(now=T0, retention_until=until, disposed=False, active_holds=0)
    assert disposal.is_eligible(now=until, retention_until=until, disposed=False, active_holds=0)
    assert not disposal.is_eligible(now=until, retention_until=until, disposed=False, active_holds=1)
    cases = [
        ({"now": T0, "disposed": False, "active_holds": 0}, "archive.retention_not_expired"),
        ({"now": until, "disposed": False, "active_holds": 2}, "archive.legal_hold_active"),
        ({"now": until, "disposed": True, "active_holds": 0}, "archive.already_disposed"),
    ]
    for kwargs, code in cases:
        with pytest.raises(Conflict) as caught:
            disposal.check_disposable(project_ref="p:1", number=1, retention_until=until, **kwargs)
        assert caught.value.code == code


# -- the format ---------------------------------------------------------------------------------------------------


@given(st.text(max_size=120))
def test_safe_segments_are_safe_paths(text):
    segment = safe_segment(text)
    assert is_safe_path(segment)
    assert "/" not in segment
    assert len(segment) <= 80


def test_unsafe_paths():
    assert is_safe_path("items/storage.documents/abc_v1/招标公告.pdf")
    for bad in ("", "/etc/passwd", "../x", "a//b", "a/./b", "a\\b", "dir/", ".hidden", "a b"):
        assert not is_safe_path(bad), bad
    assert proof_path(42) == "witness/proofs/000000000042.json"


def test_payload_mentions_finds_a_digest_at_any_depth():
    digest = "ab" * 32
    assert payload_mentions(f'{{"facts": [{{"sha256": "{digest}"}}]}}', {digest})
    assert not payload_mentions('{"sha256": "%s"}' % ("cd" * 32), {digest})
    assert not payload_mentions("not json", {digest})


def _manifest(files: list[FileFacts]) -> Manifest:
    return Manifest(
        project_ref="tender.project:1",
        category="",
        title="",
        created_at="2026-03-02T01:00:00.000000Z",
        created_by="system:test",
        retention={"years": 15, "until": "2041-03-04T16:00:00.000000Z", "rules": []},
        tree_size=1,
        root_hash="0" * 64,
        entry_count=0,
        object_refs=(("tender.project", "1"),),
        files=tuple(files),
        items=(),
    )


def test_manifest_and_signature_round_trip_strictly():
    files = [
        facts_of("keys.json", "application/json", b"{}"),
        facts_of("witness/tree_head.json", "application/json", b"{}"),
    ]
    manifest = _manifest(files)
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest
    with pytest.raises(ManifestError):
        Manifest.from_bytes(
            manifest.to_bytes().replace(b'"format_version": 1', b'"format_version": 1, "format_version": 1')
        )
    with pytest.raises(ManifestError):
        Manifest.from_bytes(b'{"type": "yiwang.archive.package", "format_version": 2}')
    signature = ManifestSignature("sm3:" + "a" * 64, "sm2-sm3", "b" * 64, b"\x01\x02")
    assert ManifestSignature.from_bytes(signature.to_bytes()) == signature


def test_the_writer_is_deterministic_streams_and_checks_digests():
    data = {"keys.json": b"{}\n", "witness/tree_head.json": b"{}\n", "witness/entries.jsonl": b""}
    files = [facts_of(path, "application/json", body) for path, body in data.items()]
    manifest = _manifest(files).to_bytes()

    def build(members) -> bytes:
        out = io.BytesIO()
        write_package(out, manifest, b"signature\n", members)
        return out.getvalue()

    members = [Member.of_bytes(f, data[f.path]) for f in files]
    first, second = build(members), build(list(reversed(members)))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.namelist()[:2] == ["manifest.json", "manifest.sig"]
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    lying = [Member.of_bytes(f, data[f.path] + (b"x" if f.path == "keys.json" else b"")) for f in files]
    with pytest.raises(ValueError, match=r"keys\.json"):
        build(lying)
    with pytest.raises(ValueError, match="not the files of the manifest"):
        build(members[:1])
