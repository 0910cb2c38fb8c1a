"""Pure rules: the definition table loads and is consistent, the validator finds each kind of error with its
field, JSON Schemas come from the same table, decisions on stored state, reconciliation digests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yiwang.exchange.subplatform.domain import validation as rules
from yiwang.exchange.subplatform.domain.datasets import all_datasets, children_of, code_sets, get_dataset
from yiwang.exchange.subplatform.domain.digests import DayEntry, day_summary
from yiwang.exchange.subplatform.domain.schema import dataset_schema
from yiwang.exchange.subplatform.tests.support import WORKS, project, section

CODES = rules.CodeBook(
    catalog={
        "trade_category": frozenset({"A01", "A02"}),
        "tender_mode": frozenset({"1", "2"}),
        "enterprise_nature": frozenset({"1"}),
        "tender_organize_form": frozenset({"1", "2"}),
        "qualification_review": frozenset({"1", "2"}),
        "id_document_type": frozenset({"resident_id"}),
        "gp_method": frozenset({"open_tender"}),
    },
    regions=frozenset({"310000", "310112"}),
)


def test_the_table_is_consistent():
    names = [d.table for d in all_datasets()]
    assert len(names) == len(set(names))
    assert {"PROJECT", "TENDER_PROJECT", "SECTION", "TENDER_ANN_QUA_INQUERY_ANN", "WIN_RESULT_ANNO"} <= set(names)
    for dataset in all_datasets():
        assert {"PLATFORM_CODE", "DATA_TIMESTAMP"} <= set(dataset.field_map)
        assert set(dataset.keys) <= set(dataset.field_map)
        if dataset.parent:
            parent = get_dataset(dataset.parent.dataset)
            assert parent is not None
            assert set(dataset.parent.fields.values()) == set(parent.keys)
    assert [d.table for d in children_of("TENDER_PROJECT")] == ["SECTION", "TENDER_ANN_QUA_INQUERY_ANN"]
    assert code_sets()["DATA_TYPE"].codes == {"1", "2", "3"}


def test_a_valid_record_passes_and_its_digest_ignores_transport_fields():
    checked, errors = rules.check_record("PROJECT", project(), CODES)
    assert errors == []
    assert checked is not None
    assert checked.key == "2026-310112-48-01"
    assert "DATA_TYPE" not in checked.content
    again, _ = rules.check_record("PROJECT", {**project(), "DATA_KEY": "SH01500000000000000001"}, CODES)
    assert again is not None
    assert again.digest == checked.digest


def _codes(record: dict, dataset: str = "PROJECT") -> set[tuple[str, str]]:
    _, errors = rules.check_record(dataset, record, CODES)
    return {(e.field, e.code) for e in errors}


def test_each_kind_of_error_names_its_field():
    assert _codes(project(PROJECT_NAME="")) == {("PROJECT_NAME", "exchange.field_required")}
    assert _codes(project(PROJECT_NAME="名" * 601)) == {("PROJECT_NAME", "exchange.too_long")}
    assert _codes(project(INDUSTRIES_TYPE="A99")) == {("INDUSTRIES_TYPE", "exchange.bad_code")}
    assert _codes(project(RELATE_CODE="7")) == {("RELATE_CODE", "exchange.bad_code")}
    assert _codes(project(CREATE_TIME="2026-03-02")) == {("CREATE_TIME", "exchange.bad_type")}
    assert _codes(project(PROJECT_NAME=12)) == {("PROJECT_NAME", "exchange.bad_type")}
    assert _codes(project(EXTRA=1)) == {("EXTRA", "exchange.unknown_field")}
    assert _codes(section(CONTRACT_RECKON_PRICE="1e9"), "SECTION") == {("CONTRACT_RECKON_PRICE", "exchange.bad_type")}
    assert _codes(section(BID_ECTION_NUM=1.5), "SECTION") == {("BID_ECTION_NUM", "exchange.bad_type")}
    assert _codes({"DATA_TYPE": "3", "PLATFORM_CODE": WORKS, "DATA_TIMESTAMP": "20260302085900"}) == {
        ("PROJECT_CODE", "exchange.field_required")
    }
    assert rules.check_record("NOPE", {}, CODES)[1][0].code == "exchange.unknown_dataset"
    assert rules.check_record("PROJECT", [1], CODES)[1][0].code == "exchange.malformed_record"


@given(st.dictionaries(st.text(max_size=12), st.one_of(st.none(), st.integers(), st.text(max_size=30)), max_size=8))
def test_any_json_object_gets_an_answer_never_an_exception(record):
    checked, errors = rules.check_record("TENDER_PROJECT", record, CODES)
    assert (checked is None) == bool(errors)
    assert all(e.code in rules.MESSAGES for e in errors)


def test_decisions_on_stored_state():
    checked, _ = rules.check_record("PROJECT", project(), CODES)
    assert checked is not None
    kwargs = {"platform_code": WORKS, "parent": True, "has_live_children": lambda: False, "data_key_target": None}
    stored = rules.Stored(WORKS, checked.data_timestamp, checked.digest, False, checked.content)
    assert rules.decide(checked, None, **kwargs) == (rules.INSERT, None)
    assert rules.decide(checked, stored, **kwargs) == (rules.UNCHANGED, None)
    other = rules.Stored("91310000900000057W", "20260302080000", "x", False, {})
    assert rules.decide(checked, other, **kwargs)[1].code == "exchange.key_taken"
    newer = rules.Stored(WORKS, "20260302090000", "x", False, {})
    assert rules.decide(checked, newer, **kwargs)[1].code == "exchange.stale"
    moved, _ = rules.check_record("PROJECT", {**project(), "DATA_KEY": "K1"}, CODES)
    assert moved is not None
    refused = rules.decide(moved, None, **{**kwargs, "data_key_target": "2026-310112-48-09"})[1]
    assert (refused.code, refused.field) == ("exchange.key_immutable", "PROJECT_CODE")


def test_schemas_are_generated_from_the_same_table():
    for dataset in all_datasets():
        schema = dataset_schema(dataset, catalog={"trade_category": ["A01"]})
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == {"DATA_TYPE", "DATA_KEY", *dataset.field_map}
        assert set(dataset.keys) <= set(schema["else"]["required"])
    project_schema = dataset_schema(get_dataset("PROJECT"), catalog={"trade_category": ["A01"]})
    assert project_schema["properties"]["INDUSTRIES_TYPE"]["enum"] == ["A01"]
    assert project_schema["properties"]["PROJECT_CODE"]["maxLength"] == 17
    assert project_schema["properties"]["RELATE_CODE"]["enum"] == ["0", "1"]


@given(st.lists(st.tuples(st.text(min_size=1, max_size=5), st.booleans()), max_size=10, unique_by=lambda t: t[0]))
def test_the_day_digest_does_not_depend_on_order(rows):
    entries = [DayEntry(k, "20260302085900", None if deleted else f"d{k}") for k, deleted in rows]
    forward = day_summary(entries)
    assert forward == day_summary(list(reversed(entries)))
    assert forward.count == len(rows)
    assert forward.deleted == sum(1 for _, d in rows if d)


def test_completeness_and_lag():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from yiwang.exchange.subplatform.domain import quality
    from yiwang.exchange.subplatform.tests.support import tender_notice

    shanghai = ZoneInfo("Asia/Shanghai")
    received = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
    dataset = get_dataset("PROJECT")
    assert quality.completeness_permille(dataset, project()) == 294
    assert quality.completeness_permille(dataset, {n: "x" for n in dataset.own_fields}) == 1000
    assert quality.lag_seconds(dataset, project(), received, shanghai) == 60
    notice = get_dataset("TENDER_ANN_QUA_INQUERY_ANN")
    # the notice's own time (NOTICE_SEND_TIME 08:30) counts, not its DATA_TIMESTAMP
    assert quality.event_time_text(notice, tender_notice()) == "20260302083000"
    assert quality.lag_seconds(notice, tender_notice(), received, shanghai) == 1800
