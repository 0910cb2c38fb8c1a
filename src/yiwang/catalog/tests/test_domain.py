"""Pure rules of the catalog: rule values, the platform naming rule, versions in effect, holiday lines."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.catalog.domain import holidays, lists, platforms, rules
from yiwang.kernel.errors import InvalidInput


@given(st.integers(min_value=0, max_value=10**12))
def test_integer_values_round_trip(n: int) -> None:
    assert rules.parse_rule_value(str(n)) == n
    assert rules.format_rule_value(rules.parse_rule_value(str(n))) == str(n)


@given(st.fractions(min_value=Fraction(1, 1000), max_value=1000, max_denominator=1000))
def test_fraction_values_round_trip(f: Fraction) -> None:
    text = f"{f.numerator}/{f.denominator}"
    assert rules.parse_rule_value(text) == f


def test_decimal_and_bad_values() -> None:
    assert rules.parse_rule_value("2.5") == Decimal("2.5")
    assert rules.describe_value(Decimal("2.5"), "percent") == "2.5%"
    assert rules.describe_value(3, "workday") == "3 个工作日"
    for bad in ("", "abc", "1/0", "2,5", "1e3", True, None, 2.5):
        with pytest.raises(InvalidInput) as info:
            rules.parse_rule_value(bad)
        assert info.value.code == "catalog.rule_value_invalid"


@given(st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=12))
def test_sub_platform_names(short: str) -> None:
    name = platforms.sub_platform_name(short)
    assert platforms.check_platform_name(name, "sub") == name
    with pytest.raises(InvalidInput) as info:
        platforms.check_platform_name(f"上海{short}交易平台", "sub")
    assert info.value.code == "catalog.platform_name"


def test_hub_and_market_names() -> None:
    assert platforms.check_platform_name("上海市公共资源交易平台", "hub")
    with pytest.raises(InvalidInput):
        platforms.check_platform_name("上海市公共资源交易平台（数据分平台）", "market")
    with pytest.raises(InvalidInput) as info:
        platforms.check_platform_name("x", "cloud")
    assert info.value.code == "catalog.platform_kind_unknown"


versions = st.lists(
    st.builds(
        lists.VersionRef,
        number=st.integers(1, 50),
        status=st.sampled_from(["draft", "published", "superseded"]),
        effective_from=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    ),
    max_size=12,
)


@given(versions, st.dates(date(2019, 1, 1), date(2031, 1, 1)))
def test_version_in_effect(vs: list[lists.VersionRef], on: date) -> None:
    found = lists.version_in_effect(vs, on)
    eligible = [v for v in vs if v.status != "draft" and v.effective_from <= on]
    if not eligible:
        assert found is None
        return
    assert found in eligible
    assert all((v.effective_from, v.number) <= (found.effective_from, found.number) for v in eligible)


def test_effective_from_rules() -> None:
    today = date(2026, 3, 2)
    lists.check_effective_from(today, today=today, latest_published=today)
    with pytest.raises(InvalidInput):
        lists.check_effective_from(today - timedelta(days=1), today=today, latest_published=None)
    with pytest.raises(InvalidInput) as info:
        lists.check_effective_from(today, today=today, latest_published=today + timedelta(days=5))
    assert info.value.code == "catalog.effective_from_before_current"


@given(st.sets(st.dates(date(2027, 1, 1), date(2027, 12, 31)), max_size=40))
def test_holiday_lines_round_trip(days: set[date]) -> None:
    pairs = [(d, "假日") for d in days]
    text = holidays.schedule_lines(pairs)
    assert sorted(holidays.parse_lines(text, "off")) == sorted(pairs)


def test_diff_items() -> None:
    old = {
        "a": {"title_zh": "A", "item_type": "rule", "data": {"value": "1"}},
        "b": {"title_zh": "B", "item_type": "rule", "data": {}},
    }
    new = {
        "a": {"title_zh": "A", "item_type": "rule", "data": {"value": "2"}},
        "c": {"title_zh": "C", "item_type": "rule", "data": {}},
    }
    changes = {c.key: c for c in lists.diff_items(old, new)}
    assert changes["a"].fields == (("value", "1", "2"),)
    assert (changes["b"].change, changes["c"].change) == ("removed", "added")
